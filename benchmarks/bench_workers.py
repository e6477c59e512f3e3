"""Unit workers against one process: the same study units computed by `reproduce.run_methods` with `workers=1` (one
process, every thread) and with `workers=N` (N processes, threads / N each), in one run.

Each variant computes, into its own temporary store, the paper protocol's `comparative-zeroshot` on the first
`--zeroshot` HelpSteer2 eval scenarios and `comparative-fewshot` on the first `--fewshot` (the embedded SmolLM2-135M,
llama.cpp in process, greedy, full prompts). Reported: wall seconds of each variant, their ratio (the goal: workers
faster, ratio < 1), and whether the records are identical (scores, reasonings and token counts; only the timings and how
much of a prompt a process found already evaluated may differ).

Run: `PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/bench_workers.py [--workers 2] [--zeroshot 4] [--fewshot 2] [--out benchmarks/results]`
Nothing else should run meanwhile (pause a running study: the numbers are wall seconds).
"""
import argparse, json, os, tempfile, time
from pathlib import Path


def run(workers: int, zeroshot: int, fewshot: int, folder: Path) -> tuple[float, dict]:
    from steerable_pluralism.benchmark import load_benchmark
    from steerable_pluralism.reproduce import run_methods
    from steerable_pluralism.store import PredictionStore
    from steerable_pluralism.targets import load_targets
    bench = load_benchmark('helpsteer2', 'eval', limit=max(zeroshot, fewshot))
    targets = {'all': load_targets('helpsteer2', 'all')}
    with PredictionStore(folder/f'workers{workers}.sqlite') as st:
        t = time.perf_counter()
        out = run_methods(['comparative-zeroshot', 'comparative-fewshot'], bench, st, targets, protocol='paper',
                          method_limits={'comparative-zeroshot': zeroshot, 'comparative-fewshot': fewshot},
                          workers=workers, progress=False)
        seconds = time.perf_counter() - t
        recs = {f"{name}/{sid}/{unit}": {k: v for k, v in r.items() if k not in ('seconds', 'cached_tokens')}
                for name, o in out.items() for (sid, unit), r in st.records(o['key']).items()}
    return seconds, recs


def write_results(row: dict, out):
    "bench_workers.json and bench_workers.md into `out`: the two variants' seconds, their ratio, whether the records agree."
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    (out/'bench_workers.json').write_text(json.dumps(row, indent=1) + '\n')
    cpu = f" ({row['cpu']})" if row.get('cpu') else ''
    (out/'bench_workers.md').write_text(
        f"Unit workers (`benchmarks/bench_workers.py`, {row['date']}): paper-protocol comparative-zeroshot on "
        f"{row['zeroshot_scenarios']} and comparative-fewshot on {row['fewshot_scenarios']} HelpSteer2 eval scenarios "
        f"({row['units']} units), SmolLM2-135M-Instruct Q4_1 on llama-cpp-python {row['llama_cpp']}, {row['cpus']} CPUs{cpu}, "
        f"greedy, full prompts; nothing else ran meanwhile. {row.get('note', '')}".rstrip() + "\n\n"
        "| variant | processes × threads | seconds |\n|---|---|---|\n"
        f"| one process | 1 × {row['threads']} | {row['seconds_one']} |\n"
        f"| workers | {row['workers']} × {row['threads_per_worker']} | {row['seconds_workers']} |\n\n"
        f"Workers ÷ one process: **{row['ratio']:.2f}**; records identical: {'yes' if row['identical'] else 'NO'}.\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--zeroshot', type=int, default=4)
    ap.add_argument('--fewshot', type=int, default=2)
    ap.add_argument('--out', default=None, help="folder for bench_workers.json and bench_workers.md")
    ap.add_argument('--note', default='', help="a sentence on the conditions, added to the table's caption")
    ap.add_argument('--render', default=None, metavar='JSON', help="only rewrite the results in --out from this bench_workers.json")
    a = ap.parse_args()
    if a.render: return write_results(json.loads(Path(a.render).read_text()), a.out or Path(a.render).parent)
    import llama_cpp
    from steerable_pluralism.backends import cpu_isa, default_threads
    threads = default_threads()
    with tempfile.TemporaryDirectory() as d:
        one, recs1 = run(1, a.zeroshot, a.fewshot, Path(d))
        many, recsN = run(a.workers, a.zeroshot, a.fewshot, Path(d))
    same = recs1 == recsN
    row = dict(threads=threads, workers=a.workers, threads_per_worker=max(1, threads // a.workers), zeroshot_scenarios=a.zeroshot,
               fewshot_scenarios=a.fewshot, units=len(recs1), seconds_one=round(one, 1), seconds_workers=round(many, 1),
               ratio=round(many / one, 3), identical=same, llama_cpp=llama_cpp.__version__, cpus=os.cpu_count(),
               cpu=cpu_isa(), date=time.strftime('%Y-%m-%d'), note=a.note)
    print(json.dumps(row, indent=1))
    if a.out: write_results(row, a.out)
    return 0 if same else 1


if __name__ == '__main__':
    raise SystemExit(main())
