"""BERTScore ranking of few-shot candidates (the authors' similarity): `retrieval.BertScorer` (candidate embeddings
cached) vs `bert_score.score` (what the authors call: every text embedded again for every query), measured in one run
on the same texts, with the same model and layer. Goal: the same F1 values (max |difference| < 1e-4) and rankings, and
the cached scorer >= 20x faster per query against the 500 HelpSteer2 train prompts with a roberta-large-sized model.
With fewer candidates (--candidates) the per-query times are also extrapolated to 500, saying so.

Texts: the authors' comparative-regression user turns (`prompts.paper_regression_user`) for one attribute, candidates
from the HelpSteer2 train split, queries from the eval split (responses in the given order).

Models (no download):
  default         a tiny random RoBERTa built here (`retrieval.tiny_bert_model`, byte tokens, cut at 256)
  --large-random  a random model of roberta-large's shape (24 layers of width 1024, layer 17 read, 512 tokens; one
                  token per byte, so every HelpSteer2 prompt fills the 512 tokens): roberta-large's cost, not its scores
  --model PATH    a local model, e.g. a copy of roberta-large (--layers 17 is its default)

Run: HF_HUB_OFFLINE=1 PYTHONPATH=$PWD python benchmarks/bench_bertscore.py [--candidates 500] [--queries 3]
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np


def large_random(path: Path) -> Path:
    "A randomly initialised RobertaModel with roberta-large's configuration and a byte-level tokenizer (512 tokens)."
    import torch
    from transformers import RobertaConfig, RobertaModel
    from steerable_pluralism.retrieval import tiny_bert_model
    tiny_bert_model(path, max_length=512, add_prefix_space=True)   # tokenizer files (+ a tiny model, overwritten below)
    cfg = RobertaConfig(vocab_size=262, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                        intermediate_size=4096, max_position_embeddings=514, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    torch.manual_seed(0)
    RobertaModel(cfg).save_pretrained(path)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model'); ap.add_argument('--layers', type=int)
    ap.add_argument('--large-random', action='store_true')
    ap.add_argument('--candidates', type=int, default=500); ap.add_argument('--queries', type=int, default=3)
    ap.add_argument('--attribute', default='helpfulness'); ap.add_argument('--device', default=None)
    a = ap.parse_args()
    import torch, bert_score
    from steerable_pluralism.benchmark import load_benchmark
    from steerable_pluralism.prompts import paper_regression_user
    from steerable_pluralism.retrieval import BertScorer, tiny_bert_model
    tmp = Path(tempfile.mkdtemp())
    if a.model: model, layers, what = a.model, a.layers, a.model
    elif a.large_random: model, layers, what = str(large_random(tmp / 'large')), 17, 'random roberta-large-shaped model'
    else: model, layers, what = str(tiny_bert_model(tmp / 'tiny', add_prefix_space=True)), 2, 'tiny random RoBERTa'
    # a tokenizer that adds the prefix space itself: bert_score under transformers 5 then tokenises as BertScorer
    train, ev = load_benchmark('helpsteer2', 'train', limit=a.candidates), load_benchmark('helpsteer2', 'eval', limit=a.queries)
    cands = [paper_regression_user(s.prompt, s.responses, a.attribute) for s in train]
    queries = [paper_regression_user(s.prompt, s.responses, a.attribute) for s in ev]
    scorer = BertScorer(model, layers, device=a.device)
    dev = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    print(f"{what}, layer {scorer.num_layers}, {len(cands)} candidates, {len(queries)} queries, device {dev}, "
          f"{torch.get_num_threads()} CPU threads")
    t0 = time.perf_counter(); ours = [scorer.f1(queries[0], cands)]; cold = time.perf_counter() - t0
    t0 = time.perf_counter(); ours += [scorer.f1(q, cands) for q in queries[1:]]
    warm = (time.perf_counter() - t0) / max(len(queries) - 1, 1)
    t0 = time.perf_counter(); scorer.embed(queries[1:], cache=False)
    forward = (time.perf_counter() - t0) / max(len(queries) - 1, 1)       # the query's own forward pass
    t0 = time.perf_counter()
    ref = [bert_score.score([q] * len(cands), cands, model_type=model, num_layers=scorer.num_layers, device=dev)[2].numpy()
           for q in queries]
    full = (time.perf_counter() - t0) / len(queries)
    diff = max(float(np.abs(o - r).max()) for o, r in zip(ours, ref))
    same = all((np.argsort(o, kind='stable')[::-1] == np.argsort(r, kind='stable')[::-1]).all() for o, r in zip(ours, ref))
    mib = sum(e.numel() * e.element_size() for e, _ in scorer._cache.values()) / 2**20
    tokens = sum(len(w) for _, w in scorer._cache.values())
    print(f"agreement: max |F1 difference| {diff:.2e}; identical rankings: {same}")
    print(f"bert_score.score per query      {full:8.3f} s")
    print(f"BertScorer first query (embeds the candidates) {cold:8.3f} s")
    print(f"BertScorer later queries        {warm:8.3f} s   -> {full / warm:.1f}x faster per query")
    n, N = len(cands), 500
    if n < N:   # bert_score: n + 1 forward passes per query; BertScorer: one, plus matching linear in the candidates
        full_N, warm_N = full * (N + 1) / (n + 1), forward + max(warm - forward, 0) * N / n
        print(f"extrapolated to {N} candidates: bert_score.score {full_N:.1f} s, BertScorer {warm_N:.1f} s per query "
              f"-> {full_N / warm_N:.0f}x (query forward pass {forward:.3f} s, matching {max(warm - forward, 0):.3f} s "
              f"for {n} candidates)")
    print(f"candidate cache: {len(scorer._cache)} texts, {tokens} tokens, {mib:.1f} MiB "
          f"({mib / len(cands):.2f} MiB per candidate)")


if __name__ == '__main__':
    main()
