#!/usr/bin/env bash
# The GPU check of benchmarks/results/gpu_tests.log and bench_gpu.json, for a GPU machine that reaches no package index
# or model hub (the lent machines of this project; any offline CUDA node with PyTorch and transformers).
#   bash tools/gpu_check.sh prepare    # here, online: wheels the GPU machine lacks -> .whl/, SmolLM2's config and
#                                      # tokenizer from the embedded GGUF -> .gpu/smollm2-shape (about 9 MB together)
#   bash tools/gpu_check.sh run OUT    # there, in a copy of the repository with .whl/ and .gpu/: the backend, baseline
#                                      # and retrieval tests with every model on the GPU, then benchmarks/bench_gpu.py;
#                                      # logs and results into OUT
# Extra arguments after OUT go to bench_gpu.py (e.g. --shapes Llama-3.2-3B --batch 1 8).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
case "${1:-}" in
prepare)
    # Python 3.12 wheels of what the project imports and a CUDA image with torch/transformers usually lacks, at the
    # versions this checkout's .venv has (one version of each: two stop the install there)
    names="outlines outlines_core genson diskcache jsonschema jsonschema-specifications referencing rpds-py pydantic
           pydantic_core annotated-types typing-inspection fastcore bert-score typing_extensions"
    pkgs=$(.venv/bin/python -c 'import sys; from importlib.metadata import version as v
print(" ".join(f"{p}=={v(p)}" for p in sys.argv[1:]))' $names) || exit 1
    rm -rf .whl && mkdir -p .whl
    for p in $pkgs; do
        .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version "${GPU_PY:-3.12}" \
            --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
            --platform manylinux2014_x86_64 -d .whl "$p" || exit 1
    done
    HF_HUB_OFFLINE=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_gpu.py --write-shape-dir .gpu/smollm2-shape || exit 1
    du -sh .whl .gpu ;;
run)
    out=${2:?give the folder for logs and results: bash tools/gpu_check.sh run OUT}; shift 2
    mkdir -p "$out"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/gpu.txt" 2>&1
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        > "$out/pip.log" 2>&1 || { cat "$out/pip.log"; exit 3; }
    export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
    # deselected: what needs the SmolLM2 GGUF, llama-cpp-python or the MiniLM package (too large to carry)
    timeout "${TEST_TIMEOUT:-170}" $PY -m pytest -q -p no:cacheprovider -rfEs tests/test_backends.py \
        tests/test_baselines.py tests/test_retrieval.py -k "not smollm2 and not llamacpp and not llama_cpp and not real_minilm" \
        > "$out/pytest.log" 2>&1
    echo "pytest rc=$?" >> "$out/pytest.log"; tail -3 "$out/pytest.log"
    timeout "${BENCH_TIMEOUT:-330}" $PY benchmarks/bench_gpu.py --out "$out" "$@" > "$out/bench.log" 2>&1
    echo "bench rc=$?"; grep -v 'Writing\|Loading' "$out/bench.log" | tail -8 ;;
*)
    echo "usage: bash tools/gpu_check.sh prepare | run OUT [bench_gpu.py options]" >&2; exit 2 ;;
esac
