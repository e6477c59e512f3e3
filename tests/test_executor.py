"""One job per run through submitit: the local executor gives the same frames and figures as the in-process run (with
the embedded SmolLM2 in one method) and reports a failed run with its job's log; the SLURM path writes the sbatch
script it should, groups runs with the same options into one array, and waits for queued jobs instead of resubmitting."""
import json, os, stat
from pathlib import Path
import pandas as pd
import pytest

from steerable_pluralism.reproduce import FRAMES, reproduce

pytest.importorskip('submitit')

GRID = {'defaults': {'backbone': 'smollm2', 'dataset': 'helpsteer2', 'limit': 3, 'n_boot': 100,
                     'target_sets': ['sampled', 'high'], 'target_dependent_sets': ['high'],
                     'method_limits': {'unaligned': 1}, 'method_options': {'unaligned': {'max_reasoning_chars': 30}}},
        'executor': {'timeout_min': 30},
        'runs': [{'decoding': 'greedy', 'methods': ['oracle', 'random', 'unaligned'], 'comparisons': [['oracle', 'random']]},
                 {'decoding': 'sampling', 'samples': 2, 'methods': ['random']},
                 {'dataset': 'no-such-benchmark.json', 'methods': ['oracle']}]}
RUNS = ('smollm2-helpsteer2-greedy', 'smollm2-helpsteer2-sampling', 'smollm2-no-such-benchmark-greedy')

def _frames(out: Path) -> dict:
    return {n: pd.read_csv(out/f'{n}.csv') for n in FRAMES if (out/f'{n}.csv').exists()}

def test_local_jobs_match_in_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ref = reproduce(GRID, out_dir=tmp_path/'a', figures_dir=tmp_path/'fa')
    got = reproduce(GRID, out_dir=tmp_path/'b', figures_dir=tmp_path/'fb', executor='local', poll_s=0.5)
    status = dict(zip(RUNS, ('done', 'done', 'failed')))
    assert ref['status'] == status and got['status'] == status
    jobs = got['jobs']
    assert len({jobs[r]['job_id'] for r in RUNS}) == 3 and all(Path(jobs[r]['log']).exists() for r in RUNS)
    assert 'smollm2-helpsteer2-greedy: done' in Path(jobs[RUNS[0]]['log']).read_text()
    bad = jobs[RUNS[2]]
    assert bad['error'].startswith("the experiment notebook failed: BenchmarkError: benchmark file not found: no-such-benchmark.json")
    assert 'BenchmarkError' in Path(bad['log']).read_text()
    assert ref['jobs'][RUNS[2]]['log'].endswith('run_experiment.ipynb')

    a, b = _frames(tmp_path/'a'), _frames(tmp_path/'b')
    assert set(a) == set(b) and {'results', 'intervals', 'paired', 'bias', 'runtime'} <= set(a)
    assert set(a['results'].method) == {'oracle', 'random', 'unaligned'}
    for name in a:
        drop = ['seconds_per_scenario'] if name == 'runtime' else []
        pd.testing.assert_frame_equal(a[name].drop(columns=drop), b[name].drop(columns=drop), check_like=True)
    assert ref['figures']['written'].keys() == got['figures']['written'].keys()
    assert {'fig6_accuracy', 'fig7_implicit_bias', 'table1_regression'} <= set(got['figures']['written'])
    for f in sorted((tmp_path/'fa').iterdir()):
        if f.suffix in ('.csv', '.md') and not f.name.startswith(('table_runtime', 'table_study')):   # timings differ
            assert f.read_text() == (tmp_path/'fb'/f.name).read_text(), f.name

    again = reproduce(GRID, out_dir=tmp_path/'b', figures_dir=tmp_path/'fb', executor='local', poll_s=0.5, only=RUNS[:2])
    assert again['status'] == dict(zip(RUNS[:2], ('complete', 'complete')))      # nothing submitted
    assert all(j['job_id'] is None for j in again['jobs'].values())

def _fake_slurm(bin_dir: Path, state: str) -> Path:
    "sbatch that keeps the script it is given and answers a job id; srun; sacct that reports `state` for every job."
    bin_dir.mkdir(exist_ok=True)
    scripts = bin_dir/'scripts'; scripts.mkdir(exist_ok=True)
    tools = {'sbatch': f'#!/bin/sh\nn=$(ls {scripts} | wc -l); cp "$1" {scripts}/$n.sh; echo "Submitted batch job $((4200 + n))"\n',
             'srun': '#!/bin/sh\nexit 0\n',
             'sacct': f'#!/bin/sh\necho "JobID|State|NodeList"\nfor j in 4200 4201 4202; do echo "$j|{state}|node1"; for a in 0 1; do echo "${{j}}_$a|{state}|node1"; done; done\n'}
    for name, text in tools.items():
        (bin_dir/name).write_text(text); (bin_dir/name).chmod(stat.S_IRWXU)
    return scripts

def test_slurm_script_arrays_and_reattach(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    grid = {'defaults': {'methods': ['oracle'], 'limit': 2},
            'executor': {'partition': 'gpu', 'gpus': 1, 'cpus': 8, 'mem_gb': 32, 'timeout_min': 90, 'array_parallelism': 4,
                         'sbatch': {'account': 'lab'}, 'setup': ['module load cuda']},
            'runs': [{'decoding': ['greedy', 'sampling']},
                     {'backbone': 'openai:http://gpu-node:8000/v1?model=org/Big-70B&concurrency=32',
                      'executor': {'gpus': 0, 'sbatch': {'qos': 'cpu'}}}]}
    scripts = _fake_slurm(tmp_path/'bin', 'PENDING')
    monkeypatch.setenv('PATH', f"{tmp_path/'bin'}{os.pathsep}{os.environ['PATH']}")
    r = reproduce(grid, out_dir=tmp_path/'runs', executor='slurm', executor_options={'partition': 'long'}, wait=False)
    names = ['smollm2-helpsteer2-greedy', 'smollm2-helpsteer2-sampling', 'Big-70B-helpsteer2-greedy']
    assert r['status'] == dict.fromkeys(names, 'submitted') and r['figures'] is None
    assert [r['jobs'][n]['job_id'] for n in names] == ['4200_0', '4200_1', '4201']
    s0, s1 = (scripts/'0.sh').read_text(), (scripts/'1.sh').read_text()
    for line in ('#SBATCH --partition=long', '#SBATCH --gpus-per-node=1', '#SBATCH --cpus-per-task=8', '#SBATCH --mem=32GB',
                 '#SBATCH --time=90', '#SBATCH --array=0-1%2', '#SBATCH --account=lab', 'module load cuda', 'submitit.core._submit'):
        assert line in s0, (line, s0)
    assert 'gpus-per-node' not in s1 and '#SBATCH --qos=cpu' in s1 and '--array' not in s1
    recorded = json.loads((tmp_path/'runs'/'jobs'/'jobs.json').read_text())
    assert recorded == {n: r['jobs'][n]['job_id'] for n in names}

    again = reproduce(grid, out_dir=tmp_path/'runs', executor='slurm', wait=False)   # still queued: no new submission
    assert [again['jobs'][n]['job_id'] for n in names] == ['4200_0', '4200_1', '4201']
    assert len(list(scripts.iterdir())) == 2
    _fake_slurm(tmp_path/'bin', 'FAILED')                                          # ended without finishing: resubmitted
    third = reproduce(grid, out_dir=tmp_path/'runs', executor='slurm', wait=False, only=names[2:])
    assert third['jobs'][names[2]]['job_id'] == '4202' and len(list(scripts.iterdir())) == 3

def test_executor_errors(tmp_path, monkeypatch):
    from steerable_pluralism.reproduce import ExecutorError, GridError
    monkeypatch.setenv('PATH', str(tmp_path))                                          # no srun here
    with pytest.raises(ExecutorError, match='use --executor local'):
        reproduce({'runs': [{'methods': ['oracle']}]}, out_dir=tmp_path, executor='slurm', wait=False)
    with pytest.raises(ExecutorError, match='needs --executor slurm'):
        reproduce({'runs': [{'methods': ['oracle']}]}, out_dir=tmp_path, executor='local', wait=False)
    with pytest.raises(GridError, match=r"unknown executor options \['gpu'\]"):
        reproduce({'executor': {'gpu': 1}, 'runs': [{}]}, out_dir=tmp_path, executor='local')
    with pytest.raises(ExecutorError, match="'cluster' is not one of"):
        reproduce({'runs': [{}]}, out_dir=tmp_path, executor='cluster')

def test_cli_submits_to_slurm(tmp_path, monkeypatch, capsys):
    from steerable_pluralism.reproduce import reproduce_cli
    monkeypatch.chdir(tmp_path)
    scripts = _fake_slurm(tmp_path/'bin', 'PENDING')
    monkeypatch.setenv('PATH', f"{tmp_path/'bin'}{os.pathsep}{os.environ['PATH']}")
    (tmp_path/'g.yaml').write_text("runs:\n  - methods: [oracle]\n    executor: {gpus: 1}\n")
    argv = ['g.yaml', '--out', 'runs', '--executor', 'slurm', '--no-wait', '--partition', 'a100', '--gpus', '2',
            '--timeout-min', '60', '--sbatch', 'qos=high', '--setup', 'source .venv/bin/activate', '--jobs-dir', 'jobs']
    assert reproduce_cli(argv) == 0
    assert 'smollm2-helpsteer2-greedy submitted' in capsys.readouterr().out
    script = (scripts/'0.sh').read_text()
    for line in ('--partition=a100', '--gpus-per-node=2', '--time=60', '--qos=high', 'source .venv/bin/activate', str(tmp_path/'jobs')):
        assert line in script, line
    with pytest.raises(SystemExit): reproduce_cli(['g.yaml', '--executor', 'local', '--no-wait'])
    assert '--no-wait needs --executor slurm' in capsys.readouterr().err
