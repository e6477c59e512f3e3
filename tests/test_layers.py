"""Lower layers never import higher ones (docs/ARCHITECTURE.md, "Layers").

Reads every exported module's imports with `ast`, at module level AND inside functions and methods, and fails on an
import of a module that stands higher in `LAYERS`. A new module must be given its place in `LAYERS`.
"""
import ast, sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / 'steerable_pluralism'

# lowest first: a module may import only modules to its left (and the package root, which holds only `__version__`)
LAYERS = ['benchmark', 'curation', 'methods', 'targets', 'alignment', 'stats', 'backends', 'retrieval', 'prompts',
          'regression', 'regressors', 'baselines', 'store', 'experiment', 'figures', 'reproduce', 'pluralism',
          'explorer']

# (importer, imported): upward imports tolerated, each with the reason it cannot be avoided. Keep this empty if you can.
ALLOWED: dict[tuple[str, str], str] = {}


def _modules() -> list[str]:
    return sorted(p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_'))


def package_imports(module: str) -> list[tuple[str, int, str]]:
    "(imported module, line, where) for every import of a package module in `module`, at any depth."
    tree = ast.parse((PKG / f'{module}.py').read_text())
    out = []

    def visit(node, where):
        for ch in ast.iter_child_nodes(node):
            w = f"{where}.{ch.name}" if isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else where
            names = []
            if isinstance(ch, ast.ImportFrom):
                if ch.level:   # relative: `from .x import y` or `from . import x`
                    names = [ch.module] if ch.module else [a.name for a in ch.names]
                elif ch.module and ch.module.startswith('steerable_pluralism.'):
                    names = [ch.module.split('.')[1]]
                elif ch.module == 'steerable_pluralism':
                    names = [a.name for a in ch.names if (PKG / f'{a.name}.py').exists()]
            elif isinstance(ch, ast.Import):
                names = [a.name.split('.')[1] for a in ch.names if a.name.startswith('steerable_pluralism.')]
            elif (isinstance(ch, ast.Call) and getattr(ch.func, 'attr', getattr(ch.func, 'id', None)) == 'import_module'
                  and ch.args and isinstance(ch.args[0], ast.Constant) and isinstance(ch.args[0].value, str)
                  and ch.args[0].value.startswith('steerable_pluralism.')):
                names = [ch.args[0].value.split('.')[1]]
            out.extend((n, ch.lineno, w or '<module>') for n in names)
            visit(ch, w)

    visit(tree, '')
    return out


def test_every_module_has_a_layer():
    missing = [m for m in _modules() if m not in LAYERS]
    assert not missing, f"modules with no place in LAYERS (tests/test_layers.py and docs/ARCHITECTURE.md): {missing}"
    assert len(set(LAYERS)) == len(LAYERS)


@pytest.mark.parametrize('module', _modules())
def test_no_upward_import(module):
    rank = {m: i for i, m in enumerate(LAYERS)}
    bad = [f"{module}.py:{line} ({where}) imports {imp}" for imp, line, where in package_imports(module)
           if imp in rank and rank[imp] >= rank[module] and (module, imp) not in ALLOWED and imp != module]
    assert not bad, ("upward imports (a lower layer importing a higher one; move the shared code down, "
                     "see docs/ARCHITECTURE.md):\n" + '\n'.join(bad))


def test_method_modules_are_below_experiment():
    "experiment imports the method-registering modules by name (METHOD_MODULES, through importlib): all lower."
    from steerable_pluralism.experiment import METHOD_MODULES
    assert all(LAYERS.index(m) < LAYERS.index('experiment') for m in METHOD_MODULES), METHOD_MODULES


def test_the_reader_sees_upward_imports(tmp_path, monkeypatch):
    "The checker itself: an upward import inside a method body is found, a downward one is not."
    (tmp_path / 'methods.py').write_text("import os\nclass M:\n    def f(self):\n        from .figures import x\n"
                                         "        from steerable_pluralism.benchmark import y\n")
    monkeypatch.setattr(sys.modules[__name__], "PKG", tmp_path)
    got = package_imports('methods')
    assert got == [('figures', 4, '.M.f'), ('benchmark', 5, '.M.f')]
