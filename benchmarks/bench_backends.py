"""Backend speed, measured in one run with the embedded SmolLM2-135M (transformers, fp32, CPU).

1. Constrained vs plain: a comparative-style regression prompt (system text + a question and 2 responses) answered
   with JSON constrained by a per-letter {reasoning, score} schema, vs plain greedy `generate` of the same number of
   tokens on the same prompt (no logits processor). Goal: ratio <= 1.15.
2. Self-consistency on a long (~4k-token) few-shot prompt: n=5 samples (T=0.7) with the shared prefix vs without
   (prefix_sharing=False: 5 full prompts in one padded batch) vs one greedy prediction. Goal: n=5 with sharing <= 2x
   one greedy prediction.
3. Prefix-cache equality: greedy JSON answers of several few-shot prompts computed in one forward pass over the prompt
   (prefix_sharing=False) vs prefix-then-suffix (the cached path); the largest logit difference at the last prompt
   token; and how often tokenizing the prefix text and the last turn separately gives other tokens than tokenizing
   the whole prompt.
4. Decode throughput: tokens/s of plain greedy decoding at batch 1, 2, 4, 8, 16 (distinct short prompts).
5. (if llama-cpp-python is installed) llama.cpp in process on the same GGUF: constrained tokens/s.

Run: `PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/bench_backends.py [--quick]`
"""
import argparse, json, statistics, time
from pathlib import Path
import torch
from steerable_pluralism.backends import load_backend, LlamaCppBackend, BackendError

DATA = Path(__file__).resolve().parents[1] / 'data' / 'helpsteer2' / 'train.json'
SYSTEM = ("You are an expert annotator. You rate how helpful each response is for the question, on a scale from 0 "
          "(useless) to 100 (perfectly helpful: correct, complete and on point). Give a short reasoning first, then "
          "the integer score, for every response letter, as JSON.")


def schema(letters='AB', max_chars=300):
    item = {'type': 'object', 'properties': {'reasoning': {'type': 'string', 'maxLength': max_chars},
            'score': {'type': 'integer', 'minimum': 0, 'maximum': 100}}, 'required': ['reasoning', 'score']}
    return {'type': 'object', 'properties': {l: item for l in letters}, 'required': list(letters)}


def turn(s, n=2, clip=1500):
    rs = '\n\n'.join(f"Response {l}:\n{r[:clip]}" for l, r in zip('ABCD', s['responses'][:n]))
    return f"Question:\n{s['prompt'][:clip]}\n\n{rs}\n\nRate every response."


def answer(s, n=2):
    return json.dumps({l: {'reasoning': 'Plausible and mostly complete.', 'score': round(100 * lab['helpfulness'])
                           if isinstance(lab, dict) and 'helpfulness' in lab else 50}
                       for l, lab in zip('AB', s.get('labels', [{}] * n)[:n])})


def few_shot(data, k, final):
    msgs = [{'role': 'system', 'content': SYSTEM}]
    for s in data[:k]: msgs += [{'role': 'user', 'content': turn(s)}, {'role': 'assistant', 'content': answer(s)}]
    return msgs + [{'role': 'user', 'content': turn(final)}]


def timed(f, repeats=1):
    ts, out = [], None
    for _ in range(repeats):
        t = time.perf_counter(); out = f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts), out


def plain(b, ids, n_tokens, batch=1):
    "Plain greedy HF generate of exactly n_tokens new tokens, no logits processor."
    x = torch.tensor([ids] * batch)
    with torch.inference_mode():
        b.model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=n_tokens,
                         min_new_tokens=n_tokens, do_sample=False, pad_token_id=b.pad_id)


def bench_constrained(b, data, repeats):
    chat = [{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': turn(data[100], clip=800)}]
    sch = schema()
    b.generate([chat], sch, max_tokens=8)                              # build the processor once (cached)
    ids, tcs, tps = b.encode(chat), [], []
    for _ in range(repeats):   # interleaved, so that load from other processes hits both alike
        tc, g = timed(lambda: b.generate([chat], sch, max_tokens=300)[0]); tcs.append(tc)
        tp, _ = timed(lambda: plain(b, ids, g.completion_tokens)); tps.append(tp)
    tc, tp = statistics.median(tcs), statistics.median(tps)
    ratio = statistics.median(c / p for c, p in zip(tcs, tps))
    print(f"[1] constrained JSON {tc:.2f}s vs plain greedy {tp:.2f}s for {g.completion_tokens} tokens on a "
          f"{g.prompt_tokens}-token prompt (medians of {repeats} interleaved pairs): ratio {ratio:.3f} (goal <= 1.15); "
          f"finish={g.finish_reason}")
    # the cost of building the generator on every call (what caching avoids)
    t0 = time.perf_counter(); b._processors.clear(); b.processor(sch); tb = time.perf_counter() - t0
    print(f"    building the Outlines processor for this schema: {tb:.2f}s (done once per schema, then cached)")


def bench_self_consistency(b, data, n=5, max_tokens=160):
    k = 1
    while b.count_tokens(few_shot(data, k + 1, data[300])) < 4000 and k < 60: k += 1
    base = few_shot(data, k, data[300])
    # the n samples differ only in the last user turn (shuffled response order)
    last = data[300]
    variants = [dict(last, responses=last['responses'][::-1] if i % 2 else last['responses']) for i in range(n)]
    chats = [base[:-1] + [{'role': 'user', 'content': turn(v)}] for v in variants]
    sch = schema()
    b.prefix_sharing = True
    b.generate([chats[0]], sch, max_tokens=4)
    tg, g = timed(lambda: b.generate([chats[0]], sch, max_tokens=max_tokens)[0])
    ts, gs = timed(lambda: b.generate(chats, sch, max_tokens=max_tokens, temperature=0.7, seed=0))
    b.prefix_sharing = False
    tn, gn = timed(lambda: b.generate(chats, sch, max_tokens=max_tokens, temperature=0.7, seed=0))
    b.prefix_sharing = True
    tok = lambda gs: sum(x.completion_tokens for x in gs)
    print(f"[2] {g.prompt_tokens}-token prompt ({k} examples), shared prefix {b.shared_prefix(chats[0])} tokens:")
    print(f"    one greedy: {tg:.1f}s ({g.completion_tokens} tokens)")
    print(f"    n={n} samples, shared prefix: {ts:.1f}s ({tok(gs)} tokens) = {ts / tg:.2f}x one greedy (goal <= 2x)")
    print(f"    n={n} samples, no sharing:    {tn:.1f}s ({tok(gn)} tokens) = {tn / tg:.2f}x one greedy; "
          f"sharing saves {tn / ts:.2f}x")


def bench_prefix_equality(b, data, n_prompts, max_tokens=120):
    sch, differ, worst, split_mismatch = schema(), 0, 0.0, 0
    for i in range(n_prompts):
        chat = few_shot(data[10 * i:], 2, data[400 + i])
        ids, p = b.encode(chat), b.shared_prefix(chat)
        with torch.inference_mode():
            x = torch.tensor([ids])
            full = b.model(input_ids=x).logits[0, -1]
            cache = b.model(input_ids=x[:, :p], use_cache=True).past_key_values
            two = b.model(input_ids=x[:, p:], past_key_values=cache).logits[0, -1]
        worst = max(worst, (full - two).abs().max().item())
        b.prefix_sharing = False; a = b.generate([chat], sch, max_tokens=max_tokens)[0].text
        b.prefix_sharing = True; c = b.generate([chat], sch, max_tokens=max_tokens)[0].text
        differ += a != c
        # text-level split (prefix text and last turn tokenized separately) vs whole-prompt tokenization
        pre_text = b.render(chat[:-1], generation_prompt=False)
        text = b.render(chat)
        split_ids = b._ids(pre_text) + b._ids(text[len(pre_text):]) if text.startswith(pre_text) else None
        cut = text.index(chat[-1]['content'])           # a cut inside the last turn, right before its content
        split_ids2 = b._ids(text[:cut]) + b._ids(text[cut:])
        split_mismatch += (split_ids != ids) + (split_ids2 != ids)
    print(f"[3] {n_prompts} few-shot prompts: max |logit| difference one-pass vs prefix-then-suffix prefill at the "
          f"last prompt token {worst:.2e}; greedy JSON answers that differ between the two: {differ}/{n_prompts}")
    print(f"    text-level prefix splits whose tokens differ from the whole prompt's: {split_mismatch}/{2 * n_prompts}")


def bench_batching(b, data, n_tokens=32, sizes=(1, 2, 4, 8, 16)):
    rates = {}
    for bs in sizes:
        chats = [[{'role': 'user', 'content': data[i]['prompt'][:300]}] for i in range(bs)]
        ids = [b.encode(c) for c in chats]
        w = max(map(len, ids))
        x = torch.tensor([[b.pad_id] * (w - len(i)) + i for i in ids])
        m = torch.tensor([[0] * (w - len(i)) + [1] * len(i) for i in ids])
        def run():
            with torch.inference_mode():
                b.model.generate(input_ids=x, attention_mask=m, max_new_tokens=n_tokens, min_new_tokens=n_tokens,
                                 do_sample=False, pad_token_id=b.pad_id)
        t, _ = timed(run)
        rates[bs] = bs * n_tokens / t
    best = max(rates, key=rates.get)
    print(f"[4] plain greedy decoding, {n_tokens} new tokens, prompts ~{w} tokens: " +
          ', '.join(f"batch {k}: {v:.1f} tok/s" for k, v in rates.items()) +
          f"; best batch {best} ({rates[best] / rates[1]:.1f}x batch 1)")


def bench_llamacpp(data):
    try: lb = load_backend('llamacpp:smollm2')
    except BackendError as e: print(f"[5] skipped: {e}"); return
    chat = [{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': turn(data[100], clip=800)}]
    lb.generate([chat], schema(), max_tokens=8)
    t, g = timed(lambda: lb.generate([chat], schema(), max_tokens=300)[0])
    print(f"[5] llama.cpp in process, constrained: {g.completion_tokens} tokens in {t:.2f}s on a {g.prompt_tokens}-token "
          f"prompt ({g.completion_tokens / t:.1f} tok/s including prefill)")


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--quick', action='store_true', help='fewer repeats and prompts')
    ap.add_argument('--only', default='12345', help='which sections to run, e.g. 13')
    ap.add_argument('--threads', type=int, default=1, help='torch threads (1 is steadiest on a shared machine)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data = json.loads(DATA.read_text())
    b = load_backend('smollm2')
    print(f"SmolLM2-135M fp32 CPU, torch threads {torch.get_num_threads()}")
    if '1' in a.only: bench_constrained(b, data, 1 if a.quick else 3)
    if '2' in a.only: bench_self_consistency(b, data)
    if '3' in a.only: bench_prefix_equality(b, data, 2 if a.quick else 4)
    if '4' in a.only: bench_batching(b, data)
    if '5' in a.only: bench_llamacpp(data)
