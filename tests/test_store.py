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


# --- export / import, self-description, sp-store ------------------------------------------------------------------
import gzip, json, warnings
from pathlib import Path
from steerable_pluralism.benchmark import load_benchmark
from steerable_pluralism.methods import ChoiceMethod, TargetChoiceMethod, register, METHODS
from steerable_pluralism.store import open_store, read_export, store_cli
from steerable_pluralism.targets import load_targets, TargetSet
from steerable_pluralism.alignment import OracleMethod, RandomMethod, evaluate
from steerable_pluralism.experiment import run_experiment

ROOT = Path(__file__).resolve().parent.parent
HS = load_benchmark('helpsteer2', 'eval')


class Counting(AttributeScoresMethod):
    "Scores from response lengths; remembers every unit it computes."
    name = 'counting'
    def __init__(self, attributes, calls): super().__init__(attributes); self.calls = calls
    def config(self): return {'name': self.name, 'attributes': list(self.attributes), 'samples': 1, 'temperature': 0.0}
    def score(self, scenario, attribute):
        self.calls.append((scenario.id, attribute))
        n = [len(r) for r in scenario.responses]
        return {'scores': [v / max(n) for v in n], 'failed': False, 'reasoning': {'A': 'é ✓ "quoted"\nline', 'B': None},
                'prompt_tokens': 3000, 'seconds': 0.1 + 0.2}


class PickByTarget(TargetChoiceMethod):
    "Per target: the longest response when verbosity >= 0.5 is wanted (or not named), else the shortest."
    name = 'pick-by-target'
    def __init__(self, **_): pass
    def choose(self, s, t):
        n = [len(r) for r in s.responses]
        return {'choice': int(np.argmax(n) if t.get('verbosity', 1) >= .5 else np.argmin(n)), 'failed': False}


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore'); return f(*a, **k)


def test_export_round_trip_is_exact_sorted_and_repeatable(tmp_path):
    calls = []
    m = Counting(('helpfulness', 'verbosity'), calls)
    with PredictionStore(tmp_path / 'a.sqlite') as st:
        run_experiment(m, HS.subset(4), st, progress=False)
        st.put('other-0000000000', 'zz', 'choice', {'choice': 1, 'failed': False, 'big': 2 ** 62, 'x': [1e-300, -0.0]})
        files = st.export_jsonl(tmp_path / 'ex')
        recs, meta = st.records(m.key), st.meta(m.key)
    assert sorted(f.name for f in files) == sorted([f'{m.key}.jsonl', f'{m.key}.meta.json', 'other-0000000000.jsonl'])
    lines = (tmp_path / 'ex' / f'{m.key}.jsonl').read_text(encoding='utf-8').splitlines()
    assert len(lines) == 8 and lines == sorted(lines, key=lambda l: (json.loads(l)['scenario_id'], json.loads(l)['unit']))
    for l in lines:   # keys sorted at every level, text not escaped
        assert l == json.dumps(json.loads(l), sort_keys=True, ensure_ascii=False) and 'é ✓' in l
    assert 'updated' not in (tmp_path / 'ex' / f'{m.key}.meta.json').read_text()
    first = {p.name: p.read_bytes() for p in (tmp_path / 'ex').iterdir()}
    with PredictionStore(tmp_path / 'b.sqlite') as st:
        r = st.import_jsonl(tmp_path / 'ex')
        assert r.set_index('key').loc[m.key, ['added', 'same', 'different', 'meta']].tolist() == [8, 0, 0, 'added']
        assert st.records(m.key) == recs and st.meta(m.key) == meta
        assert st.get('other-0000000000', 'zz', 'choice')['big'] == 2 ** 62
        assert st.import_jsonl(tmp_path / 'ex')['added'].tolist() == [0, 0]             # idempotent
        st.export_jsonl(tmp_path / 'ex2')
    assert {p.name: p.read_bytes() for p in (tmp_path / 'ex2').iterdir()} == first    # the round trip is exact


def test_run_resumes_from_an_imported_partial_store(tmp_path):
    calls = []
    m = Counting(('helpfulness', 'verbosity'), calls)
    bench = HS.subset(5)
    with PredictionStore(tmp_path / 'sitting1.sqlite') as st:
        run_experiment(m, bench.subset(2), st, progress=False)           # a first sitting: 2 of 5 scenarios
        st.export_jsonl(tmp_path / 'committed')
    assert len(calls) == 4
    with PredictionStore(tmp_path / 'sitting2.sqlite') as st:            # a fresh clone: the store comes from the export
        st.import_jsonl(tmp_path / 'committed')
        pred = run_experiment(m, bench, st, progress=False)
    assert calls[4:] == [(s.id, a) for s in bench[2:] for a in m.attributes]   # only the missing units were computed
    np.testing.assert_array_equal(pred.scores, Counting(m.attributes, []).predict(bench).scores)


def test_import_refuses_conflicts_atomically_and_bad_files(tmp_path):
    ex = tmp_path / 'ex'
    with PredictionStore(tmp_path / 'src.sqlite') as st:
        for k in ('a-run-0000000000', 'b-run-0000000000'):
            st.put(k, 's1', 'u', {'scores': [0.5, 1.0], 'failed': False})
            st.put(k, 's2', 'u', {'scores': [0.0, 1.0], 'failed': False})
        st.export_jsonl(ex)
    with PredictionStore(tmp_path / 'dst.sqlite') as st:
        st.put('b-run-0000000000', 's1', 'u', {'scores': [0.25, 1.0], 'failed': False})
        with pytest.raises(StoreError, match=r"1 record\(s\) differ .* scenario s1, unit u.*nothing imported.*on_conflict='keep'"):
            st.import_jsonl(ex)
        assert st.count() == 1 and st.methods() == ['b-run-0000000000']    # a-run (imported first) was rolled back too
        r = st.import_jsonl(ex, on_conflict='keep')
        assert r.different.tolist() == [0, 1] and st.get('b-run-0000000000', 's1', 'u')['scores'] == [0.25, 1.0]
        assert st.count() == 4
        st.import_jsonl(ex, on_conflict='replace')
        assert st.get('b-run-0000000000', 's1', 'u')['scores'] == [0.5, 1.0]
        with pytest.raises(StoreError, match='on_conflict'):
            st.import_jsonl(ex, on_conflict='merge')
    bad = tmp_path / 'bad'; bad.mkdir()
    (bad / 'x-0000000000.jsonl').write_text('{"record": {}, "scenario_id": "s", "unit": "u"}\n{"scenario_id": "s"\n')
    with PredictionStore(tmp_path / 'c.sqlite') as st:
        with pytest.raises(StoreError, match=r'x-0000000000.jsonl, line 2: not JSON'):
            st.import_jsonl(bad)
        (bad / 'x-0000000000.jsonl').write_text('{"record": {}, "scenario_id": "s", "unit": "u"}\n' * 2)
        with pytest.raises(StoreError, match='line 2: scenario s, unit u appears twice'):
            st.import_jsonl(bad)
        (bad / 'x-0000000000.jsonl').write_text('{"record": [], "scenario_id": "s", "unit": "u"}\n')
        with pytest.raises(StoreError, match='line 1: need'):
            st.import_jsonl(bad)
        (bad / 'x-0000000000.jsonl.gz').write_bytes(b'')
        with pytest.raises(StoreError, match='holds both'):
            st.import_jsonl(bad)
        with pytest.raises(StoreError, match='no export folder'):
            st.import_jsonl(tmp_path / 'nowhere')
        assert st.count() == 0


def test_big_exports_are_gzipped_deterministically(tmp_path):
    with PredictionStore(tmp_path / 'a.sqlite') as st:
        for i in range(50): st.put('m-0000000000', f's{i:02d}', 'u', {'scores': [i / 50, 0.5], 'failed': False, 'r': 'x' * 100})
        st.export_jsonl(tmp_path / 'ex', gzip_above=1000)
        gz = (tmp_path / 'ex' / 'm-0000000000.jsonl.gz').read_bytes()
        st.export_jsonl(tmp_path / 'ex', gzip_above=1000)
        assert (tmp_path / 'ex' / 'm-0000000000.jsonl.gz').read_bytes() == gz                  # no time stamp inside
        assert len(gzip.decompress(gz).splitlines()) == 50 and not (tmp_path / 'ex' / 'm-0000000000.jsonl').exists()
        st.export_jsonl(tmp_path / 'ex')                                                        # small again: plain text
        assert sorted(p.name for p in (tmp_path / 'ex').iterdir()) == ['m-0000000000.jsonl']
        assert read_export(tmp_path / 'ex' / 'm-0000000000.jsonl')[3][2]['scores'] == [3 / 50, 0.5]


def _study_store(path, n=5):
    "A store as `sp-run` makes it: oracle, two random seeds, a target-free chooser and a per-target chooser."
    bench = HS.subset(n)
    with PredictionStore(path) as st:
        for m in (OracleMethod(dataset='helpsteer2'), RandomMethod(seed=0, dataset='helpsteer2'), RandomMethod(seed=1, dataset='helpsteer2')):
            run_experiment(m, bench, st, progress=False)
        run_experiment(PickByTarget(), bench, st, load_targets('helpsteer2', 'high'), progress=False)
        run_experiment(PickByTarget(), bench, st, load_targets('helpsteer2', 'low'), progress=False)
    return bench


def test_runs_describe_the_store_and_open_by_name_with_partial_coverage(tmp_path):
    bench = _study_store(tmp_path / 's.sqlite')
    st = open_store(tmp_path / 's.sqlite')
    runs = st.runs().set_index('key')
    assert sorted(runs.name) == ['oracle', 'pick-by-target', 'random', 'random']
    o = OracleMethod(dataset='helpsteer2').key
    assert runs.loc[o, ['kind', 'dataset', 'split', 'records', 'failed', 'scenarios']].tolist() == ['scores', 'helpsteer2', 'eval', 25, 0, 5]
    pk = PickByTarget().key
    assert runs.loc[pk, ['kind', 'records', 'units']].tolist() == ['target-choice', 10, '2 targets']
    with pytest.warns(UserWarning, match='scored on the 5 of 500 scenarios'):
        ev = st.run('oracle').evaluate('sampled')
    assert ev.n_scenarios == 5 and ev.accuracy == 1.0
    with pytest.raises(StoreError, match=r"holds 2 runs of 'random' .*pass the key"):
        st.run('random')
    rk = RandomMethod(seed=1, dataset='helpsteer2').key
    ev1 = _quiet(st.run(rk).evaluate, 'all')
    want = evaluate(RandomMethod(seed=1, dataset='helpsteer2').predict(bench), bench, load_targets('helpsteer2', 'all'))
    np.testing.assert_array_equal(ev1.per_target, want.per_target)
    with pytest.raises(StoreError, match="no run called 'comparative-fewshot'.*its runs are"):
        st.run('comparative-fewshot')


def test_prompt_aligned_style_store_reads_back_without_targets(tmp_path):
    bench = _study_store(tmp_path / 's.sqlite')
    with PredictionStore(tmp_path / 's.sqlite', readonly=True) as st:
        p = predictions(st, PickByTarget(), bench)                   # was a bare TypeError (targets=None)
        assert p.target_keys == sorted(load_targets('helpsteer2', 'high').keys + load_targets('helpsteer2', 'low').keys)
        run = st.run('pick-by-target')
        ev = _quiet(run.evaluate, 'low')
        direct = evaluate(PickByTarget().predict(bench, load_targets('helpsteer2', 'low')), bench, load_targets('helpsteer2', 'low'))
        np.testing.assert_array_equal(ev.per_target, direct.per_target)
        with pytest.raises(StoreError, match='no prediction for any target .*sampled'):
            _quiet(run.evaluate, 'sampled')


def _cli(capsys, *argv):
    try: code = store_cli([str(a) for a in argv])
    except SystemExit as e: code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sp_store_commands(tmp_path, capsys):
    bench = _study_store(tmp_path / 's.sqlite')
    code, out, _ = _cli(capsys, 'list', tmp_path / 's.sqlite')
    assert code == 0 and '4 runs' in out and 'pick-by-target' in out and 'target-choice' in out
    code, out, _ = _cli(capsys, 'eval', tmp_path / 's.sqlite', 'oracle', '--targets', 'all', '--targets', 'high')
    assert code == 0 and 'scored on the 5 of 500 scenarios' in out and '1.000 ± 0.000     3124' in out
    code, out, _ = _cli(capsys, 'realign', tmp_path / 's.sqlite', 'oracle', '--target', 'helpfulness=1,verbosity=0')
    assert code == 0 and 'no LLM call' in out and 'accuracy 1.000' in out
    # realign by hand: the random run's scores, re-aligned, agree with evaluate on the same target
    rk = RandomMethod(seed=0, dataset='helpsteer2').key
    code, out, _ = _cli(capsys, 'realign', tmp_path / 's.sqlite', rk, '--target', '{"verbosity": 0.25, "coherence": 1}', '--limit', '2')
    ts = TargetSet.from_targets('t', [{'verbosity': 0.25, 'coherence': 1.0}], bench.attributes)
    acc = evaluate(RandomMethod(seed=0, dataset='helpsteer2').predict(bench), bench, ts).per_target[0]
    assert code == 0 and f'accuracy {acc:.3f}' in out and out.count('\n') < 12
    code, out, _ = _cli(capsys, 'export', tmp_path / 's.sqlite', tmp_path / 'ex', '--run', 'oracle')
    assert code == 0 and len(list((tmp_path / 'ex').glob('*.jsonl'))) == 1
    code, out, _ = _cli(capsys, 'import', tmp_path / 'ex', tmp_path / 'new.sqlite')
    assert code == 0 and ' 25 ' in out
    code, out, _ = _cli(capsys, 'eval', tmp_path / 'ex', 'oracle', '--targets', 'low')      # an export folder opens directly
    assert code == 0 and 'oracle' in out
    # bad input: exit 2 and a message naming the store or run and the fix
    for argv, msg in [(('list', tmp_path / 'nope.sqlite'), 'no store at'),
                      (('eval', tmp_path / 's.sqlite', 'random'), 'pass the key'),
                      (('eval', tmp_path / 's.sqlite', 'kaleido'), 'its runs are'),
                      (('realign', tmp_path / 's.sqlite', 'oracle', '--target', 'kindness=1'), 'kindness'),
                      (('realign', tmp_path / 's.sqlite', 'pick-by-target', '--target', 'verbosity=1'), 'no prediction for target verbosity=1.00'),
                      (('realign', tmp_path / 's.sqlite', 'oracle', '--target', 'verbosity=1', '--limit', '0'), 'positive'),
                      (('eval', tmp_path / 's.sqlite', 'oracle', '--dataset', 'mystery'), 'cannot be loaded here')]:
        code, out, err = _cli(capsys, *argv)
        assert code == 2 and msg in err, (argv, err)


def test_synchronous_is_configurable(tmp_path, monkeypatch):
    pragma = lambda st: st.con.execute('PRAGMA synchronous').fetchone()[0]
    with PredictionStore(tmp_path / 'a.sqlite') as st: assert (st.synchronous, pragma(st)) == ('NORMAL', 1)
    with PredictionStore(tmp_path / 'b.sqlite', durable=True) as st: assert (st.synchronous, pragma(st)) == ('FULL', 2)
    monkeypatch.setenv('STEERABLE_PLURALISM_SYNCHRONOUS', 'full')           # for every store of sp-run / sp-reproduce
    with PredictionStore(tmp_path / 'c.sqlite') as st: assert pragma(st) == 2
    with PredictionStore(tmp_path / 'd.sqlite', synchronous='NORMAL') as st: assert pragma(st) == 1
    monkeypatch.setenv('STEERABLE_PLURALISM_SYNCHRONOUS', 'often')
    with pytest.raises(StoreError, match=r"\$STEERABLE_PLURALISM_SYNCHRONOUS='often'.*'FULL'"):
        PredictionStore(tmp_path / 'e.sqlite')


def _hint_from_notebook() -> str:
    nb = json.loads((ROOT / 'nbs' / '15_explorer.ipynb').read_text())
    md = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown' and 'explore(store=' in ''.join(c['source'])]
    (text,) = md
    return text.split('```python\n')[1].split('\n```')[0]


def test_explorer_hint_works_as_written_with_no_model(tmp_path):
    hint = _hint_from_notebook()
    assert hint.startswith("explore(store='runs/quick/smollm2-helpsteer2-greedy/store.sqlite', run='comparative-fewshot'")
    from steerable_pluralism.pluralism import NoisyOracleMethod

    class StandIn(NoisyOracleMethod):       # stored under the name the quick grid's run has
        name = 'comparative-fewshot'
    with PredictionStore(tmp_path / 'runs/quick/smollm2-helpsteer2-greedy/store.sqlite') as st:
        run_experiment(StandIn(0.1, seed=0, attributes=HS.attributes), HS.subset(3), st, progress=False)
    code = ("import sys, warnings; warnings.simplefilter('ignore')\n"
            "from steerable_pluralism.explorer import explore\n"
            f"box = {hint}\n"
            "ui_text = box.children[-1].value\n"
            "print('OK', type(box).__name__, 'picked' in ui_text, [m for m in ('torch', 'llama_cpp', 'transformers') if m in sys.modules])")
    r = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env={**os.environ, 'PYTHONPATH': str(ROOT), 'MPLBACKEND': 'Agg'})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == 'OK VBox True []'


def test_real_smollm2_records_open_by_name_and_realign_with_no_model(tmp_path):
    """tests/fixtures/store_smollm2: the export of a real run of the embedded SmolLM2-135M (comparative-zeroshot, greedy,
    helpfulness and verbosity, first HelpSteer2 eval scenario; 536 s on this CPU), made with
    `sp-run`-equivalent `run_experiment` and `python -m steerable_pluralism.store export`."""
    st = open_store(ROOT / 'tests' / 'fixtures' / 'store_smollm2')
    (row,) = st.runs().to_dict('records')
    assert (row['name'], row['kind'], row['engine'], row['decoding'], row['records'], row['units']) == \
        ('comparative-zeroshot', 'scores', 'transformers', 'greedy', 2, 'helpfulness, verbosity')
    assert 'SmolLM2-135M-Instruct' in row['backbone']
    run = st.run('comparative-zeroshot')
    s0 = HS[0]
    # by hand: scores helpfulness (A .07, B .08), verbosity (A .06, B .06)
    assert run.records[(s0.id, 'helpfulness')]['scores'] == [0.07, 0.08]
    t = {'helpfulness': 1.0, 'verbosity': 0.0}
    tab = _quiet(run.realign, t)
    assert tab.choice.tolist() == ['B']                                  # B is nearer on helpfulness, tied on verbosity
    truth = ((s0.label_matrix(['helpfulness', 'verbosity']) - [1, 0]) ** 2).sum(1)
    best = [r for r in range(2) if np.isclose(truth[r], truth.min())]
    assert tab.correct.tolist() == [None if len(best) == 2 else 1 in best]
    tie = _quiet(run.realign, {'verbosity': 1.0})
    v = s0.label_matrix(['verbosity'])[:, 0]                            # predicted verbosity ties: the first (A) is picked
    assert tie.choice.tolist() == ['A']
    assert tie.note[0] == ('tie on the true labels: not scored' if v[0] == v[1] else 'tie on the predicted scores: first picked')
    ev = _quiet(run.evaluate, TargetSet.from_targets('t', [t], HS.attributes))
    assert ev.n_scenarios == 1
    assert np.isnan(ev.per_target[0]) if tab.correct[0] is None else ev.per_target[0] == float(tab.correct[0])
    # into a writable store (as a fresh clone would) and back out: the same bytes
    with PredictionStore(tmp_path / 'clone.sqlite') as w:
        w.import_jsonl(ROOT / 'tests' / 'fixtures' / 'store_smollm2'); w.export_jsonl(tmp_path / 'again')
    for p in (ROOT / 'tests' / 'fixtures' / 'store_smollm2').iterdir():
        assert (tmp_path / 'again' / p.name).read_bytes() == p.read_bytes()


def test_backfill_provenance_by_creation_time(tmp_path):
    "tools/backfill_provenance.py: LLM records lacking provenance get their period's, marked inferred; others are left."
    import sqlite3
    from datetime import datetime, timezone
    path = tmp_path / 's.sqlite'
    with PredictionStore(path) as st:
        st.set_meta('llm', {'config': {'backend': {'backend': 'LlamaCppBackend'}}})
        st.set_meta('random', {'config': {'seed': 0}})
        for sid in 'abcd': st.put('llm', sid, 'choice', {'choice': 0})
        st.put('llm', 'e', 'choice', {'choice': 1, 'provenance': {'cpu': 'own'}})
        st.put('random', 'a', 'choice', {'choice': 0})
    with sqlite3.connect(path) as con:   # a: imported on day 1, b: computed on day 2, c: day 3, d: after every period
        for sid, t in zip('abcde', ('2026-01-01T10:00', '2026-01-02T10:00', '2026-01-03T10:00', '2026-02-01T00:00', '2026-01-01T09:00')):
            ts = datetime.fromisoformat(t).replace(tzinfo=timezone.utc).timestamp()
            con.execute("UPDATE records SET created = ? WHERE scenario_id = ?", (ts, sid))
    out = subprocess.run([sys.executable, 'tools/backfill_provenance.py', str(path),
                          '--period', '2026-01-02T00:00', '{"cpu": "old"}', '--period', '2026-01-04T00:00', '{"cpu": "new"}'],
                         capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.returncode == 0, out.stderr
    with PredictionStore(path, readonly=True) as st:
        got = {sid: r.get('provenance') for (sid, _), r in st.records('llm').items()}
        assert got == {'a': {'cpu': 'old', 'inferred': True}, 'b': {'cpu': 'new', 'inferred': True},
                       'c': {'cpu': 'new', 'inferred': True}, 'd': None, 'e': {'cpu': 'own'}}
        assert 'provenance' not in st.get('random', 'a', 'choice')
