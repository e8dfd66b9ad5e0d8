#!/usr/bin/env bash
# The GPU build's checks on a software Vulkan device (lavapipe, Mesa's CPU Vulkan driver), so
# they run where no GPU is: the cubecl kernels' tests (values and gradients against the
# tensor-op forms and the CPU kernels), then eval and denoise of the shipped DKM by the GPU
# build and the CPU build, every number compared (at most 1e-4 relative apart), then the
# memory maths' forward + backward with the kernels and with the tensor-op loops
# (`bench --breakdown`).
#
# CI does not run this: the wgpu build adds ~12 minutes of compilation on two cores to a
# pipeline that already takes ~17. Run it after touching src/kernels/cube_linalg.rs,
# src/kernels/dispatch.rs or src/memory/linalg.rs:  bash scripts/gpu_tests.sh
# (SKIP_BENCH=1 leaves out the ~4 minute benchmark.)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq mesa-vulkan-drivers libvulkan1
fi
# Only the software device, whatever else the machine has.
export VK_DRIVER_FILES=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json | head -1)
# The Vulkan loader looks for a display server there; an empty one keeps it quiet.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}

cargo test --release --features wgpu --test linalg_kernels

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --no-default-features --bin kanerva
cp target/release/kanerva "$work/kanerva-cpu"
cargo build --release --no-default-features --features wgpu --bin kanerva
cp target/release/kanerva "$work/kanerva-gpu"

data=datasets/mnist_test.img1.gz
for build in cpu gpu; do
    "$work/kanerva-$build" eval --checkpoint assets/dkm_mnist.ckpt --data "$data" --episodes 10 --mean-w --json > "$work/eval-$build.json"
    "$work/kanerva-$build" denoise --checkpoint assets/dkm_mnist.ckpt --data "$data" --noise salt-pepper:0.15 --iterations 10 --episodes 4 --json > "$work/denoise-$build.json"
done
python3 - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
def numbers(value, path=""):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield path, float(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from numbers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from numbers(v, f"{path}[{i}]")
worst = 0.0
for name in ["eval", "denoise"]:
    cpu = dict(numbers(json.load(open(f"{work}/{name}-cpu.json"))))
    gpu = dict(numbers(json.load(open(f"{work}/{name}-gpu.json"))))
    assert cpu.keys() == gpu.keys(), f"{name}: different fields"
    for key in cpu:
        if "seconds" in key or key.endswith("_ms"):
            continue
        diff = abs(cpu[key] - gpu[key]) / max(abs(cpu[key]), 1e-3)
        worst = max(worst, diff)
        if diff > 1e-4:
            sys.exit(f"{name}{key}: CPU {cpu[key]} vs GPU {gpu[key]} ({diff:.2e} relative)")
    print(f"{name}: {len(cpu)} numbers, CPU and GPU builds agree")
print(f"largest relative difference: {worst:.2e}")
EOF

if [ -z "${SKIP_BENCH:-}" ]; then
    "$work/kanerva-gpu" bench --json --reps 5 --breakdown 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
k, t = r["memory_fwd_bwd_ms"], r["memory_fwd_bwd_tensor_ops_ms"]
print(f"memory maths forward + backward: kernels {k:.1f} ms, tensor-op loops {t:.1f} ms ({t / k:.1f}x)")'
fi
