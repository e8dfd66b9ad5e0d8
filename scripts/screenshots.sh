#!/usr/bin/env bash
# Takes real screenshots of the running explorer under Xvfb into screenshots/.
# Needs: xvfb mesa-vulkan-drivers imagemagick xdotool (apt), and a release build.
# Usage: bash scripts/screenshots.sh   (ONLY=explorer-compare bash scripts/screenshots.sh retakes one)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release${CARGO_QUIET:+ -q}
mkdir -p screenshots
display=:${SCREENSHOT_DISPLAY:-97}
Xvfb "$display" -screen 0 1520x960x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=$display XDG_RUNTIME_DIR=$(mktemp -d)

shoot() { # name, seconds to wait, app arguments...
    local name=$1 wait=$2
    shift 2
    # ONLY=NAME retakes one shot.
    if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ]; then return; fi
    # A fresh data folder per shot: no settings or panel states persisted by an earlier run.
    XDG_DATA_HOME=$(mktemp -d) ./target/release/kanerva "$@" >/dev/null 2>&1 &
    local app=$!
    # The pointer rests in the status bar's corner, where no tooltip opens over the panels.
    xdotool mousemove 5 955
    sleep "$wait"
    # SCROLL_RIGHT=N scrolls the right-hand panel down N notches first (the memory panels).
    if [ "${SCROLL_RIGHT:-0}" -gt 0 ]; then
        xdotool mousemove 1300 500
        for _ in $(seq "$SCROLL_RIGHT"); do xdotool click 5; sleep 0.1; done
        sleep 2
    fi
    # SCROLL_CENTRE=N scrolls the centre panel down N notches (the sweeps at its foot).
    if [ "${SCROLL_CENTRE:-0}" -gt 0 ]; then
        xdotool mousemove 700 500
        for _ in $(seq "$SCROLL_CENTRE"); do xdotool click 5; sleep 0.1; done
        sleep 2
    fi
    xdotool mousemove 5 955
    sleep 1
    import -window root "screenshots/$name.png"
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
    echo "screenshots/$name.png"
}

# A salt-and-pepper query converging in the shipped DKM (demo mode plays the read).
shoot explorer-dkm-denoise 20 gui --demo
# The same demo with the optimised address step: the energy through both half-steps, never rising.
shoot explorer-dkm-optimised 25 gui --demo --addressing optimised
# The energy landscape through the first three stored items, with the read on it.
shoot explorer-landscape 30 gui --demo landscape
# The same in K++'s key space: at each key, the energy of the image the memory reads there.
shoot explorer-landscape-kpp 40 gui --demo landscape --checkpoint assets/kpp_mnist.ckpt
# A guided lesson (its first step: a scene, playing).
shoot explorer-lesson 25 gui --lesson dkm-denoising
# The Experiments section: the distortion/rate experiment run from a lesson, its plots live.
shoot explorer-experiments 40 gui --lesson experiments
# The same lesson in projector mode (UI scale 1.5): the read under the query, the bar wrapped.
shoot explorer-projector 25 gui --lesson dkm-denoising --scale 1.5
# A DKM trained by the PyTorch reference, imported (`kanerva import torch`), reading a query.
imported=$(mktemp -d)/torch_dkm_simple_300.ckpt
./target/release/kanerva import torch tests/fixtures/torch_dkm_simple_300.pt --out "$imported" 2>/dev/null
shoot explorer-imported-torch 20 gui --demo --checkpoint "$imported"
# The basin map between the first two stored items, with the read's trajectory on the PCA map.
shoot explorer-basins 40 gui --demo basins
# Training from the explorer with live loss curves.
shoot explorer-training 60 gui --demo train
# The DKM and the Kanerva Machine (shipped weights) reading the same corrupted query side by side.
shoot explorer-compare 25 gui --demo compare
# A capacity sweep of the DKM and its no-write control, with the reference lines and the
# distortion/rate plot.
SCROLL_CENTRE=15 shoot explorer-sweeps 60 gui --demo sweeps
# The new kinds (their shipped weights): the stored items under their PKM machines and the gates, K++'s spatial memory
# and read windows, an EBMM read with its write step by step (each stored item's energy).
SCROLL_RIGHT=${PKM_SCROLL:-5} shoot explorer-pkm-gates 25 gui --demo --checkpoint assets/pkm_mnist.ckpt
SCROLL_RIGHT=8 shoot explorer-kpp-windows 25 gui --demo --checkpoint assets/kpp_mnist.ckpt
SCROLL_RIGHT=${EBMM_SCROLL:-5} shoot explorer-ebmm-energy 25 gui --demo --checkpoint ${EBMM_CHECKPOINT:-assets/ebmm_mnist.ckpt}
