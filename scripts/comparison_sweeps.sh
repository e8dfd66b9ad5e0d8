#!/usr/bin/env bash
# The comparison tables of the README, one JSON line per sweep on stdout:
# 1. capacity: recall error after 10 reads from 10% bit flips against the number of stored
#    patterns, on random patterns and on MNIST digits;
# 2. corruption: recall error after 10 reads against the bit-flip probability, 32 stored
#    MNIST digits (one episode, as the trained models were trained).
# Every memory: the classical ones, the Kanerva Machine and the DKM (shipped checkpoints);
# MODELS="dkm" bash scripts/comparison_sweeps.sh re-runs only the rows of the ones named.
set -euo pipefail
cd "$(dirname "$0")/.."
K=${KANERVA:-./target/release/kanerva}
MODELS=${MODELS:-"hopfield hopfield-storkey hopfield-pinv modern-hopfield sdm km dkm"}
checkpoint() {
    case "$1" in
        km) echo --checkpoint assets/km_mnist.ckpt ;;
        dkm) echo --checkpoint assets/dkm_mnist.ckpt ;;
    esac
}
for patterns in random embedded:mnist-test; do
    for model in $MODELS; do
        # shellcheck disable=SC2046
        "$K" sweep --model "$model" $(checkpoint "$model") --beta 20 --patterns "$patterns" --stored 10,20,40,80,160 --noise flip:0.1 --json 2>/dev/null
    done
done
for model in $MODELS; do
    # shellcheck disable=SC2046
    "$K" sweep --model "$model" $(checkpoint "$model") --beta 20 --patterns embedded:mnist-test --stored 32 --noise flip:0.1 --noise-levels 0,0.05,0.1,0.2,0.3,0.4 --json 2>/dev/null
done
