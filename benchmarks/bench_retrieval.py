"""Retrieval of few-shot examples for all 500 HelpSteer2 eval scenarios (k=5, each of the 5 attributes):
the cached index (train embeddings read from the disk cache) vs recomputing the train split's embeddings for
every scenario. Goal: cached >= 50x faster.

Measured in one run, on the CPU, with the offline all-MiniLM-L6-v2:
  cached+fresh queries  the train index from the disk cache; each eval scenario embedded when it is first seen
                        (nothing of the eval split cached): all 500 scenarios measured
  cached+cached queries train and eval vectors both from the disk cache: all 500 scenarios measured
  recompute             per scenario, embed the whole train split again, then select: measured on
                        --recompute scenarios (default 2) and extrapolated to 500 (a full loop would take hours)

Run:  HF_HUB_OFFLINE=1 PYTHONPATH=$PWD python benchmarks/bench_retrieval.py [--recompute N] [--cache-dir DIR]
"""
import argparse, time
import numpy as np
from steerable_pluralism.benchmark import load_benchmark
from steerable_pluralism.retrieval import Embedder, ExampleIndex


def select_all(idx, scenarios, attributes, k):
    return [idx.select(s, a, k) for s in scenarios for a in attributes]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--recompute', type=int, default=2, help='scenarios on which to time the recompute baseline')
    ap.add_argument('--cache-dir', default=None, help='embedding cache folder (default: the repository .cache)')
    ap.add_argument('--k', type=int, default=5)
    a = ap.parse_args()
    train, ev = load_benchmark('helpsteer2', 'train'), load_benchmark('helpsteer2', 'eval')
    attrs, S = train.attributes, len(ev)

    emb = Embedder(cache_dir=a.cache_dir)
    was_cached = emb.cache_path(train).exists()
    t = time.perf_counter(); emb.embed(train); t_train = time.perf_counter() - t
    print(f"train split embeddings ({len(train)} scenarios): {t_train:.1f} s "
          f"({'read from the cache' if was_cached else 'computed once, now cached'}: {emb.cache_path(train)})")
    emb.model  # load the model outside the timings (both paths need it for query vectors)

    # cached index, queries embedded on the fly (the eval split not cached)
    t = time.perf_counter()
    idx = ExampleIndex(train, Embedder(cache_dir=a.cache_dir))
    idx.embedder._model = emb.model          # share the loaded model, not its in-memory vectors
    ex_fresh = select_all(idx, ev, attrs, a.k)
    t_fresh = time.perf_counter() - t

    # cached index and cached query vectors
    if not emb.cache_path(ev).exists():
        t = time.perf_counter(); emb.embed(ev)
        print(f"eval split embeddings computed once, now cached: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    idx2 = ExampleIndex(train, Embedder(cache_dir=a.cache_dir)).add_queries(ev)
    ex_cached = select_all(idx2, ev, attrs, a.k)
    t_cached = time.perf_counter() - t
    assert idx2.embedder._model is None, 'the fully cached path should never load the model'

    # baseline: recompute the train split's embeddings for every scenario
    n = a.recompute
    t = time.perf_counter()
    ex_base = []
    nocache = Embedder(cache=False)
    nocache._model = emb.model
    for s in ev.scenarios[:n]:
        base = ExampleIndex(train, nocache)   # cache off: the whole train split embedded again, per scenario
        ex_base += [base.select(s, at, a.k) for at in attrs]
    t_base_n = time.perf_counter() - t
    t_base = t_base_n / n * S

    same = sum([x.id for x in e1] == [x.id for x in e2] for e1, e2 in zip(ex_base, ex_fresh[:len(ex_base)]))
    agree = np.mean([[x.id for x in e1] == [x.id for x in e2] for e1, e2 in zip(ex_fresh, ex_cached)])
    print(f"\n{S} eval scenarios x {len(attrs)} attributes, k={a.k}:")
    print(f"  cached index, queries embedded on the fly : {t_fresh:8.2f} s  ({t_fresh / S * 1e3:.1f} ms/scenario, measured on all {S})")
    print(f"  cached index, cached query vectors        : {t_cached:8.3f} s  ({t_cached / S * 1e3:.2f} ms/scenario, measured on all {S})")
    print(f"  recompute train embeddings per scenario   : {t_base:8.0f} s  ({t_base_n / n:.1f} s/scenario measured on {n}, "
          f"extrapolated to {S})")
    print(f"  baseline picks = cached picks on the {n} measured scenarios: {same}/{len(ex_base)} (scenario, attribute)")
    print(f"  fresh-query picks = cached-query picks: {agree:.1%}")
    print(f"\nratio recompute / cached index (queries on the fly): {t_base / t_fresh:8.0f}x  (goal >= 50x)")
    print(f"ratio recompute / cached index and queries        : {t_base / t_cached:8.0f}x")


if __name__ == '__main__':
    main()
