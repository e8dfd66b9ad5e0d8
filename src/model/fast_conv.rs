//! Convolutions as im2col + one matrix product, in tensor ops.
//!
//! Why: burn-flex 0.22.1 has fast forward convolutions, but their backward pass falls back to
//! burn's generic path (the weight gradient as a convolution over swapped batch and channel
//! dims), which made the encoder/decoder backward ~3x slower than torch
//! (../shared/docs/perf-notes.md). Written as strided slices + matmul, autodiff's backward is
//! a matmul (fast GEMM) plus slice/pad scatters, with no convolution in it.
//!
//! Measured result (README, "Speed"): on burn-flex 0.22.1 this is 1.1-13x *slower* per layer
//! than the generic path, because flex's autodiff slices, stacks and matmul backward are
//! memory-bound and slow at these sizes; so it is off unless [`use_gemm_path`] turns it on.
//! It stays as the tested seam where a fused kernel (custom backward op) would go.
//!
//! Only tensors on an autodiff device take this path: without a backward pass, flex's own
//! forward kernels are faster (and a one-image read is dominated by per-op overhead, which
//! the many small ops here would add to).
//!
//! Both functions take burn's own modules and return exactly what `module.forward(x)` returns
//! (same weights, same layout), so checkpoints are unchanged; tests compare values and
//! gradients with the generic path. Shapes they do not handle (groups, dilation, other
//! padding kinds, other transposed-conv geometries) go to `module.forward`.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::ops::PadMode;
use burn::tensor::{Slice, Tensor};

/// Off by default: measured slower than the generic path on burn-flex 0.22.1 (README,
/// "Speed"). `kanerva bench --breakdown` measures both.
static GEMM_PATH: AtomicBool = AtomicBool::new(false);

/// Routes autodiff convolutions through im2col + GEMM while `on` (else the modules' own
/// `forward`, burn's generic path).
pub fn use_gemm_path(on: bool) {
    GEMM_PATH.store(on, Ordering::Relaxed);
}

/// Whether `x` goes to the module's own forward.
fn generic_path_for(x: &Tensor<4>) -> bool {
    !GEMM_PATH.load(Ordering::Relaxed) || !x.is_autodiff()
}

/// `(top, left, bottom, right)` of an explicit or valid padding.
fn explicit_padding(padding: &PaddingConfig2d) -> Option<(usize, usize, usize, usize)> {
    match *padding {
        PaddingConfig2d::Valid => Some((0, 0, 0, 0)),
        PaddingConfig2d::Explicit(top, left, bottom, right) => Some((top, left, bottom, right)),
        _ => None,
    }
}

/// `start, start + step, ...`, `count` elements.
fn strided(start: usize, count: usize, step: usize) -> Slice {
    Slice::new(start as isize, Some((start + step * (count - 1) + 1) as isize), step as isize)
}

/// Same as `conv.forward(x)`.
///
/// # Shapes
/// - x: [N, C_in, H, W] -> [N, C_out, H_out, W_out]
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let Some((top, left, bottom, right)) = explicit_padding(&conv.padding) else { return conv.forward(x) };
    if conv.groups != 1 || conv.dilation != [1, 1] || generic_path_for(&x) {
        return conv.forward(x);
    }
    let [n, c, h, w] = x.dims();
    let [co, _, kh, kw] = conv.weight.dims();
    let [sh, sw] = conv.stride;
    let x = if top + left + bottom + right > 0 { x.pad([(top, bottom), (left, right)], PadMode::Constant(0.0)) } else { x };
    let (hp, wp) = (h + top + bottom, w + left + right);
    let (oh, ow) = ((hp - kh) / sh + 1, (wp - kw) / sw + 1);
    let mut windows = Vec::with_capacity(kh * kw);
    for i in 0..kh {
        for j in 0..kw {
            let all = Slice::full();
            windows.push(x.clone().slice([all, all, strided(i, oh, sh), strided(j, ow, sw)])); // [N, C, oh, ow]
        }
    }
    // Column index c·kh·kw + i·kw + j: the order of the weight's [C_out, C_in, kh, kw] rows.
    let cols = Tensor::stack::<5>(windows, 2).reshape([n, c * kh * kw, oh * ow]).swap_dims(1, 2).reshape([n * oh * ow, c * kh * kw]);
    let weights = conv.weight.val().reshape([co, c * kh * kw]).swap_dims(0, 1);
    let mut out = cols.matmul(weights); // [N·oh·ow, C_out]
    if let Some(bias) = &conv.bias {
        out = out + bias.val().reshape([1, co]);
    }
    out.reshape([n, oh * ow, co]).swap_dims(1, 2).reshape([n, co, oh, ow])
}

/// For an output row of parity `phase`, the (window offset into the 1-padded input, kernel
/// row) pairs that reach it, for kernel 4, stride 2, padding 1: y = 2i − 1 + k.
const PHASE_TAPS: [[(usize, usize); 2]; 2] = [[(0, 3), (1, 1)], [(1, 2), (2, 0)]];

/// Same as `deconv.forward(x)`. Kernel 4, stride 2, padding 1 (the decoders' upsampling) is
/// split into its four output phases, each a 2x2 stride-1 convolution over the input: one
/// matmul per phase, then the phases are interleaved.
///
/// # Shapes
/// - x: [N, C_in, H, W] -> [N, C_out, 2H, 2W]
pub fn conv_transpose2d(deconv: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    let supported = deconv.kernel_size == [4, 4]
        && deconv.stride == [2, 2]
        && deconv.padding == [1, 1]
        && deconv.padding_out == [0, 0]
        && deconv.dilation == [1, 1]
        && deconv.groups == 1
        && !generic_path_for(&x);
    if !supported {
        return deconv.forward(x);
    }
    let [n, ci, h, w] = x.dims();
    let weight = deconv.weight.val(); // [C_in, C_out, 4, 4]
    let co = weight.dims()[1];
    let padded = x.pad([(1, 1), (1, 1)], PadMode::Constant(0.0));
    let window = |a: usize, b: usize| padded.clone().slice([0..n, 0..ci, a..a + h, b..b + w]);
    let tap = |kh: usize, kw: usize| weight.clone().slice([0..ci, 0..co, kh..kh + 1, kw..kw + 1]).reshape([ci, co]);
    let mut rows = Vec::with_capacity(2);
    for row_taps in PHASE_TAPS {
        let mut phases = Vec::with_capacity(2);
        for col_taps in PHASE_TAPS {
            let taps: Vec<(usize, usize, usize, usize)> = row_taps.iter().flat_map(|&(a, kh)| col_taps.iter().map(move |&(b, kw)| (a, b, kh, kw))).collect();
            let cols = Tensor::stack::<5>(taps.iter().map(|&(a, b, _, _)| window(a, b)).collect(), 2) // [N, C_in, 4, H, W]
                .reshape([n, ci * 4, h * w])
                .swap_dims(1, 2)
                .reshape([n * h * w, ci * 4]);
            let weights = Tensor::stack::<3>(taps.iter().map(|&(_, _, kh, kw)| tap(kh, kw)).collect(), 1).reshape([ci * 4, co]);
            phases.push(cols.matmul(weights).reshape([n, h, w, co]));
        }
        rows.push(Tensor::stack::<5>(phases, 3)); // [N, H, W, 2 (column parity), C_out]
    }
    let interleaved = Tensor::stack::<6>(rows, 2).reshape([n, 2 * h, 2 * w, co]); // [N, H, 2, W, 2, C_out] merged
    let mut out = interleaved.permute([0, 3, 1, 2]);
    if let Some(bias) = &deconv.bias {
        out = out + bias.val().reshape([1, co, 1, 1]);
    }
    out
}
