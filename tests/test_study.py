"""The committed study (study/) stays readable by the current code: its predictions are stored under each method's key
(a hash of its configuration), so a change to what a study method computes must show up here, not as a study that
silently evaluates nothing."""
import json
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def study_runs():
    from steerable_pluralism.reproduce import expand_grid
    return [p for p in expand_grid(ROOT/'grids'/'study.yaml') if p.get('committed')]


@pytest.mark.parametrize('run', [p['run'] for p in study_runs()])
def test_committed_study_keys_match_the_code(run):
    from steerable_pluralism.experiment import build_method
    from steerable_pluralism.reproduce import decoding_options
    p = next(p for p in study_runs() if p['run'] == run)
    folder = ROOT/p['committed']
    assert folder.is_dir(), f"{folder} is missing: the study's committed predictions (make study writes them)"
    stored = {f.name[:-len('.meta.json')]: json.loads(f.read_text()) for f in folder.glob('*.meta.json')}
    for name in p['methods']:
        opts = {**decoding_options(p['decoding'], p['samples'], p['temperature']), 'seed': p['seed'], 'max_tokens': p['max_tokens'],
                'context_budget': p['context_budget'], 'protocol': p['protocol'], **dict((p['method_options'] or {}).get(name) or {})}
        m = build_method(name, p['backbone'], p['dataset'], **opts)
        assert m.key in stored, (f"{name}: the code now builds key {m.key}, and {folder} holds "
                                 f"{sorted(k for k in stored if k.startswith(name + '-'))}: the method's configuration changed")
        assert stored[m.key]['method'] == name and (folder/f'{m.key}.jsonl').stat().st_size > 0
        assert json.loads(json.dumps(m.config(), default=str)) == stored[m.key]['config']


def test_audit_counts_complete_scenarios_and_projects_from_units(tmp_path):
    "benchmarks/study_audit.py by hand: 5 units make a scenario; scenario 'b' stopped at 2 of 5, so 1 complete, 1 partial."
    import importlib.util
    spec = importlib.util.spec_from_file_location('study_audit', ROOT/'benchmarks'/'study_audit.py')
    audit = importlib.util.module_from_spec(spec); spec.loader.exec_module(audit)
    (tmp_path/'m-1.meta.json').write_text(json.dumps(dict(method='m', config=dict(backend='x'))))
    recs = [dict(scenario_id=s, record=dict(seconds=360.0, prompt_tokens=100, completion_tokens=5)) for s in 'aaaaabb']
    (tmp_path/'m-1.jsonl').write_text('\n'.join(map(json.dumps, recs)) + '\n')
    (tmp_path/'oracle-1.meta.json').write_text(json.dumps(dict(method='oracle', config={})))   # no LLM: not audited
    [row] = audit.audit(tmp_path)
    assert (row['scenarios'], row['partial'], row['units'], row['units_scenario'], row['seconds_scenario']) == (1, 1, 7, 5, 1800.0)
    text = audit.markdown([row], tmp_path, {'m': 4}, workers=2)
    assert '| m | 1 (+1 partial) | 4 | 7 |' in text
    assert '| 5 (5) | 360.0 | 1800 | 1.3 |' in text          # (4 × 5 − 7) units × 360 s = 4,680 s = 1.3 h
    assert 'In all 1.3 CPU-hours, about 1 hour of wall time with the grid\'s 2 workers' in text
    done = audit.markdown([row], tmp_path, {'m': 1}, workers=2)    # the plan is 1 scenario, and it is stored
    assert '| 1 (+1 partial) | 1 | 7 |' in done and '| 0.0 |' in done and 'nothing is left to compute' in done
    assert 'In all' not in done
