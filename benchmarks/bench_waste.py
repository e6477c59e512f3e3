"""Why zero-shot answers were cut: Outlines' unbounded integers, measured in one run.

The previous default (transformers + Outlines, the project's prompts, 256 answer tokens) cut or retried many zero-shot
answers of SmolLM2. Outlines turns `{"type": "integer", "minimum": 0, "maximum": 100}` into `-?(0|[1-9][0-9]*)`: the
bounds are dropped, and a small model may write digits until the token limit. This benchmark answers the same
comparative zero-shot prompts three ways and counts generated tokens, cut answers and the longest score written:

1. transformers + Outlines with the schema as written (what the project did before),
2. transformers + Outlines with bounded integers written as an enum (`backends.bounded_integers`, what it does now),
3. the embedded engine (llama.cpp grammar, which honours the bounds).

Run: `PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/bench_waste.py [--scenarios 4]`
"""
import argparse, json, re, time
import steerable_pluralism.backends as B
from steerable_pluralism.benchmark import load_benchmark
from steerable_pluralism.prompts import regression_messages, regression_schema, get_protocol


def run(backend, prompts, schema, style, max_tokens):
    out = []
    for msgs in prompts:
        t = time.perf_counter()
        g = backend.generate([msgs], schema, max_tokens=max_tokens, style=style)[0]
        digits = max((len(d) for d in re.findall(r'"score":\s*(-?\d+)', g.text)), default=0)
        out.append(dict(tokens=g.completion_tokens, cut=g.finish_reason == 'length', digits=digits,
                        seconds=time.perf_counter() - t, text=g.text[-80:]))
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
    B.bounded_integers = lambda s, *x, **k: s          # 1. the schema as written: Outlines drops the bounds
    tf._processors.clear()
    rows['outlines, schema as written'] = run(tf, prompts, schema, pr.chat, a.max_tokens)
    B.bounded_integers = keep                           # 2. bounded integers as an enum
    tf._processors.clear()
    rows['outlines, bounded integers'] = run(tf, prompts, schema, pr.chat, a.max_tokens)
    rows['llama.cpp grammar'] = run(B.LlamaCppBackend('smollm2'), prompts, schema, pr.chat, a.max_tokens)
    print(f"{len(prompts)} comparative zero-shot prompts (project wording, {pr.max_reasoning_chars}-char reasonings), "
          f"max_tokens {a.max_tokens}")
    for name, rs in rows.items():
        n = len(rs)
        print(f"{name:32s} mean tokens {sum(r['tokens'] for r in rs) / n:6.1f}  cut {sum(r['cut'] for r in rs)}/{n}  "
              f"longest score {max(r['digits'] for r in rs)} digits  seconds/answer {sum(r['seconds'] for r in rs) / n:.1f}")
    cut = [r['text'] for r in rows['outlines, schema as written'] if r['cut']]
    if cut: print('end of a cut answer (schema as written):', json.dumps(cut[0]))


if __name__ == '__main__':
    main()
