#!/usr/bin/env bash
# Where the GPU build's memory maths spend their time, kernel by kernel: runs
# `kanerva bench --memory-maths --reps 1` of the wgpu build with cubecl's profiler on and sums
# the kernel times of one forward + backward (the span from the 4th to the 7th Cholesky factor
# launch: the second of the three runs, steady state). On lavapipe when no GPU is present.
#
#   cargo build --release --no-default-features --features wgpu --bin kanerva
#   bash scripts/gpu_profile.sh [path/to/kanerva] [--list]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/kanerva}
if [ -z "${VK_DRIVER_FILES:-}" ] && ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && ! ls /dev/dri/renderD* >/dev/null 2>&1; then
    export VK_DRIVER_FILES=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json | head -1)
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
CUBECL_DEBUG_OPTION=profile CUBECL_DEBUG_LOG="$log" "$bin" bench --memory-maths --reps 1 >/dev/null 2>&1
python3 - "$log" "${2:-}" <<'PY'
import collections, re, sys
# One line per kernel execution: "| 381.109µs  | CholeskyKernel_cdf2ac5c".
line = re.compile(r"^\| ([0-9.]+)(µs|ms|ns|s) *\| (.*)$")
unit = {"ns": 1e-6, "µs": 1e-3, "ms": 1.0, "s": 1e3}
runs = []
for text in open(sys.argv[1], encoding="utf-8"):
    m = line.match(text.rstrip("\n"))
    if m:
        full = m.group(3).strip()
        name = "Matmul" if "Matmul" in full else re.sub(r"_[0-9a-f]{8}$", "", full.split("|")[-1].strip())
        runs.append((float(m.group(1)) * unit[m.group(2)], name, full))
factors = [i for i, (_, name, _) in enumerate(runs) if name == "CholeskyKernel"]
if len(factors) < 7:
    sys.exit("fewer than three runs with the Cholesky kernel in the log (is this the wgpu build?)")
span = runs[factors[3]:factors[6]]
total = collections.defaultdict(float)
count = collections.Counter()
for ms, name, _ in span:
    total[name] += ms
    count[name] += 1
print(f"{len(span)} launches, {sum(ms for ms, _, _ in span):.2f} ms of kernel time in one forward + backward")
for name, ms in sorted(total.items(), key=lambda kv: -kv[1]):
    print(f"{name:<40} {count[name]:>4} {ms:>8.2f} ms")
if sys.argv[2] == "--list":
    for ms, _, full in span:
        print(f"{ms:8.3f} {full[:100]}")
PY
