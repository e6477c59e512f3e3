#!/usr/bin/env bash
# Every test: (1) exported modules match the notebooks, (2) the notebooks' inline tests, (3) pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONHASHSEED=0
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
echo "== 1/3 exported modules match the notebooks"
bash tools/check_export.sh
echo "== 2/3 notebook tests (nbdev_test)"
nbdev_test --n_workers "${NB_WORKERS:-2}" --timing
echo "== 3/3 pytest"
if ls tests/test_*.py >/dev/null 2>&1; then python -m pytest -q tests "$@"; else echo "no tests/ yet"; fi
