"Prediction store: round trips, reopening, one writer, SIGKILL durability, predictions assembled from the store."
import os, signal, subprocess, sys, textwrap
import numpy as np
import pytest
from steerable_pluralism.benchmark import Benchmark, Scenario
from steerable_pluralism.methods import AttributeScoresMethod, timed
from steerable_pluralism.store import PredictionStore, StoreError, predictions


def test_round_trip_and_reopen(tmp_path):
    rec = {'scores': [0.25, None, 1.0], 'failed': False, 'reasoning': {'A': 'é ✓', 'B': ''}, 'attempts': 2,
           'dropped_examples': [3, 4], 'seconds': 1.5}
    with PredictionStore(tmp_path / 'a.sqlite') as st:
        st.put('cf-abc', 's1', 'helpfulness', rec)
        st.put('cf-abc', 's1', 'verbosity', {'scores': [np.float64(0.5), np.float32(0.75)], 'failed': False})
        st.set_meta('cf-abc', {'backbone': 'smollm2', 'k': np.int64(5)})
        assert st.get('cf-abc', 's1', 'helpfulness') == rec
    with PredictionStore(tmp_path / 'a.sqlite') as st:  # reopened
        assert st.records('cf-abc') == {('s1', 'helpfulness'): rec,
                                        ('s1', 'verbosity'): {'scores': [0.5, 0.75], 'failed': False}}
        assert st.done('cf-abc') == {('s1', 'helpfulness'), ('s1', 'verbosity')}
        assert st.meta('cf-abc') == {'backbone': 'smollm2', 'k': 5} and st.meta('other') is None
        assert st.methods() == ['cf-abc'] and st.count() == 2 and st.count('other') == 0
        # a put for an existing key replaces the record
        st.put('cf-abc', 's1', 'verbosity', {'scores': [0, 0], 'failed': False})
        assert st.count() == 2 and st.get('cf-abc', 's1', 'verbosity')['scores'] == [0, 0]
        st.set_meta('other', {'x': 1})
        assert st.methods() == ['cf-abc', 'other']


def test_errors(tmp_path):
    p = tmp_path / 'a.sqlite'
    with pytest.raises(StoreError, match='no store at .*readonly=True'):
        PredictionStore(p, readonly=True)
    st = PredictionStore(p)
    with pytest.raises(StoreError, match='being written by another process .*pid %d' % os.getpid()):
        PredictionStore(p)
    with pytest.raises(StoreError, match='must be a dict'):
        st.put('m', 's', 'u', [1, 2])
    with pytest.raises(StoreError, match=r'record for \(m, s, u\) must be JSON-serialisable'):
        st.put('m', 's', 'u', {'x': object()})
    st.close(); st.close()  # idempotent
    with pytest.raises(StoreError, match='closed'):
        st.count()
    PredictionStore(p).close()  # the lock was released
    (tmp_path / 'junk.sqlite').write_bytes(b'not a database, just some bytes ' * 100)
    with pytest.raises(StoreError, match='not a prediction store'):
        PredictionStore(tmp_path / 'junk.sqlite')
    PredictionStore(tmp_path / 'junk2.sqlite').close()


def test_reader_sees_writer(tmp_path):
    p = tmp_path / 'a.sqlite'
    with PredictionStore(p) as w:
        w.put('m', 's0', 'u', {'failed': False})
        with PredictionStore(p, readonly=True) as r:
            assert r.count('m') == 1
            w.put('m', 's1', 'u', {'failed': False})
            assert r.done('m') == {('s0', 'u'), ('s1', 'u')}
            with pytest.raises(StoreError, match='readonly'):
                r.set_meta('m', {})


WRITER = textwrap.dedent('''
    import sys
    from steerable_pluralism.store import PredictionStore
    st = PredictionStore(sys.argv[1])
    for i in range(100000):
        st.put('m', f's{i}', 'helpfulness', {'scores': [i / 100000, 0.5], 'failed': False, 'reasoning': {'A': 'x' * 200}})
        print(i, flush=True)
''')


def test_sigkill_loses_no_finished_record(tmp_path):
    p = tmp_path / 'kill.sqlite'
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([os.getcwd(), os.environ.get('PYTHONPATH', '')])}
    proc = subprocess.Popen([sys.executable, '-c', WRITER, str(p)], stdout=subprocess.PIPE, text=True, env=env)
    last = -1
    for line in proc.stdout:
        last = int(line)
        if last >= 200: break
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with PredictionStore(p) as st:  # the lock died with the process; a new writer resumes
        done = st.done('m')
        n = len(done)
        # every put that returned (printed) is there; at most the one in flight beyond it
        assert n >= last + 1 and {('s%d' % i, 'helpfulness') for i in range(last + 1)} <= done
        assert done == {('s%d' % i, 'helpfulness') for i in range(n)}
        recs = st.records('m')
        assert recs[('s%d' % last, 'helpfulness')]['scores'] == [last / 100000, 0.5]
        st.put('m', 'resumed', 'helpfulness', {'failed': False})
        assert st.count('m') == n + 1


class HalfMethod(AttributeScoresMethod):
    "Hand-made: response i gets score (i + 1) / n on 'a'; 'b' fails on scenarios whose prompt starts with 'f'."
    name = 'half'

    def score(self, scenario, attribute):
        if attribute == 'b' and scenario.prompt.startswith('f'): return {'scores': None, 'failed': True}
        scores = [(i + 1) / scenario.n for i in range(scenario.n)]
        if attribute == 'b': scores = scores[::-1]
        return {'scores': scores, 'failed': False, 'reasoning': {chr(65 + i): f'{attribute} {i}' for i in range(scenario.n)}}


def test_predictions_from_store_match_predict(tmp_path):
    lab = lambda n: ({'a': 0, 'b': 0},) * n
    bench = Benchmark('toy', 'eval', ('a', 'b'), (0, 1), [Scenario('p1', ('x', 'y'), lab(2)),
                                                          Scenario('f2', ('x', 'y', 'z', 'w'), lab(4)),
                                                          Scenario('p3', ('u', 'v', 'w'), lab(3))])
    m = HalfMethod(('a', 'b'))
    with PredictionStore(tmp_path / 'exp.sqlite') as st:
        st.set_meta(m.key, m.config())
        for s in bench:
            for u in m.units(s): st.put(m.key, s.id, u, timed(m.run_unit, s, u))
    with PredictionStore(tmp_path / 'exp.sqlite', readonly=True) as st:
        got = predictions(st, m, bench)
        assert st.meta(m.key) == {'name': 'half'}
    want = m.predict(bench)
    nan = np.nan
    np.testing.assert_array_equal(got.scores, [[[.5, 1], [1, .5], [nan, nan], [nan, nan]],
                                               [[.25, nan], [.5, nan], [.75, nan], [1, nan]],
                                               [[1 / 3, 1], [2 / 3, 2 / 3], [1, 1 / 3], [nan, nan]]])
    np.testing.assert_array_equal(got.scores, want.scores)
    assert got.failures == want.failures == 1 and got.info['missing'] == 0
    assert got.info['reasoning'] == want.info['reasoning'] and got.scenario_ids == bench.ids

    # a run stopped early: the missing units are NaN and counted
    with PredictionStore(tmp_path / 'partial.sqlite') as st:
        s = bench[2]; st.put(m.key, s.id, 'a', m.run_unit(s, 'a'))
        with pytest.warns(UserWarning, match='5 of 6 units .* have no record yet'):
            part = predictions(st, m, bench)
    assert part.info['missing'] == 5 and part.failures == 0
    np.testing.assert_array_equal(part.scores[2, :3, 0], [1 / 3, 2 / 3, 1])
    assert np.isnan(part.scores[:2]).all() and np.isnan(part.scores[2, :, 1]).all()
