"""Speed and memory of the vectorised scorer (`alignment.evaluate`).

1. All 3,124 HelpSteer2 targets on the 500 eval scenarios: `evaluate` vs a straightforward per-target Python loop that
   does what the paper's scorer does (`alignment.reference_accuracy` over in-memory input_output records, once per
   target), both measured in this run; the per-target accuracies must agree exactly. Goal: ratio >= 250x.
2. A MIC-size problem: all 117,648 MIC targets x 336 scenarios x 2-4 responses (synthetic labels on the MIC levels,
   random predictions). Goal: < 10 s and peak memory < 4 GiB.

Run: `PYTHONPATH=. python benchmarks/bench_alignment.py [--loop-targets N]` (N < 3124 times the loop on the first N
targets only and extrapolates, saying so).
"""
import argparse, resource, time, tracemalloc
import numpy as np
from steerable_pluralism.alignment import RandomMethod, evaluate, reference_accuracy
from steerable_pluralism.benchmark import MIC_ATTRIBUTES, MIC_LEVELS, Benchmark, Predictions, Scenario, load_benchmark
from steerable_pluralism.targets import all_targets


def records(pred, bench):
    "The paper's input_output layout, in memory, with predictions for every attribute."
    return [{'input': {'prompt': s.prompt, 'responses': list(s.responses), 'labels': [dict(l) for l in s.labels]},
             'output': {'selected_response_index': -1, 'reasoning': '', 'choice_info': {
                 'predictions': [dict(zip(pred.attributes, map(float, v))) for v in pred.scores[i, :s.n]]}}}
            for i, s in enumerate(bench)]


def helpsteer2(loop_targets=None, repeats=3):
    bench, targets = load_benchmark('helpsteer2', 'eval'), all_targets('helpsteer2')
    pred = RandomMethod(seed=0).predict(bench)
    evaluate(pred, bench, targets.subset(range(10)))  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); ev = evaluate(pred, bench, targets); times.append(time.perf_counter() - t)
    vec = min(times)
    recs = records(pred, bench)
    n = len(targets) if not loop_targets else min(loop_targets, len(targets))
    t = time.perf_counter()
    ref = np.array([reference_accuracy(recs, targets[i]) for i in range(n)])
    loop = time.perf_counter() - t
    assert np.array_equal(ref, ev.per_target[:n]), "vectorised and reference accuracies differ"
    loop_all = loop * len(targets) / n
    print(f"HelpSteer2: {len(targets)} targets x {len(bench)} scenarios (random predictions, accuracy {100 * ev.accuracy:.1f}%)")
    print(f"  vectorised evaluate: {vec:.3f} s (best of {repeats})")
    print(f"  per-target Python loop (paper's scorer): {loop:.1f} s for {n} targets"
          + (f" -> {loop_all:.1f} s extrapolated to {len(targets)}" if n < len(targets) else ""))
    print(f"  per-target accuracies identical: yes; speed-up: {loop_all / vec:.0f}x (goal >= 250x)")
    return loop_all / vec


def mic_size(n_scenarios=336, seed=0):
    rng = np.random.default_rng(seed)
    lv = np.array(MIC_LEVELS)
    scen = []
    for i in range(n_scenarios):
        n = int(rng.integers(2, 5))
        labels = [dict(zip(MIC_ATTRIBUTES, map(float, rng.choice(lv, len(MIC_ATTRIBUTES))))) for _ in range(n)]
        scen.append(Scenario(f'question {i}', [f'answer {i}.{j}' for j in range(n)], labels))
    bench = Benchmark('mic', 'synthetic', MIC_ATTRIBUTES, MIC_LEVELS, scen)
    scores = np.where(bench.mask()[..., None], rng.random((len(bench), bench.max_responses, len(MIC_ATTRIBUTES))), np.nan)
    pred = Predictions('random', bench.ids, MIC_ATTRIBUTES, scores=scores)
    t = time.perf_counter(); targets = all_targets('mic'); t_targets = time.perf_counter() - t
    t = time.perf_counter(); ev = evaluate(pred, bench, targets); t_eval = time.perf_counter() - t
    targets = all_targets('mic')  # fresh (uncached keys) for the memory run
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    tracemalloc.start(); evaluate(pred, bench, targets); _, peak = tracemalloc.get_traced_memory(); tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"MIC-size: {len(targets)} targets x {len(bench)} scenarios x 2-4 responses "
          f"({int(bench.mask().sum())} responses), random accuracy {100 * ev.accuracy:.1f}%")
    print(f"  all_targets('mic'): {t_targets:.2f} s; evaluate: {t_eval:.2f} s (goal < 10 s)")
    print(f"  peak memory of evaluate (tracemalloc): {peak / 2**30:.3f} GiB; process peak RSS {rss:.2f} GiB "
          f"(before: {base:.2f} GiB) (goal < 4 GiB)")
    return t_eval, peak


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--loop-targets', type=int, default=None, help='time the reference loop on the first N targets only')
    args = ap.parse_args()
    ratio = helpsteer2(args.loop_targets)
    t_eval, peak = mic_size()
    ok = ratio >= 250 and t_eval < 10 and peak < 4 * 2**30
    print('all goals met' if ok else 'GOAL MISSED')
