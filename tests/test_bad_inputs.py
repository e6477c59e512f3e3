"""The bad-input table: bad inputs tried through the real entry points (the functions behind `sp-run`, `sp-steer`,
`sp-store`, `sp-reproduce` and `python -m steerable_pluralism.curation`, called with argv as a user would type it),
each checked to give a clear answer: the expected exit status, no traceback, a message that names the input and says
what to do. The table of what the user gets is written to docs/bad_inputs.md; the test fails when that committed
file is out of date (rewrite it with `UPDATE_BAD_INPUTS=1 python -m pytest tests/test_bad_inputs.py`)."""
import contextlib, http.server, io, json, os, sqlite3, subprocess, sys, threading, time, traceback
from dataclasses import dataclass, field
from pathlib import Path
import pandas as pd
import pytest

from steerable_pluralism import curation, experiment, reproduce, store

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT/'docs'/'bad_inputs.md'
SUPPORT = ROOT/'data'/'examples'/'support.json'
MIC = ROOT/'tests'/'fixtures'/'mic_small.csv'
CLIS = {'sp-run': experiment.run_cli, 'sp-steer': experiment.steer_cli, 'sp-store': store.store_cli,
        'sp-reproduce': reproduce.reproduce_cli, 'python -m steerable_pluralism.curation': curation.main}
STEER = ['--question', 'Where is my order?', '--response', 'Shipped yesterday.', '--response', 'Sorry! It shipped yesterday.']


@dataclass
class Case:
    group: str
    what: str                        # the bad input, in words
    cli: str                         # a key of CLIS
    argv: list                       # as typed ('<tmp>' = the scratch folder)
    code: int                        # expected exit status
    names: list                      # the message must contain each of these (the input)
    fix: list                        # ... and one of these (what to do)
    setup: object = None             # callable(tmp) run first
    shown: list = field(default_factory=list)   # argv as shown in the table (default: argv)
    process: bool = False            # run as a separate process (`python -m steerable_pluralism.experiment run ...`)


def _write(rel, text):
    def make(tmp): (tmp/rel).parent.mkdir(parents=True, exist_ok=True); (tmp/rel).write_text(text)
    return make

def _json(rel, obj): return _write(rel, json.dumps(obj))

SPEC = json.loads(SUPPORT.read_text())
DEFS = {k: v for k, v in SPEC.items() if k not in ('eval', 'train')}
ONE = SPEC['eval'][0]

def _mic(rel, row, column, value):
    def make(tmp):
        df = pd.read_csv(MIC, dtype=str); df.loc[row, column] = value; df.to_csv(tmp/rel, index=False)
    return make

def _killed(tmp):
    "A run killed part-way: the store holds some of its records (tests/test_resume.py kills a real one with SIGKILL)."
    _call('sp-run', ['--method', 'oracle', '--limit', '3', '--store', str(tmp/'killed.sqlite'), '--no-eval', '--quiet'])
    with sqlite3.connect(tmp/'killed.sqlite') as con: con.execute("DELETE FROM records WHERE unit IN ('complexity', 'verbosity')")

def _failed(tmp):
    "A store where one unit's record failed (e.g. an invalid answer)."
    _call('sp-run', ['--method', 'oracle', '--limit', '3', '--store', str(tmp/'failed.sqlite'), '--no-eval', '--quiet'])
    with sqlite3.connect(tmp/'failed.sqlite') as con:
        con.execute("UPDATE records SET record = json_set(record, '$.failed', json('true')) WHERE unit = 'verbosity' AND "
                    "scenario_id = (SELECT MIN(scenario_id) FROM records WHERE unit = 'verbosity')")

class _Busy(http.server.BaseHTTPRequestHandler):
    "An OpenAI-compatible server that lists its model but answers every chat with 503 (overloaded, then gone)."
    def log_message(self, *a): pass
    def _send(self, code, obj):
        body = json.dumps(obj).encode(); self.send_response(code); self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_GET(self): self._send(200, {'data': [{'id': 'tiny', 'max_model_len': 2048}]})
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self._send(503 if self.path.endswith('/chat/completions') else 404, {'error': 'overloaded'})

BUSY = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Busy)
threading.Thread(target=BUSY.serve_forever, daemon=True).start()
BUSY_URL = f'openai:http://127.0.0.1:{BUSY.server_port}/v1'

CASES = [
    # targets
    Case('targets', 'a misspelt attribute in the target', 'sp-steer', STEER + ['--target', 'verbosty=1'], 2,
         ["'verbosty'"], ['valid attributes are']),
    Case('targets', 'a target value above 1', 'sp-steer', STEER + ['--target', 'verbosity=1.5'], 2, ['verbosity=1.5'], ['[0, 1]']),
    Case('targets', 'a target value that is not a number', 'sp-steer', STEER + ['--target', 'verbosity=high'], 2,
         ["'high'"], ['e.g. verbosity=0.75']),
    Case('targets', 'a target in broken JSON', 'sp-steer', STEER + ['--target', '{"verbosity": 1'], 2,
         ['{"verbosity": 1'], ['write a JSON object such as']),
    Case('targets', 'an empty target', 'sp-steer', STEER + ['--target', ''], 2, ['empty target'], ['give a value for at least one of']),
    Case('targets', "a target naming an attribute your benchmark does not define", 'sp-steer',
         STEER + ['--attributes', str(SUPPORT), '--target', 'verbosity=1'], 2, ["'verbosity'"], ["valid attributes are ['empathy'"]),
    Case('targets', 'an unknown target set', 'sp-run', ['--targets', 'best'], 2, ["'best'"], ['choose from']),
    # benchmark files
    Case('benchmark files', 'a benchmark file that does not exist', 'sp-run', ['--dataset', 'nope.json', '--method', 'oracle'], 2,
         ['nope.json'], ['check the path']),
    Case('benchmark files', 'an unknown dataset name', 'sp-run', ['--dataset', 'helpsteer3', '--method', 'oracle'], 2,
         ["'helpsteer3'"], ["use one of ['helpsteer2', 'mic']"]),
    Case('benchmark files', 'a benchmark file that is not valid JSON', 'sp-run', ['--dataset', '<tmp>/broken.json', '--method', 'oracle'], 2,
         ['broken.json', 'line 2 column 1'], ['fix the file there'], _write('broken.json', '{"levels": [0, 1],\n')),
    Case('benchmark files', 'a list of scenarios with no attribute definitions', 'sp-run', ['--dataset', '<tmp>/plain.json', '--method', 'oracle'], 2,
         ['plain.json'], ['plain.attributes.json'], _json('plain.json', SPEC['eval'])),
    Case('benchmark files', 'a label that is not one of the levels', 'sp-run', ['--dataset', '<tmp>/level.json', '--method', 'oracle'], 2,
         ['level.json', 'scenario 0', 'response 1', 'accuracy=0.7'], ['use one of them'],
         _json('level.json', {**DEFS, 'scenarios': [{**ONE, 'labels': [ONE['labels'][0], {**ONE['labels'][1], 'accuracy': 0.7}, ONE['labels'][2]]}]})),
    Case('benchmark files', 'a scenario without labels', 'sp-run', ['--dataset', '<tmp>/nolabels.json', '--method', 'oracle'], 2,
         ['nolabels.json', 'record 0', "'labels'"], ['need prompt, responses, labels'],
         _json('nolabels.json', {**DEFS, 'scenarios': [{'prompt': ONE['prompt'], 'responses': ONE['responses']}]})),
    Case('benchmark files', 'fewer labels than responses', 'sp-run', ['--dataset', '<tmp>/short.json', '--method', 'oracle'], 2,
         ['short.json', 'record 0', '3 responses but 2 label dicts'], ['one per response needed'],
         _json('short.json', {**DEFS, 'scenarios': [{**ONE, 'labels': ONE['labels'][:2]}]})),
    Case('benchmark files', 'a split the file does not have', 'sp-run', ['--dataset', str(SUPPORT), '--split', 'dev', '--method', 'oracle'], 2,
         ["no 'dev' split"], ["give 'scenarios'"]),
    Case('benchmark files', 'few-shot on a benchmark without a train split', 'sp-run', ['--dataset', '<tmp>/evalonly.json'], 2,
         ["'support' has none"], ['add \'train\'', 'comparative-zeroshot'], _json('evalonly.json', {**DEFS, 'eval': SPEC['eval']})),
    # attribute definitions
    Case('attribute files', 'a misspelt key in an attribute', 'sp-steer', STEER + ['--attributes', '<tmp>/typo.json', '--target', 'empathy=1'], 2,
         ['typo.json', "attribute 'concision'", "['defintion']"], ["('definition' required)"],
         _json('typo.json', {**DEFS, 'attributes': {**DEFS['attributes'], 'concision': {'defintion': 'how short'}}})),
    Case('attribute files', 'an attribute name with a space', 'sp-steer', STEER + ['--attributes', '<tmp>/space.json', '--target', 'empathy=1'], 2,
         ["'harm reduction'"], ['start with a letter'], _json('space.json', {'levels': [0, 1], 'attributes': {'harm reduction': 'd'}})),
    Case('attribute files', 'level phrases that miss a level', 'sp-steer', STEER + ['--attributes', '<tmp>/phrases.json', '--target', 'empathy=1'], 2,
         ['phrases.json', '[0.5]'], ['give one for every level'],
         _json('phrases.json', {**DEFS, 'level_phrases': {'0': 'no {a}', '1': 'full {a}'}})),
    Case('attribute files', 'definitions without levels', 'sp-steer', STEER + ['--attributes', '<tmp>/nolevels.json', '--target', 'empathy=1'], 2,
         ['nolevels.json', "no 'levels'"], ['e.g. [0, 0.5, 1]'], _json('nolevels.json', {'attributes': DEFS['attributes']})),
    Case('attribute files', 'an attribute file that does not exist', 'sp-steer', STEER + ['--attributes', 'mine.json', '--target', 'empathy=1'], 2,
         ['mine.json'], ['check the path']),
    Case('attribute files', 'definitions only, with the default few-shot method', 'sp-steer',
         STEER + ['--attributes', '<tmp>/defs.json', '--target', 'empathy=1'], 2, ['comparative-fewshot', 'few-shot pool'],
         ['use comparative-zeroshot'], _json('defs.json', DEFS)),
    # MIC.csv
    Case('MIC.csv', 'MIC.csv not there', 'python -m steerable_pluralism.curation', ['mic', '<tmp>/MIC.csv', '--out', '<tmp>/mic'], 2,
         ['MIC.csv not found'], ['data-use agreement']),
    Case('MIC.csv', 'a broken moral-vector', 'python -m steerable_pluralism.curation', ['mic', '<tmp>/mv.csv', '--out', '<tmp>/mic'], 2,
         ["row 3", "column 'moral-vector'", "'[0, 1, 0'"], ['e.g.'], _mic('mv.csv', 2, 'moral-vector', '[0, 1, 0')),
    Case('MIC.csv', 'an A_agrees that is not 0, 1 or 2', 'python -m steerable_pluralism.curation', ['mic', '<tmp>/agree.csv', '--out', '<tmp>/mic'], 2,
         ['row 4', "column 'A_agrees'", "'yes'"], ['0, 1 or 2'], _mic('agree.csv', 3, 'A_agrees', 'yes')),
    Case('MIC.csv', 'an empty answer', 'python -m steerable_pluralism.curation', ['mic', '<tmp>/answer.csv', '--out', '<tmp>/mic'], 2,
         ['row 4', "column 'A'"], ['empty answer'], _mic('answer.csv', 3, 'A', '')),
    Case('MIC.csv', 'another CSV file', 'python -m steerable_pluralism.curation', ['mic', '<tmp>/other.csv', '--out', '<tmp>/mic'], 2,
         ['other.csv', "['Q', 'A', 'rot', 'moral-vector', 'A_agrees']"], ['is this MIC.csv?'], _write('other.csv', 'question,answer\nq,a\n')),
    Case('MIC.csv', 'a file that is not CSV text', 'python -m steerable_pluralism.curation', ['mic', '<tmp>/binary.csv', '--out', '<tmp>/mic'], 2,
         ['binary.csv', 'not UTF-8 text'], ['is this MIC.csv'], lambda tmp: (tmp/'binary.csv').write_bytes(b'Q,A\n\xff\xfe\x00,\x81\n')),
    # backbones and servers
    Case('backbones', 'a GGUF file that is not there', 'sp-run', ['--backbone', 'llamacpp:/models/nope.gguf', '--method', 'comparative-zeroshot'], 2,
         ['/models/nope.gguf'], ["pass 'llamacpp:/path/to/model.gguf'"]),
    Case('backbones', 'a Hugging Face model not on this machine', 'sp-run', ['--backbone', 'no-such-org/no-such-model', '--method', 'comparative-zeroshot'], 2,
         ["'no-such-org/no-such-model'", 'not available offline'], ['local-dir']),
    Case('backbones', 'a server URL without http://', 'sp-run', ['--backbone', 'openai:localhost:8000/v1', '--method', 'comparative-zeroshot'], 2,
         ["'localhost:8000/v1/models'"], ["use 'openai:http://HOST:PORT/v1'"]),
    Case('backbones', 'a server that is not running', 'sp-run', ['--backbone', 'openai:http://127.0.0.1:9/v1', '--method', 'comparative-zeroshot'], 2,
         ['http://127.0.0.1:9/v1/models', 'after 4 attempts'], ['Is the server running']),
    Case('backbones', 'a server that stops answering during the run', 'sp-run',
         ['--backbone', BUSY_URL, '--method', 'unaligned', '--limit', '1', '--store', '<tmp>/busy.sqlite', '--quiet'], 3,
         ['unaligned: 1 unit not computed', '503'], ['run the same command again'],
         shown=['--backbone', 'openai:http://127.0.0.1:PORT/v1', '--method', 'unaligned', '--limit', '1', '--store', '<tmp>/busy.sqlite', '--quiet']),
    # methods and sizes
    Case('methods', 'an unknown method', 'sp-run', ['--method', 'comparative-fewshots'], 2, ["'comparative-fewshots'"], ['choose one of'],
         process=True),   # a process of its own: the methods it lists are the package's, not those tests register
    Case('methods', 'prompt-aligned on all 3,124 HelpSteer2 targets (100 scenarios)', 'sp-run', ['--method', 'prompt-aligned', '--targets', 'all', '--limit', '100', '--store', '<tmp>/pa.sqlite'], 2,
         ['312,400 LLM calls', '3,124 targets'], ['--max-calls 312400', '--targets sampled']),
    Case('methods', 'zero scenarios', 'sp-run', ['--limit', '0'], 2, ['--limit', 'got 0'], ['at least 1']),
    # stores and killed runs
    Case('stores and killed runs', 'a run killed part-way, then the same command', 'sp-run',
         ['--method', 'oracle', '--limit', '3', '--store', '<tmp>/killed.sqlite', '--no-eval', '--quiet'], 0,
         ['15 units', '9 already stored', '6 computed'], ['computed'], _killed),
    Case('stores and killed runs', 'failed units, run again with --retry-failed', 'sp-run',
         ['--method', 'oracle', '--limit', '3', '--store', '<tmp>/failed.sqlite', '--no-eval', '--quiet', '--retry-failed'], 0,
         ['1 failed ones retried', '1 computed'], ['0 failed'], _failed),
    Case('stores and killed runs', 'a store file that is not a store', 'sp-run', ['--method', 'oracle', '--store', '<tmp>/notes.sqlite'], 2,
         ['notes.sqlite', 'is not a prediction store'], ['pass a new file name'], _write('notes.sqlite', 'my notes\n')),
    Case('stores and killed runs', 'a run name the store does not have', 'sp-store', ['eval', '<tmp>/killed2.sqlite', 'comparative-fewshot'], 2,
         ["no run called 'comparative-fewshot'"], ['oracle'],
         lambda tmp: _call('sp-run', ['--method', 'oracle', '--limit', '2', '--store', str(tmp/'killed2.sqlite'), '--no-eval', '--quiet'])),
    # grid files
    Case('grid files', 'a grid file that does not exist', 'sp-reproduce', ['grids/nope.yaml'], 2, ['grids/nope.yaml'], ['grids/quick.yaml']),
    Case('grid files', 'an unknown parameter in a grid', 'sp-reproduce', ['<tmp>/grid.yaml'], 2, ["runs[0]", "['methodz']"], ['valid ones are'],
         _write('grid.yaml', 'runs:\n  - backbone: smollm2\n    methodz: [oracle]\n')),
    Case('grid files', 'an unknown decoding in a grid', 'sp-reproduce', ['<tmp>/dec.yaml'], 2, ["runs[0]", "'fast'"], ["('greedy', 'sampling')"],
         _write('dec.yaml', 'runs:\n  - decoding: fast\n')),
    Case('grid files', 'a grid without runs', 'sp-reproduce', ['<tmp>/empty.yaml'], 2, ['empty.yaml'], ['needs a `runs:` list'],
         _write('empty.yaml', 'defaults:\n  limit: 2\n')),
]


def _process(cli, argv):
    "Run `sp-run`/`sp-steer` as `python -m steerable_pluralism.experiment run|steer` in a process of its own."
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]), 'STEERABLE_PLURALISM_METHODS': ''}
    p = subprocess.run([sys.executable, '-m', 'steerable_pluralism.experiment', cli.removeprefix('sp-'), *argv],
                       capture_output=True, text=True, env=env, timeout=600)
    return p.returncode, p.stdout, p.stderr

def _call(cli, argv):
    "Run a command's entry function in this process: (exit status, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: code = CLIS[cli](argv)
        except SystemExit as e: code = e.code if isinstance(e.code, int) else 1
        except Exception: code = 1; traceback.print_exc()
    return code, out.getvalue(), err.getvalue()

def _answer(code, out, err) -> str:
    "What the user reads: the error line(s) on stderr, or the progress line of a run that went on."
    lines = [l for l in err.splitlines() if ('error' in l or 'incomplete' in l) and not l.startswith(('usage:', '  '))]
    if not lines and code == 0: lines = [l for l in out.splitlines() if ' units, ' in l]
    return ' '.join(lines).strip()

def _clean(text: str, tmp: Path) -> str:
    for p, name in ((str(tmp.resolve()), '<tmp>'), (str(tmp), '<tmp>'), (str(ROOT), '.')): text = text.replace(p, name)
    return text.replace(f'127.0.0.1:{BUSY.server_port}', '127.0.0.1:PORT')

def _row(i, c, tmp, code, answer) -> str:
    shown = ' '.join(a if a and ' ' not in a else json.dumps(a) for a in (c.shown or c.argv))
    cell = lambda s: _clean(s, tmp).replace('|', '\\|').replace('\n', ' ')
    return f"| {i} | {c.what} | `{c.cli} {cell(shown)}` | {code} | {cell(answer)} |"


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('bad')
    old = Path.cwd(); os.chdir(tmp)           # relative paths in the messages start from the scratch folder
    try:
        rows = []
        for c in CASES:
            if c.setup: c.setup(tmp)
            argv = [a.replace('<tmp>', str(tmp)) for a in c.argv]
            t0 = time.perf_counter(); code, out, err = (_process if c.process else _call)(c.cli, argv)
            if os.environ.get('BAD_INPUTS_TIMES'): print(f"{time.perf_counter() - t0:6.1f} s  {c.what}")
            rows.append((c, code, out, err, _answer(code, out, err)))
        return tmp, rows
    finally: os.chdir(old)


def test_at_least_twenty_kinds_of_bad_input():
    assert len(CASES) >= 20 and len({c.group for c in CASES}) >= 7


@pytest.mark.parametrize('i', range(len(CASES)), ids=[c.what for c in CASES])
def test_the_answer_is_clear(results, i):
    c, code, out, err, answer = results[1][i]
    assert code == c.code, f"{c.what}: exit {code}, expected {c.code}\n{out}\n{err}"
    assert 'Traceback' not in out + err, f"{c.what}: a traceback for bad input\n{err}"
    assert answer, f"{c.what}: no message\n{out}\n{err}"
    for n in c.names: assert n in answer, f"{c.what}: the message does not name {n!r}: {answer}"
    assert any(f in answer for f in c.fix), f"{c.what}: the message does not say what to do ({c.fix}): {answer}"


def test_the_committed_table_is_up_to_date(results):
    tmp, rows = results
    lines = ["# What bad input gets", "",
             "Generated by `tests/test_bad_inputs.py`, which tries each input through the command's entry point and fails "
             "when an answer is unclear (a traceback, no name of the input, no fix) or when this file is out of date "
             "(`UPDATE_BAD_INPUTS=1 python -m pytest tests/test_bad_inputs.py` rewrites it). Exit status: 0 done, "
             "1 internal error (a bug: traceback kept), 2 bad input, 3 incomplete (a transient error: run the same "
             "command again), 4 sp-steer without a valid choice.", ""]
    group = None
    for i, (c, code, out, err, answer) in enumerate(rows, 1):
        if c.group != group:
            group = c.group
            lines += ["", f"## {group}", "", "| # | input | command | exit | what the user gets |", "|---|---|---|---|---|"]
        lines.append(_row(i, c, tmp, code, answer))
    text = '\n'.join(lines) + '\n'
    if os.environ.get('UPDATE_BAD_INPUTS'): TABLE.write_text(text)
    assert TABLE.exists() and TABLE.read_text() == text, \
        "docs/bad_inputs.md is out of date: rewrite it with UPDATE_BAD_INPUTS=1 python -m pytest tests/test_bad_inputs.py"
