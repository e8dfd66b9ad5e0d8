#!/usr/bin/env bash
# The addressing comparison (docs/attractor.md, README): denoising with the amortised, guarded
# and optimised reads of the shipped DKMs, on three test sets and four corruptions, plus the
# read iteration's time from `kanerva bench`. Every number in those tables is a line this
# script prints.
# Usage: bash scripts/addressing_results.sh > runs/addressing.jsonl   (needs a release build)
#        python3 scripts/addressing_tables.py runs/addressing.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
K=./target/release/kanerva
EPISODES=${EPISODES:-20}
tag() { python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['run']='$1'; print(json.dumps(r))"; }
while read -r name ckpt data; do
  for noise in salt-pepper:0.15 flip:0.15 occlude:10 salt-pepper:0; do
    for addressing in amortised guarded optimised; do
      $K denoise --checkpoint "$ckpt" --data "$data" --noise $noise --episodes "$EPISODES" --addressing $addressing --json | tag "$name"
    done
    # The optimised read with the encoder's address for the query and one gradient step.
    $K denoise --checkpoint "$ckpt" --data "$data" --noise $noise --episodes "$EPISODES" --addressing optimised --encoder-query-address --search-steps 1 --json | tag "$name"
  done
done <<DATA
binarized-mnist-test assets/dkm_mnist.ckpt ../shared/datasets/binarized_mnist_test.img1
embedded-mnist-test assets/dkm_mnist.ckpt embedded:mnist-test
omniglot-held-out assets/dkm_omniglot.ckpt ../shared/datasets/omniglot28_background.img1.gz#labels=864..964
DATA
# The inner-step trade-off on held-out Omniglot, salt and pepper and clean items.
for steps in 1 2 10; do
  for noise in salt-pepper:0.15 salt-pepper:0; do
    $K denoise --checkpoint assets/dkm_omniglot.ckpt --data "../shared/datasets/omniglot28_background.img1.gz#labels=864..964" --noise $noise --episodes "$EPISODES" --addressing optimised --search-steps $steps --json | tag "steps"
  done
done
$K bench --json | tag bench
