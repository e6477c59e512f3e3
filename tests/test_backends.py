"Heavier backend tests: tiny Llama/Mistral models, llama.cpp in process, and a real llama.cpp server on loopback."
import json, os, socket, subprocess, sys, time
import pytest, requests
from steerable_pluralism.backends import (BackendError, LlamaCppBackend, OpenAIBackend, TransformersBackend,
                                          load_backend, smollm2_gguf, tiny_chat_model)

SCORE = {'type': 'object', 'properties': {'reasoning': {'type': 'string', 'maxLength': 80},
         'score': {'type': 'integer', 'minimum': 0, 'maximum': 100}}, 'required': ['reasoning', 'score']}
CHAT = [{'role': 'system', 'content': 'You rate how helpful an answer is, from 0 to 100. Reply in JSON.'},
        {'role': 'user', 'content': 'Q: What is the capital of France?\nAnswer: Paris'}]

def _llama_cpp_missing():
    try: import llama_cpp  # noqa: F401
    except ImportError: return True
    return False

needs_llama_cpp = pytest.mark.skipif(_llama_cpp_missing(), reason="llama-cpp-python is not installed "
                                     "(pip install 'llama-cpp-python[server]')")

@pytest.fixture(scope='module', params=['llama', 'mistral'])
def tiny(request, tmp_path_factory):
    return TransformersBackend(tiny_chat_model(tmp_path_factory.mktemp(request.param), request.param))

def test_tiny_shared_prefix_padding_and_max_batch(tiny):
    "Chats sharing a few-shot prefix, with suffixes of different lengths: batched, split in sub-batches, or alone."
    few = [{'role': 'system', 'content': 'Rate it. ' * 6}, {'role': 'user', 'content': 'Q: 1?'},
           {'role': 'assistant', 'content': '{"score": 1}'}]
    chats = [few + [{'role': 'user', 'content': q}] for q in ('a', 'a longer question', 'mid one')]
    schema = {'type': 'object', 'properties': {'score': {'enum': [1, 2, 3]}}, 'required': ['score']}
    alone = [tiny.generate([c], schema, max_tokens=30)[0] for c in chats]
    assert all(json.loads(g.text)['score'] in (1, 2, 3) and g.finish_reason == 'stop' for g in alone)
    assert [g.text for g in tiny.generate(chats, schema, max_tokens=30)] == [g.text for g in alone]
    tiny.max_batch = 2
    try: assert [g.text for g in tiny.generate(chats, schema, max_tokens=30)] == [g.text for g in alone]
    finally: tiny.max_batch = None
    assert [g.prompt_tokens for g in alone] == [tiny.count_tokens(c) for c in chats]

@pytest.mark.skipif(not __import__('torch').cuda.is_available(), reason='needs a CUDA GPU')
def test_tiny_bf16_on_gpu(tmp_path):
    "On a GPU in bfloat16: weights there, answers valid and repeatable, a chat batched with others answers as alone."
    b = TransformersBackend(tiny_chat_model(tmp_path), dtype='bfloat16', device='cuda')
    assert b.dtype == 'bfloat16' and b.model.device.type == 'cuda'
    chats = [[CHAT[0], {'role': 'user', 'content': q}] for q in ('Q: 2+2?\nAnswer: 4', 'Q: a longer question here?\nAnswer: no', 'Q: x?')]
    alone = [b.generate([c], SCORE, max_tokens=60)[0] for c in chats]
    assert all(0 <= json.loads(g.text)['score'] <= 100 for g in alone if g.finish_reason == 'stop')
    assert [g.text for g in alone] == [b.generate([c], SCORE, max_tokens=60)[0].text for c in chats]
    assert [g.text for g in b.generate(chats, SCORE, max_tokens=60)] == [g.text for g in alone]

def test_tiny_context_window_error(tiny):
    with pytest.raises(BackendError, match='context window'):
        tiny.generate([[{'role': 'user', 'content': 'x' * 2000}]], max_tokens=4)

def test_bad_dtype(tmp_path):
    with pytest.raises(BackendError, match="dtype='float13'"):
        TransformersBackend(tiny_chat_model(tmp_path), dtype='float13')

@needs_llama_cpp
def test_llamacpp_in_process():
    b = load_backend('llamacpp:' + str(smollm2_gguf()))
    assert b.context_window == 8192 and b.count_tokens(CHAT) == 49
    g = b.generate([CHAT], SCORE, max_tokens=80)[0]
    d = json.loads(g.text)
    assert g.finish_reason == 'stop' and d['reasoning'] and 0 <= d['score'] <= 100 and g.prompt_tokens == 49
    assert b.generate([CHAT], SCORE, max_tokens=80)[0].text == g.text          # greedy repeats
    cut = b.generate([CHAT], SCORE, max_tokens=4)[0]
    assert (cut.finish_reason, cut.completion_tokens) == ('length', 4)
    s = [x.text for x in b.generate([CHAT, CHAT], SCORE, max_tokens=80, temperature=0.7, seed=1)]
    assert [x.text for x in b.generate([CHAT, CHAT], SCORE, max_tokens=80, temperature=0.7, seed=1)] == s

def test_llamacpp_clear_errors():
    "A missing llama-cpp-python or a missing GGUF file each get a message that says what to do."
    match = 'pip install llama-cpp-python' if _llama_cpp_missing() else 'no GGUF file'
    with pytest.raises(BackendError, match=match): LlamaCppBackend('/nonexistent/model.gguf')

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='module')
def llama_server(tmp_path_factory):
    "The real llama-cpp-python OpenAI-compatible server, serving the SmolLM2 GGUF on loopback."
    port, log = _free_port(), tmp_path_factory.mktemp('server') / 'server.log'
    proc = subprocess.Popen([sys.executable, '-m', 'llama_cpp.server', '--model', str(smollm2_gguf()),
                             '--host', '127.0.0.1', '--port', str(port), '--n_ctx', '4096'],
                            stdout=log.open('w'), stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/v1'
    try:
        for _ in range(240):
            if proc.poll() is not None: pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if requests.get(url + '/models', timeout=2).ok: break
            except requests.ConnectionError: pass
            time.sleep(0.5)
        else: pytest.fail('llama_cpp.server did not answer within 120 s')
        yield url
    finally:
        proc.terminate()
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired: proc.kill()

@needs_llama_cpp
def test_openai_backend_against_llama_cpp_server(llama_server):
    b = OpenAIBackend(llama_server, json_dialect='json_object', context_window=4096)
    assert b.context_window == 4096 and b.model_id
    g = b.generate([CHAT], SCORE, max_tokens=80)[0]
    d = json.loads(g.text)
    assert g.finish_reason == 'stop' and d['reasoning'] and 0 <= d['score'] <= 100
    assert g.prompt_tokens == 49 and g.completion_tokens > 0
    assert b.generate([CHAT], SCORE, max_tokens=80)[0].text == g.text          # greedy repeats
    cut = b.generate([CHAT], SCORE, max_tokens=4)[0]
    assert cut.finish_reason == 'length'
    two = b.generate([CHAT, CHAT], SCORE, max_tokens=80, temperature=0.7, seed=3)   # concurrent requests
    assert all(isinstance(json.loads(x.text)['score'], int) for x in two)
    n = b.count_tokens(CHAT)
    assert b._tokenize == 'llama-cpp-python' and abs(n - 49) <= 12, (n, b._tokenize)

@needs_llama_cpp
def test_concurrent_units_against_llama_cpp_server(llama_server, tmp_path):
    """Units sent 4 at a time to the real llama.cpp server are all computed and stored under the same key as one at a time.
    Their texts may differ: llama-cpp-python's server reuses the KV cache of the previous request's common prefix, so a
    greedy answer depends on which request came before (the embedded backend avoids this with canonical chunks)."""
    from steerable_pluralism.benchmark import load_benchmark
    from steerable_pluralism.experiment import build_method, run_experiment, unit_concurrency
    from steerable_pluralism.store import PredictionStore
    full, stored, keys = load_benchmark('helpsteer2', 'eval'), {}, set()
    short = sorted(full, key=lambda s: len(s.prompt) + sum(map(len, s.responses)))[:3]   # the 3 shortest: quick prompts
    bench = full.subset(ids=[s.id for s in short])
    for c in (1, 4):
        b = OpenAIBackend(llama_server, json_dialect='json_object', context_window=4096, concurrency=c)
        m = build_method('comparative-zeroshot', b, 'helpsteer2', attributes=('helpfulness',), max_reasoning_chars=20)
        assert unit_concurrency(m) == c
        with PredictionStore(tmp_path/f'c{c}.sqlite') as st:
            run_experiment(m, bench, st, progress=False)
            stored[c] = {k: (r['scores'], r['reasoning'], r['failed']) for k, r in st.records(m.key).items()}
        keys.add(m.key)
    assert len(keys) == 1                                   # concurrency is not part of the method's identity
    assert len(stored[1]) == 3 and set(stored[4]) == set(stored[1]), (stored[1], stored[4])
    for c in (1, 4):
        assert any(not failed for _, _, failed in stored[c].values())
        assert all(failed or all(0 <= x <= 1 for x in scores) for scores, _, failed in stored[c].values())
