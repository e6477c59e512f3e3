"""Do the committed study's greedy answers repeat on this machine? Recompute the first few scenarios of some study
methods into a scratch store (the study's protocol and keys, one worker, one thread per unit, greedy, full prompts)
and compare each unit's record with the committed one.

Greedy decoding repeats exactly on one machine and build (`bench_engine.py`, `bench_workers.py` check it), but
llama.cpp is compiled for the CPU it is installed on (`GGML_NATIVE`), so another instruction set (AVX2 against
AVX-512) sums the matrix products in another order, the logits move in their last bits, and a near tie between two
tokens can go the other way. Reported per method: units that repeat exactly (every field but the timings), units whose
answer the alignment uses (the choice, or the scores) is the same while the text or its token count is not, and units
whose answer differs; with the CPU and llama-cpp-python version that recomputed them.

Run: `PYTHONPATH=. HF_HUB_OFFLINE=1 STEERABLE_PLURALISM_THREADS=1 python benchmarks/recompute_check.py
[--method unaligned --method comparative-zeroshot] [--limit 2] [--out benchmarks/results]`
"""
import argparse, json, os, platform, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMING = ('seconds', 'cached_tokens')            # how long, and how much of a prompt was already evaluated: may differ
ANSWER = ('choice', 'scores')                     # what the alignment uses


def cpu() -> tuple[str, bool]:
    "(model name, whether the CPU has AVX-512) from /proc/cpuinfo."
    try: lines = Path('/proc/cpuinfo').read_text().splitlines()
    except OSError: return platform.processor() or 'unknown CPU', False
    name = next((l.split(':', 1)[1].strip() for l in lines if l.startswith('model name')), 'unknown CPU')
    flags = next((l.split(':', 1)[1].split() for l in lines if l.startswith('flags')), [])
    return name, 'avx512f' in flags


def compare(new: dict, old: dict) -> str:
    "'identical', 'same answer' or 'different answer' for two records of one unit."
    a, b = ({k: v for k, v in r.items() if k not in TIMING} for r in (new, old))
    if a == b: return 'identical'
    return 'same answer' if all(a.get(k) == b.get(k) for k in ANSWER) else 'different answer'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--method', action='append', help="study methods to recompute (default: unaligned, comparative-zeroshot)")
    ap.add_argument('--limit', type=int, default=2, help="the first N HelpSteer2 eval scenarios (default 2)")
    ap.add_argument('--committed', default='study/smollm2-helpsteer2-greedy')
    ap.add_argument('--out', default=None, help="folder for recompute_check.json and recompute_check.md")
    a = ap.parse_args()
    import llama_cpp
    from steerable_pluralism.benchmark import load_benchmark
    from steerable_pluralism.reproduce import run_methods
    from steerable_pluralism.store import PredictionStore, read_export
    from steerable_pluralism.targets import load_targets
    methods, committed = a.method or ['unaligned', 'comparative-zeroshot'], ROOT/a.committed
    bench = load_benchmark('helpsteer2', 'eval', limit=a.limit)
    rows, changed = [], []
    with tempfile.TemporaryDirectory() as d, PredictionStore(Path(d)/'check.sqlite') as st:
        out = run_methods(methods, bench, st, {'all': load_targets('helpsteer2', 'all')}, protocol='paper',
                          workers=1, progress=False)
        for name in methods:
            if 'skipped' in out[name]: raise SystemExit(f"{name} could not run: {out[name]['skipped']}")
            key, f = out[name]['key'], committed/f"{out[name]['key']}.jsonl"
            if not f.exists():
                raise SystemExit(f"{f} is missing: the code builds key {key} for {name}, which the committed study does not hold "
                                 "(tests/test_study.py says which configuration changed)")
            old = {(sid, u): r for sid, u, r in read_export(f)}
            verdicts = {}
            for (sid, u), r in sorted(st.records(key).items()):
                if (sid, u) not in old: raise SystemExit(f"{f} lacks unit {sid}/{u}: recompute only scenarios the study covers (--limit)")
                verdicts[f"{sid}/{u}"] = v = compare(r, old[(sid, u)])
                if v == 'different answer': changed.append({'method': name, 'unit': f"{sid}/{u}", 'committed': old[(sid, u)].get(ANSWER[0], old[(sid, u)].get(ANSWER[1])),
                                                            'recomputed': r.get(ANSWER[0], r.get(ANSWER[1]))})
            n = lambda v: sum(x == v for x in verdicts.values())
            rows.append({'method': name, 'scenarios': a.limit, 'units': len(verdicts), 'identical': n('identical'),
                         'same answer': n('same answer'), 'different answer': n('different answer')})
    name, avx512 = cpu()
    res = {'date': time.strftime('%Y-%m-%d'), 'cpu': name, 'avx512': avx512, 'cpus': os.cpu_count(),
           'llama_cpp': llama_cpp.__version__, 'threads': os.environ.get('STEERABLE_PLURALISM_THREADS', 'default'),
           'committed': a.committed, 'rows': rows, 'changed': changed}
    print(json.dumps(res, indent=1))
    if a.out:
        o = Path(a.out); o.mkdir(parents=True, exist_ok=True)
        (o/'recompute_check.json').write_text(json.dumps(res, indent=1) + '\n')
        lines = [f"Recomputed on this machine ({res['cpu']}, {res['cpus']} CPUs, AVX-512: {'yes' if avx512 else 'no'}; "
                 f"llama-cpp-python {res['llama_cpp']} built here; {res['date']}, `benchmarks/recompute_check.py`): the first "
                 f"{a.limit} HelpSteer2 eval scenarios of each method below, paper protocol, full prompts, greedy, one thread "
                 f"per unit, against the committed records in `{a.committed}`. *Identical*: every field but the timings; "
                 "*same answer*: the choice or scores the alignment uses are the same, the text or its token count is not.", '',
                 '| method | units | identical | same answer | different answer |', '|---|---:|---:|---:|---:|']
        lines += [f"| {r['method']} | {r['units']} | {r['identical']} | {r['same answer']} | {r['different answer']} |" for r in rows]
        if changed:
            lines += ['', 'Answers that differ: ' + '; '.join(f"{c['method']} {c['unit']}: committed {c['committed']}, recomputed "
                                                               f"{c['recomputed']}" for c in changed) + '.']
        (o/'recompute_check.md').write_text('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
