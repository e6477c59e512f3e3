"""Prediction store throughput: puts/s (each put its own committed transaction, as a run makes them) and the
time to read 10,000 records back (`records`, `done`, and `predictions` assembled for 2,000 scenarios x 5
attributes). Records look like comparative-regression ones (two scores, two ~300-character reasonings).

Run:  PYTHONPATH=$PWD python benchmarks/bench_store.py [--n 10000] [--dir DIR]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=10000)
    ap.add_argument('--dir', default=None, help='folder for the store files (default: a temporary folder)')
    a = ap.parse_args()
    attrs = HELPSTEER2_ATTRIBUTES
    S = a.n // len(attrs)
    lab = ({x: 0.5 for x in attrs},) * 2
    bench = Benchmark('helpsteer2', 'eval', attrs, HELPSTEER2_LEVELS,
                      [Scenario(f'prompt {i}', (f'a{i}', f'b{i}'), lab) for i in range(S)])
    m = Stub(attrs)
    folder = Path(a.dir or tempfile.mkdtemp())
    for durable in (False, True):
        path = folder / f'bench-{"full" if durable else "normal"}.sqlite'
        for p in folder.glob(path.name + '*'): p.unlink()
        n = a.n if not durable else min(a.n, 2000)
        with PredictionStore(path, durable=durable) as st:
            t = time.perf_counter(); i = 0
            for s in bench:
                for at in attrs:
                    if i == n: break
                    st.put(m.key, s.id, at, record(i)); i += 1
            dt = time.perf_counter() - t
        print(f"put, synchronous={'FULL' if durable else 'NORMAL'}: {n} records in {dt:.2f} s = {n / dt:,.0f} puts/s "
              f"({dt / n * 1e6:.0f} us/put, each committed)")
    path = folder / 'bench-normal.sqlite'
    with PredictionStore(path, readonly=True) as st:
        t = time.perf_counter(); recs = st.records(m.key); t_rec = time.perf_counter() - t
        t = time.perf_counter(); done = st.done(m.key); t_done = time.perf_counter() - t
        t = time.perf_counter(); pred = predictions(st, m, bench); t_pred = time.perf_counter() - t
    assert len(recs) == len(done) == a.n and pred.info['missing'] == 0
    print(f"read {len(recs)} records (records): {t_rec * 1e3:.0f} ms = {len(recs) / t_rec:,.0f} records/s")
    print(f"done() of {len(done)} units: {t_done * 1e3:.0f} ms")
    print(f"predictions() for {S} scenarios x {len(attrs)} attributes (read + assemble): {t_pred * 1e3:.0f} ms")
    print(f"store size: {path.stat().st_size / 1e6:.1f} MB for {a.n} records")


if __name__ == '__main__':
    main()
