#!/usr/bin/env bash
# The wgpu (GPU) build on a lent GPU machine: bench, eval of a shipped checkpoint (to compare
# with the CPU's numbers), a short training run and a denoise.
#
# The device machine has no Rust toolchain and no network, so the binary is built here and
# carried:
#   cargo build --release --no-default-features --features wgpu --bin kanerva
#   mkdir -p .gpu && strip -o .gpu/kanerva target/release/kanerva && xz -9 .gpu/kanerva
# and the Vulkan loader comes as .debs in .gl (../.library/device/README.md). The stripped
# binary is 75 MB (wgpu, naga and cubecl's kernels), 21 MB under xz. With the repository
# (49 MB) that is over one call's 64 MiB unless the three checkpoints the script does not
# read (assets/km_*.ckpt, assets/dkm_omniglot.ckpt, 27 MB) are moved out of the checkout for
# the call (and back after). Then, in one call (carry [".gpu", ".gl"]):
#   xz -d .gpu/kanerva.xz && BIN=.gpu/kanerva bash scripts/device_check.sh
# (A session earlier carried the binary in two halves, `split -n 2 -d`, over two calls.)
# Results land in $OUT (one JSON file per command, plus log.txt).
set -u
OUT=${OUT:-/tmp/device_out}
mkdir -p "$OUT"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
BIN=${BIN:-.gpu/kanerva}
log() { echo "== $*" | tee -a "$OUT/log.txt"; }
run() { # name, limit in seconds, command...
  local name=$1 limit=$2; shift 2
  log "$name: $*"
  local t0=$(date +%s%N)
  timeout "$limit" "$@" > "$OUT/$name.json" 2>> "$OUT/log.txt"
  local rc=$?
  log "$name: rc=$rc in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  tail -c 600 "$OUT/$name.json"; echo
}
nvidia-smi -L | tee -a "$OUT/log.txt"
ls "$VK_DRIVER_FILES" >> "$OUT/log.txt" 2>&1
run bench_wgpu 130 $BIN bench --json --reps 20
run bench_breakdown_wgpu 130 $BIN bench --json --reps 10 --breakdown
run eval_wgpu 100 $BIN eval --checkpoint assets/dkm_mnist.ckpt --data datasets/mnist_test.img1.gz --episodes 50 --json
run denoise_wgpu 80 $BIN denoise --checkpoint assets/dkm_mnist.ckpt --data datasets/mnist_test.img1.gz --noise salt-pepper:0.15 --iterations 10 --episodes 10 --json
run train_wgpu 130 $BIN train --model dkm --data embedded:mnist-train --steps 300 --out /tmp/wgpu_dkm.ckpt --log-every 100 --checkpoint-every 1000 --json
log done
