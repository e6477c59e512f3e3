"""Speed and memory of the vectorised scorer (`alignment.evaluate`), with the paper's exact tie rule and the tolerance rule.

1. All 3,124 HelpSteer2 targets on the 500 eval scenarios (random predictions):
   - `evaluate(tie_rule='exact')` vs `evaluate(tie_rule='tolerance')`, measured in this run, interleaved, best of N;
     goal: exact / tolerance <= 2 (also shown without the weighted score, `weighted=False`);
   - the two rules give identical outcomes on HelpSteer2 (its levels are multiples of .25);
   - `evaluate` vs a straightforward per-target Python loop doing what the paper's score.py does
     (`alignment.reference_accuracy` over in-memory input_output records); the per-target accuracies must agree
     exactly; goal: speed-up >= 250x.
2. A MIC-size problem: all 117,648 MIC targets x 336 scenarios x 2-4 responses (synthetic labels on the MIC levels,
   random predictions): exact vs tolerance in one run (goal: ratio <= 2, exact < 10 s, peak memory < 4 GiB), and how
   far the rules move the accuracy (MIC's levels make equal distances differ in the last bit).

Run: `PYTHONPATH=. python benchmarks/bench_alignment.py [--loop-targets N] [--repeats R]` (N < 3124 times the loop on
the first N targets only and extrapolates, saying so).
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


def timed(f):
    t = time.perf_counter(); out = f(); return time.perf_counter() - t, out


def best_of(variants: dict, repeats: int) -> dict:
    "Run the variants interleaved `repeats` times (so load on the machine hits all alike); best time of each."
    times = {k: [] for k in variants}
    for _ in range(repeats):
        for k, f in variants.items(): times[k].append(timed(f)[0])
    return {k: min(v) for k, v in times.items()}


def helpsteer2(loop_targets=None, repeats=5):
    bench, targets = load_benchmark('helpsteer2', 'eval'), all_targets('helpsteer2')
    pred = RandomMethod(seed=0).predict(bench)
    evaluate(pred, bench, targets.subset(range(10)))  # warm-up
    t = best_of({'exact': lambda: evaluate(pred, bench, targets),
                 'tolerance': lambda: evaluate(pred, bench, targets, tie_rule='tolerance'),
                 'exact, no weighted score': lambda: evaluate(pred, bench, targets, weighted=False),
                 'tolerance, no weighted score': lambda: evaluate(pred, bench, targets, tie_rule='tolerance', weighted=False)},
                repeats)
    ev, tol = evaluate(pred, bench, targets), evaluate(pred, bench, targets, tie_rule='tolerance')
    same = np.array_equal(ev.outcome, tol.outcome)
    recs = records(pred, bench)
    n = len(targets) if not loop_targets else min(loop_targets, len(targets))
    loop, ref = timed(lambda: np.array([reference_accuracy(recs, targets[i]) for i in range(n)]))
    assert np.array_equal(ref, ev.per_target[:n]), "vectorised and reference accuracies differ"
    loop_all = loop * len(targets) / n
    ratio, ratio_nw = t['exact'] / t['tolerance'], t['exact, no weighted score'] / t['tolerance, no weighted score']
    print(f"HelpSteer2: {len(targets)} targets x {len(bench)} scenarios (random predictions, accuracy {100 * ev.accuracy:.1f}%)")
    for k, v in t.items(): print(f"  evaluate, {k}: {v:.3f} s (best of {repeats})")
    print(f"  exact / tolerance: {ratio:.2f} (without the weighted score {ratio_nw:.2f}) (goal <= 2)")
    print(f"  the two rules give identical outcomes on HelpSteer2: {'yes' if same else 'NO'}")
    print(f"  per-target Python loop (paper's scorer): {loop:.1f} s for {n} targets"
          + (f" -> {loop_all:.1f} s extrapolated to {len(targets)}" if n < len(targets) else ""))
    print(f"  per-target accuracies identical to the loop: yes; speed-up: {loop_all / t['exact']:.0f}x (goal >= 250x)")
    return max(ratio, ratio_nw), loop_all / t['exact'], same


def mic_size(n_scenarios=336, seed=0, repeats=2):
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
    t_targets, targets = timed(lambda: all_targets('mic'))
    t = best_of({'exact': lambda: evaluate(pred, bench, targets),
                 'tolerance': lambda: evaluate(pred, bench, targets, tie_rule='tolerance')}, repeats)
    ev, tol = evaluate(pred, bench, targets), evaluate(pred, bench, targets, tie_rule='tolerance')
    targets = all_targets('mic')  # fresh (uncached keys) for the memory run
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    tracemalloc.start(); evaluate(pred, bench, targets); _, peak = tracemalloc.get_traced_memory(); tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    differ = ev.per_target != tol.per_target
    print(f"MIC-size: {len(targets)} targets x {len(bench)} scenarios x 2-4 responses "
          f"({int(bench.mask().sum())} responses), random predictions")
    print(f"  all_targets('mic'): {t_targets:.2f} s; evaluate exact: {t['exact']:.2f} s, tolerance: {t['tolerance']:.2f} s "
          f"(best of {repeats}); exact / tolerance: {t['exact'] / t['tolerance']:.2f} (goal <= 2; exact < 10 s)")
    print(f"  accuracy exact {100 * ev.accuracy:.2f}% vs tolerance {100 * tol.accuracy:.2f}%; per-target accuracy differs on "
          f"{differ.sum()} of {len(differ)} targets (largest change {100 * np.nanmax(np.abs(ev.per_target - tol.per_target)):.1f} "
          f"points); scored (target, scenario) pairs: exact {int(ev.n_scored.sum())}, tolerance {int(tol.n_scored.sum())}")
    print(f"  peak memory of evaluate (tracemalloc): {peak / 2**30:.3f} GiB, of which outcomes "
          f"{ev.outcome.nbytes / 2**30:.3f} GiB; process peak RSS {rss:.2f} GiB (before: {base:.2f} GiB) (goal < 4 GiB)")
    return t['exact'], t['exact'] / t['tolerance'], peak


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--loop-targets', type=int, default=None, help='time the reference loop on the first N targets only')
    ap.add_argument('--repeats', type=int, default=5, help='timed repetitions of each HelpSteer2 variant (interleaved)')
    args = ap.parse_args()
    ratio, speedup, same = helpsteer2(args.loop_targets, args.repeats)
    t_eval, mic_ratio, peak = mic_size()
    ok = ratio <= 2 and speedup >= 250 and same and t_eval < 10 and mic_ratio <= 2 and peak < 4 * 2**30
    print('all goals met' if ok else 'GOAL MISSED')
