"""The quick grid's experiment notebook executes under papermill on a tiny slice (2 scenarios, oracle + random),
a complete run is skipped the second time, and unavailable methods or data are skipped, never crashing the batch."""
import json
from pathlib import Path
import pandas as pd
import pytest

from steerable_pluralism.benchmark import data_dir
from steerable_pluralism.figures import RESULT_COLUMNS
from steerable_pluralism.reproduce import expand_grid, reproduce

ROOT = Path(__file__).resolve().parent.parent
QUICK = ROOT/'grids'/'quick.yaml'

def test_quick_grid_expands():
    run, sampling = expand_grid(QUICK)
    assert (sampling['decoding'], sampling['samples'], sampling['run']) == ('sampling', 2, 'smollm2-helpsteer2-sampling')
    assert (run['backbone'], run['dataset'], run['decoding'], run['run']) == ('smollm2', 'helpsteer2', 'greedy', 'smollm2-helpsteer2-greedy')
    assert {'comparative-fewshot', 'reward-model', 'kaleido', 'prompt-aligned'} <= set(run['methods'])
    assert len(expand_grid(ROOT/'grids'/'paper.yaml')) == 2 + 2 + 2*2 + 2   # greedy 3B, greedy 7B, sampling 3B/7B (× 2 datasets), 70B

def test_quick_grid_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = reproduce(QUICK, out_dir=tmp_path/'runs', limit=2, methods=['oracle', 'random', 'no-such-method'],
                  figures_dir=tmp_path/'figures')
    assert r['status'] == {'smollm2-helpsteer2-greedy': 'done', 'smollm2-helpsteer2-sampling': 'done'}
    run_dir = tmp_path/'runs'/'smollm2-helpsteer2-greedy'
    nb = json.loads((run_dir/'run_experiment.ipynb').read_text())
    injected = [c for c in nb['cells'] if 'injected-parameters' in c['metadata'].get('tags', [])]
    assert injected and 'limit = 2' in ''.join(injected[0]['source'])
    assert (run_dir/'store.sqlite').exists()

    res = pd.read_csv(run_dir/'results.csv')
    assert list(res.columns)[:len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)
    assert set(res.method) == {'oracle', 'random'} and set(res.n_scenarios) == {2}
    assert set(res.target_set) == {'all', 'sampled', 'high', 'low'}
    assert (res[res.target_set == 'sampled'].groupby('method').size() == 50).all()
    assert (res[res.target_set == 'all'].groupby('method').size() == 3124).all()
    oracle = res[res.method == 'oracle']
    scored = oracle.n_scored > 0                     # a target under which all responses tie scores no scenario (NaN)
    assert scored.mean() > 0.5 and oracle.accuracy[~scored].isna().all()
    assert (oracle.accuracy[scored] == 1.0).all() and (oracle.failures == 0).all()   # the oracle aligns with the true labels
    rnd = res[res.method == 'random']
    assert rnd.accuracy[rnd.n_scored > 0].between(0, 1).all() and rnd.accuracy[rnd.n_scored == 0].isna().all()
    skipped = pd.read_csv(run_dir/'skipped.csv')
    assert skipped.method.tolist() == ['no-such-method'] and 'unknown method' in skipped.reason[0]
    both = pd.read_csv(tmp_path/'runs'/'results.csv')          # the sampling run adds its sampled targets
    assert len(both) == len(res) + 2 * 50 and set(both.decoding) == {'greedy', 'sampling'}
    assert {'fig6_accuracy', 'fig8_accuracy_vs_n', 'table1_regression'} <= set(r['figures']['written'])
    assert (tmp_path/'figures'/'fig6_accuracy.png').stat().st_size > 0

    # the run is not complete (a method was skipped): it runs again, and with only available methods it is then skipped
    r = reproduce(QUICK, out_dir=tmp_path/'runs', limit=2, methods=['oracle', 'random'], figures_dir=tmp_path/'figures')
    assert r['status'] == {'smollm2-helpsteer2-greedy': 'done', 'smollm2-helpsteer2-sampling': 'done'}
    mtime = (run_dir/'run_experiment.ipynb').stat().st_mtime
    r = reproduce(QUICK, out_dir=tmp_path/'runs', limit=2, methods=['oracle', 'random'], figures_dir=tmp_path/'figures')
    assert r['status'] == {'smollm2-helpsteer2-greedy': 'complete', 'smollm2-helpsteer2-sampling': 'complete'}
    assert (run_dir/'run_experiment.ipynb').stat().st_mtime == mtime

@pytest.mark.skipif((data_dir()/'mic'/'eval.json').exists(), reason="MIC is built here")
def test_mic_without_data_is_skipped(tmp_path, caplog):
    grid = {'runs': [{'dataset': 'mic', 'methods': ['oracle']}]}
    r = reproduce(grid, out_dir=tmp_path, draw=False)
    assert r['status'] == {'smollm2-mic-greedy': 'no data'}
    assert 'MIC.csv not provided' in caplog.text
