"""The transformers backend on one GPU, at the shapes of the paper's backbones: rates measured in one run.

Where the lent GPU runs nothing can be downloaded, so each model is randomly initialised from a published
configuration: SmolLM2-135M-Instruct (read from the embedded GGUF), Llama-3.2-3B-Instruct and Mistral-7B-Instruct-v0.3
(written out in SHAPES below), all with SmolLM2's tokenizer and chat template (49,152 tokens: Llama's output layer has
128,256 rows and Mistral's 32,768, so their last matrix product differs from these by that factor). A decoder's time
per token depends on its shapes, not on its weight values, so the rates mean something; the text the models write is
noise, so nothing here says anything about accuracy, and how many tokens an answer takes is not measured either (a
random model stops at random): answers are capped at `--max-tokens`.

Prompts: the paper protocol's comparative few-shot regression prompt (`RegressionMethod`, the project's one prompt
builder) of the first HelpSteer2 eval scenarios, attribute helpfulness, at full length (no context budget). The
paper's example retrieval (BERTScore with roberta-large) is not on the GPU machine either: examples are chosen by a
stand-in similarity (closest prompt length) through the same level-covering selection, which changes which examples
are shown, not how many or how long prompts are.

Per shape, after a warm-up answer:
1. prefill: one forward pass over the whole prompt (no cache): seconds and tokens/s.
2. constrained greedy: `backend.generate` with the method's JSON schema (Outlines' logits processor), capped at
   `--max-tokens`;
   decode tokens/s = generated tokens / (seconds - prefill seconds).
3. plain greedy: Hugging Face `generate` of exactly as many tokens on the same prompt, no logits processor:
   constrained / plain seconds is what the constraint costs.
4. self-consistency: 5 samples at T=0.7 in one call (their shared prompt computed once) vs one greedy answer.
5. batching: `backend.generate` of B distinct chats at once (B = 1, 8, 32; one padded batch) with the schema,
   answers per second; what in-process batching gives a GPU user in place of concurrent server requests.
6. (the smallest shape) one whole unit through `RegressionMethod.score`, its record checked.

Run: `PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/bench_gpu.py --shape-dir DIR --out benchmarks/results`
(DIR: a folder with SmolLM2's config.json and tokenizer, written from the GGUF by `--write-shape-dir DIR`).
`--shapes tiny --device cpu` is a dry run of the script on any machine. On a GPU machine with no package index or hub,
`bash tools/gpu_check.sh prepare` (here) and `bash tools/gpu_check.sh run OUT` (there) repeat the whole check.
"""
import argparse, json, platform, statistics, tempfile, time
from pathlib import Path
import torch

SHAPES = {   # published configurations (config.json of each model on the Hugging Face hub), less the vocabulary
    'tiny': dict(arch='llama', hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=16384, tie_word_embeddings=True),
    'SmolLM2-135M': None,   # the embedded model's own config (from its GGUF, in --shape-dir)
    'Llama-3.2-3B': dict(arch='llama', hidden_size=3072, intermediate_size=8192, num_hidden_layers=28,
                         num_attention_heads=24, num_key_value_heads=8, head_dim=128, rms_norm_eps=1e-5,
                         max_position_embeddings=131072, tie_word_embeddings=True),
    'Mistral-7B': dict(arch='mistral', hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                       num_attention_heads=32, num_key_value_heads=8, head_dim=128, rms_norm_eps=1e-5,
                       max_position_embeddings=32768, tie_word_embeddings=False, sliding_window=None),
}


def write_shape_dir(path):
    "SmolLM2's config and tokenizer (with its chat template) from the embedded GGUF, saved to `path` (3 MB)."
    from transformers import AutoConfig, AutoTokenizer
    from steerable_pluralism.backends import smollm2_gguf
    g = smollm2_gguf()
    for cls in (AutoTokenizer, AutoConfig): cls.from_pretrained(str(g.parent), gguf_file=g.name).save_pretrained(path)
    return Path(path)


def random_model(shape, shape_dir, path, device, dtype, seed=0):
    "Save a randomly initialised model of `shape` (initialised on `device`) with SmolLM2's tokenizer to `path`."
    from transformers import AutoConfig, AutoTokenizer, LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM
    tok = AutoTokenizer.from_pretrained(shape_dir)
    spec = SHAPES[shape]
    if spec is None: cfg, Model = AutoConfig.from_pretrained(shape_dir), LlamaForCausalLM
    else:
        spec = dict(spec); arch = spec.pop('arch')
        Config, Model = (LlamaConfig, LlamaForCausalLM) if arch == 'llama' else (MistralConfig, MistralForCausalLM)
        cfg = Config(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                     pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id, **spec)
    torch.manual_seed(seed)
    with torch.device(device): model = Model._from_config(cfg, dtype=dtype)
    n_params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(path); tok.save_pretrained(path)
    del model
    if device.startswith('cuda'): torch.cuda.empty_cache()
    return n_params


def sync(device):
    if device.startswith('cuda'): torch.cuda.synchronize()


def clock(f, device):
    sync(device); t = time.perf_counter(); out = f(); sync(device)
    return time.perf_counter() - t, out


def prompts(backend, n_scenarios):
    "The method, and its paper-protocol comparative few-shot (messages, schema, scenario) for the first eval scenarios."
    from steerable_pluralism.benchmark import load_benchmark
    from steerable_pluralism.methods import make_method
    from steerable_pluralism.prompts import regression_schema
    from steerable_pluralism.regression import regression_prompt_text
    from steerable_pluralism.retrieval import ExampleIndex, FakeScorer
    train, ev = load_benchmark('helpsteer2', 'train'), load_benchmark('helpsteer2', 'eval', limit=n_scenarios)
    idx = ExampleIndex(train, similarity=FakeScorer(lambda q, c: -abs(len(c) - len(q)) / 1e4), prompt_text=regression_prompt_text)
    m = make_method('comparative-fewshot', backend=backend, train=train, index=idx, protocol='paper').prepare(ev)
    out = []
    for s in ev:
        a = 'helpfulness'
        fitted = m.fit(s, a, m.examples(s, a), m.answer_tokens(s.n))
        out.append((m._messages(fitted['scenario'], a, fitted['examples']), regression_schema(s.n, m.max_reasoning_chars), s))
    return m, out


def measure(shape, args, device, dtype, t_start):
    from steerable_pluralism.backends import TransformersBackend
    row = {'shape': shape}
    with tempfile.TemporaryDirectory() as tmp:
        t, row['params'] = clock(lambda: random_model(shape, args.shape_dir, tmp, device, dtype), device)
        row['init_and_save_s'] = round(t, 1)
        t, b = clock(lambda: TransformersBackend(tmp, dtype=str(dtype).replace('torch.', ''), device=device), device)
        row['load_s'], row['dtype'] = round(t, 1), b.dtype
        m, ps = prompts(b, max(args.batch))
        style = m.protocol.chat
        msgs, schema, scen = ps[0]
        ids = b.encode(msgs, style)
        row['prompt_tokens'], row['responses'] = len(ids), scen.n
        N = args.max_tokens
        t, _ = clock(lambda: b.generate([msgs], schema, max_tokens=16, style=style), device)   # warm-up, schema compiled
        row['warmup_s'] = round(t, 2)
        x = torch.tensor([ids], device=b.model.device)
        with torch.inference_mode():
            pre = statistics.median(clock(lambda: b.model(input_ids=x, use_cache=False).logits[:, -1], device)[0]
                                    for _ in range(3))
        row['prefill_s'], row['prefill_tok_s'] = round(pre, 4), round(len(ids) / pre)
        t, (g,) = clock(lambda: b.generate([msgs], schema, max_tokens=N, style=style), device)
        row['constrained_s'], row['constrained_tokens'] = round(t, 3), g.completion_tokens
        row['decode_tok_s'] = round(g.completion_tokens / max(t - pre, 1e-9), 1)
        k = g.completion_tokens
        with torch.inference_mode():
            tp, _ = clock(lambda: b.model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=k,
                                                   min_new_tokens=k, do_sample=False, pad_token_id=b.pad_id), device)
        row['plain_s'] = round(tp, 3)
        row['constrained_over_plain'] = round(t / tp, 2)
        ts, gs = clock(lambda: b.generate([msgs] * 5, schema, max_tokens=N, temperature=0.7, seed=0, style=style), device)
        row['sc5_s'], row['sc5_tokens_max'] = round(ts, 3), max(x.completion_tokens for x in gs)
        row['sc5_over_greedy'] = round(ts / t, 2)
        for B in args.batch:
            chats = [p[0] for p in ps[:B]]
            if len(chats) < B: break
            tb, gb = clock(lambda: b.generate(chats, schema_for(ps[:B]), max_tokens=args.batch_tokens, style=style), device)
            row[f'batch{B}_answers_s'] = round(B / tb, 2)
            row[f'batch{B}_tokens'] = sum(x.completion_tokens for x in gb)
        if shape == args.unit_shape:
            t, rec = clock(lambda: m.score(scen, 'helpfulness'), device)
            ok = 'error' not in rec and len(rec.get('scores', [])) == scen.n
            row['unit_s'], row['unit_ok'] = round(t, 2), bool(ok)
        row['peak_gib'] = round(torch.cuda.max_memory_allocated() / 2**30, 1) if device.startswith('cuda') else None
        del b
    if device.startswith('cuda'): torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    row['elapsed_s'] = round(time.perf_counter() - t_start)
    return row


def schema_for(ps):
    "One schema for a batch: chats with different response counts need different schemas, so batches use 2-response scenarios."
    ns = {s.n for _, _, s in ps}
    if len(ns) != 1: raise ValueError(f"batch mixes scenarios of {sorted(ns)} responses")
    return ps[0][1]


COLS = [('shape', 'backbone shape'), ('params', 'params (M)'), ('prompt_tokens', 'prompt tokens'),
        ('prefill_tok_s', 'prefill tok/s'), ('decode_tok_s', 'constrained decode tok/s'),
        ('constrained_over_plain', 'constrained / plain'), ('sc5_over_greedy', '5 samples / 1 greedy'),
        ('batch1_answers_s', 'answers/s, batch 1'), ('batch8_answers_s', 'batch 8'), ('batch32_answers_s', 'batch 32'),
        ('peak_gib', 'peak GiB')]


def markdown(res, folder='benchmarks/results'):
    "The Markdown table and caption of `res`; a `warm_check` file is read from `folder`."
    rows = res['rows']
    head = '| ' + ' | '.join(c for _, c in COLS) + ' |\n|' + '|'.join('---' if k == 'shape' else '---:' for k, _ in COLS) + '|\n'
    def cell(r, k):
        v = r.get(k)
        if v is None: return '–'
        return f"{v / 1e6:.0f}" if k == 'params' else f"{v:,}" if isinstance(v, int) else str(v)
    body = ''.join('| ' + ' | '.join(cell(r, k) for k, _ in COLS) + ' |\n' for r in rows)
    unit = next((r for r in rows if 'unit_s' in r), None)
    ratios = [r['constrained_over_plain'] for r in rows]
    pace = (f" The constrained answer took {min(ratios)}-{max(ratios)}x the time of the same tokens decoded without the "
            f"constraint" if ratios else '')
    b = [r for r in rows if 'batch8_answers_s' in r]
    if b and all(r['batch8_answers_s'] <= r['batch1_answers_s'] for r in b):
        pace += (", and a batch of 8 answers was no faster per answer than one chat (Outlines' processor masks the rows "
                 "one by one, with a copy to the GPU and back for each)")
    pace += '.' if ratios else ''
    w = res.get('warm_check')
    if w:   # the same answer timed late in another run: how much a run's warm-up moves these rates
        other = json.loads((Path(folder)/w['file']).read_text())
        late = next(r[w['field']] for r in other['rows'] if r['shape'] == w['shape'])
        here = next(r['decode_tok_s'] for r in rows if r['shape'] == w['shape'])
        pace += (f" How warm a run is matters: in a later run on a fresh machine (`{w['file']}`), the {w['shape']} shape's "
                 f"same capped answer through the same processor decoded at {late} tok/s when timed late in the run, "
                 f"against {here} here, where it is timed first: read these rates as an order of magnitude.")
    return (head + body + f"\n*{res['device']}, torch {res['torch']}, transformers {res['transformers']}, {res['dtype']}; "
            f"transformers backend with Outlines' JSON constraint; random weights at each model's published shape with "
            f"SmolLM2's tokenizer (49,152 tokens), so rates only, no accuracy; the paper protocol's comparative few-shot "
            f"helpfulness prompt of HelpSteer2 eval scenario 1 at full length; answers capped at {res['max_tokens']} "
            f"tokens (batches: {res['batch_tokens']}, 2-response scenarios); measured in {res.get('runs', 'one run')} by "
            f"`benchmarks/bench_gpu.py` ({res['date']}).{(' ' + res['note']) if res.get('note') else ''}{pace}"
            + (f" One whole unit of the {unit['shape']} shape through `RegressionMethod.score`: {unit['unit_s']} s, "
               f"record {'valid' if unit['unit_ok'] else 'INVALID'}.*" if unit else '*') + '\n')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--shape-dir', default='.gpu/smollm2-shape')
    ap.add_argument('--write-shape-dir', metavar='DIR', help='write SmolLM2 config + tokenizer from the GGUF to DIR and stop')
    ap.add_argument('--shapes', nargs='+', default=['SmolLM2-135M', 'Llama-3.2-3B', 'Mistral-7B'])
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--dtype', default=None, help='default: bfloat16 on a GPU, float32 on a CPU')
    ap.add_argument('--max-tokens', type=int, default=128)
    ap.add_argument('--batch', type=int, nargs='+', default=[1, 8, 32])
    ap.add_argument('--batch-tokens', type=int, default=64)
    ap.add_argument('--unit-shape', default='SmolLM2-135M')
    ap.add_argument('--budget-s', type=float, default=400, help='skip the shapes left once this many seconds have passed')
    ap.add_argument('--out', default='benchmarks/results')
    ap.add_argument('--render', metavar='JSON', help="redraw JSON's table (bench_gpu.md beside it) and stop")
    args = ap.parse_args(argv)
    if args.render:
        path = Path(args.render); md = markdown(json.loads(path.read_text()), path.parent)
        path.with_suffix('.md').write_text(md); print(md); return
    if args.write_shape_dir: print(write_shape_dir(args.write_shape_dir)); return
    if not (Path(args.shape_dir)/'tokenizer.json').exists():
        raise SystemExit(f"--shape-dir {args.shape_dir}: no tokenizer.json there; write it with --write-shape-dir {args.shape_dir}")
    import transformers
    dtype = getattr(torch, args.dtype or ('bfloat16' if args.device.startswith('cuda') else 'float32'))
    device_name = torch.cuda.get_device_name() if args.device.startswith('cuda') else f'CPU ({platform.processor() or platform.machine()})'
    res = {'device': device_name, 'torch': torch.__version__, 'transformers': transformers.__version__,
           'dtype': str(dtype).replace('torch.', ''), 'max_tokens': args.max_tokens, 'batch_tokens': args.batch_tokens,
           'date': time.strftime('%Y-%m-%d'), 'rows': [], 'skipped': []}
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for shape in args.shapes:
        if time.perf_counter() - t0 > args.budget_s: res['skipped'].append(shape); continue
        row = measure(shape, args, args.device, dtype, t0)
        print(json.dumps(row), flush=True)
        res['rows'].append(row)
        (out/'bench_gpu.json').write_text(json.dumps(res, indent=1) + '\n')   # each shape kept as soon as measured
        (out/'bench_gpu.md').write_text(markdown(res, out))
    print(markdown(res, out))


if __name__ == '__main__':
    main()
