#!/usr/bin/env bash
# Time the README's two commands as a new user runs them: a fresh clone of this repository's HEAD, `make reproduce`,
# then `make test` in it; write the result to docs/timings.md (in this checkout). Usage: bash tools/time_commands.sh [DIR]
# (DIR: where to clone, default a new temporary folder). pip's own cache is used as on any machine. NOTE='...' adds a
# sentence on the conditions (what else ran meanwhile) to the table's caption.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$(mktemp -d)}/steerable-pluralism"
git clone -q "$root" "$dir"
commit=$(git -C "$dir" rev-parse --short HEAD)
run() {  # name, command: wall seconds into $secs, log into $dir/$name.log
  local t0=$(date +%s)
  if (cd "$dir" && bash -c "$2") > "$dir/$1.log" 2>&1; then status=passed; else status="FAILED (exit $?)"; fi
  secs=$(( $(date +%s) - t0 ))
}
run reproduce "make reproduce"; r_secs=$secs; r_status=$status
run test "make test"; t_secs=$secs; t_status=$status
load=$(cut -d' ' -f1-3 /proc/loadavg)
busy="${NOTE:+ $NOTE}"   # NOTE: what else ran on the machine meanwhile
{
  echo "Measured $(date +%Y-%m-%d) on this project's machine ($(nproc) CPU cores, $(free -g | awk '/Mem:/{print $2}') GiB, no GPU, Python $(python3 -c 'import sys; print(sys.version.split()[0])')), from a fresh clone of commit $commit, pip's cache warm (\`tools/time_commands.sh\`; load average at the end: $load).$busy"
  echo
  echo "| command | wall time | result |"
  echo "|---|---|---|"
  printf '| `make reproduce` (setup incl. building llama.cpp, redraw the study, the quick live grid) | %d min %02d s | %s |\n' $((r_secs/60)) $((r_secs%60)) "$r_status"
  printf '| `make test` (dev setup, export check, notebook tests, pytest) | %d min %02d s | %s |\n' $((t_secs/60)) $((t_secs%60)) "$t_status"
} > "$root/docs/timings.md"
cat "$root/docs/timings.md"
