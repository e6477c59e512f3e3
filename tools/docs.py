"""Build the documentation site offline: `python tools/docs.py` (what `make docs` runs).

1. Every notebook in nbs/ (index.ipynb first, as the front page) goes through nbdev's own notebook processors
   (`nbdev.processors.FilterDefaults`, what `nbdev_proc_nbs` runs before Quarto): `#| hide` cells dropped,
   `show_doc` cells (and the ones nbdev adds for every exported definition left without one) executed and rendered,
   directives removed, backticked names linked to their page. Two changes to nbdev's list: exported cells are kept and
   shown as their source (folded under the `show_doc` of what they define) instead of removed (`rm_export` skipped),
   and only exported cells, `show_doc` cells and cells of imports alone are executed (nbdev also runs any test cell that
   imports something, which then fails on names that earlier, unexecuted test cells define); cells flagged `#| slow` or
   `#| notest` (tst_flags) never run. No other cell runs: the site shows the notebooks' prose, code and tests as written, without outputs.
2. Each processed notebook becomes one Markdown page (`_docs_md/<name>.md`, the notebook's name without its number,
   the page name nbdev's `_modidx.py` links to), then MkDocs renders the site into `_docs/` (settings.ini `doc_path`).

Why MkDocs: nbdev's `nbdev_docs` renders through Quarto, which cannot be installed offline (`quarto-cli` on PyPI
downloads its binary while it builds); MkDocs is pure Python, renders Markdown (with nbdev's show_doc tables) into a
static site with search and navigation, and `--strict` turns every warning (a link to a missing page) into a failure.

Exit status: 0 when the site was built; 1 when a notebook could not be processed (its error printed) or MkDocs
failed. `--only NAME ...` processes only these notebooks (names as in nbs/, without .ipynb) and skips MkDocs.
"""
import argparse, ast, os, re, shutil, subprocess, sys, time, traceback, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, MD, SITE = ROOT / 'nbs', ROOT / '_docs_md', ROOT / '_docs'
SKIP_FLAGS = ('slow', 'notest')


def page_name(nb: Path) -> str:
    "The page a notebook becomes: its name without the number prefix (as nbdev names doc pages)."
    return re.sub(r'^\d+[a-z]?_', '', nb.stem)


def notebooks() -> list[Path]:
    nbs = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return sorted(nbs, key=lambda p: p.stem != 'index')


def _patch_fastcore():
    """fastcore's signature renderer compares a default with `!=` (`default != empty`): a DataFrame default
    (`figures.backbone_table(paper=PAPER_NUMBERS)`) makes show_doc raise. Compare by identity (fastcore 1.12), and name a default
    whose repr is long by its type."""
    from inspect import Parameter
    from fastcore import docments as D
    def _fmt_param(self, nm, p):
        anno, default, kind = p.get('anno', D.empty), p.get('default', D.empty), p.get('kind')
        pre = '*' if kind == Parameter.VAR_POSITIONAL else '**' if kind == Parameter.VAR_KEYWORD else ''
        dflt = '' if default is D.empty else D._fmt_default(default)
        if len(dflt) > 60: dflt = f'<{type(default).__name__}>'
        return pre + nm + (f':{D._maybe_nm(anno)}' if anno is not D.empty else '') + (f'={dflt}' if default is not D.empty else '')
    D.DocmentText._fmt_param = _fmt_param
    def _get_full(p, docs, eval_str=False):
        anno = p.annotation
        if anno is D.empty:
            if p.default is not D.empty: anno = type(p.default)
            elif eval_str: anno = None
        return D.AttrDict(docment=docs.get(p.name), anno=anno, default=p.default, kind=p.kind)
    D._get_full = _get_full


def _processors():
    _patch_fastcore()
    from nbdev.processors import FilterDefaults, rm_export, exec_show_docs

    def only_defs(cell):
        """Run only what show_doc needs: exported cells, show_doc cells and cells of imports alone. nbdev would also run
        a test cell that happens to import something (and then fails on the names earlier test cells made)."""
        if cell.cell_type != 'code' or not cell.source: return
        if cell.directives_ is None: cell.directives_ = {}
        d = cell.directives_
        flagged = any(f in d for f in SKIP_FLAGS)
        trees = cell.parsed_() or []
        needed = ({'export', 'exports', 'exporti', 'exec_doc'} & set(d)) or all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees) \
                 or all(isinstance(t, ast.Expr) and getattr(getattr(t.value, 'func', None), 'id', None) == 'show_doc' for t in trees)
        if flagged or not needed: d['eval:'] = ['false']

    class Procs(FilterDefaults):
        def base_procs(self):
            ps = [p for p in super().base_procs() if p is not rm_export]
            return ps[:ps.index(exec_show_docs)] + [only_defs] + ps[ps.index(exec_show_docs):]
    return Procs()


def _strip_directives(src: str) -> tuple[dict, str]:
    "nbdev/Quarto `#| key: value` lines at the top of a cell → (directives, the rest)."
    d, lines = {}, src.splitlines()
    while lines and re.match(r'^\s*#\|', lines[0]):
        m = re.match(r'^\s*#\|\s*([\w-]+):?\s*(.*)$', lines.pop(0))
        if m: d[m.group(1)] = m.group(2).strip()
    return d, '\n'.join(lines).strip('\n')


def _anchor(m) -> str:
    "A show_doc heading gets the anchor nbdev links to (`#method.key`: the name, lower case, dots kept)."
    return f"{m.group(1)} {m.group(2)} {{ #{m.group(2).lower()} }}"


def _outputs(cell) -> list[str]:
    out = []
    for o in cell.get('outputs', []):
        data = o.get('data', {})
        if 'text/markdown' in data:
            out.append(re.sub(r'^(#{2,4}) ([\w.]+)\s*$', _anchor, ''.join(data['text/markdown']), flags=re.M))
        elif 'text/html' in data: out.append(''.join(data['text/html']))
        elif o.get('output_type') == 'stream' or 'text/plain' in data:
            txt = ''.join(o.get('text', data.get('text/plain', '')))
            if txt.strip(): out.append(f"```text\n{txt.rstrip()}\n```")
    return out


def _is_exported(c) -> bool: return bool({'export', 'exports'} & set(getattr(c, 'directives_', None) or {}))
def _is_auto_doc(c) -> bool: return getattr(c, 'has_sd', False)
def _is_show_doc(c) -> bool: return c.cell_type == 'code' and bool(re.match(r'(\s*#\|.*\n)*\s*show_doc\(', c.source))


def to_markdown(nb, doc_host: str, head: str | None = None) -> str:
    "A processed notebook as one Markdown page (`head`: the notebook's own title cell, in place of the front matter)."
    import yaml
    from readme import headings, nest    # tools/readme.py: an included file nests under the section that includes it
    parts, cells, i, level = [], list(nb.cells), 0, 0
    while i < len(cells):
        c = cells[i]; i += 1
        src = c.source if isinstance(c.source, str) else ''.join(c.source)
        if c.cell_type == 'raw':        # nbdev's front matter: title and (the first line of the) description
            m = re.match(r'^---\n(.*?)\n---', src, re.S)
            fm = yaml.safe_load(m.group(1)) if m else {}
            if head: parts.append(head)
            else: parts += [f"# {fm['title']}"] * bool(fm.get('title')) + [f"> {fm['description']}"] * bool(fm.get('description'))
            continue
        if c.cell_type == 'markdown':
            parts.append(src.strip('\n'))
            level = ([l for _, l in headings(src)] or [level])[-1]
            continue
        d, body = _strip_directives(src)
        inc = ' '.join((getattr(c, 'directives_', None) or {}).get('include:', []))
        if inc and inc != 'false':      # `#| include: PATH`: the committed file's text, as in tools/readme.py
            f = ROOT / inc
            if f.exists():
                text = f.read_text().strip('\n')
                parts.append(nest(text, level) if level else text)
            else:
                parts.append(f'!!! note "Not generated yet"\n    `{inc}` is written by the batch (`make reproduce`).')
                print(f"docs: {inc} does not exist yet: the page says so", file=sys.stderr)
            continue
        if _is_exported(c):             # the show_doc of what it defines first, then its source, folded
            docs = []     # the show_doc cells right under it: written ones in order, the ones nbdev added reversed
            while i < len(cells) and (_is_auto_doc(cells[i]) or _is_show_doc(cells[i])):
                if _is_auto_doc(cells[i]): docs.insert(len(docs) - sum(not _is_auto_doc(d) for d in docs), cells[i])
                else: docs.append(cells[i])
                i += 1
            for sd in docs: parts += _outputs(sd)
            if body: parts.append(f'<details class="exported" markdown="1"><summary>Exported source</summary>\n\n```python\n{body}\n```\n\n</details>')
            continue
        if body and d.get('echo') != 'false' and d.get('include') != 'false': parts.append(f"```python\n{body}\n```")
        if d.get('output') != 'false': parts += _outputs(c)
    text = '\n\n'.join(p for p in parts if p.strip()) + '\n'
    text = re.sub(r'\]\((?:\.\./)?nbs/(?:\d+[a-z]?_)?([\w-]+)\.ipynb', r'](\1.md', text)   # a notebook → its page
    # nbdev links names to `doc_host/page.html#name`: the site is offline, so the links are relative
    return re.sub(re.escape(doc_host.rstrip('/')) + r'/([\w.-]+)\.html', r'\1.md', text)


def process(nb_path: Path, doc_host: str) -> str:
    from execnb.nbio import read_nb
    nb = read_nb(nb_path)
    first = nb.cells[0] if nb.cells else None
    head = first.source if first is not None and first.cell_type == 'markdown' and first.source.startswith('# ') else None
    os.environ['IN_TEST'] = '1'       # what nbdev's own processing sets (notebooks skip interactive parts)
    cwd = os.getcwd(); os.chdir(nb_path.parent)   # cells run from nbs/, as under nbdev_test
    try: _processors()(nb)
    finally: os.chdir(cwd); os.environ.pop('IN_TEST', None)
    return to_markdown(nb, doc_host, head)


def mkdocs_config(pages: list[tuple[str, str]]) -> str:
    from nbdev.config import get_config
    cfg = get_config()
    nav = '\n'.join(f"  - '{title}': {name}.md" for name, title in pages)
    return f"""# written by tools/docs.py (make docs); edit that script, not this file
site_name: {cfg.title}
site_description: "{cfg.description}"
docs_dir: {MD}
site_dir: {SITE}
use_directory_urls: false
theme:
  name: mkdocs
  navigation_depth: 3
  highlightjs: false        # highlight.js comes from a CDN: Pygments highlights at build time instead (offline)
extra_css:
  - css/pygments.css
markdown_extensions:
  - codehilite:
      guess_lang: false
  - toc:
      permalink: true
  - tables
  - fenced_code
  - md_in_html
  - attr_list
  - admonition
validation:
  nav:
    omitted_files: info
  links:
    not_found: warn
    anchors: info
    unrecognized_links: info
nav:
{nav}
"""


def main(argv=None) -> int:
    warnings.filterwarnings('ignore', message='Found cells containing imports')   # nbdev's advice on cell layout
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--only', nargs='*', help="process only these notebooks (no site)")
    a = ap.parse_args(argv)
    from nbdev.config import get_config
    doc_host = get_config().doc_host
    nbs = [p for p in notebooks() if not a.only or p.stem in a.only]
    if a.only is None:
        shutil.rmtree(MD, ignore_errors=True)
    MD.mkdir(exist_ok=True)
    pages, failed = [], []
    for p in nbs:
        t = time.time()
        try: text = process(p, doc_host)
        except Exception:
            failed.append(p.name); print(f"FAILED {p.name}:\n{traceback.format_exc()}", file=sys.stderr); continue
        name = page_name(p)
        (MD / f"{name}.md").write_text(text)
        title = next((l[2:] for l in text.splitlines() if l.startswith('# ')), name)
        pages.append((name, 'Home' if name == 'index' else title))
        print(f"{p.name} → _docs_md/{name}.md ({time.time() - t:.1f}s)", flush=True)
    if failed:
        print(f"docs: {len(failed)} notebook(s) could not be processed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if a.only is not None: return 0
    for folder in ('docs', 'figures'):     # pages link to the committed docs and figures: they are part of the site
        if (ROOT / folder).exists(): shutil.copytree(ROOT / folder, MD / folder, dirs_exist_ok=True)
    from pygments.formatters import HtmlFormatter
    (MD / 'css').mkdir(exist_ok=True)
    (MD / 'css' / 'pygments.css').write_text(HtmlFormatter(style='default').get_style_defs('.codehilite'))
    cfg = ROOT / '_docs_md.mkdocs.yml'
    cfg.write_text(mkdocs_config(pages))
    r = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '--clean', '-q', '-f', str(cfg)])
    if r.returncode:
        print("docs: MkDocs failed (see its warnings above)", file=sys.stderr)
        return 1
    print(f"docs: {len(pages)} pages in {SITE.relative_to(ROOT)}/ (open {SITE.relative_to(ROOT)}/index.html)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
