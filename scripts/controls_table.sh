#!/usr/bin/env bash
# Recall on held-out Omniglot characters (864..964) with its controls and trivial answers:
# each memory stores 16 characters, queries are 10 x 10 occluded, 10 reads; the measurement, the
# no-write control and the other-episode control. One JSON line per (memory, control).
# Usage: bash scripts/controls_table.sh > runs/controls.jsonl
set -euo pipefail
K=target/release/kanerva
OMNI="../shared/datasets/omniglot28_background.img1.gz#labels=864..964"
NOISE=${NOISE:-occlude:10}
for control in none no-write other-episode; do
  for m in hopfield hopfield-covariance hopfield-pinv modern-hopfield; do
    $K sweep --model $m --patterns "$OMNI" --stored 16 --noise "$NOISE" --iterations 10 --control $control --json 2>/dev/null
  done
  for m in ebmm dkm kpp pkm km; do
    $K sweep --model $m --checkpoint assets/${m}_omniglot.ckpt --patterns "$OMNI" --stored 16 --noise "$NOISE" --iterations 10 --control $control --json 2>/dev/null
  done
done
