#!/usr/bin/env bash
# The EBMM paper's own measures, on our memories:
#  1. distortion / rate: recall error against the memory's size in floats, on held-out Omniglot
#     characters (864..964) with a 10 x 10 occluding block and with 20% salt and pepper, for
#     the EBMM at H = 32, 64, 128 rows (and 784) beside modern Hopfield, the pseudo-inverse and
#     the covariance-rule Hopfield networks, 16 stored, 10 reads;
#  2. the EBMM's recall against the load, written and with nothing written (no-write control);
#  3. random binary strings (unbiased 28 x 28) with 10% flipped bits: the EBMM at H = 784 rows
#     (784 x 785 floats) against the Hebbian, Storkey and pseudo-inverse Hopfield networks (784 x
#     784 couplings): an equal parameter budget.
# One JSON line per run, tagged. Usage: bash scripts/ebmm_rate.sh > runs/ebmm_rate.jsonl
set -euo pipefail
K=${K:-target/release/kanerva}
HO="../shared/datasets/omniglot28_background.img1.gz#labels=864..964"
tag() { python3 -c "import json,sys; d=json.load(sys.stdin); d['tag']='$1'; print(json.dumps(d))"; }
declare -A EBMM=([32]=runs/ebmm_omniglot_h32.ckpt [64]=runs/ebmm_omniglot_h64.ckpt [128]=assets/ebmm_omniglot.ckpt [784]=runs/ebmm_omniglot_h784.ckpt)
for noise in occlude:10 salt-pepper:0.2; do
  for h in 32 64 128 784; do
    [ -f "${EBMM[$h]}" ] && $K sweep --model ebmm --checkpoint "${EBMM[$h]}" --patterns "$HO" --stored 16 --noise $noise --json 2>/dev/null | tag "rate ebmm H=$h $noise"
  done
  for m in modern-hopfield hopfield-pinv hopfield-covariance; do
    $K sweep --model $m --patterns "$HO" --stored 16 --noise $noise --json 2>/dev/null | tag "rate $m $noise"
  done
done
for control in none no-write; do
  $K sweep --model ebmm --checkpoint assets/ebmm_omniglot.ckpt --patterns "$HO" --stored 1,2,4,8,16,32,64 --noise occlude:10 --control $control --json 2>/dev/null | tag "load ebmm $control"
done
if [ -f "${EBMM[784]}" ]; then
  $K sweep --model ebmm --checkpoint "${EBMM[784]}" --patterns random --stored 10,40,80,120,160,320,640 --noise flip:0.1 --json 2>/dev/null | tag "random ebmm H=784"
fi
for m in hopfield hopfield-storkey hopfield-pinv; do
  $K sweep --model $m --patterns random --stored 10,40,80,120,160,320,640 --noise flip:0.1 --json 2>/dev/null | tag "random $m"
done
