#!/usr/bin/env bash
# The wgpu (GPU) build on a lent GPU machine, in one call: bench (simple and ResNet), the
# breakdown with the memory maths' kernels on and off, kernel launches counted, eval and
# denoise of the shipped DKM (to compare with the CPU's numbers), a short simple training run,
# then a ResNet DKM trained for the minutes left and its bound on the MNIST test set.
#
# The device machine has no Rust toolchain and no network, so the binary is built here and
# carried:
#   cargo build --release --no-default-features --features wgpu --bin kanerva
#   mkdir -p .gpu && strip -o .gpu/kanerva target/release/kanerva && xz -T2 -9 .gpu/kanerva
# and the Vulkan loader comes as .debs in .gl (see the device tool's notes). The checkout must
# stay under one call's 64 MiB: move the checkpoints this script does not read (every
# assets/*.ckpt but dkm_mnist.ckpt) and screenshots/ out of it for the call, and back after.
# Then, in one call (carry [".gpu", ".gl"]):
#   xz -d .gpu/kanerva.xz && BIN=.gpu/kanerva RESNET_MINUTES=3 bash scripts/device_check.sh
# Results land in $OUT (one JSON file per command, plus log.txt).
set -u
OUT=${OUT:-/tmp/device_out}
mkdir -p "$OUT"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
BIN=${BIN:-.gpu/kanerva}
RESNET_MINUTES=${RESNET_MINUTES:-3}
log() { echo "== $*" | tee -a "$OUT/log.txt"; }
run() { # name, limit in seconds, command...
  local name=$1 limit=$2; shift 2
  log "$name: $*"
  local t0=$(date +%s%N)
  timeout -s INT "$limit" "$@" > "$OUT/$name.json" 2>> "$OUT/log.txt"
  local rc=$?
  log "$name: rc=$rc in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  tail -c 900 "$OUT/$name.json"; echo
}
nvidia-smi -L | tee -a "$OUT/log.txt"
ls "$VK_DRIVER_FILES" >> "$OUT/log.txt" 2>&1
run bench 90 $BIN bench --json --reps 20
run bench_breakdown 120 $BIN bench --json --reps 10 --breakdown
run eval 60 $BIN eval --checkpoint assets/dkm_mnist.ckpt --data datasets/mnist_test.img1.gz --episodes 50 --mean-w --json
run denoise 60 $BIN denoise --checkpoint assets/dkm_mnist.ckpt --data datasets/mnist_test.img1.gz --noise salt-pepper:0.15 --iterations 10 --episodes 10 --json
run bench_launches 90 $BIN bench --json --reps 3 --breakdown --count-launches
run train_simple 60 $BIN train --model dkm --data embedded:mnist-train --steps 300 --out /tmp/simple.ckpt --log-every 100 --checkpoint-every 1000 --json
run bench_resnet 120 $BIN bench --json --reps 10 --arch resnet
run train_resnet $(( RESNET_MINUTES * 60 + 60 )) $BIN train --model dkm --arch resnet --data embedded:mnist-train --steps 1000000 --max-minutes "$RESNET_MINUTES" --out /tmp/resnet.ckpt --log-every 100 --checkpoint-every 1000 --json
run eval_resnet 90 $BIN eval --checkpoint /tmp/resnet.ckpt --data datasets/mnist_test.img1.gz --episodes 50 --json
cp /tmp/resnet.ckpt.card.json "$OUT/" 2>/dev/null
log done
