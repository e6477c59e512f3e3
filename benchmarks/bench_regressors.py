"""Learned attribute regressors on all 500 HelpSteer2 eval scenarios: fit on the train split + predict the eval split,
each feature set from a fresh state (an empty cache folder: no fitted heads, no cached vectors), as on a fresh
clone (which ships the MiniLM vectors of both HelpSteer2 splits in data/embeddings/). Goal: each under 300 s.

Prints, per feature set: seconds (fit + predict), alignment accuracy (mean ± std over targets) on all 3,124
HelpSteer2 targets (`alignment.evaluate`), beside random and the oracle measured in the same run, and per attribute
the MAE, Spearman correlation and within-scenario pairwise order agreement (`pluralism.regression_quality`).

  --encode   also time the embedding feature sets with nothing shipped or cached: all 3,000 texts of both splits
             encoded by MiniLM in the run (and check that the shipped vectors equal the fresh ones)
  --out DIR  also write DIR/regressors_accuracy.csv (one row per method) and DIR/regressors_quality.csv

Run:  HF_HUB_OFFLINE=1 PYTHONPATH=$PWD python benchmarks/bench_regressors.py [--features surface ...] [--encode] [--out DIR]
"""
import argparse, os, tempfile, time
from pathlib import Path
os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
import numpy as np, pandas as pd
from steerable_pluralism.benchmark import load_benchmark
from steerable_pluralism.alignment import evaluate
from steerable_pluralism.targets import load_targets
from steerable_pluralism.methods import make_method
from steerable_pluralism.pluralism import regression_quality
from steerable_pluralism.regressors import FEATURE_SETS, Featurizer

GOAL_S = 300.


def fresh_run(name, dataset, ev, cache=True):
    "Fit + predict with an empty cache folder (shipped vectors still read unless cache=False); (predictions, seconds, method)."
    with tempfile.TemporaryDirectory() as d:
        os.environ['STEERABLE_PLURALISM_CACHE'] = d
        t = time.perf_counter()
        m = make_method(name, dataset=dataset, cache=cache)
        p = m.predict(ev)
        return p, time.perf_counter() - t, m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--features', nargs='*', default=list(FEATURE_SETS), choices=FEATURE_SETS)
    ap.add_argument('--dataset', default='helpsteer2', help='helpsteer2 or mic (once data/mic/ is built)')
    ap.add_argument('--targets', default='all', help="target set: all, sampled, high or low")
    ap.add_argument('--encode', action='store_true', help='also time the embedding sets with no shipped vectors')
    ap.add_argument('--out', help='folder for the CSV outputs')
    a = ap.parse_args()
    ev, targets = load_benchmark(a.dataset, 'eval'), load_targets(a.dataset, a.targets)
    print(f"{a.dataset}: {len(ev)} eval scenarios, {len(targets)} targets ({a.targets}); {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    acc, qual, preds = [], [], {}
    for name in ('random', 'oracle'):
        preds[name] = make_method(name, dataset=a.dataset).predict(ev)
    runs = [(f'regressor-{f}', True) for f in a.features]
    runs += [(f'regressor-{f}', False) for f in a.features if a.encode and 'embedding' in f]
    secs = {}
    for name, cache in runs:
        label = name if cache else f'{name} (encoded in the run)'
        p, s, m = fresh_run(name, a.dataset, ev, cache)
        preds[label], secs[label] = p, s
        print(f"{label:45s} {s:7.1f} s  ({s / GOAL_S:.2f} of the {GOAL_S:.0f} s goal)  alphas {np.round(m.heads.alpha, 2).tolist()}")
        if not cache and 'embedding' in name:   # the shipped vectors are what a fresh encoding gives
            fz, fresh = Featurizer('embedding'), m.featurizer
            shipped = np.vstack(fz.matrix(ev)); new = np.vstack(fresh.matrix(ev))[:, :shipped.shape[1]]
            print(f"{'':45s} shipped vs freshly encoded vectors: max |difference| {np.abs(shipped - new).max():.2e}")
    print(f"\naccuracy on {a.targets} targets (mean ± std over targets):")
    for label, p in preds.items():
        e = evaluate(p, ev, targets)
        acc.append({'dataset': a.dataset, 'method': label, 'target_set': a.targets, 'accuracy': e.accuracy, 'std': e.std,
                    'n_targets': len(targets), 'n_scenarios': len(ev), 'seconds': secs.get(label, np.nan)})
        print(f"  {label:45s} {100 * e.accuracy:5.1f} ± {100 * e.std:4.1f}")
        if label != 'oracle':
            q = regression_quality(p, ev)[['mae', 'spearman', 'pairwise']].reset_index()
            qual.append(q.assign(method=label, dataset=a.dataset))
    qual = pd.concat(qual)
    print("\nregression quality per attribute (MAE / Spearman / within-scenario pairwise order agreement):")
    with pd.option_context('display.width', 200, 'display.max_columns', 50):
        print(qual.pivot(index='method', columns='attribute', values=['mae', 'spearman', 'pairwise'])
              .reindex(columns=[*ev.attributes, 'all'], level=1).round(3).to_string())
    slow = [l for l, s in secs.items() if s > GOAL_S]
    print(f"\ngoal (each feature set under {GOAL_S:.0f} s): {'met' if not slow else 'NOT met for ' + ', '.join(slow)}")
    if a.out:
        out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(acc).to_csv(out/'regressors_accuracy.csv', index=False)
        qual.to_csv(out/'regressors_quality.csv', index=False)
        print(f"wrote {out/'regressors_accuracy.csv'} and {out/'regressors_quality.csv'}")


if __name__ == '__main__':
    main()
