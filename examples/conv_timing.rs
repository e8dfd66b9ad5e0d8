//! Where a fused convolution layer's time goes, at the encoder/decoder sizes (N = B·T = 512):
//! forward alone, forward + backward through autodiff, the raw forward kernels (the layer's and
//! im2col + GEMM) and backward kernels, and the patch copies (im2col, col2im) alone.
//! `cargo run --release --example conv_timing`
use std::time::Instant;

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::tensor::{Distribution, Tensor};
use kanerva::backend::training_device;
use kanerva::kernels::conv_kernels::{Patches, conv_transpose2d_backward, conv_transpose2d_forward, conv_transpose2d_forward_gemm, conv2d_backward, conv2d_forward, conv2d_forward_gemm};
use kanerva::kernels::fast_conv::{conv_transpose2d, conv2d};

fn time(name: &str, mut f: impl FnMut()) {
    f();
    let mut v: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    eprintln!("{name:<44} {:>8.2} ms", v[3]);
}

fn main() {
    let dev = training_device();
    let n = 512;
    let rnd = |len: usize| -> Vec<f32> { (0..len).map(|i| ((i * 7919 % 1000) as f32) / 500.0 - 1.0).collect() };
    for (cin, cout, side) in [(1usize, 32usize, 28usize), (32, 64, 14)] {
        let conv = Conv2dConfig::new([cin, cout], [4, 4]).with_stride([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(&dev);
        let x = Tensor::<4>::random([n, cin, side, side], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        time(&format!("conv {cin}->{cout} forward"), || { let _ = conv2d(&conv, x.clone()).into_data(); });
        time(&format!("conv {cin}->{cout} forward + backward"), || { let _ = conv2d(&conv, x.clone()).sum().backward(); });
        let p = Patches { channels: cin, size: [side, side], kernel: [4, 4], stride: [2, 2], padding: [1, 1], out: [side / 2, side / 2] };
        let (xs, w, gy) = (rnd(n * p.image_len()), rnd(cout * p.rows()), rnd(n * cout * p.positions()));
        time(&format!("conv {cin}->{cout} backward kernels (with dx)"), || { let _ = conv2d_backward(&xs, &w, &gy, None, n, p, cout, true); });
        time(&format!("conv {cin}->{cout} backward kernels (dw only)"), || { let _ = conv2d_backward(&xs, &w, &gy, None, n, p, cout, false); });
        // The forward kernels alone: the one the layer takes (direct for 64 output channels on
        // AVX-512, direct_conv.rs) and im2col + GEMM.
        let bias = rnd(cout);
        time(&format!("conv {cin}->{cout} forward kernel"), || { let _ = conv2d_forward(&xs, &w, &bias, n, p, cout, true); });
        time(&format!("conv {cin}->{cout} forward kernel, im2col + GEMM"), || { let _ = conv2d_forward_gemm(&xs, &w, &bias, n, p, cout, true); });
        // The patch copies alone (strided_copy.rs), in chunks of 10 images, on this thread.
        let (chunk, image_len) = (10, p.image_len());
        let mut cols = vec![0.0f32; p.rows() * chunk * p.positions()];
        time(&format!("conv {cin}->{cout} im2col of {n} images"), || {
            for first in (0..n).step_by(chunk) {
                p.im2col(&xs[first * image_len..n.min(first + chunk) * image_len], &mut cols, chunk * p.positions());
            }
        });
        let mut images = vec![0.0f32; chunk * image_len];
        time(&format!("conv {cin}->{cout} col2im of {n} images"), || {
            for first in (0..n).step_by(chunk) {
                let count = chunk.min(n - first);
                p.col2im_add(&cols, chunk * p.positions(), &mut images[..count * image_len]);
            }
        });
    }
    for (cin, cout, side) in [(64usize, 32usize, 7usize), (32, 1, 14)] {
        let deconv = ConvTranspose2dConfig::new([cin, cout], [4, 4]).with_stride([2, 2]).with_padding([1, 1]).init(&dev);
        let x = Tensor::<4>::random([n, cin, side, side], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        time(&format!("deconv {cin}->{cout} forward"), || { let _ = conv_transpose2d(&deconv, x.clone()).into_data(); });
        time(&format!("deconv {cin}->{cout} forward + backward"), || { let _ = conv_transpose2d(&deconv, x.clone()).sum().backward(); });
        let p = Patches { channels: cout, size: [2 * side, 2 * side], kernel: [4, 4], stride: [2, 2], padding: [1, 1], out: [side, side] };
        let (xs, w, gy) = (rnd(n * cin * p.positions()), rnd(cin * p.rows()), rnd(n * p.image_len()));
        time(&format!("deconv {cin}->{cout} backward kernels"), || { let _ = conv_transpose2d_backward(&xs, &w, &gy, None, n, p, cin, true); });
        // The forward kernels alone: the one the layer takes (one output row a vector for
        // rows of 16 or fewer on AVX-512, parity_deconv.rs) and GEMM + col2im.
        let bias = rnd(cout);
        time(&format!("deconv {cin}->{cout} forward kernel"), || { let _ = conv_transpose2d_forward(&xs, &w, &bias, n, p, cin, true); });
        time(&format!("deconv {cin}->{cout} forward kernel, GEMM + col2im"), || { let _ = conv_transpose2d_forward_gemm(&xs, &w, &bias, n, p, cin, true); });
    }
}
