#!/usr/bin/env bash
# The PKM's scaling claim, measured: N ∈ {1, 2, 4, 8} machines at equal total slots (N·K = 32),
# each trained from scratch for the same wall time on MNIST (one thread), then the joint and
# conditional bounds on binarized MNIST test episodes of T = 32, 64, 128, and the clustering of
# test images to machines (NMI of the dominant machine with the digit, against shuffled labels).
# Usage: MINUTES=8 bash scripts/pkm_scaling.sh > runs/pkm_scaling.jsonl   (equal wall time)
#        STEPS=380 bash scripts/pkm_scaling.sh > runs/pkm_scaling_steps.jsonl (equal steps)
set -euo pipefail
K=${K:-target/release/kanerva}
MINUTES=${MINUTES:-8}
STEPS=${STEPS:-}
TEST=../shared/datasets/binarized_mnist_test.img1
mkdir -p runs
for n in 1 2 4 8; do
  slots=$((32 / n))
  if [ -n "$STEPS" ]; then
    ckpt=runs/pkm_scale_n${n}_steps${STEPS}.ckpt budget=(--steps "$STEPS")
  else
    ckpt=runs/pkm_scale_n${n}.ckpt budget=(--steps 1000000 --max-minutes "$MINUTES")
  fi
  if [ ! -f "$ckpt" ]; then
    RAYON_NUM_THREADS=1 $K train --model pkm --machines $n --slots-per-machine $slots --data embedded:mnist-train \
      "${budget[@]}" --out "$ckpt" > "${ckpt%.ckpt}.log" 2>&1
  fi
  steps=$(python3 -c "import json; print(json.load(open('$ckpt.card.json'))['steps'])")
  seconds=$(python3 -c "import json; print(round(json.load(open('$ckpt.card.json'))['train_seconds']))")
  for t in 32 64 128; do
    $K eval --checkpoint "$ckpt" --data "$TEST" --episodes $((2560 / t)) --episode-size $t --json 2>/dev/null \
      | python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'machines': $n, 'slots_per_machine': $slots, 'train_steps': $steps, 'train_seconds': $seconds, 'T': $t, 'joint': d['joint_nats_per_image'], 'conditional': d.get('conditional_nats_per_image')}))"
  done
  $K eval --checkpoint "$ckpt" --data embedded:mnist-test --episodes 100 --episode-size 32 --json 2>/dev/null \
    | python3 -c "import json,sys; d=json.load(sys.stdin); c=d.get('clustering') or {}; print(json.dumps({'machines': $n, 'clustering_nmi': c.get('nmi'), 'nmi_shuffled_labels': c.get('nmi_shuffled_labels'), 'images': c.get('images')}))"
done
