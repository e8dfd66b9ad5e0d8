#!/usr/bin/env bash
# The family's bounds on one footing (joint, conditional, importance-weighted conditional,
# memory gain) for the shipped checkpoints on binarized MNIST test; one JSON line per model.
# Usage: bash scripts/bounds_table.sh [EPISODES] > runs/bounds.jsonl
# Held-out Omniglot: DATA="../shared/datasets/omniglot28_background.img1.gz#labels=864..964" SET=omniglot bash scripts/bounds_table.sh 50
set -euo pipefail
EPISODES=${1:-50}
K=target/release/kanerva
for m in dkm km kpp pkm; do
  $K eval --checkpoint assets/${m}_${SET:-mnist}.ckpt --data "${DATA:-../shared/datasets/binarized_mnist_test.img1}" --episodes "$EPISODES" --importance-samples 10 --memory-gain --json
done
