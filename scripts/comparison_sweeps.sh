#!/usr/bin/env bash
# The capacity comparison of the README: recall error after 10 reads from 10% bit flips,
# against the number of stored patterns, for every memory, on random patterns and on MNIST
# digits. Writes one JSON line per (model, patterns) to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
K=${KANERVA:-./target/release/kanerva}
for patterns in random embedded:mnist-test; do
    for model in hopfield hopfield-storkey hopfield-pinv modern-hopfield sdm dkm; do
        extra=()
        [ "$model" = dkm ] && extra=(--checkpoint assets/dkm_mnist.ckpt)
        "$K" sweep --model "$model" "${extra[@]}" --patterns "$patterns" --stored 10,20,40,80,160 --noise flip:0.1 --json 2>/dev/null
    done
done
