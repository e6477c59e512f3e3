"""Why zero-shot answers were cut or invalid, measured in one run on the same prompts.

The previous default (transformers + Outlines, the project's prompts, a 256-token answer budget) cut many zero-shot
answers of SmolLM2 and retried them at T = 0.7. Two causes are separated here:
- the budget: a 300-character reasoning of digits and symbols ("7 + 126 = 259, ...") takes up to ~1 token per
  character, so two of them do not fit in 256 tokens; the answer budget now is the longest answer the schema allows;
- the bounds: Outlines (and llama-cpp-python's converter) drop `minimum`/`maximum` of an integer, so scores such as
  126 (off the 0-100 scale) or long digit runs are allowed; bounded integers are now written as an enum.
Variants:
1. transformers + Outlines, schema as written, 256 tokens (what the project did before),
2. transformers + Outlines, bounded integers, the schema's full budget,
3. the embedded engine (llama.cpp), bounded integers, the schema's full budget (the default now).

Run: `PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/bench_waste.py [--scenarios 4]`
"""
import argparse, json, re, time
import steerable_pluralism.backends as B
from steerable_pluralism.benchmark import load_benchmark
from steerable_pluralism.prompts import regression_messages, regression_schema, get_protocol


def run(backend, prompts, schema, style, max_tokens):
    from steerable_pluralism.regression import parse_answer
    out = []
    for msgs in prompts:
        t = time.perf_counter()
        g = backend.generate([msgs], schema, max_tokens=max_tokens, style=style)[0]
        scores = [int(d) for d in re.findall(r'"score"\s*:\s*(-?\d+)', g.text)]
        out.append(dict(tokens=g.completion_tokens, cut=g.finish_reason == 'length',
                        invalid=g.finish_reason != 'length' and parse_answer(g.text, 2) is None,
                        off_scale=sum(not 0 <= x <= 100 for x in scores), seconds=time.perf_counter() - t, text=g.text[-80:]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scenarios', type=int, default=4)
    ap.add_argument('--max-tokens', type=int, default=256)
    a = ap.parse_args()
    pr = get_protocol('project')
    bench = load_benchmark('helpsteer2', 'eval', limit=a.scenarios)
    prompts = [regression_messages(s, attr, protocol=pr) for s in bench for attr in ('helpfulness', 'verbosity')]
    schema = regression_schema(2, pr.max_reasoning_chars)
    tf = B.TransformersBackend('smollm2')
    rows = {}
    keep = B.bounded_integers
    full = 2 * (pr.max_reasoning_chars + 24) + 8        # the longest answer the schema allows (regression.answer_tokens)
    B.bounded_integers = lambda s, *x, **k: s          # 1. the schema as written: Outlines drops the bounds
    tf._processors.clear()
    rows['1. outlines, as written, 256 tok'] = run(tf, prompts, schema, pr.chat, a.max_tokens)
    B.bounded_integers = keep                           # 2. bounded integers as an enum, the full budget
    tf._processors.clear()
    rows[f'2. outlines, bounded, {full} tok'] = run(tf, prompts, schema, pr.chat, full)
    rows[f'3. llama.cpp, bounded, {full} tok'] = run(B.LlamaCppBackend('smollm2'), prompts, schema, pr.chat, full)
    print(f"{len(prompts)} comparative zero-shot prompts of SmolLM2-135M (project wording, {pr.max_reasoning_chars}-char reasonings)")
    for name, rs in rows.items():
        n = len(rs)
        print(f"{name:34s} mean tokens {sum(r['tokens'] for r in rs) / n:6.1f}  cut {sum(r['cut'] for r in rs)}/{n}  "
              f"invalid {sum(r['invalid'] for r in rs)}/{n}  off-scale scores {sum(r['off_scale'] for r in rs)}  "
              f"seconds/answer {sum(r['seconds'] for r in rs) / n:.1f}")
    cut = [r['text'] for r in rows['1. outlines, as written, 256 tok'] if r['cut']]
    if cut: print('end of a cut answer (variant 1):', json.dumps(cut[0]))


if __name__ == '__main__':
    main()
