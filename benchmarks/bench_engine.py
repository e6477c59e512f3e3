"""The embedded engine against its floor: seconds per scenario of few-shot comparative regression (the paper's
protocol, full prompts) divided by what llama.cpp itself needs for the same tokens, measured in one run.

For each of the first N HelpSteer2 eval scenarios:
1. *Ours*: `comparative-fewshot` (paper protocol: the authors' prompts, one example per label level, no context budget)
   on the embedded SmolLM2-135M through `backends.LlamaCppBackend`, all five attributes; wall seconds per scenario.
   The backend records every prompt's token ids and every answer's generated ids.
2. *Floor*: a separate `llama_cpp.Llama` on the same GGUF with the same threads and batch size, called without the
   project: for every recorded answer, a fresh context evaluates the prompt ids (prefill), then evaluates the answer's
   tokens one at a time (decode; teacher-forced, no sampling, no grammar). The floor is the sum of those times: the
   prompt tokens at llama.cpp's raw prefill rate plus the answer tokens at its raw decode rate.
The ratio ours / floor is the goal's measure (goal <= 1.3). The two alternate scenario by scenario so that both see the
same machine load. Greedy repeatability: the first scenario is scored twice and must give identical records.

Run: `PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/bench_engine.py [--scenarios 2] [--threads N] [--out benchmarks/results]`
It writes `bench_engine.json` (every row) and `bench_engine.md` (the table the README includes) into `--out`.
"""
import argparse, json, os, time
import numpy as np


def floor_seconds(llm, trace):
    "Raw llama.cpp time for the recorded (prompt ids, answer ids): prefill, then teacher-forced decode."
    pre = dec = 0.0
    n_pre = n_dec = 0
    for ids, toks in trace:
        llm.reset()
        t = time.perf_counter(); llm.eval(ids); pre += time.perf_counter() - t
        t = time.perf_counter()
        for tok in toks: llm.eval([tok])
        dec += time.perf_counter() - t
        n_pre += len(ids); n_dec += len(toks)
    return pre, dec, n_pre, n_dec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scenarios', type=int, default=2)
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--out', default=None, help="folder for bench_engine.json and bench_engine.md")
    ap.add_argument('--note', default='', help="a sentence on the conditions (e.g. what else ran), added to the table's caption")
    a = ap.parse_args()
    import llama_cpp
    from steerable_pluralism.backends import LlamaCppBackend, smollm2_gguf
    from steerable_pluralism.benchmark import load_benchmark
    from steerable_pluralism.experiment import build_method

    backend = LlamaCppBackend('smollm2', n_threads=a.threads)
    method = build_method('comparative-fewshot', backend, 'helpsteer2')
    bench = load_benchmark('helpsteer2', 'eval', limit=a.scenarios)
    method.prepare(bench)
    raw = llama_cpp.Llama(model_path=str(smollm2_gguf()), n_ctx=backend.context_window, n_threads=backend.threads,
                          n_threads_batch=backend.threads, n_batch=backend.n_batch, n_ubatch=backend.n_batch, verbose=False)
    print(f"engine: llama.cpp (llama-cpp-python {llama_cpp.__version__}), {backend.model_id}, {backend.threads} threads, "
          f"n_batch {backend.n_batch}; {len(bench)} scenarios x {len(method.attributes)} attributes, paper protocol")
    rows, first = [], None
    for s in bench:
        backend.trace = []
        t = time.perf_counter()
        recs = {a: method.score(s, a) for a in method.attributes}
        ours = time.perf_counter() - t
        trace, backend.trace = backend.trace, None
        if first is None:
            first = (s, recs)
        pre, dec, n_pre, n_dec = floor_seconds(raw, trace)
        failed = sum(r['failed'] for r in recs.values())
        rows.append(dict(scenario=s.id, ours=ours, floor=pre + dec, prefill=pre, decode=dec, prompt_tokens=n_pre,
                         answer_tokens=n_dec, cached=sum(r.get('cached_tokens', 0) for r in recs.values()), failed=failed))
        r = rows[-1]
        print(f"{s.id}: ours {ours:6.1f} s, floor {r['floor']:6.1f} s (prefill {n_pre} tok in {pre:.1f} s = "
              f"{n_pre / pre:.0f} tok/s; decode {n_dec} tok in {dec:.1f} s = {n_dec / max(dec, 1e-9):.0f} tok/s), "
              f"ratio {ours / r['floor']:.2f}, failed units {failed}", flush=True)
    s, recs = first
    again = {a: method.score(s, a) for a in method.attributes}
    same = all(again[a]['scores'] == recs[a]['scores'] and again[a]['reasoning'] == recs[a]['reasoning'] for a in recs)
    tot = {k: sum(r[k] for r in rows) for k in ('ours', 'floor', 'prefill', 'decode', 'prompt_tokens', 'answer_tokens')}
    print(f"\nseconds per scenario: ours {tot['ours'] / len(rows):.1f}, floor {tot['floor'] / len(rows):.1f}; "
          f"ratio ours/floor = {tot['ours'] / tot['floor']:.3f} (goal <= 1.3)")
    print(f"raw llama.cpp rates on these prompts: prefill {tot['prompt_tokens'] / tot['prefill']:.0f} tok/s, "
          f"decode {tot['answer_tokens'] / tot['decode']:.0f} tok/s; prompt tokens per scenario "
          f"{tot['prompt_tokens'] / len(rows):.0f}, answer tokens per scenario {tot['answer_tokens'] / len(rows):.0f}")
    print(f"greedy repeat of {s.id} identical: {same}")
    result = {'ratio': tot['ours'] / tot['floor'], 'repeatable': same, 'threads': backend.threads, 'n_batch': backend.n_batch,
              'engine': f"llama-cpp-python {llama_cpp.__version__}", 'model': backend.model_id, 'cpus': os.cpu_count(),
              'date': time.strftime('%Y-%m-%d'), 'note': a.note, 'rows': rows}
    print(json.dumps(result))
    if a.out: write_results(result, a.out)


def write_results(r, out):
    "bench_engine.json and bench_engine.md (a table per scenario and the totals) into `out`."
    from pathlib import Path
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    (out/'bench_engine.json').write_text(json.dumps(r, indent=1) + '\n')
    rows, n = r['rows'], len(r['rows'])
    tot = {k: sum(x[k] for x in rows) for k in ('ours', 'floor', 'prefill', 'decode', 'prompt_tokens', 'answer_tokens', 'failed')}
    lines = [f"Few-shot comparative regression, paper protocol at full prompts, SmolLM2-135M-Instruct Q4_1 ({r['model']}) on "
             f"{r['engine']}, {r['threads']} threads, {r['cpus']} CPUs, greedy; first {n} HelpSteer2 eval scenarios × 5 attributes; "
             f"measured {r['date']} by `benchmarks/bench_engine.py` (ours and the floor alternate scenario by scenario). {r.get('note', '')}".rstrip(), '',
             '| scenario | prompt tokens | answer tokens | ours (s) | floor (s) | ratio | failed units |', '|---|---|---|---|---|---|---|']
    for x in rows:
        lines.append(f"| {x['scenario']} | {x['prompt_tokens']:,} | {x['answer_tokens']:,} | {x['ours']:.1f} | {x['floor']:.1f} | "
                     f"{x['ours'] / x['floor']:.2f} | {x['failed']} |")
    lines += [f"| **per scenario** | {tot['prompt_tokens'] / n:,.0f} | {tot['answer_tokens'] / n:,.0f} | **{tot['ours'] / n:.1f}** | "
              f"**{tot['floor'] / n:.1f}** | **{r['ratio']:.2f}** | {tot['failed']} |", '',
              f"Floor = prompt tokens at llama.cpp's raw prefill rate ({tot['prompt_tokens'] / tot['prefill']:.0f} tok/s here) + answer "
              f"tokens at its raw decode rate ({tot['answer_tokens'] / tot['decode']:.0f} tok/s), the same model and threads called "
              f"without the project. Goal: ratio ≤ 1.3 — {'met' if r['ratio'] <= 1.3 else 'not met'}. Greedy output repeated "
              f"exactly on a second pass: {'yes' if r['repeatable'] else 'NO'}."]
    (out/'bench_engine.md').write_text('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
