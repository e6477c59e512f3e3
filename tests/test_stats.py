"""Uncertainty (`stats`): bootstrap intervals over scenarios and paired differences, checked against plain loops,
hand-computed cases, a coverage simulation and the real HelpSteer2 benchmark (oracle and random models)."""
import numpy as np
import pandas as pd
import pytest
from steerable_pluralism.alignment import CORRECT, FAILED, NOT_SCORED, WRONG, Evaluation, OracleMethod, RandomMethod, evaluate
from steerable_pluralism.benchmark import load_benchmark
from steerable_pluralism.stats import (INTERVAL_COLUMNS, PAIRED_COLUMNS, _replicates, accuracy_intervals, errors_frame,
                                       interval_frame, paired_difference, paired_frame, resample_counts, verdict)
from steerable_pluralism.targets import all_targets, load_targets


def fake(outcome, method='m', n_attributes=None, keys=None, sids=None, target_set='sampled'):
    o = np.asarray(outcome, np.int8); T, S = o.shape
    sc, co = (o != NOT_SCORED).sum(1), (o == CORRECT).sum(1)
    return Evaluation(method, target_set, keys or [f't{i}' for i in range(T)], np.where(sc > 0, co / np.maximum(sc, 1), np.nan),
                      sc, (o == FAILED).sum(1), np.asarray(n_attributes if n_attributes is not None else [1] * T), S,
                      dataset='toy', outcome=o, scenario_ids=sids or [f's{j}' for j in range(S)])


def test_resample_counts_are_seeded_draws_with_replacement():
    c = resample_counts(40, B=300, seed=7)
    assert c.shape == (300, 40) and (c.sum(1) == 40).all() and (c >= 0).all()
    np.testing.assert_array_equal(c, resample_counts(40, B=300, seed=7))
    assert not np.array_equal(c, resample_counts(40, B=300, seed=8))
    assert abs(c.mean() - 1) < 1e-6 and 0.9 < c.var() < 1.1              # multinomial(40, 1/40): variance ≈ 1
    with pytest.raises(ValueError, match='at least one scenario'): resample_counts(0)


def test_replicates_equal_a_plain_loop_over_resamples():
    rng = np.random.default_rng(1)
    scored = rng.random((9, 30)) < .7
    correct = scored & (rng.random((9, 30)) < .55)
    groups = rng.integers(1, 4, 9)
    counts = resample_counts(30, B=60, seed=2)
    got = _replicates(correct, scored, counts, groups, chunk=4)
    for g in np.unique(groups):
        want = []
        for c in counts:
            idx = np.repeat(np.arange(30), c.astype(int))             # the resampled scenario columns
            num, den = correct[groups == g][:, idx].sum(1), scored[groups == g][:, idx].sum(1)
            want.append(np.mean(num[den > 0] / den[den > 0]))
        np.testing.assert_allclose(got[g], want, rtol=0, atol=1e-12)


def test_hand_case_intervals_and_degenerate_cases():
    e = fake([[CORRECT, CORRECT, WRONG], [CORRECT, WRONG, NOT_SCORED]], n_attributes=[1, 2])
    r = accuracy_intervals(e, B=500).iloc[0]
    assert (r.accuracy, r['std']) == pytest.approx((7 / 12, 1 / 12))      # mean and population std of (2/3, 1/2)
    assert 0 <= r.ci_low <= 7 / 12 <= r.ci_high <= 1 and (r.n_targets, r.n_scenarios) == (2, 3)
    # with 3 scenarios the resamples are coarse: drawing scenario 1 only gives 1.0 (p = 1/27), scenario 3 only gives 0
    assert r.ci_high > 0.9 and r.ci_low < 1 / 3
    perfect = accuracy_intervals(fake([[CORRECT] * 4] * 3), B=100).iloc[0]
    assert (perfect.accuracy, perfect.ci_low, perfect.ci_high, perfect['std']) == (1.0, 1.0, 1.0, 0.0)
    byn = accuracy_intervals(e, B=200, by_n_attributes=True)
    assert byn.n_attributes.tolist() == [1, 2] and byn.accuracy.tolist() == pytest.approx([2 / 3, 1 / 2])


def test_interval_coverage_on_simulated_evaluations():
    # per-scenario difficulty shared by all targets (what makes scenarios the random sample): a scenario is solved by
    # each target with probability q_s, q_s ~ Beta. The expected accuracy is E[q] = 0.6. The 95 % interval should
    # cover it in about 95 % of experiments.
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(60):
        q = rng.beta(3, 2, 200)                                       # mean 0.6
        o = np.where(rng.random((15, 200)) < q, CORRECT, WRONG).astype(np.int8)
        r = accuracy_intervals(fake(o), B=400, seed=int(rng.integers(1 << 30))).iloc[0]
        hits += r.ci_low <= 0.6 <= r.ci_high
    assert 50 <= hits <= 60, hits


def test_paired_difference_by_hand_and_matching():
    a = fake([[CORRECT, CORRECT, WRONG], [CORRECT, WRONG, NOT_SCORED]], 'A')
    b = fake([[CORRECT, WRONG, WRONG], [CORRECT, FAILED, NOT_SCORED]], 'B')
    d = paired_difference(a, b, B=400).iloc[0]
    assert d['diff'] == pytest.approx(1 / 6) and (d.accuracy_a, d.accuracy_b) == pytest.approx((7 / 12, 5 / 12))
    assert d.ci_low >= 0 and d.ci_high <= 0.5                           # A is never worse on any scenario
    # reorder b's targets and scenarios: matched by key and id, same answer
    b2 = fake(b.outcome[::-1, ::-1], 'B', keys=b.target_keys[::-1], sids=b.scenario_ids[::-1])
    assert paired_difference(a, b2, B=400).iloc[0]['diff'] == pytest.approx(1 / 6)
    # only where both are scored: b's extra unscored cell removes scenario 1 of target 1 from both
    b3 = fake([[NOT_SCORED, WRONG, WRONG], [CORRECT, FAILED, NOT_SCORED]], 'B')
    d3 = paired_difference(a, b3, B=100).iloc[0]
    assert (d3.accuracy_a, d3.accuracy_b) == pytest.approx(((1 / 2 + 1 / 2) / 2, (0 + 1 / 2) / 2))
    with pytest.raises(ValueError, match='share no targets'): paired_difference(a, fake([[CORRECT]], keys=['x']))
    with pytest.raises(ValueError, match='share no scenarios'): paired_difference(a, fake([[CORRECT]] * 2, sids=['z']))
    assert verdict(0.01, 0.2) == verdict(-0.3, -0.1) == 'distinguishable from zero'
    assert verdict(-0.01, 0.2) == 'not distinguishable from zero'


def test_pairing_removes_shared_scenario_noise():
    # B = A with 3 % of its correct answers turned wrong: the paired interval is narrow and excludes 0, while the two
    # separate intervals overlap
    rng = np.random.default_rng(3)
    q = rng.beta(2, 2, 300)
    oa = np.where(rng.random((20, 300)) < q, CORRECT, WRONG).astype(np.int8)
    ob = oa.copy(); ob[(oa == CORRECT) & (rng.random(oa.shape) < .03)] = WRONG
    a, b = fake(oa, 'A'), fake(ob, 'B')
    ia, ib = accuracy_intervals(a).iloc[0], accuracy_intervals(b).iloc[0]
    assert ib.ci_high > ia.ci_low                                        # separate intervals overlap
    p = paired_difference(a, b).iloc[0]
    assert p.verdict == 'distinguishable from zero' and 0 < p.ci_low < p['diff'] < p.ci_high
    assert p.ci_high - p.ci_low < (ia.ci_high - ia.ci_low) / 3


def test_frames_columns_and_extras():
    a = fake([[CORRECT, WRONG], [WRONG, CORRECT]], 'A', n_attributes=[1, 2])
    b = fake([[WRONG, WRONG], [WRONG, CORRECT]], 'B', n_attributes=[1, 2])
    f = interval_frame([a, (b, {'decoding': 'sampling'})], B=50, backbone='smollm2', decoding='greedy', run='r1')
    assert list(f.columns) == list(INTERVAL_COLUMNS) + ['run']
    assert f.decoding.tolist() == ['greedy', 'sampling'] and set(f.run) == {'r1'} and set(f.tie_rule) == {'exact'}
    fn = interval_frame([a, b], B=50, by_n_attributes=True)
    assert fn[['method', 'n_attributes']].values.tolist() == [['A', 1], ['A', 2], ['B', 1], ['B', 2]]
    p = paired_frame([(a, b), (b, a, {'method_a': 'B (greedy)'})], B=50, by_n_attributes=True, backbone='x')
    assert list(p.columns) == [*PAIRED_COLUMNS[:6], 'n_attributes', *PAIRED_COLUMNS[6:]]
    assert p['diff'].tolist() == pytest.approx([0.5, 0.0, -0.5, 0.0]) and p.method_a.tolist()[2] == 'B (greedy)'
    assert interval_frame([], B=10).empty and paired_frame([], B=10).empty
    with pytest.raises(ValueError, match='alignment.evaluate'):
        interval_frame(Evaluation('x', 'y', ['k'], np.array([1.0]), np.array([1]), np.array([0]), np.array([1]), 1))


@pytest.fixture(scope='module')
def hs(): return load_benchmark('helpsteer2', 'eval')


def test_helpsteer2_oracle_random_and_a_second_random(hs):
    ts = all_targets('helpsteer2')
    o, r, r2 = (evaluate(m.predict(hs), hs, ts) for m in (OracleMethod(), RandomMethod(seed=0), RandomMethod(seed=1)))
    r2.method = 'random-1'
    iv = interval_frame([o, r, r2], B=300, backbone='none', decoding='greedy')
    assert (iv.ci_low[0], iv.ci_high[0]) == (1.0, 1.0)
    for k in (1, 2):                                  # ±3 points: about 500 near-independent scenarios
        assert iv.ci_low[k] < iv.accuracy[k] < iv.ci_high[k] and 0.02 < iv.ci_high[k] - iv.ci_low[k] < 0.06
        assert iv.accuracy[k] == pytest.approx([r, r2][k - 1].accuracy)
    pv = paired_frame([(o, r), (r, r2)], B=300)
    assert pv.verdict.tolist() == ['distinguishable from zero', 'not distinguishable from zero']
    assert pv['diff'][0] == pytest.approx(1 - r.accuracy)
    byn = interval_frame(r, B=300, by_n_attributes=True)
    want = r.by_n_attributes()
    assert byn.n_attributes.tolist() == want.n_attributes.tolist() and byn.accuracy.tolist() == pytest.approx(want.accuracy.tolist())
    assert byn.n_targets.tolist() == want.n_targets.tolist() and (byn.ci_low < byn.accuracy).all()
    e = errors_frame([o, r, evaluate(RandomMethod(seed=0).predict(hs), hs, load_targets('helpsteer2', 'sampled'))])
    assert len(e) == 2 * 6 and (e[e.method == 'oracle'].mae == 0).all() and (e[e.method == 'random'].mae > 0.2).all()
