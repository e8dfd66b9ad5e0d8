#!/usr/bin/env python3
"""Convert an MNIST IDX image file + label file into one gzipped IMG1 file (stdlib only).

IMG1 (see ../shared/datasets/README.md): 32-byte header, magic b"IMG1", pixel format 8
(one u8 per pixel), label width 1 (u8), N, rows, cols; then pixels, then labels.
The gzip stream is written with mtime 0 and no file name, so output is reproducible.
"""
import gzip
import struct
import sys


def read_idx(path, want_magic):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != want_magic:
        sys.exit(f"{path}: magic {magic}, expected {want_magic}")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    count = 1
    for d in dims:
        count *= d
    if len(body) != count:
        sys.exit(f"{path}: {len(body)} data bytes, header says {count}")
    return dims, body


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: idx_to_img1.py IMAGES.idx3 LABELS.idx1 OUT.img1.gz")
    (n, rows, cols), pixels = read_idx(sys.argv[1], 2051)
    (n_labels,), labels = read_idx(sys.argv[2], 2049)
    if n_labels != n:
        sys.exit(f"{n} images but {n_labels} labels")
    header = b"IMG1" + struct.pack("<BBHIII", 8, 1, 0, n, rows, cols) + b"\0" * 12
    assert len(header) == 32
    with open(sys.argv[3], "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(header + pixels + labels)
    mean = sum(pixels) / (255.0 * len(pixels))
    print(f"{sys.argv[3]}: {n} images {rows}x{cols}, mean pixel {mean:.4f}")


if __name__ == "__main__":
    main()
