"Pluralism analyses and the steering explorer on tiny benchmarks whose numbers are computed by hand."
import matplotlib
matplotlib.use('Agg')
import numpy as np
import pandas as pd
import pytest

from steerable_pluralism.benchmark import Benchmark, Predictions, Scenario, load_benchmark
from steerable_pluralism.methods import make_method
from steerable_pluralism.targets import TargetSet
from steerable_pluralism.alignment import evaluate
from steerable_pluralism import pluralism as pl
from steerable_pluralism.explorer import Explorer, ExplorerUI, radar_plot, view_html


@pytest.fixture(scope='module')
def tiny():
    return Benchmark('tiny', 'eval', ['x', 'y'], [0, 0.5, 1], [
        Scenario('q1', ['r0', 'r1'], [{'x': 1, 'y': 0}, {'x': 0, 'y': 1}]),
        Scenario('q2', ['r0', 'r1', 'r2'], [{'x': 1, 'y': 1}, {'x': 0, 'y': 0}, {'x': .5, 'y': .5}]),
        Scenario('q3', ['r0', 'r1'], [{'x': 0, 'y': .5}, {'x': 1, 'y': .5}])])


@pytest.fixture(scope='module')
def blind(tiny):
    "Exact x, constant 0.5 for y."
    sc = tiny.labels_array().copy()
    sc[..., 1] = np.where(tiny.mask(), .5, np.nan)
    return Predictions('y-blind', tiny.ids, tiny.attributes, scores=sc)


@pytest.fixture(scope='module')
def targets(tiny):
    return TargetSet.from_targets('tiny-all', [{'x': 0}, {'x': 1}, {'y': 0}, {'y': 1}, {'x': 0, 'y': 0}, {'x': 1, 'y': 1},
                                               {'x': 0, 'y': 1}, {'x': 1, 'y': 0}], tiny.attributes)


@pytest.fixture(scope='module')
def ev(blind, tiny, targets): return evaluate(blind, tiny, targets)


def test_per_target_by_hand(ev):
    np.testing.assert_allclose(ev.per_target, [1, 1, .5, .5, 1, 1, 2/3, 2/3])


def test_population_summary(ev):
    s = pl.population_summary([1, .5, .5, 0, 1, 1, .75, .25, 1, 1])
    assert s['mean'] == pytest.approx(.7) and s['worst_decile'] == 0 and s['worst_target'] == 3 and s['spread'] == 1
    s = pl.population_summary([.2, .4, .6, .8], decile=.5)          # worst half: (.2 + .4)/2
    assert s['worst_decile'] == pytest.approx(.3) and s['median'] == pytest.approx(.5)
    s = pl.population_summary(ev)
    assert s['mean'] == pytest.approx(19/24) and s['worst_target'] == 'y=0.00' and s['n_targets'] == 8
    with pytest.raises(ValueError, match='NaN'): pl.population_summary([np.nan, np.nan])


def test_profiles_and_marginals(ev):
    pa = pl.profile_accuracy(ev).set_index('profile')
    assert pa.loc['y-', 'accuracy'] == .5 and pa.loc['x+ y-', 'accuracy'] == pytest.approx(2/3) and pa.index[0] in ('y+', 'y-')
    me = pl.marginal_effects(ev).set_index(['attribute', 'label'])
    assert me.loc[('x', 'absent'), 'accuracy'] == .5 and me.loc[('x', '1'), 'accuracy'] == pytest.approx(8/9)
    assert me.loc[('y', 'absent'), 'accuracy'] == 1 and me.loc[('y', '0'), 'n_targets'] == 3
    assert me.loc[('x', 'absent'), 'effect'] == pytest.approx(.5 - 19/24)
    sp = pl.attribute_space(ev, 'x', 'y')
    assert list(sp.index) == ['absent', '0', '1'] and sp.loc['0', 'absent'] == .5 and sp.loc['0', '1'] == pytest.approx(2/3)


def test_compare_and_figures(ev, tiny, targets, tmp_path):
    perfect = evaluate(Predictions('oracle', tiny.ids, tiny.attributes, scores=tiny.labels_array()), tiny, targets)
    cp = pl.compare_population({'oracle': perfect, 'blind': ev})
    assert cp.loc['oracle', 'mean'] == 1 and cp.loc['blind', 'worst'] == .5
    pl.plot_population({'oracle': perfect, 'blind': ev}, save_figures=True, fig_dir=tmp_path)
    pl.plot_marginal_effects(ev, save_figures=True, fig_dir=tmp_path)
    pl.plot_attribute_space(ev, 'x', 'y', save_figures=True, fig_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['attribute_space_x_y.png', 'marginal_effects.png', 'population.png']
    pl.plot_population({'oracle': perfect})              # save_figures is off by default: nothing written
    assert len(list(tmp_path.iterdir())) == 3


def test_tradeoff(blind, tiny):
    ts = pl.tradeoff_targets('x', 'y', tiny.attributes, steps=3)
    assert ts.keys == ['x=0.00,y=1.00', 'x=0.50,y=0.50', 'x=1.00,y=0.00']
    tc = pl.tradeoff_curve(blind, tiny, steps=3)
    np.testing.assert_allclose(tc.accuracy, [2/3, 1, 2/3]); assert tc.n_scored.tolist() == [3, 1, 3]
    with pytest.raises(ValueError, match='steps'): pl.tradeoff_targets('x', 'y', tiny.attributes, steps=1)


def test_pareto(blind, tiny):
    assert pl.pareto_mask([[1, 0], [0, 1], [.5, .5], [0, 0]]).tolist() == [True, True, True, False]
    assert pl.pareto_mask([[1, 0], [0, 1]], directions=[1, -1]).tolist() == [True, False]
    assert pl.pareto_mask([[1, 1], [np.nan, 2]]).tolist() == [True, False]      # a failed prediction is never optimal
    pa = pl.pareto_agreement(blind, tiny)
    assert pa.true_front.tolist() == [[0, 1], [0], [1]] and pa.pred_front.tolist() == [[0], [0], [1]]
    assert pa.exact.mean() == pytest.approx(2/3) and pa.jaccard.mean() == pytest.approx(5/6)
    pp = pl.pareto_pairs(blind, tiny)
    assert pp.pair.tolist() == ['x vs y'] and pp.exact[0] == pytest.approx(2/3)


def test_regression_quality(blind, tiny):
    rq = pl.regression_quality(blind, tiny)
    assert rq.loc['x', ['mae', 'spearman', 'pairwise']].tolist() == [0, 1, 1]
    assert rq.loc['y', 'mae'] == pytest.approx(2/7) and np.isnan(rq.loc['y', 'spearman'])
    assert rq.loc['y', 'pairwise'] == .5 and rq.loc['all', 'pairwise'] == pytest.approx(7/9)
    # one failed prediction: coverage drops, errors over the rest
    sc = blind.scores.copy(); sc[0, 0, 0] = np.nan
    rq2 = pl.regression_quality(Predictions('m', tiny.ids, tiny.attributes, scores=sc), tiny)
    assert rq2.loc['x', 'coverage'] == pytest.approx(6/7) and rq2.loc['x', 'n_pairs'] == 4
    # Spearman against scipy on a non-trivial case
    sc3 = tiny.labels_array().copy(); sc3[..., 0] = np.where(tiny.mask(), [[.9, .2, 0], [.7, .1, .3], [.4, .8, 0]], np.nan)
    from scipy.stats import spearmanr
    m = tiny.mask()
    assert pl.regression_quality(Predictions('m', tiny.ids, tiny.attributes, scores=sc3), tiny).loc['x', 'spearman'] == \
        pytest.approx(spearmanr(sc3[..., 0][m], tiny.labels_array()[..., 0][m]).statistic)
    with pytest.raises(ValueError, match='choices'):
        pl.regression_quality(Predictions('c', tiny.ids, tiny.attributes, choices=[0, 0, 0]), tiny)


def test_reliability(blind, tiny):
    rt = pl.reliability_table(blind, tiny)
    assert rt[rt.attribute == 'y'][['mean_pred', 'mean_true', 'n']].values.tolist() == [[.5, .5, 7]]
    assert rt[rt.attribute == 'x'].mean_true.tolist() == [0, .5, 1]


def test_noisy_oracle(tiny):
    m = make_method('noisy-oracle', sigma=0, attributes=['x', 'y'])
    np.testing.assert_array_equal(m.predict(tiny).scores[tiny.mask()], tiny.labels_array()[tiny.mask()])
    a, b = pl.NoisyOracleMethod(.2, 1, ['x', 'y']), pl.NoisyOracleMethod(.2, 2, ['x', 'y'])
    assert a.score(tiny[0], 'x') == a.score(tiny[0], 'x') and a.score(tiny[0], 'x') != b.score(tiny[0], 'x')
    assert a.key != b.key and a.key != pl.NoisyOracleMethod(.3, 1, ['x', 'y']).key
    with pytest.raises(ValueError, match='sigma'): pl.NoisyOracleMethod(sigma=-.1)
    with pytest.raises(ValueError, match='dataset'): pl.NoisyOracleMethod(dataset='nope')
    # the noise has the asked standard deviation (labels at 0.5 are never clipped at sigma 0.1)
    hs = load_benchmark('helpsteer2', 'eval', limit=200)
    p = pl.NoisyOracleMethod(.1, 0).predict(hs)
    lab = hs.labels_array(); mid = (lab == .5) & hs.mask()[..., None]
    assert abs((p.scores - lab)[mid].std() - .1) < .01 and (p.scores[hs.mask()] >= 0).all() and (p.scores[hs.mask()] <= 1).all()


def test_noise_curve_and_required_noise(tiny, targets):
    nc = pl.noise_curve(tiny, targets, sigmas=(0, .3), seeds=(0, 1))
    assert nc[nc.sigma == 0].accuracy.tolist() == [1, 1] and nc[nc.sigma == 0].mae.tolist() == [0, 0]
    made_up = pd.DataFrame({'sigma': [0, .1, .2, 0, .1, .2], 'seed': [0, 0, 0, 1, 1, 1],
                            'accuracy': [1, .9, .5, 1, .7, .7], 'mae': [0, .08, .16, 0, .08, .16]})
    r = pl.required_noise(made_up, .9)               # seed means: 1, .8, .6 → .9 half-way between sigma 0 and .1
    assert r['sigma'] == pytest.approx(.05) and r['mae'] == pytest.approx(.04)
    assert pl.required_noise(made_up, .6)['sigma'] == pytest.approx(.2)
    assert np.isnan(pl.required_noise(made_up, 1.01)['sigma'])


def test_noise_curve_helpsteer2_monotone():
    hs = load_benchmark('helpsteer2', 'eval', limit=100)
    from steerable_pluralism.targets import load_targets
    g = pl.noise_curve(hs, load_targets('helpsteer2', 'sampled'), sigmas=(0, .1, .3), seeds=(0,)).set_index('sigma')
    assert g.accuracy[0] == 1 and g.accuracy[0] > g.accuracy[.1] > g.accuracy[.3] > .5
    assert g.mae[0] == 0 < g.mae[.1] < g.mae[.3]


def test_weighted_alignment():
    one = Benchmark('one', 'eval', ['a', 'b'], [0, .5, 1], [Scenario('q', ['r0', 'r1'], [{'a': 1, 'b': 0}, {'a': .5, 'b': .5}])])
    p = Predictions('m', one.ids, ('a', 'b'), scores=[[[.9, .1], [.6, .6]]])
    t = TargetSet.from_targets('t', [{'a': 1, 'b': 1}], ('a', 'b'))
    we = pl.weight_effect(p, one, t, {'none': None, 'a x10': {'a': 10}})
    assert we.accuracy.tolist() == [1, 1] and we.changed.tolist() == [0, 1]
    # a weighting that changes no choice: predictions (.9, .1) vs (.45, .9)
    p2 = Predictions('m2', one.ids, ('a', 'b'), scores=[[[.9, .1], [.45, .9]]])
    we2 = pl.weight_effect(p2, one, t, {'none': None, 'b x10': {'b': 10}})
    # unweighted: truth r1 (1 vs .71), model r1 (.91 vs .56) → right; b x10: truth r1 (3.16 vs 1.66), model r1 (2.85 vs .63) → right
    assert we2.accuracy.tolist() == [1, 1] and we2.changed.tolist() == [0, 0]
    np.testing.assert_array_equal(pl.weight_vector({'b': 3}, ('a', 'b')), [1, 3])
    assert pl.weight_vector(None, ('a', 'b')) is None
    with pytest.raises(ValueError, match="'c'"): pl.weight_vector({'c': 1}, ('a', 'b'))
    with pytest.raises(ValueError, match='one per attribute'): pl.weight_vector([1, 2, 3], ('a', 'b'))
    sw = pl.weight_sweep({'m': p}, one, t, 'a', values=(1, 10))
    assert sw.weight.tolist() == [1, 10] and sw.changed.tolist() == [0, 1]


def test_explorer_update_by_hand(tiny, blind):
    reasons = {s.id: {'x': {chr(65 + r): f'{s.prompt}-{r}' for r in range(s.n)}} for s in tiny}
    pred = Predictions('y-blind', tiny.ids, tiny.attributes, scores=blind.scores, info={'reasoning': reasons})
    ex = Explorer(tiny, pred)
    v = ex.update(1, {'x': 0, 'y': 1})
    assert (v.choice, v.true_best, v.correct, v.reasoning) == (1, [2], False, {'x': 'q2-1'})
    assert v.accuracy == pytest.approx(2/3) and v.n_scored == 3
    v = ex.update(tiny[1].id, {'x': 0, 'y': 1}, {'y': False})
    assert (v.target, v.choice, v.correct, v.accuracy) == ({'x': 0.}, 1, True, 1.)
    assert ex.update(2, {'y': 1}, {'x': False}).correct is None
    assert 'picked</b> B' in view_html(ex.update(1, {'x': 0, 'y': 1}), tiny)
    assert len(radar_plot(v).axes[0].lines) == 6
    with pytest.raises(ValueError, match='outside'): ex.update(0, {'x': 2})
    with pytest.raises(ValueError, match='out of range'): ex.update(7)


def test_explorer_widget(tiny, blind):
    ui = ExplorerUI(Explorer(tiny, blind), scenario=1)
    assert ui.explorer.last_view.choice == 0
    ui.include['y'].value = False; ui.sliders['x'].value = 0.0
    v = ui.explorer.last_view
    assert (v.target, v.choice, v.accuracy) == ({'x': 0.}, 1, 1.) and ui.sliders['y'].disabled
    assert 'accuracy of this target' in ui.out_text.value


def test_weights_follow_the_target_sets_attribute_order():
    one = Benchmark('one', 'eval', ['a', 'b'], [0, .5, 1], [Scenario('q', ['r0', 'r1'], [{'a': 1, 'b': 0}, {'a': .5, 'b': .5}])])
    p = Predictions('m', one.ids, ('a', 'b'), scores=[[[.9, .1], [.6, .6]]])
    fwd = TargetSet.from_targets('t', [{'a': 1, 'b': 1}, {'a': 1}], ('a', 'b'))
    rev = TargetSet.from_targets('t', [{'a': 1, 'b': 1}, {'a': 1}], ('b', 'a'))
    w = {'none': None, 'a x10': {'a': 10}}
    pd.testing.assert_frame_equal(pl.weight_effect(p, one, fwd, w), pl.weight_effect(p, one, rev, w))
    assert pl.weight_effect(p, one, rev, w).changed.tolist() == [0, .5]


def test_results_frame_input(ev):
    fr = ev.to_frame()
    evs = pl.frame_evaluations(fr)
    assert list(evs) == ['y-blind'] and pl.compare_population(fr).loc['y-blind', 'mean'] == pytest.approx(19/24)
    with pytest.raises(ValueError, match='target_key'): pl.frame_evaluations(fr.drop(columns='target_key'))


def test_explorer_from_store(tiny, tmp_path):
    from steerable_pluralism.store import PredictionStore
    m = pl.NoisyOracleMethod(.2, seed=3, attributes=tiny.attributes)
    with PredictionStore(tmp_path/'s.sqlite') as st:
        for s in tiny:
            for u in m.units(s): st.put(m.key, s.id, u, m.run_unit(s, u))
    got = Explorer.from_store(tmp_path/'s.sqlite', m, tiny).update(1, {'x': 0, 'y': 1})
    want = Explorer(tiny, m.predict(tiny)).update(1, {'x': 0, 'y': 1})
    np.testing.assert_array_equal(got.predicted, want.predicted)
    assert (got.choice, got.accuracy) == (want.choice, want.accuracy)


def test_results_frame_of_two_runs(blind, tiny, targets):
    perfect = evaluate(Predictions('oracle', tiny.ids, tiny.attributes, scores=tiny.labels_array()), tiny, targets)
    fr = pd.concat([perfect.to_frame(), evaluate(blind, tiny, targets).to_frame()]).assign(backbone='none', decoding='greedy')
    assert list(pl.frame_evaluations(fr)) == ['oracle', 'y-blind']          # only columns that vary name a run
    cp = pl.compare_population(fr)
    assert cp.loc['oracle', 'mean'] == 1 and cp.loc['y-blind', 'mean'] == pytest.approx(19/24)
