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
