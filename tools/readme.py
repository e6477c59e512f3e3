"""Write README.md from nbs/index.ipynb (nbdev's `readme_nb`), with every generated table pulled in from the file the
batch wrote: no number in the README is typed by hand.

- a markdown cell is copied as it is;
- a code cell whose first line is `#| include: PATH` (PATH relative to the repository root) becomes the text of that
  committed file (a Markdown table under figures/, a command's output under docs/ ...), a missing file is an error;
- a code cell flagged `#| hide` or `#| echo: false` is left out; any other code cell is shown as a Python block.

nbdev's own `nbdev_readme` renders through Quarto, which cannot be installed here (the `quarto-cli` package on PyPI
is a source distribution that downloads the Quarto binary from GitHub while it builds); this script needs nothing.

Usage: `python tools/readme.py` (write README.md) or `python tools/readme.py --check` (exit 1 if README.md is stale).
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = "<!-- README.md is generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n"


def flags(src: str) -> dict:
    "nbdev-style `#| key: value` directives at the top of a cell."
    out = {}
    for line in src.splitlines():
        m = re.match(r'#\|\s*([\w-]+)\s*:?\s*(.*)$', line.strip())
        if not m: break
        out[m.group(1)] = m.group(2).strip()
    return out


def render(nb_path: Path = ROOT / 'nbs' / 'index.ipynb') -> str:
    "The README text of the notebook at `nb_path`."
    nb = json.loads(nb_path.read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip('\n')
        if c['cell_type'] == 'markdown':
            parts.append(src)
        elif c['cell_type'] == 'code':
            f = flags(src)
            if 'include' in f:
                path = ROOT / f['include']
                if not path.exists():
                    raise SystemExit(f"{nb_path.name}: `#| include: {f['include']}` names a file that does not exist: "
                                     "run the batch that writes it (make reproduce) or fix the path")
                parts.append(path.read_text().strip('\n'))
            elif 'hide' in f or f.get('echo') == 'false' or 'default_exp' in f:
                continue
            else:
                body = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
                if body.strip(): parts.append(f"```python\n{body}\n```")
    return HEADER + '\n\n'.join(p for p in parts if p) + '\n'


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text, readme = render(), ROOT / 'README.md'
    if '--check' in argv:
        if not readme.exists() or readme.read_text() != text:
            print("README.md is not what nbs/index.ipynb and the committed tables give: run `python tools/readme.py`",
                  file=sys.stderr)
            return 1
        print("README.md is up to date")
        return 0
    readme.write_text(text)
    print(f"wrote {readme} ({len(text.splitlines())} lines)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
