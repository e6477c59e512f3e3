"""Write README.md from nbs/index.ipynb (nbdev's `readme_nb`), with every generated table pulled in from the file the
batch wrote: no number in the README is typed by hand.

- a markdown cell is copied as it is;
- a code cell whose first line is `#| include: PATH` (PATH relative to the repository root) becomes the text of that
  committed file (a Markdown table under figures/, a command's output under docs/ ...), a missing file is an error;
  when the file opens with a title (a heading line) and the README has a section open, the file's title gives way
  to the section's heading and its other headings are nested one level below that heading (see `nest`);
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


FENCE = re.compile(r'^\s*(```|~~~)')
HEADING = re.compile(r'^(#{1,6})\s+\S')


def headings(text: str):
    "(line number, level) of each Markdown heading of `text`, outside fenced code blocks (a bash comment is no heading)."
    fenced = False
    for i, line in enumerate(text.splitlines()):
        if FENCE.match(line): fenced = not fenced
        elif not fenced and (m := HEADING.match(line)): yield i, len(m.group(1))


def nest(text: str, level: int) -> str:
    """An included file's text under a README section of heading `level`: its opening title is dropped (the section's
    heading stands for it) and its other headings are shifted so the highest sits at `level + 1`."""
    lines, found = text.splitlines(), list(headings(text))
    if not found or found[0][0] != 0: return text
    rest = found[1:]
    shift = level + 1 - min(l for _, l in rest) if rest else 0
    for i, l in rest: lines[i] = '#' * min(l + shift, 6) + lines[i][l:]
    return '\n'.join(lines[1:]).strip('\n')


def render(nb_path: Path = ROOT / 'nbs' / 'index.ipynb') -> str:
    "The README text of the notebook at `nb_path`."
    nb = json.loads(nb_path.read_text())
    parts, level = [], 0          # level: the heading level of the README section open so far (0: none)
    for c in nb['cells']:
        src = ''.join(c['source']).strip('\n')
        if c['cell_type'] == 'markdown':
            parts.append(src)
            level = ([l for _, l in headings(src)] or [level])[-1]
        elif c['cell_type'] == 'code':
            f = flags(src)
            if 'include' in f:
                path = ROOT / f['include']
                if not path.exists():
                    raise SystemExit(f"{nb_path.name}: `#| include: {f['include']}` names a file that does not exist: "
                                     "run the batch that writes it (make reproduce) or fix the path")
                text = path.read_text().strip('\n')
                parts.append(nest(text, level) if level else text)
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
