"Every figure and table function of `figures` on small hand-made frames (HelpSteer2 only: MIC is the missing dataset)."
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from steerable_pluralism import figures as F
from steerable_pluralism.benchmark import DATASETS, Benchmark, Predictions, Scenario

HS = DATASETS['helpsteer2'][0]
HIGH = ','.join(f'{a}=1.00' for a in sorted(HS))


def row(method, target_set, key, acc, failures=0, decoding='greedy', backbone='smollm2', n_scen=10):
    return ('helpsteer2', backbone, method, decoding, target_set, key, len(key.split(',')), acc, n_scen, failures, n_scen)


@pytest.fixture
def results():
    rows = [
        # comparative-fewshot: all targets 0.9, 0.7 (mean 80, std 10); sampled 0.6 (n=1), 1.0 (n=2); high 0.5
        row('comparative-fewshot', 'all', 'helpfulness=0.00', 0.9, failures=2),
        row('comparative-fewshot', 'all', 'helpfulness=0.25,verbosity=1.00', 0.7, failures=2),
        row('comparative-fewshot', 'sampled', 'helpfulness=1.00', 0.6, failures=2),
        row('comparative-fewshot', 'sampled', 'coherence=0.25,verbosity=0.75', 1.0, failures=2),
        row('comparative-fewshot', 'high', HIGH, 0.5, failures=2),
        row('comparative-zeroshot', 'all', 'helpfulness=0.00', 0.4),
        row('comparative-zeroshot', 'all', 'helpfulness=0.25,verbosity=1.00', 0.2),
        row('noncomparative-fewshot', 'all', 'helpfulness=0.00', 0.3, failures=1),
        row('random', 'sampled', 'helpfulness=1.00', 0.4),
        row('random', 'sampled', 'coherence=0.25,verbosity=0.75', 0.6),
        row('prompt-aligned', 'sampled', 'helpfulness=1.00', 0.3, decoding='greedy', failures=4),
        row('prompt-aligned', 'sampled', 'coherence=0.25,verbosity=0.75', 0.5, decoding='greedy', failures=4),
        row('prompt-aligned', 'sampled', 'helpfulness=1.00', 0.8, decoding='sampling'),
        row('prompt-aligned-fewshot', 'sampled', 'helpfulness=1.00', 0.7, decoding='sampling'),
        row('comparative-fewshot', 'sampled', 'helpfulness=1.00', 0.2, decoding='sampling', backbone='big'),
    ]
    return pd.DataFrame(rows, columns=F.RESULT_COLUMNS)


@pytest.fixture
def bias():
    return pd.DataFrame({'dataset': 'helpsteer2', 'backbone': 'smollm2', 'method': 'unaligned', 'attribute': list(HS),
                         'value': [0.8, 0.7, 0.9, 0.4, 0.5], 'n_scenarios': 10, 'failures': 1})


@dataclass
class TS:
    attributes: tuple
    matrix: np.ndarray


@pytest.fixture
def targets():
    return {'helpsteer2': {'sampled': TS(('helpfulness', 'verbosity'), np.array([[1.0, np.nan], [0.25, 0.75]])),
                           'high': TS(HS, np.ones((1, 5))), 'low': TS(HS, np.zeros((1, 5)))}}


def test_results_frame_from_evaluations():
    @dataclass
    class Ev:
        method: str; target_set: str; target_keys: list; per_target: np.ndarray; n_scored: np.ndarray; failures: int
        def summary(self): return {'n_scenarios': 5, 'failures': self.failures}
        def to_frame(self): return pd.DataFrame({'target_key': self.target_keys})
    ev = Ev('random', 'sampled', ['helpfulness=1.00', 'coherence=0.25,verbosity=0.75'], np.array([0.2, 0.6]), np.array([5, 4]), 1)
    df = F.results_frame(ev, 'helpsteer2', 'smollm2', 'sampling')
    assert list(df.columns) == list(F.RESULT_COLUMNS)
    assert df.accuracy.tolist() == [0.2, 0.6] and df.n_attributes.tolist() == [1, 2]
    assert set(df.decoding) == {'sampling'} and set(df.n_scenarios) == {5}


def test_save_load_roundtrip(tmp_path, results):
    back = F.load_results(F.save_frame(results, tmp_path / 'r.csv'))
    pd.testing.assert_frame_equal(back, results, check_dtype=False)
    with pytest.raises(ValueError, match='lacks columns'):
        F.load_results(F.save_frame(results.drop(columns=['accuracy']), tmp_path / 'bad.csv'))
    with pytest.raises(FileNotFoundError):
        F.load_results(tmp_path / 'nope.csv')


def test_implicit_bias_frame():
    b = Benchmark('helpsteer2', 'eval', HS, DATASETS['helpsteer2'][1], [
        Scenario(f'q{i}', ['a', 'b'], [dict.fromkeys(HS, 0.75), dict.fromkeys(HS, 0.25)]) for i in range(3)])
    df = F.implicit_bias_frame(Predictions('unaligned', b.ids, b.attributes, choices=[0, 1, 1]), b, 'smollm2')
    assert np.allclose(df.value, (0.75 + 0.25 + 0.25) / 3) and df.failures.iloc[0] == 0
    with pytest.raises(ValueError, match='target-free'):
        F.implicit_bias_frame(Predictions('x', b.ids, b.attributes, scores=b.labels_array()), b, 'smollm2')


def test_fig5_targets(tmp_path, targets):
    fig = F.plot_targets(targets)
    assert 'MIC.csv not provided' in F.figure_texts(fig)
    paths = F.save_figure(fig, 'fig5', tmp_path)
    assert [p.suffix for p in paths] == ['.png', '.pdf', '.md'] and all(p.stat().st_size > 0 for p in paths)
    assert (tmp_path / 'fig5.png').read_bytes()[:4] == b'\x89PNG' and (tmp_path / 'fig5.pdf').read_bytes()[:4] == b'%PDF'


def test_fig6_bars_are_hand_computed_means(results):
    fig = F.plot_accuracy_bars(results[results.backbone == 'smollm2'])
    ax = fig.axes[0]
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    # comparative-fewshot(greedy): all 80, sampled 80, high 50; comparative-zeroshot all 30; noncomparative all 30;
    # prompt-aligned greedy sampled 40, sampling 80; prompt-aligned-fewshot 70 (random drawn as the line)
    assert heights == sorted([80.0, 80.0, 50.0, 30.0, 30.0, 40.0, 80.0, 70.0])
    assert [l.get_ydata()[0] for l in ax.lines if l.get_linestyle() == '--'] == [50.0]
    texts = F.figure_texts(fig)
    assert 'MIC.csv not provided' in texts
    assert 'smollm2' in fig.caption and '10 scenarios' in fig.caption
    # failures: comparative-fewshot 2 + noncomparative 1 + prompt-aligned greedy 4
    assert '7 failures' in fig.caption


def test_fig6_paper_markers_and_interval_bars(results):
    sm = results[results.backbone == 'smollm2']
    fig = F.plot_accuracy_bars(sm)
    marks = {l.get_gid(): l.get_ydata()[0] for l in fig.axes[0].lines if str(l.get_gid()).startswith('paper')}
    # HelpSteer2 rows of the paper that match a bar: Table 1 (all, greedy), Table 2 (sampled, greedy), Table 3 (sampled, sampling)
    assert marks == {'paper comparative-fewshot (greedy, all, Llama-3.2-3B-Instruct)': 55.2,
                     'paper comparative-fewshot (greedy, all, Mistral-7B-Instruct)': 56.0,
                     'paper comparative-zeroshot (greedy, all, Llama-3.2-3B-Instruct)': 54.4,
                     'paper comparative-zeroshot (greedy, all, Mistral-7B-Instruct)': 55.3,
                     'paper prompt-aligned (greedy, sampled, Llama-3.2-3B-Instruct)': 51.1,
                     'paper prompt-aligned (greedy, sampled, Mistral-7B-Instruct)': 51.4,
                     'paper prompt-aligned (sampling, sampled, Llama-3.2-3B-Instruct)': 52.0,
                     'paper prompt-aligned (sampling, sampled, Llama-3.3-70B-Instruct)': 57.2}
    assert '8 shown' in fig.caption and '±1 std over targets' in fig.caption
    assert not [l for l in F.plot_accuracy_bars(sm, paper=None).axes[0].lines if str(l.get_gid()).startswith('paper')]
    iv = pd.DataFrame({'dataset': 'helpsteer2', 'backbone': 'smollm2', 'method': 'comparative-fewshot', 'decoding': 'greedy',
                       'target_set': ['all'], 'accuracy': [.8], 'ci_low': [.6], 'ci_high': [.95]})
    fig = F.plot_accuracy_bars(sm, intervals=iv)
    segs = [np.asarray(seg) for c in fig.axes[0].collections if hasattr(c, 'get_segments') for seg in c.get_segments()]
    assert any(seg.shape == (2, 2) and np.allclose(sorted(seg[:, 1]), [60.0, 95.0]) for seg in segs)   # the interval, not ±std
    assert 'bootstrap interval over scenarios' in fig.caption


def test_fig6_two_backbones_and_no_random(results):
    fig = F.plot_accuracy_bars(results[results.method != 'random'], chance={'helpsteer2': 0.5})
    assert len(fig.axes) == 4  # 2 datasets x 2 backbones
    assert [l.get_ydata()[0] for l in fig.axes[0].lines if l.get_linestyle() == '--'] == [50.0]
    assert F.figure_texts(fig).count('MIC.csv not provided') == 2


def test_fig7_implicit_bias(bias):
    fig = F.plot_implicit_bias(bias)
    prof = [l for l in fig.axes[0].lines if l.get_label() == 'unaligned'][0]
    assert np.allclose(prof.get_ydata()[:5], [0.8, 0.7, 0.9, 0.4, 0.5])
    assert 'MIC.csv not provided' in F.figure_texts(fig) and '1 failures' in fig.caption


def test_fig8_accuracy_vs_n(results):
    fig = F.plot_accuracy_vs_n(results[results.backbone == 'smollm2'])
    lines = {l.get_gid(): l for ax in fig.axes for l in ax.lines}
    sampled = lines['comparative-fewshot (sampled)']
    assert list(sampled.get_xdata()) == [1, 2] and list(sampled.get_ydata()) == [60.0, 100.0] and sampled.get_linestyle() == ':'
    solid = lines['comparative-fewshot (all)']
    assert list(solid.get_ydata()) == [90.0, 70.0] and solid.get_linestyle() == '-'
    assert 'MIC.csv not provided' in F.figure_texts(fig)


def test_fig8_two_backbones_share_one_axis(results):
    "A block of panels per backbone; every panel on the same accuracy axis, so blocks compare at a glance."
    fig = F.plot_accuracy_vs_n(results)
    blocks = {sf.get_suptitle().split(' (')[0] for sf in fig.subfigs if sf.get_suptitle()}
    assert blocks == {'HelpSteer2 · smollm2', 'HelpSteer2 · big'}, blocks
    drawn = [ax for ax in fig.axes if ax.lines]
    assert len({ax.get_ylim() for ax in drawn}) == 1, {ax.get_ylim() for ax in drawn}


def test_fig8_paper_reference_lines_and_bands(results):
    sm = results[results.backbone == 'smollm2']
    fig = F.plot_accuracy_vs_n(sm)
    refs = {l.get_gid(): l.get_ydata()[0] for ax in fig.axes for l in ax.lines if str(l.get_gid()).startswith('paper')}
    assert refs['paper comparative-fewshot (all, Llama-3.2-3B-Instruct)'] == 55.2
    assert refs['paper prompt-aligned (sampling) (sampled, Llama-3.3-70B-Instruct)'] == 57.2
    assert len(refs) == 8 and 'no per-number-of-attributes values' in fig.caption
    assert 'paper, all: Llama-3.2-3B 55.2, Mistral-7B 56.0' in F.figure_texts(fig)
    byn = pd.DataFrame({'dataset': 'helpsteer2', 'backbone': 'smollm2', 'method': 'comparative-fewshot', 'decoding': 'greedy',
                        'target_set': 'all', 'n_attributes': [1, 2], 'accuracy': [.9, .7], 'ci_low': [.8, .5], 'ci_high': [1.0, .85]})
    fig = F.plot_accuracy_vs_n(sm, intervals=byn)
    band = [c for ax in fig.axes for c in ax.collections if c.get_gid() == 'comparative-fewshot (all) interval'][0]
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(50.0) and ys.max() == pytest.approx(100.0) and 'shaded' in fig.caption


def test_table1_regression(results, tmp_path):
    t = F.regression_table(results)
    r = t[(t.method == 'comparative-fewshot')].iloc[0]
    assert r['accuracy (%)'] == pytest.approx(80.0) and r['std (%)'] == pytest.approx(10.0)
    assert (r['n_targets'], r['n_scenarios'], r['failures']) == (2, 10, 2)
    assert (r['comparison'], r['examples']) == ('comparative', 'few-shot')
    z = t[t.method == 'comparative-zeroshot'].iloc[0]
    assert z['accuracy (%)'] == pytest.approx(30.0)
    assert t[t.dataset == 'mic'].note.tolist() == ['MIC.csv not provided'] * 3     # the paper's three MIC rows
    paper_cols = [c for c in t.columns if c.startswith('paper ')]
    assert paper_cols == ['paper Llama-3.2-3B-Instruct (%)', 'paper Mistral-7B-Instruct (%)']
    assert r[paper_cols].tolist() == ['55.2 ± 4.6', '56.0 ± 5.0']                      # HelpSteer2, proposed, Table 1
    nf = t[(t.dataset == 'helpsteer2') & (t.method == 'noncomparative-fewshot')].iloc[0]
    assert nf[paper_cols].tolist() == ['not reported'] * 2                               # the paper has no such row
    # the paper's zero-shot non-comparative row was not run here: added, with the paper's numbers
    assert t[(t.dataset == 'helpsteer2') & (t.note == 'not run here')].method.tolist() == ['noncomparative-zeroshot']
    csv, md = F.save_table(t, 'table1', tmp_path)
    assert pd.read_csv(csv)['accuracy (%)'].dropna().tolist() == pytest.approx(t['accuracy (%)'].dropna().tolist())
    text = md.read_text()
    assert text.startswith('Table 1.') and 'MIC.csv not provided' in text and '| 80.0 |' in text and 'not found' not in text
    assert 'backbone smollm2' in text and 'scenarios' in text and 'failures' in text and 'ddof=0' in text
    assert 'Tie rule: not recorded' in text and '56.2 ± 4.3' in text                     # MIC's numbers, MIC not provided


def test_table2_prompt_aligned(results):
    t = F.prompt_aligned_table(results)
    t = t[t.note == '']                                         # our rows (paper-only rows say 'not run here')
    got = {(m, d): a for m, d, a in t[['method', 'decoding', 'accuracy (%)']].values}
    assert got == {('prompt-aligned', 'greedy'): pytest.approx(40.0), ('prompt-aligned', 'sampling'): pytest.approx(80.0),
                   ('prompt-aligned-fewshot', 'sampling'): pytest.approx(70.0)}
    assert set(t.examples) == {'zero-shot', 'few-shot'}


def test_table3_backbones(results):
    t = F.backbone_table(results, methods=['comparative-fewshot'])
    t = t[t.note == '']
    assert t[['backbone', 'accuracy (%)']].values.tolist() == [['big', 20.0]]


def test_paper_numbers_are_the_papers_tables():
    p = F.PAPER_NUMBERS
    assert list(p.columns) == list(F.PAPER_COLUMNS) and len(p) == 28 and p[['accuracy', 'std']].notna().all().all()
    assert p.groupby('table').size().to_dict() == {'table1': 12, 'table2': 8, 'table3': 8}
    cell = lambda *k: tuple(p[(p.table == k[0]) & (p.dataset == k[1]) & (p.backbone == k[2]) & (p.method == k[3])][['accuracy', 'std']].iloc[0])
    # a few cells read off reported-numbers.md (Tables 1-3)
    assert cell('table1', 'mic', 'Llama-3.2-3B-Instruct', 'noncomparative-zeroshot') == (53.1, 4.4)
    assert cell('table1', 'helpsteer2', 'Mistral-7B-Instruct', 'comparative-fewshot') == (56.0, 5.0)
    assert cell('table2', 'helpsteer2', 'Llama-3.2-3B-Instruct', 'prompt-aligned-fewshot') == (48.5, 4.7)
    assert cell('table3', 'helpsteer2', 'Llama-3.3-70B-Instruct', 'comparative-fewshot') == (68.4, 6.9)
    assert set(p[p.table == 'table3'].decoding) == {'sampling'} and set(p[p.table != 'table3'].decoding) == {'greedy'}
    assert set(p[p.table == 'table1'].target_set) == {'all'} and set(p[p.table != 'table1'].target_set) == {'sampled'}


def test_every_reported_number_is_in_the_generated_tables(results, tmp_path):
    tables = {'table1': F.regression_table(results), 'table2': F.prompt_aligned_table(results), 'table3': F.backbone_table(results)}
    for tid, t in tables.items():
        text = F.save_table(t, tid, tmp_path)[1].read_text()
        assert 'not found' not in text
        for r in F.PAPER_NUMBERS[F.PAPER_NUMBERS.table == tid].itertuples():
            rows = t[(t.dataset == r.dataset) & (t.method == r.method) & (t.decoding == r.decoding)]
            assert len(rows) and (rows[F.paper_column(r.backbone)] == f"{r.accuracy:.1f} ± {r.std:.1f}").all(), (tid, r)


def test_intervals_in_tables_and_paired_table(results):
    iv = pd.DataFrame({'dataset': 'helpsteer2', 'backbone': 'smollm2', 'method': ['comparative-fewshot', 'comparative-zeroshot'],
                       'decoding': 'greedy', 'target_set': 'all', 'accuracy': [.8, .3], 'ci_low': [.71, .2], 'ci_high': [.9, .41],
                       'level': .95})
    t = F.regression_table(results, intervals=iv)
    got = t[t.dataset == 'helpsteer2'].set_index('method')['95% CI (%)']
    assert got['comparative-fewshot'] == '[71.0, 90.0]' and got['comparative-zeroshot'] == '[20.0, 41.0]'
    assert got['noncomparative-fewshot'] == '–' and 'bootstrap interval over scenarios' in t.attrs['caption']
    assert list(t.columns).index('95% CI (%)') == list(t.columns).index('std (%)') + 1
    pf = pd.DataFrame({'dataset': 'helpsteer2', 'backbone': 'smollm2', 'decoding': 'greedy', 'target_set': 'sampled',
                       'method_a': ['comparative-fewshot'], 'method_b': ['random'], 'accuracy_a': [.6], 'accuracy_b': [.55],
                       'diff': [.05], 'ci_low': [-.01], 'ci_high': [.11], 'verdict': ['not distinguishable from zero'],
                       'n_targets': [50], 'n_scenarios': [100], 'tie_rule': ['exact'], 'level': [.95], 'n_boot': [2000]})
    pt = F.paired_table(pf)
    assert pt[['A', 'B', 'A − B (%)', '95% CI (%)']].values.tolist() == [['comparative-fewshot', 'random', 5.0, '[-1.0, +11.0]']]
    assert '2000 resamples' in pt.attrs['caption'] and 'Tie rule: exact' in pt.attrs['caption']
    with pytest.raises(ValueError, match='lacks columns'): F.paired_table(pf.drop(columns='verdict'))


def test_results_frame_carries_weighted_score_and_tie_rule():
    from steerable_pluralism.alignment import RandomMethod, evaluate
    from steerable_pluralism.benchmark import load_benchmark
    from steerable_pluralism.targets import load_targets
    hs = load_benchmark('helpsteer2', 'eval', limit=40)
    ev = evaluate(RandomMethod(seed=0).predict(hs), hs, load_targets('helpsteer2', 'sampled'))
    df = F.results_frame([ev], 'helpsteer2', 'none', 'greedy')
    assert list(df.columns) == list(F.RESULT_COLUMNS) + ['weighted_score', 'tie_rule'] and set(df.tie_rule) == {'exact'}
    assert df.weighted_score.tolist() == pytest.approx(ev.per_target_weighted.tolist(), nan_ok=True)
    s = F.accuracy_summary(df, by=('method',)).iloc[0]
    assert s.weighted_score == pytest.approx(100 * np.nanmean(ev.per_target_weighted))
    t = F.prompt_aligned_table(df.assign(method='prompt-aligned'))
    assert 'weighted score (%)' in t.columns and "Tie rule: exact (the paper's score.py" in t.attrs['caption']


def test_runtime_table(results):
    rt = pd.DataFrame({'dataset': 'helpsteer2', 'backbone': 'smollm2', 'method': ['comparative-fewshot'] * 3 + ['random'],
                       'decoding': ['greedy', 'greedy', 'sampling', 'greedy'], 'seconds_per_scenario': [4.0, 6.0, 30.0, 0.5]})
    t = F.runtime_table(rt, results)
    got = t.dropna(subset=['method']).set_index(['method', 'decoding'])
    # one row per method and decoding: greedy runs averaged, the sampling run apart
    assert got.loc[('comparative-fewshot', 'greedy'), 'seconds_per_scenario'] == 5.0
    assert got.loc[('comparative-fewshot', 'sampling'), 'seconds_per_scenario'] == 30.0
    assert got.loc[('random', 'greedy'), 'seconds_per_scenario'] == 0.5 and got.loc[('comparative-fewshot', 'greedy'), 'runs'] == 2
    assert got.loc[('comparative-fewshot', 'greedy'), 'failures'] == 2 and got.loc[('comparative-fewshot', 'greedy'), 'n_scenarios'] == 10
    with pytest.raises(ValueError, match="lacks columns \\['decoding'\\]"): F.runtime_table(rt.drop(columns='decoding'))
    assert t[t.dataset == 'mic'].note.tolist() == ['MIC.csv not provided'] and 'smollm2' in t.attrs['caption']


def test_draw_all_writes_everything(tmp_path, results, bias, targets):
    rt = pd.DataFrame({'dataset': 'helpsteer2', 'backbone': 'smollm2', 'method': ['random'], 'decoding': 'greedy',
                       'seconds_per_scenario': [0.1]})
    pf = pd.DataFrame({'dataset': 'helpsteer2', 'target_set': 'sampled', 'method_a': ['comparative-fewshot'], 'method_b': ['random'],
                       'accuracy_a': [.8], 'accuracy_b': [.5], 'diff': [.3], 'ci_low': [.1], 'ci_high': [.5],
                       'verdict': ['distinguishable from zero'], 'n_scenarios': [100], 'n_targets': [50]})
    done = F.draw_all(results, rt, bias, tmp_path / 'figs', targets=targets, paired=pf)
    assert done['skipped'] == {} and 'table_paired' in done['written']
    for name in ('fig5_targets', 'fig6_accuracy', 'fig7_implicit_bias', 'fig8_accuracy_vs_n'):
        for ext in ('png', 'pdf', 'md'): assert (tmp_path / 'figs' / f'{name}.{ext}').stat().st_size > 0
    for name in ('table1_regression', 'table2_prompt_aligned', 'table3_backbones', 'table_runtime'):
        for ext in ('csv', 'md'): assert (tmp_path / 'figs' / f'{name}.{ext}').stat().st_size > 0
    index = (tmp_path / 'figs' / 'index.md').read_text()
    assert 'fig6_accuracy.png' in index and 'MIC.csv not provided' in index


def test_draw_all_without_optional_inputs(tmp_path, results):
    done = F.draw_all(results, None, None, tmp_path / 'figs', targets={})
    assert 'fig7_implicit_bias' in done['skipped'] and 'table_runtime' in done['skipped']
    assert 'fig6_accuracy' in done['written']
    assert 'no targets given' in done['captions']['fig5_targets']
