"""Kill-and-resume: `sp-run` (as `python -m steerable_pluralism.experiment run`) with a slow fake method is
SIGKILLed mid-run and started again; no finished record is lost or recomputed and the store ends complete."""
import os, subprocess, sys, time
from pathlib import Path

from steerable_pluralism import store as store_mod
ROOT = Path(__file__).resolve().parent.parent
N, ATTRS = 6, 5  # scenarios, HelpSteer2 attributes → 30 units of 0.2 s

def _calls(path):
    if not path.exists(): return []
    return [tuple(l.split()) for l in path.read_text().splitlines() if l.count(' ') == 2]

def _start(tmp_path, calls):
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT/'tests'}", STEERABLE_PLURALISM_METHODS='slow_method',
               SP_CALLS=str(calls), HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1')
    cmd = [sys.executable, '-m', 'steerable_pluralism.experiment', 'run', '--method', 'slow-fake', '--limit', str(N),
           '--store', str(tmp_path/'store.sqlite'), '--no-eval', '--quiet']
    return subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

def test_sigkill_then_resume(tmp_path):
    calls = tmp_path/'calls.txt'
    p = _start(tmp_path, calls)
    deadline = time.time() + 120
    while len(_calls(calls)) < 8:          # kill once a few units are done, well before the 30th
        assert p.poll() is None, f"run ended before the kill: {p.stdout.read()}"
        assert time.time() < deadline, "the run made no progress"
        time.sleep(0.05)
    p.kill(); p.wait()
    assert p.returncode == -9
    first = _calls(calls)
    pid1 = first[0][0]
    store = store_mod.PredictionStore(tmp_path/'store.sqlite', readonly=True)   # a reader never blocks the writer
    (key,) = store.methods()
    kept = store.records(key); store.close()
    assert 8 - 1 <= len(kept) < N * ATTRS                # at most the unit in flight is lost
    started1 = {(s, a) for _, s, a in first}
    assert set(kept) <= started1 and len(started1 - set(kept)) <= 1

    p = _start(tmp_path, calls)
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 0, out
    second = [(s, a) for pid, s, a in _calls(calls)[len(first):]]
    assert all(pid != pid1 for pid, _, _ in _calls(calls)[len(first):])
    assert len(second) == len(set(second))
    assert set(second).isdisjoint(kept)                   # nothing finished before the kill is recomputed
    final = store_mod.PredictionStore(tmp_path/'store.sqlite', readonly=True).records(key)
    assert len(final) == N * ATTRS and set(final) == set(kept) | set(second)
    assert all(final[u]['pid'] == int(pid1) for u in kept)   # kept as first written
    assert all(final[u] == kept[u] for u in kept)
