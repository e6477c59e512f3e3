#!/usr/bin/env bash
# Time the README's two commands as a new user runs them: a fresh clone of this repository's HEAD, `make reproduce`,
# then `make test` in it; write the result to docs/timings.md (in this checkout). Usage: bash tools/time_commands.sh [DIR]
# (DIR: where to clone, default a new temporary folder). pip's own cache is used as on any machine. NOTE='...' adds a
# sentence on the conditions (what else ran meanwhile) to the table's caption.
# The measurements are kept in DIR/steerable-pluralism/timings.env beside the two logs; `bash tools/time_commands.sh
# --write DIR` writes docs/timings.md again from them (e.g. after a change to this caption), measuring nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${1:-}" = "--write" ]; then
  dir="${2:?--write DIR: the folder a measurement cloned into}/steerable-pluralism"
  [ -f "$dir/timings.env" ] || { echo "$dir/timings.env: no measurement there (run without --write first)" >&2; exit 2; }
else
  dir="${1:-$(mktemp -d)}/steerable-pluralism"
  git clone -q "$root" "$dir"
  wheel_cached=$(python3 -m pip cache list 'llama_cpp_python*' 2>/dev/null | grep -c '\.whl' || true)   # before set-up
  run() {  # name, command: wall seconds into $secs, log into $dir/$name.log
    local t0=$(date +%s)
    if (cd "$dir" && bash -c "$2") > "$dir/$1.log" 2>&1; then status=passed; else status="FAILED (exit $?)"; fi
    secs=$(( $(date +%s) - t0 ))
  }
  run reproduce "make reproduce"; r_secs=$secs; r_status=$status
  run test "make test"; t_secs=$secs; t_status=$status
  { echo "commit=$(git -C "$dir" rev-parse --short HEAD)"; echo "day=$(date +%Y-%m-%d)"
    echo "r_secs=$r_secs"; echo "r_status='$r_status'"; echo "t_secs=$t_secs"; echo "t_status='$t_status'"
    echo "load='$(cut -d' ' -f1-3 /proc/loadavg)'"; echo "note='${NOTE:-}'"; echo "wheel_cached=$wheel_cached"; } > "$dir/timings.env"
fi
source "$dir/timings.env"
# the two sp-reproduce runs of `make reproduce` end with "N runs in S s: ..." (the redraw first, then the live grid)
mapfile -t runs_s < <(grep -oE '^[0-9]+ runs in [0-9]+ s' "$dir/reproduce.log" | grep -oE '[0-9]+ s$' | tr -d ' s')
passed=$(grep -oE '[0-9]+ passed' "$dir/test.log" | tail -1 || true)
if [ "${wheel_cached:-0}" -gt 0 ]; then
  wheel="pip's cache warm, so llama-cpp-python's wheel was not rebuilt (a cold cache first builds llama.cpp from source: several minutes more)"
else wheel="pip's cache cold, so set-up built llama.cpp from source"; fi
{
  echo "Measured $day on this project's machine ($(nproc) CPU cores, $(free -g | awk '/Mem:/{print $2}') GiB, no GPU, Python $(python3 -c 'import sys; print(sys.version.split()[0])')), from a fresh clone of commit $commit, $wheel (\`tools/time_commands.sh\`; load average at the end: $load).${note:+ $note}"
  echo
  echo "| command | wall time | result |"
  echo "|---|---|---|"
  printf '| `make reproduce` (set-up, redraw the study from its committed predictions: %s s, the quick live grid: %s s) | %d min %02d s | %s |\n' \
    "${runs_s[0]:-?}" "${runs_s[1]:-?}" $((r_secs/60)) $((r_secs%60)) "$r_status"
  printf '| `make test` (dev set-up, export check, notebook tests, pytest%s) | %d min %02d s | %s |\n' \
    "${passed:+: $passed}" $((t_secs/60)) $((t_secs%60)) "$t_status"
} > "$root/docs/timings.md"
cat "$root/docs/timings.md"
