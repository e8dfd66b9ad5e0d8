#!/usr/bin/env bash
# Same-run speed pairs against the PyTorch reference: for each round and each arch, our
# `kanerva bench --json` and the reference's `bench.py --threads 2 --json` back to back, the
# order alternating from round to round. One JSON line per run goes to OUT/pairs.jsonl, and a
# Markdown table of the ratios to stdout.
#
#   scripts/speed_pairs.sh [ROUNDS] [OUT]
#
# Needs: a release build (target/release/kanerva), a Python with the reference's requirements
# (TORCH_PYTHON, default /work/torch-venv/bin/python; install it with
# `python3 -m venv V && V/bin/pip install -r ../shared/refs/torch_dkm/requirements.txt`), and the
# reference at ../shared/refs/torch_dkm (TORCH_DKM). Run it on a quiet machine: anything else
# running shares the two cores with both sides (PAUSE_PIDS="..." stops those processes for the
# duration and continues them after, even on failure).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=${2:-target/speed_pairs}
python=${TORCH_PYTHON:-/work/torch-venv/bin/python}
reference=${TORCH_DKM:-../shared/refs/torch_dkm}
kanerva=$PWD/target/release/kanerva
mkdir -p "$out"
: > "$out/pairs.jsonl"
if [ -n "${PAUSE_PIDS:-}" ]; then
  kill -STOP $PAUSE_PIDS
  trap 'kill -CONT $PAUSE_PIDS' EXIT
  sleep 2
fi
ours() { "$kanerva" bench --json --reps 15 --arch "$1" 2>/dev/null | tail -n 1 | python3 -c "import json,sys; d=json.load(sys.stdin); d['side']='ours'; d['round']=$2; print(json.dumps(d))"; }
theirs() { (cd "$reference" && "$python" bench.py --threads 2 --arch "$1" --json 2>/dev/null) | tail -n 1 | python3 -c "import json,sys; d=json.load(sys.stdin); d['side']='torch'; d['round']=$2; print(json.dumps(d))"; }
for round in $(seq 1 "$rounds"); do
  for arch in simple resnet; do
    if [ $((round % 2)) -eq 1 ]; then
      ours "$arch" "$round" >> "$out/pairs.jsonl"; theirs "$arch" "$round" >> "$out/pairs.jsonl"
    else
      theirs "$arch" "$round" >> "$out/pairs.jsonl"; ours "$arch" "$round" >> "$out/pairs.jsonl"
    fi
  done
done
python3 - "$out/pairs.jsonl" <<'EOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print(f"| round | arch | train step, ours / torch (ms) | ratio | read step, ours / torch (ms) | ratio | ours: step GFLOP/s |")
print("|---|---|---|---|---|---|---|")
for r in sorted({x['round'] for x in runs}):
    for arch in ("simple", "resnet"):
        o = next(x for x in runs if x['round'] == r and x['arch'] == arch and x['side'] == 'ours')
        t = next(x for x in runs if x['round'] == r and x['arch'] == arch and x['side'] == 'torch')
        print(f"| {r} | {arch} | {o['train_step_ms']:.1f} / {t['train_step_ms']:.1f} | {o['train_step_ms']/t['train_step_ms']:.2f}x "
              f"| {o['read_step_ms']:.3f} / {t['read_step_ms']:.3f} | {o['read_step_ms']/t['read_step_ms']:.2f}x | {o['train_step_gflops']:.0f} |")
EOF
