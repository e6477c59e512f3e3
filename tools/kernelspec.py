"""Every notebook names the project's kernel (the venv's, installed by `make setup` as `steerable-pluralism`), so
JupyterLab opens it on that kernel without asking. `python tools/kernelspec.py` writes it into every notebook under
nbs/ that lacks it; `--check` lists those that lack it and exits 1. nbdev_clean keeps the kernelspec (it sets
`display_name` to `name`, as here).
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {'display_name': 'steerable-pluralism', 'language': 'python', 'name': 'steerable-pluralism'}


def notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / 'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)


def lacking() -> list[Path]:
    return [p for p in notebooks() if json.loads(p.read_text()).get('metadata', {}).get('kernelspec') != KERNELSPEC]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    bad = lacking()
    if '--check' in argv:
        for p in bad: print(f"{p.relative_to(ROOT)} does not name the kernel {KERNELSPEC['name']!r}: run python tools/kernelspec.py")
        return int(bool(bad))
    for p in bad:
        nb = json.loads(p.read_text())
        nb.setdefault('metadata', {})['kernelspec'] = dict(KERNELSPEC)
        p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
        print(f"kernelspec written into {p.relative_to(ROOT)}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
