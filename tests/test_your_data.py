"""Your own benchmark end to end with the embedded model: the hand-written three-attribute benchmark
`data/examples/support.json` runs through `sp-run` (SmolLM2-135M on llama.cpp, the paper's few-shot comparative
regression with its own tiny pool) and `sp-steer --attributes`, is scored on its own targets, and its store is
re-opened and scored by `sp-store` with no model loaded. Kept short (one scenario, 64-character reasonings)."""
import contextlib, io, json
from pathlib import Path

from steerable_pluralism.benchmark import load_benchmark
from steerable_pluralism.experiment import run_cli, steer_cli
from steerable_pluralism.store import PredictionStore, store_cli

SUPPORT = Path(__file__).resolve().parent.parent/'data'/'examples'/'support.json'


def _run(cli, argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out): code = cli(argv)
    return code, out.getvalue()


def test_sp_run_sp_store_and_sp_steer_on_your_own_benchmark(tmp_path):
    store = tmp_path/'support.sqlite'
    code, text = _run(run_cli, ['--dataset', str(SUPPORT), '--method', 'comparative-fewshot', '--limit', '1',
                                '--targets', 'high', '--targets', 'sampled', '--max-reasoning-chars', '64',
                                '--store', str(store), '--quiet'])
    assert code == 0, text
    assert 'comparative-fewshot: 3 units, 0 already stored, 3 computed' in text
    scored = {l.split()[1]: l for l in text.splitlines() if l.startswith('comparative-fewshot ')}
    assert set(scored) == {'high', 'sampled'} and '(24 targets × 1 scenarios)' in scored['sampled']

    with PredictionStore(store, readonly=True) as st:
        (key,) = st.methods()
        meta, recs = st.meta(key), st.records(key)
    assert meta['benchmark'] == 'support' and Path(meta['source']) == SUPPORT.resolve()
    assert 'definitions' in meta['config']                          # the key names your definitions
    assert sorted(u for _, u in recs) == ['accuracy', 'concision', 'empathy']
    bench = load_benchmark(SUPPORT)
    ok = [r for r in recs.values() if not r['failed']]
    assert all(len(r['scores']) == bench[0].n and all(0 <= s <= 1 for s in r['scores']) for r in ok)

    code, text = _run(store_cli, ['eval', str(store), 'comparative-fewshot', '--targets', 'all'])   # no model loaded
    assert code == 0 and 'scored on the 1 of 2 scenarios of support/eval it covers' in text, text
    assert any(l.startswith('all ') and l.split()[4] == '26' for l in text.splitlines()), text

    code, text = _run(steer_cli, ['--attributes', str(SUPPORT), '--method', 'comparative-zeroshot', '--target', 'empathy=1',
                                  '--question', 'Where is my order?', '--response', 'Shipped yesterday.',
                                  '--response', "I'm so sorry for the wait! It shipped yesterday and arrives tomorrow.",
                                  '--max-reasoning-chars', '64', '--json'])
    r = json.loads(text)
    assert code == (0 if r['choice'] >= 0 else 4)
    assert r['target'] == {'empathy': 1.0} and set(r['scores']) == {'A', 'B'} and set(r['scores']['A']) == {'empathy'}


from steerable_pluralism.backends import Backend

class _Judge(Backend):
    "A stand-in backend that answers every schema validly (scores 0, 20, 40 by letter; the first letter for choices)."
    model_id, context_window = 'judge', 100_000
    def __init__(self): self.prompts = []
    def count_tokens(self, messages, style=None): return sum(len(m['content']) for m in messages) // 4
    def generate(self, batch, schema=None, *, max_tokens=512, temperature=0.0, seed=None, style=None):
        from steerable_pluralism.backends import Generation
        out = []
        for msgs in batch:
            self.prompts.append(msgs[0]['content'])
            props = (schema or {}).get('properties', {})
            text = (json.dumps({'reasoning': 'closest to the target', 'choice': 'A'}) if 'choice' in props else
                    json.dumps({l: {'reasoning': 'ok', 'score': 20 * i} for i, l in enumerate(props)}))
            out.append(Generation(text, 'stop', self.count_tokens(msgs), len(text) // 4, 0.0))
        return out


def test_every_method_runs_on_your_own_benchmark():
    "Regression (all four), prompt-aligned (zero/few-shot), unaligned, oracle and random on the custom benchmark and its targets."
    from steerable_pluralism.alignment import evaluate
    from steerable_pluralism.experiment import build_method, run_experiment
    from steerable_pluralism.targets import load_targets
    bench, judge = load_benchmark(SUPPORT), _Judge()
    sampled = load_targets(bench, 'sampled')
    names = ['comparative-fewshot', 'comparative-zeroshot', 'noncomparative-fewshot', 'noncomparative-zeroshot',
             'prompt-aligned', 'prompt-aligned-fewshot', 'unaligned', 'oracle', 'random']
    with PredictionStore(':memory:') as st:
        for name in names:
            m = build_method(name, judge, SUPPORT, k=2)
            pred = run_experiment(m, bench, st, sampled if m.target_dependent else None, progress=False)
            ev = evaluate(pred, bench, sampled)
            assert pred.failures == 0 and len(ev.per_target) == 24 and 0 <= ev.accuracy <= 1, name
            if name == 'oracle': assert ev.accuracy == 1.0
    assert any("Empathy refers to acknowledging the customer's situation" in p for p in judge.prompts)   # paper wording, its description
    assert any('shows as much empathy as possible' in p or 'Strongly demonstrates empathy' in p for p in judge.prompts)
