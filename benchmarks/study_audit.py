"""Where the study's LLM time goes, from its committed predictions (no model call): per LLM method, the units, failed and
retried answers, prompt and answer tokens, and seconds. Shows whether tokens are wasted (cut answers, retries, invalid
JSON) and what a scenario costs at the paper's full prompts on this machine.

With the grid's planned scenario counts (`method_limits` of the run whose `committed` folder is `--study`) it also says
how many CPU-hours the planned coverage still needs at these costs: a projection from the units computed so far, not
a measurement.

Run: `PYTHONPATH=. python benchmarks/study_audit.py [--study study/smollm2-helpsteer2-greedy] [--grid grids/study.yaml]
[--out benchmarks/results]` writes `study_audit.md` (the table the README includes) into `--out`.
"""
import argparse, json
from collections import Counter
from pathlib import Path
import numpy as np, yaml


def machine(prov: dict | None) -> str:
    "A record's machine from its provenance (`experiment.unit_provenance`): the CPU, and llama.cpp's build if it differs."
    if not prov: return 'not recorded'
    cpu = prov.get('device') if prov.get('device') not in (None, 'cpu') else prov.get('cpu', '?')
    build = prov.get('build')
    return cpu + (f" (llama.cpp built for {build})" if build and not str(cpu).endswith(build) else '')


def audit(folder: Path) -> list[dict]:
    rows = []
    for meta_f in sorted(folder.glob('*.meta.json')):
        meta = json.loads(meta_f.read_text())
        if 'backend' not in meta['config']: continue                      # oracle, random, regressors: no LLM
        recs = [json.loads(l) for l in meta_f.with_name(meta_f.name.replace('.meta.json', '.jsonl')).read_text().splitlines() if l]
        r = [x['record'] for x in recs]
        per = Counter(x['scenario_id'] for x in recs)                     # units stored per scenario
        full = Counter(per.values()).most_common(1)[0][0]                 # a complete scenario's units (attributes or targets)
        attempts = [int(x.get('attempts', 1)) for x in r]
        comp = np.array([x.get('completion_tokens', 0) for x in r], float)
        secs = float(np.mean([x.get('seconds', 0) for x in r]))
        lists = [x['samples'] for x in r if isinstance(x.get('samples'), list)]   # choice records list their samples
        cut = sum(any(s.get('finish_reason') == 'length' for s in l) for l in lists) if lists else '—'
        rows.append(dict(method=meta['method'], scenarios=sum(n >= full for n in per.values()), partial=sum(n < full for n in per.values()),
                         units_scenario=full, units=len(r), failed=sum(bool(x.get('failed')) for x in r),
                         retried=sum(a > 1 for a in attempts), cut=cut,
                         prompt_tokens=float(np.mean([x.get('prompt_tokens', 0) for x in r])), answer_tokens=float(comp.mean()),
                         answer_max=int(comp.max()), seconds_unit=secs, seconds_scenario=full * secs,
                         machines=Counter(machine(x.get('provenance')) for x in r)))
    return sorted(rows, key=lambda x: x['method'])


def planned(grid: Path, folder: str) -> tuple[dict, int]:
    "The `method_limits` and `workers` of the grid's run whose `committed` folder is `folder` (empty, 1 when none is)."
    runs = [r for r in yaml.safe_load(grid.read_text()).get('runs', []) if str(r.get('committed', '')).rstrip('/') == str(folder).rstrip('/')]
    return (runs[0].get('method_limits', {}), int(runs[0].get('workers', 1))) if runs else ({}, 1)


def markdown(rows, folder, limits: dict | None = None, workers: int = 1) -> str:
    lines = [f"LLM units of the committed study `{folder}` (SmolLM2-135M-Instruct Q4_1, llama.cpp in process, paper protocol, "
             "full prompts, greedy), from the records' own counts and timings (`benchmarks/study_audit.py`). Seconds were "
             "measured on this 2-core machine, sometimes while other work shared it; later units ran two at a time, one "
             "thread each (the study's workers), so a unit's seconds are its own elapsed time, not a share of the run's. "
             "A unit is one prompt per attribute (regression) "
             "or per target (prompt-aligned). *Cut*: answers that ran out of room (recorded for choices; a cut regression "
             "answer is invalid JSON and counts as failed). An answer may decode into all the room its prompt leaves in the "
             "context: the schema bounds characters, not tokens.", '',
             '| method | scenarios | planned | units | failed | retried | cut | prompt tokens / unit | answer tokens / unit (max) | s / unit | s / scenario | CPU-hours left |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|']
    limits, left = limits or {}, 0.0
    for x in rows:
        plan = limits.get(x['method'])
        hours = max(plan * x['units_scenario'] - x['units'], 0) * x['seconds_unit'] / 3600 if plan else None
        left += hours or 0
        part = f" (+{x['partial']} partial)" if x['partial'] else ''
        lines.append(f"| {x['method']} | {x['scenarios']}{part} | {plan or '—'} | {x['units']} | {x['failed']} | {x['retried']} | {x['cut']} | "
                     f"{x['prompt_tokens']:,.0f} | {x['answer_tokens']:.0f} ({x['answer_max']}) | {x['seconds_unit']:.1f} | "
                     f"{x['seconds_scenario']:.0f} | {'—' if hours is None else f'{hours:.1f}'} |")
    if limits:
        wall = round(left / workers)
        total = (f"In all {left:.1f} CPU-hours, about {wall} hour{'' if wall == 1 else 's'} of wall time with the grid's "
                 f"{workers} workers on this machine with nothing else running." if left else
                 "Every method covers its planned scenarios: nothing is left to compute.")
        lines += ['', "*Scenarios*: those with all their units stored (a *partial* one was stopped mid-way; a resumed run "
                      "computes only its missing units). *s / scenario*: s / unit × a complete scenario's units (the most "
                      "common count). *CPU-hours left*: (planned scenarios × units per scenario − units stored) × s / unit, a "
                      f"projection at the costs so far. {total}"]
    names = sorted({m for x in rows for m in x['machines']})
    lines += ['', "Where the units were computed, from each record's provenance (the CPU's widest vector extension: greedy "
                  "answers can differ between CPUs; `benchmarks/results/recompute_check.md`). Records made before provenance "
                  "was stored carry it as inferred from the sitting that made them (`\"inferred\": true`).", '',
              '| method | ' + ' | '.join(names) + ' |', '|---|' + '---|' * len(names)]
    lines += [f"| {x['method']} | " + ' | '.join(str(x['machines'].get(m, 0)) for m in names) + ' |' for x in rows]
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--study', default='study/smollm2-helpsteer2-greedy')
    ap.add_argument('--grid', default='grids/study.yaml')
    ap.add_argument('--out', default=None)
    a = ap.parse_args()
    text = markdown(audit(Path(a.study)), a.study, *planned(Path(a.grid), a.study))
    print(text)
    if a.out: Path(a.out).mkdir(parents=True, exist_ok=True); (Path(a.out)/'study_audit.md').write_text(text)
