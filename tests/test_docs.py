"""README.md is generated from nbs/index.ipynb (tools/readme.py), and every notebook names the project's kernel."""
import json, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import kernelspec, readme  # noqa: E402

# Notebooks the lead is editing in this session: they get the kernelspec with `python tools/kernelspec.py` after the
# merge; then this set is emptied. Nothing else may lack it.
PENDING_KERNELSPEC: set = set()


def included_files() -> list[str]:
    "The files nbs/index.ipynb pulls in with `#| include: PATH`."
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())
    return [readme.flags(''.join(c['source']))['include'] for c in nb['cells']
            if c['cell_type'] == 'code' and 'include' in readme.flags(''.join(c['source']))]


def test_readme_is_generated_from_index():
    missing = [f for f in included_files() if not (ROOT / f).exists()]
    if missing:   # written by batches (make reproduce, benchmarks) that have not landed yet
        pytest.skip(f"README check skipped: nbs/index.ipynb includes files that do not exist yet: {', '.join(missing)}")
    r = subprocess.run([sys.executable, 'tools/readme.py', '--check'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + "\n(README.md differs from what nbs/index.ipynb gives: run python tools/readme.py)"


def test_readme_render_pulls_in_files(tmp_path, monkeypatch):
    "The renderer itself: markdown verbatim, an included file's text, hidden cells left out, a missing file refused."
    (tmp_path / 'table.md').write_text("| a |\n|---|\n| 1 |\n")
    cells = [{'cell_type': 'markdown', 'source': ['# Title\n', 'prose']},
             {'cell_type': 'code', 'source': ['#| include: table.md']},
             {'cell_type': 'code', 'source': ['#| hide\n', 'secret = 1']},
             {'cell_type': 'code', 'source': ['x = 1']}]
    nb = tmp_path / 'index.ipynb'; nb.write_text(json.dumps({'cells': cells}))
    monkeypatch.setattr(readme, 'ROOT', tmp_path)
    text = readme.render(nb)
    assert text == readme.HEADER + "# Title\nprose\n\n| a |\n|---|\n| 1 |\n\n```python\nx = 1\n```\n"
    cells[1]['source'] = ['#| include: nowhere.md']; nb.write_text(json.dumps({'cells': cells}))
    with pytest.raises(SystemExit, match='nowhere.md'): readme.render(nb)


def test_included_headings_nest_under_the_section(tmp_path, monkeypatch):
    "An included file's title gives way to the section that includes it; its subsections sit one level below; code is untouched."
    (tmp_path / 'grid.md').write_text("## Run the grid\n\n```bash\n# a comment\n```\n\n### One GPU\n\ntext\n")
    (tmp_path / 'bad.md').write_text("# What bad input gets\n\nintro\n\n## targets\n\n| a |\n")
    cells = [{'cell_type': 'markdown', 'source': ['## Run the grid']},
             {'cell_type': 'code', 'source': ['#| include: grid.md']},
             {'cell_type': 'markdown', 'source': ['## Bad input']},
             {'cell_type': 'code', 'source': ['#| include: bad.md']}]
    nb = tmp_path / 'index.ipynb'; nb.write_text(json.dumps({'cells': cells}))
    monkeypatch.setattr(readme, 'ROOT', tmp_path)
    assert readme.render(nb) == readme.HEADER + ("## Run the grid\n\n```bash\n# a comment\n```\n\n### One GPU\n\ntext\n\n"
                                                 "## Bad input\n\nintro\n\n### targets\n\n| a |\n")


def test_every_notebook_names_the_project_kernel():
    lacking = {p.stem for p in kernelspec.lacking()}
    assert lacking <= PENDING_KERNELSPEC, f"notebooks without the project's kernelspec: {sorted(lacking - PENDING_KERNELSPEC)}: run python tools/kernelspec.py"
