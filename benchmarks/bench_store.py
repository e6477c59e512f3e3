"""Prediction store throughput, measured in one run:

- puts/s with SQLite `synchronous=NORMAL` (the default) and `synchronous=FULL` (survives a power cut), each put its
  own committed transaction as a run makes them, the same records into fresh stores side by side, and their ratio:
  the cost of durability;
- reading 10,000 records back (`records`, `done`, and `predictions` assembled for 2,000 scenarios x 5 attributes);
- the git-friendly JSON Lines export and its import into a fresh store (in one transaction).

Records look like comparative-regression ones (two scores, two ~300-character reasonings).

Run:  PYTHONPATH=$PWD python benchmarks/bench_store.py [--n 10000] [--n-full 2000] [--dir DIR]
(`--dir` on the disk the runs use: fsync cost depends on the disk.)
"""
import argparse, tempfile, time
from pathlib import Path
from steerable_pluralism.benchmark import Benchmark, Scenario, HELPSTEER2_ATTRIBUTES, HELPSTEER2_LEVELS
from steerable_pluralism.methods import AttributeScoresMethod
from steerable_pluralism.store import PredictionStore, predictions


class Stub(AttributeScoresMethod):
    name = 'stub'
    def score(self, scenario, attribute): raise NotImplementedError('bench only reads the store')


def record(i):
    return {'scores': [(i % 101) / 100, ((i * 7) % 101) / 100], 'failed': False, 'attempts': 1, 'samples': 1,
            'reasoning': {'A': 'a' * 300, 'B': 'b' * 300}, 'dropped_examples': [], 'shortened': False,
            'prompt_tokens': 3000, 'completion_tokens': 180, 'seconds': 12.5}


def fill(path, units, n, synchronous):
    "Put the first n units into a fresh store; returns seconds."
    for p in path.parent.glob(path.name + '*'): p.unlink()
    with PredictionStore(path, synchronous=synchronous) as st:
        t = time.perf_counter()
        for i, (key, sid, at) in enumerate(units[:n]): st.put(key, sid, at, record(i))
        return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=10000, help='records (NORMAL, reads, export)')
    ap.add_argument('--n-full', type=int, default=2000, help='records for the NORMAL-vs-FULL comparison')
    ap.add_argument('--dir', default=None, help='folder for the store files (default: a temporary folder)')
    a = ap.parse_args()
    attrs = HELPSTEER2_ATTRIBUTES
    S = a.n // len(attrs)
    lab = ({x: 0.5 for x in attrs},) * 2
    bench = Benchmark('helpsteer2', 'eval', attrs, HELPSTEER2_LEVELS,
                      [Scenario(f'prompt {i}', (f'a{i}', f'b{i}'), lab) for i in range(S)])
    m = Stub(attrs)
    units = [(m.key, s.id, at) for s in bench for at in attrs][:a.n]
    folder = Path(a.dir or tempfile.mkdtemp())

    # durability: the same records, NORMAL and FULL alternately (twice each, best kept) so machine load hits both alike
    nf = min(a.n_full, a.n)
    best = {'NORMAL': float('inf'), 'FULL': float('inf')}
    for _ in range(2):
        for sync in best: best[sync] = min(best[sync], fill(folder / f'cmp-{sync.lower()}.sqlite', units, nf, sync))
    rate = {s: nf / t for s, t in best.items()}
    for s in best:
        print(f"put, synchronous={s:6s}: {nf} records in {best[s]:.2f} s = {rate[s]:,.0f} puts/s ({best[s] / nf * 1e6:.0f} us/put, each committed)")
    print(f"durability cost: FULL is {rate['NORMAL'] / rate['FULL']:.2f}x slower than NORMAL "
          f"(+{(best['FULL'] - best['NORMAL']) / nf * 1e3:.2f} ms per record; an LLM record takes seconds)")

    path = folder / 'bench-normal.sqlite'
    dt = fill(path, units, a.n, 'NORMAL')
    print(f"put, synchronous=NORMAL: {a.n} records in {dt:.2f} s = {a.n / dt:,.0f} puts/s")
    with PredictionStore(path, readonly=True) as st:
        t = time.perf_counter(); recs = st.records(m.key); t_rec = time.perf_counter() - t
        t = time.perf_counter(); done = st.done(m.key); t_done = time.perf_counter() - t
        t = time.perf_counter(); pred = predictions(st, m, bench); t_pred = time.perf_counter() - t
        t = time.perf_counter(); files = st.export_jsonl(folder / 'export'); t_exp = time.perf_counter() - t
    assert len(recs) == len(done) == a.n and pred.info['missing'] == 0
    print(f"read {len(recs)} records (records): {t_rec * 1e3:.0f} ms = {len(recs) / t_rec:,.0f} records/s")
    print(f"done() of {len(done)} units: {t_done * 1e3:.0f} ms")
    print(f"predictions() for {S} scenarios x {len(attrs)} attributes (read + assemble): {t_pred * 1e3:.0f} ms")
    size = sum(f.stat().st_size for f in files)
    print(f"export_jsonl: {a.n} records in {t_exp * 1e3:.0f} ms, {size / 1e6:.1f} MB of JSON Lines "
          f"(store file {path.stat().st_size / 1e6:.1f} MB)")
    for p in folder.glob('imported.sqlite*'): p.unlink()
    with PredictionStore(folder / 'imported.sqlite') as st:
        t = time.perf_counter(); st.import_jsonl(folder / 'export'); t_imp = time.perf_counter() - t
        assert st.count(m.key) == a.n
    print(f"import_jsonl into a fresh store (one transaction): {a.n} records in {t_imp * 1e3:.0f} ms = {a.n / t_imp:,.0f} records/s")


if __name__ == '__main__':
    main()
