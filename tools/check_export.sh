#!/usr/bin/env bash
# Export the notebooks into a scratch copy of the repository and fail if the package differs from the committed one;
# also fail if a notebook carries outputs or metadata that nbdev_clean would remove.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r settings.ini nbs steerable_pluralism "$tmp/"
(cd "$tmp" && nbdev_export >/dev/null)
if ! diff -r -q -x __pycache__ steerable_pluralism "$tmp/steerable_pluralism"; then
  diff -r -u -x __pycache__ steerable_pluralism "$tmp/steerable_pluralism" | head -40
  echo "steerable_pluralism/ differs from the notebooks: edit nbs/, run nbdev_export, commit both." >&2
  exit 1
fi
echo "exported modules match nbs/"
(cd "$tmp" && nbdev_clean >/dev/null)
if ! diff -r -q nbs "$tmp/nbs"; then
  echo "these notebooks carry outputs/metadata: run nbdev_clean (make clean-nbs) and commit." >&2
  exit 1
fi
echo "notebooks are clean"
