"""Requests per second of an OpenAI-compatible server by the number of requests in flight, measured in one run.

The same greedy, JSON-constrained chats (one per unit) go through `experiment.run_units` at each concurrency (the
`OpenAIBackend` bound on requests in flight over all threads), and the ratio to concurrency 1 is printed. A server that
batches concurrent requests (vLLM) gains with concurrency; the llama-cpp-python server answers one request at a time,
so there the ratio stays near 1 (it measures only the client's overhead).

Run against a server you started (e.g. `vllm serve meta-llama/Llama-3.2-3B-Instruct --port 8000`):
    PYTHONPATH=$PWD python benchmarks/bench_concurrency.py --url http://127.0.0.1:8000/v1 --levels 1 8 32 --n 64
or, with no --url, against a llama-cpp-python server started here on the shipped SmolLM2 GGUF (CPU):
    PYTHONPATH=$PWD python benchmarks/bench_concurrency.py --levels 1 4 --n 8
"""
import argparse, contextlib, socket, subprocess, sys, tempfile, time
from pathlib import Path
import requests
from steerable_pluralism.backends import OpenAIBackend, smollm2_gguf
from steerable_pluralism.benchmark import Scenario
from steerable_pluralism.experiment import run_units
from steerable_pluralism.methods import ChoiceMethod
from steerable_pluralism.store import PredictionStore

SCHEMA = {'type': 'object', 'properties': {'reasoning': {'type': 'string', 'maxLength': 40},
          'score': {'type': 'integer', 'minimum': 0, 'maximum': 100}}, 'required': ['reasoning', 'score']}

class Rate(ChoiceMethod):
    "One constrained request per unit: rate an answer from 0 to 100."
    name = 'rate'
    def __init__(self, backend, max_tokens): self.backend, self.max_tokens = backend, max_tokens
    def choose(self, scenario):
        chat = [{'role': 'system', 'content': 'Rate how helpful the answer is, from 0 to 100. Reply in JSON.'},
                {'role': 'user', 'content': f"Q: {scenario.prompt}\nAnswer: {scenario.responses[0]}"}]
        g = self.backend.generate([chat], SCHEMA, max_tokens=self.max_tokens)[0]
        return {'choice': 0, 'failed': False, 'text': g.text, 'completion_tokens': g.completion_tokens}

@contextlib.contextmanager
def local_server():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    log = Path(tempfile.mkdtemp())/'server.log'
    proc = subprocess.Popen([sys.executable, '-m', 'llama_cpp.server', '--model', str(smollm2_gguf()), '--host', '127.0.0.1',
                             '--port', str(port), '--n_ctx', '2048'], stdout=log.open('w'), stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/v1'
    try:
        for _ in range(240):
            try:
                if requests.get(url + '/models', timeout=2).ok: break
            except requests.ConnectionError: time.sleep(0.5)
        yield url
    finally:
        proc.terminate(); proc.wait(timeout=30)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--url', help="the server's base URL ending in /v1 (default: start a llama.cpp server here)")
    ap.add_argument('--levels', type=int, nargs='+', default=[1, 8, 32])
    ap.add_argument('--n', type=int, default=64, help="requests per level")
    ap.add_argument('--max-tokens', type=int, default=32)
    ap.add_argument('--json-dialect', default=None, help="json_schema (vLLM) or json_object (llama.cpp); default by server")
    a = ap.parse_args()
    units = [Scenario(f'What is {i} + {i}?', [f'{2 * i}.', 'I do not know.'], [{}, {}]) for i in range(a.n)]
    with (contextlib.nullcontext(a.url) if a.url else local_server()) as url:
        dialect = a.json_dialect or ('json_schema' if a.url else 'json_object')
        def rate(c):   # requests/s of the n units at concurrency c
            m = Rate(OpenAIBackend(url, json_dialect=dialect, concurrency=c), a.max_tokens)
            with PredictionStore(':memory:') as st:
                t = time.perf_counter()
                run_units(m, [(s, 'choice') for s in units], st, c)
                return a.n / (time.perf_counter() - t), m.backend
        rate(max(a.levels))          # warm-up, untimed: the first round of a fresh server is much slower (caches, grammar)
        rates = {}
        for c in a.levels:
            rates[c], b = rate(c)
            print(f"concurrency {c:3d}: {rates[c]:7.2f} requests/s   ({rates[c] / rates[a.levels[0]]:.2f}x concurrency {a.levels[0]})"
                  f"   server {url}, model {b.model_id}")

if __name__ == '__main__': main()
