"""Learned attribute regressors: hand-computed features, recovery of a known linear label, eval-label isolation,
clipping, the heads cache, the store path, MIC, and the real MiniLM and SmolLM2 encoders."""
import math
from pathlib import Path
from types import SimpleNamespace
import numpy as np
import pytest
from steerable_pluralism.benchmark import Benchmark, Scenario, load_benchmark, DATASETS
from steerable_pluralism.methods import make_method
from steerable_pluralism import regressors as rg
from steerable_pluralism.regressors import (FEATURE_SETS, LENGTH_FEATURES, SURFACE_FEATURES, Featurizer, Heads,
                                            LlamaEmbedder, RegressorMethod, continuous_benchmark, surface_features)

FIX = Path(__file__).parent/'fixtures'


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    "Every test gets an empty cache folder (the shipped data/embeddings vectors are still found)."
    monkeypatch.setenv('STEERABLE_PLURALISM_CACHE', str(tmp_path/'cache'))


def feats(prompt, responses):
    return [dict(zip(SURFACE_FEATURES, row)) for row in surface_features(prompt, responses)]


def test_surface_features_by_hand():
    q = 'Name three fruits, please.'
    r0 = 'Sure! Here are three:\n1. Apple\n2) Pear\n3. Plum 42\n\n## Notes\nAll are sweet.'
    r1 = ''
    f0, f1 = feats(q, [r0, r1])
    assert f0['chars'] == len(r0) == 74 and f1['chars'] == 0
    # words: Sure! Here are three: 1. Apple 2) Pear 3. Plum 42 ## Notes All are sweet.
    assert f0['words'] == 16 and f1['words'] == 0
    assert f0['list_items'] == 3 and f0['headers'] == 1 and f0['code_blocks'] == 0 and f0['bold'] == 0
    assert f0['log_lines'] == pytest.approx(math.log1p(6))                       # the blank line is not counted
    # sentence ends: 'Sure!', '1.', '3.', 'sweet.' ('2)' is not one) -> 4
    assert f0['log_sentences'] == pytest.approx(math.log1p(4)) and f0['words_per_sentence'] == pytest.approx(4)
    assert f0['digit_frac'] == pytest.approx(5 / 74)                              # 1 2 3 4 2
    assert f0['chars_per_word'] == pytest.approx(sum(map(len, r0.split())) / 16)
    assert f0['question_overlap'] == pytest.approx(1 / 4)                         # 'three' of {name, three, fruits, please}
    assert f1['question_overlap'] == 0 and f1['log_sentences'] == 0 and f1['words_per_sentence'] == 0
    assert f0['rel_log_chars'] == pytest.approx(math.log1p(74) / 2) == -f1['rel_log_chars']
    assert f0['log_question_words'] == f1['log_question_words'] == pytest.approx(math.log1p(4))
    assert surface_features(q, [r0], LENGTH_FEATURES).tolist() == [[74, 16, math.log1p(74), math.log1p(16), 0.0]]


def synth(n, split, seed, a=0.1, b=0.002):
    "Two responses of random length per scenario; verbosity = a + b·chars, noise = uniform."
    r, scen = np.random.default_rng(seed), []
    for i in range(n):
        resp = [('lorem ' * 80)[:int(l)].strip() + f' {split}{i}r{j}' for j, l in enumerate(r.integers(5, 420, 2))]
        scen.append(Scenario(f'{split} question {i}?', resp,
                             [{'verbosity': round(a + b * len(t), 4), 'noise': round(float(r.random()), 4)} for t in resp]))
    return continuous_benchmark('synthetic', split, ('verbosity', 'noise'), scen)


@pytest.fixture(scope='module')
def syn():
    return synth(80, 'train', 0), synth(30, 'eval', 1)


@pytest.mark.parametrize('features', ['length', 'surface'])
def test_head_recovers_a_linear_function_of_length(syn, features):
    train, ev = syn
    m = RegressorMethod(train.attributes, train, features, cache=False)
    p = m.predict(ev)
    true = ev.labels_array()[..., 0]
    assert np.abs(p.scores[..., 0] - true).max() < 0.01
    assert m.heads.cv_mse[0] < 1e-4 < 0.05 < m.heads.cv_mse[1]                   # the noise label stays noise
    assert m.heads.alpha[0] < m.heads.alpha[1]


def test_eval_labels_are_never_read(syn, monkeypatch):
    train, ev = syn
    base = RegressorMethod(train.attributes, train, 'surface', cache=False).predict(ev).scores
    # 1. relabel the eval split (swap the two responses' labels everywhere): nothing changes
    swapped = continuous_benchmark('synthetic', 'eval', ev.attributes,
                                   [Scenario(s.prompt, s.responses, s.labels[::-1]) for s in ev])
    assert swapped.ids == ev.ids and not np.array_equal(swapped.labels_array(), ev.labels_array())
    np.testing.assert_array_equal(RegressorMethod(train.attributes, train, 'surface', cache=False).predict(swapped).scores, base)
    # 2. fitting receives the train split's responses and labels, and nothing of the eval split
    seen = []
    real_fit = rg.fit_heads
    monkeypatch.setattr(rg, 'fit_heads', lambda X, Y, *a, **k: seen.append((X, Y)) or real_fit(X, Y, *a, **k))
    m = RegressorMethod(train.attributes, train, 'surface', cache=False)
    m.predict(ev)
    (X, Y), = seen
    np.testing.assert_array_equal(Y, np.vstack([s.label_matrix(train.attributes) for s in train]))
    np.testing.assert_array_equal(X, np.vstack(Featurizer('surface', cache=False)(train.scenarios)))
    # 3. a scenario stand-in with no labels at all is scored exactly as the real one
    s = ev[3]
    bare = SimpleNamespace(id=s.id, prompt=s.prompt, responses=s.responses, n=s.n)
    fresh = RegressorMethod(train.attributes, train, 'surface', cache=False)
    assert fresh.score(bare, 'verbosity') == m.score(s, 'verbosity')


def test_clipping(syn):
    train, _ = syn
    m = RegressorMethod(train.attributes, train, 'length', cache=False)
    long, short = 'lorem ' * 400, 'ok'
    rec = m.score(Scenario('q?', [long, short], [{'verbosity': 0, 'noise': 0}] * 2), 'verbosity')
    raw = m.heads.predict(Featurizer('length', cache=False)([Scenario('q?', [long, short], [{}, {}])])[0], clip=False)[:, 0]
    assert raw[0] > 1.5 and rec['scores'][0] == 1.0 and rec['clipped'] == 1 and rec['failed'] is False
    assert rec['scores'][1] == pytest.approx(raw[1], abs=1e-6) and 0 <= raw[1] <= 1
    # below zero too: a head whose label falls with length
    down = synth(80, 'train', 2, a=0.9, b=-0.002)
    r2 = RegressorMethod(down.attributes, down, 'length', cache=False).score(Scenario('q?', [long, short], [{}, {}]), 'verbosity')
    assert r2['scores'][0] == 0.0 and r2['clipped'] == 1


def test_heads_cache_is_reused_and_keyed_by_train_data(syn, tmp_path, monkeypatch):
    train, ev = syn
    m1 = RegressorMethod(train.attributes, train, 'surface', cache_dir=tmp_path)
    p1 = m1.predict(ev)
    assert m1.heads_path.exists() and m1.heads_path.parent == tmp_path and train.data_hash in m1.heads_path.name
    monkeypatch.setattr(rg, 'fit_heads', lambda *a, **k: pytest.fail('refitted although the heads are cached'))
    m2 = RegressorMethod(train.attributes, train, 'surface', cache_dir=tmp_path)
    np.testing.assert_array_equal(m2.predict(ev).scores, p1.scores)
    assert m2.key == m1.key
    other = synth(80, 'train', 9)
    m3 = RegressorMethod(other.attributes, other, 'surface', cache_dir=tmp_path)
    assert m3.heads_path != m1.heads_path and m3.key != m1.key
    with pytest.raises(pytest.fail.Exception): m3.heads                       # new train data: fitted again
    # an unreadable cache file is refitted and overwritten
    monkeypatch.undo(); monkeypatch.setenv('STEERABLE_PLURALISM_CACHE', str(tmp_path/'cache'))
    m1.heads_path.write_bytes(b'not an npz')
    m4 = RegressorMethod(train.attributes, train, 'surface', cache_dir=tmp_path)
    np.testing.assert_allclose(m4.predict(ev).scores, p1.scores)
    assert Heads.load(m1.heads_path).attributes == train.attributes


def test_registered_names_keys_and_errors(syn):
    train, _ = syn
    keys = {make_method(f'regressor-{f}', attributes=train.attributes, train=train, embedder='minilm').key for f in FEATURE_SETS}
    assert len(keys) == 4 and all(k.split('-')[0] == 'regressor' for k in keys)
    with pytest.raises(ValueError, match='unknown feature set'): Featurizer('length-only')
    with pytest.raises(ValueError, match='no labels for'): RegressorMethod(('care',), train)
    with pytest.raises(ValueError, match='labelled train split'): RegressorMethod(('a',), None)
    with pytest.raises(ValueError, match='unknown dataset'): make_method('regressor-surface', dataset='nope')
    with pytest.raises(ValueError, match='GGUF file not found'): make_method('regressor-embedding', model='llamacpp:/nope.gguf', train=train, attributes=train.attributes)
    with pytest.raises(ValueError, match='unknown surface feature'): surface_features('q', ['r'], ['length'])


def test_store_run_matches_predict(syn, tmp_path):
    from steerable_pluralism.experiment import run_experiment
    from steerable_pluralism.store import PredictionStore
    train, ev = syn
    m = make_method('regressor-surface', attributes=train.attributes, train=train, cache_dir=tmp_path)
    p = run_experiment(m, ev, PredictionStore(tmp_path/'s.sqlite'), progress=False)
    np.testing.assert_allclose(p.scores, m.predict(ev).scores)
    recs = PredictionStore(tmp_path/'s.sqlite').records(m.key)
    assert len(recs) == len(ev) * 2 and all(r['failed'] is False and len(r['scores']) == 2 for r in recs.values())
    assert PredictionStore(tmp_path/'s.sqlite').meta(m.key)['config']['features'] == 'surface'


def test_mic_fixture():
    from steerable_pluralism.curation import mic_scenarios, read_mic
    from steerable_pluralism.alignment import evaluate
    from steerable_pluralism.targets import load_targets
    recs = mic_scenarios(read_mic(FIX/'mic_small.csv'))
    train, ev = Benchmark.from_records(recs[:3], 'mic', 'train'), Benchmark.from_records(recs[3:], 'mic', 'eval')
    m = make_method('regressor-surface', dataset='mic', train=train, cache=False)
    p = m.predict(ev)
    assert p.attributes == DATASETS['mic'][0] and m.heads.coef.shape == (6, len(SURFACE_FEATURES))
    sc = p.scores[ev.mask()]
    assert np.isfinite(sc).all() and ((sc >= 0) & (sc <= 1)).all()
    e = evaluate(p, ev, load_targets('mic', 'sampled'))
    assert len(e.per_target) == 60


def test_real_minilm_on_helpsteer2_and_the_shipped_vectors():
    "The real MiniLM path: encode a few HelpSteer2 scenarios, check them against the shipped vectors, fit and score."
    hs_train, hs_eval = load_benchmark('helpsteer2', 'train'), load_benchmark('helpsteer2', 'eval')
    assert Featurizer('embedding').embedding_path(hs_eval).name in {p.name for p in (rg.data_dir()/'embeddings').iterdir()}
    shipped = Featurizer('embedding').matrix(hs_eval)                          # the shipped file: no model call
    solo = Featurizer('embedding')                                             # one scenario on its own (a store run)
    solo.embedder.encode = lambda texts: pytest.fail(f'encoded {len(texts)} texts that are shipped')
    np.testing.assert_array_equal(solo([hs_eval[7]])[0], shipped[7])
    few = hs_eval.subset(3)
    fz = Featurizer('embedding', cache=False)
    fresh = fz(few.scenarios)
    assert fresh[0].shape == (2, 768)
    np.testing.assert_allclose(np.linalg.norm(fresh[0][:, :384], axis=1), 1, atol=2e-3)
    for a, b in zip(fresh, shipped[:3]): np.testing.assert_allclose(a, b, atol=2e-3)
    train = hs_train.subset(12)
    m = RegressorMethod(hs_train.attributes, train, 'embedding+surface', cache=False, folds=3)
    m.featurizer.embedder = fz.embedder                                        # the loaded model, once
    p = m.predict(few)
    assert m.heads.coef.shape == (5, 768 + len(SURFACE_FEATURES))
    sc = p.scores[few.mask()]
    assert np.isfinite(sc).all() and ((sc >= 0) & (sc <= 1)).all()


def test_real_smollm2_mean_pooled_embeddings():
    e = LlamaEmbedder(n_ctx=64)
    v = e.encode(['The cat sat on the mat.', 'Quantum chromodynamics describes quarks.', 'The cat sat on the mat.'])
    assert v.shape == (3, 576) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(v[0], v[2], atol=1e-5)
    assert v[0] @ v[1] < 0.99
    long = e.encode(['word ' * 500])                                            # longer than n_ctx: truncated, no error
    assert long.shape == (1, 576) and e.model_name == 'smollm2-mean-ctx64'
