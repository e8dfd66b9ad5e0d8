#!/usr/bin/env bash
# The family's results tables (docs/family.md): every number there is a line this script prints.
# Usage: bash scripts/family_results.sh > runs/family_results.jsonl   (needs a release build)
#   MODELS="dkm km" limits the per-model sections; SECTIONS="models capacity ebmm wall" picks sections.
set -euo pipefail
cd "$(dirname "$0")/.."
K=./target/release/kanerva
MNIST=../shared/datasets/binarized_mnist_test.img1
OMNI="../shared/datasets/omniglot28_background.img1.gz#labels=864..964"
MODELS=${MODELS:-dkm km kpp pkm}
SECTIONS=${SECTIONS:-models capacity ebmm wall}
on() { [[ " $SECTIONS " == *" $1 "* ]]; }
tag() { python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['run']='$1'; print(json.dumps(r))"; }

if on models; then
for m in $MODELS; do
  $K eval --checkpoint assets/${m}_mnist.ckpt --data $MNIST --episodes 200 --json | tag "eval mnist $m"
  $K eval --checkpoint assets/${m}_mnist.ckpt --data $MNIST --episodes 200 --mean-w --json | tag "eval mnist $m mean"
  $K eval --checkpoint assets/${m}_omniglot.ckpt --data "$OMNI" --episodes 62 --json | tag "eval omniglot $m"
  $K eval --checkpoint assets/${m}_omniglot.ckpt --data "$OMNI" --episodes 62 --mean-w --json | tag "eval omniglot $m mean"
done
for m in $MODELS; do
  [[ $m == dkm || $m == kpp ]] || continue
  $K eval --checkpoint assets/${m}_mnist.ckpt --data $MNIST --episodes 100 --importance-samples 10 --json | tag "iwae10 mnist $m"
  $K eval --checkpoint assets/${m}_omniglot.ckpt --data "$OMNI" --episodes 62 --importance-samples 10 --json | tag "iwae10 omniglot $m"
done
if [[ " $MODELS " == *" kpp "* ]]; then
$K eval --checkpoint assets/kpp_mnist.ckpt --data $MNIST --episodes 100 --memory-gain --json | tag "memory gain mnist kpp"
$K eval --checkpoint assets/kpp_omniglot.ckpt --data "$OMNI" --episodes 62 --memory-gain --json | tag "memory gain omniglot kpp"
fi

# Denoising: one query per stored item, 10 mode iterations.
for m in $MODELS; do
  for noise in salt-pepper:0.15 flip:0.15 flip:0; do
    $K denoise --checkpoint assets/${m}_mnist.ckpt --data $MNIST --noise $noise --iterations 10 --episodes 50 --json | tag "denoise mnist $m $noise"
    $K denoise --checkpoint assets/${m}_omniglot.ckpt --data "$OMNI" --noise $noise --iterations 10 --episodes 62 --json | tag "denoise omniglot $m $noise"
  done
done

fi

# Capacity: the bound per image as the episode grows, at 32 slots in all (DKM: 32; PKM: 4 x 8).
if on capacity; then
for m in dkm pkm; do
  for t in 32 64 128; do
    $K eval --checkpoint assets/${m}_mnist.ckpt --data $MNIST --episodes 50 --episode-size $t --json | tag "capacity mnist $m T=$t"
  done
done

fi

# EBMM against the classical memories and the DKM: 16 held-out Omniglot characters stored.
if on ebmm; then
for noise in occlude:10 salt-pepper:0.15; do
  $K sweep --model ebmm --checkpoint assets/ebmm_omniglot.ckpt --patterns "$OMNI" --stored 16 --noise $noise --json | tag "sweep ebmm $noise"
  for m in hopfield hopfield-pinv modern-hopfield; do
    $K sweep --model $m --beta 20 --patterns "$OMNI" --stored 16 --noise $noise --json | tag "sweep $m $noise"
  done
  $K sweep --model dkm --checkpoint assets/dkm_omniglot.ckpt --patterns "$OMNI" --stored 16 --noise $noise --json | tag "sweep dkm $noise"
  $K denoise --checkpoint assets/ebmm_omniglot.ckpt --data "$OMNI" --noise $noise --iterations 10 --episodes 20 --episode-size 16 --json | tag "denoise omniglot ebmm $noise T=16"
done
for n in 8 16 32 64; do
  $K sweep --model ebmm --checkpoint assets/ebmm_omniglot.ckpt --patterns "$OMNI" --stored $n --noise occlude:10 --json | tag "rate ebmm stored=$n"
  $K sweep --model hopfield --patterns "$OMNI" --stored $n --noise occlude:10 --json | tag "rate hopfield stored=$n"
done

fi

# Equal wall time: the runs' copies taken 25 minutes in (runs/, not shipped; one thread each on a
# machine shared by three or four runs), beside the DKM's 25-minute run in docs/results.md.
if on wall; then
for m in pkm kpp; do
  if [ -f runs/${m}_mnist_25min.ckpt ]; then
    $K eval --checkpoint runs/${m}_mnist_25min.ckpt --data $MNIST --episodes 200 --json | tag "eval mnist $m 25min"
  fi
done
fi
