#!/usr/bin/env bash
# Runs the built-in experiments' full protocols into docs/experiments/ and splices each
# record's tables into docs/experiments.md (the block from its "Made by" line to the next
# section). The findings around the tables are written by hand: reread them after a rerun.
# Usage: bash scripts/experiment_docs.sh [NAME ...]   (default: every experiment; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
K=${KANERVA:-./target/release/kanerva}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    mapfile -t names < <("$K" experiment list --json | python3 -c "import json,sys; print('\n'.join(e['name'] for e in json.load(sys.stdin)))")
fi
for name in "${names[@]}"; do
    "$K" experiment run "$name" --out docs/experiments
done
python3 scripts/experiment_docs.py "$K" "${names[@]}"
