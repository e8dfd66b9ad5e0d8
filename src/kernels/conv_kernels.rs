//! 2-D convolutions and transposed convolutions, forward and gradients, as im2col + GEMM on
//! raw f32 buffers (row-major, NCHW): the kernels behind [`super::fast_conv`]'s custom
//! autodiff ops.
//!
//! Why: burn-flex 0.22.1 computes a convolution's weight gradient as another convolution over
//! swapped batch and channel dims, with the output gradient as a 7x7 or 14x14 dilated kernel
//! and 512 "input channels" (docs/speed.md): ~3x slower than torch. Here every
//! pass (forward, input gradient, weight gradient) is one matrix product per chunk of images
//! laid side by side, through the `gemm` crate (flex's own matmul kernels), with the patch
//! copies (im2col) and their adjoint (col2im) around it.
//!
//! Dilation 1 and groups 1 only; the caller routes everything else to burn's generic path.

pub use super::chunked_passes::LayerGrads;
use super::chunked_passes::{ChunkPlan, add_bias, images_per_chunk, over_chunks, over_output_chunks};
use super::direct_conv::DirectConv;
use super::parity_deconv::ParityDeconv;
use super::image_layout::{add_channel_sums, side_by_side, write_side_by_side};

use super::strided_copy::{self, VerticalMap, HorizontalMap};

/// How a convolution reads an image [C, H, W] as patch columns [C·KH·KW, OH·OW]: column
/// `i·OW + j` holds the window whose top-left corner is `(i·s_h − p_h, j·s_w − p_w)`, rows in
/// the order of a weight's `[C, KH, KW]` dims. Cells outside the image read as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patches {
    pub channels: usize,
    /// Image height and width.
    pub size: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// Padding before the first row and column (what lies after is implied by `out`).
    pub padding: [usize; 2],
    /// Window positions along each axis.
    pub out: [usize; 2],
}

impl Patches {
    /// Rows of the patch matrix: C·KH·KW.
    pub fn rows(&self) -> usize {
        self.channels * self.kernel[0] * self.kernel[1]
    }

    /// Columns of the patch matrix: OH·OW.
    pub fn positions(&self) -> usize {
        self.out[0] * self.out[1]
    }

    /// Elements of one image: C·H·W.
    pub fn image_len(&self) -> usize {
        self.channels * self.size[0] * self.size[1]
    }

    /// Windows `lo..hi` along `axis` whose cell at kernel offset `a` lies inside the image
    /// (the others read padding), and the image row or column the first of them reads.
    #[inline]
    fn inside(&self, axis: usize, a: usize) -> (std::ops::Range<usize>, usize) {
        let (s, p, n, out) = (self.stride[axis], self.padding[axis], self.size[axis], self.out[axis]);
        // i·s + a − p ∈ [0, n)  <=>  ceil((p − a) / s) <= i <= (n − 1 + p − a) / s
        let hi = if n + p > a { ((n - 1 + p - a) / s + 1).min(out) } else { 0 };
        let lo = if p > a { (p - a).div_ceil(s) } else { 0 }.min(hi);
        (lo..hi, (lo * s + a).saturating_sub(p))
    }

    /// Whether the windows keep the image's size: stride 1, an odd kernel, padding of half the
    /// kernel (the 3 x 3 layers of the ResNet arch). Then the input gradient is itself such a
    /// convolution of the output gradient ([`Self::transposed_convolution`]).
    pub fn keeps_size(&self) -> bool {
        self.stride == [1, 1] && self.out == self.size && (0..2).all(|axis| self.kernel[axis] % 2 == 1 && 2 * self.padding[axis] + 1 == self.kernel[axis])
    }

    /// For a layer that [`Self::keeps_size`]: the windows of its output gradient (same
    /// geometry, `c_out` channels) and the weight that maps them to the input gradient,
    /// `W'[ci, co, a, b] = W[co, ci, KH − 1 − a, KW − 1 − b]`. Computing dX as this convolution
    /// gathers dY's windows instead of scatter-adding the GEMM's columns back (col2im), which
    /// had taken 12% of a ResNet step.
    ///
    /// # Shapes
    /// - weight: [C_out, C_in, KH, KW] -> [C_in, C_out, KH, KW]
    pub fn transposed_convolution(&self, weight: &[f32], c_out: usize) -> (Patches, Vec<f32>) {
        let ([kh, kw], c_in) = (self.kernel, self.channels);
        let mut flipped = vec![0.0f32; weight.len()];
        for co in 0..c_out {
            for ci in 0..c_in {
                for a in 0..kh {
                    for b in 0..kw {
                        flipped[((ci * c_out + co) * kh + a) * kw + b] = weight[((co * c_in + ci) * kh + kh - 1 - a) * kw + kw - 1 - b];
                    }
                }
            }
        }
        (Patches { channels: c_out, ..*self }, flipped)
    }

    /// Asserts that `images_len` floats of whole images fit side by side in a patch matrix of
    /// `cols_len` floats whose rows are `row_len` long (`what` names the caller).
    fn assert_fits(&self, images_len: usize, cols_len: usize, row_len: usize, what: &str) {
        let count = images_len / self.image_len().max(1);
        assert!(images_len == count * self.image_len() && count * self.positions() <= row_len && cols_len >= self.rows() * row_len, "{what}: sizes do not fit");
    }

    /// Visits the patch matrix's rows in order (channel, then the kernel offsets): the channel
    /// plane the row reads (its range within an image) and which output rows and columns of
    /// each window read that plane, and from where. Bounds are worked out once per kernel
    /// offset, not per cell (per-cell checks made im2col 14% of a training step).
    fn for_each_row(&self, mut visit: impl FnMut(std::ops::Range<usize>, &VerticalMap, &HorizontalMap)) {
        let plane = self.size[0] * self.size[1];
        let verticals: Vec<VerticalMap> = (0..self.kernel[0]).map(|a| self.inside(0, a)).map(|(inside, y0)| VerticalMap { inside, y0, stride: self.stride[0] }).collect();
        let horizontals: Vec<HorizontalMap> = (0..self.kernel[1]).map(|b| self.inside(1, b)).map(|(inside, x0)| HorizontalMap { width: self.out[1], inside, x0, stride: self.stride[1] }).collect();
        for c in 0..self.channels {
            for vertical in &verticals {
                for horizontal in &horizontals {
                    visit(c * plane..(c + 1) * plane, vertical, horizontal);
                }
            }
        }
    }

    /// Copies every window of each of `images` (several [C, H, W] images back to back) into a
    /// patch matrix whose rows are `row_len` long: image k fills the columns
    /// `k·OH·OW..(k + 1)·OH·OW` of every row (images side by side, for one larger GEMM).
    ///
    /// # Shapes
    /// - images: [count, C, H, W]; cols: [C·KH·KW, row_len], row_len >= count·OH·OW (the
    ///   images' columns overwritten)
    pub fn im2col(&self, images: &[f32], cols: &mut [f32], row_len: usize) {
        self.assert_fits(images.len(), cols.len(), row_len, "im2col");
        let (w, positions, image_len) = (self.size[1], self.positions(), self.image_len());
        let mut rows = cols.chunks_exact_mut(row_len);
        // Each image's block of a row is one call (strided_copy.rs, vectorised for the
        // stride-2 layers).
        self.for_each_row(|plane, vertical, horizontal| {
            let full_row = rows.next().expect("checked by assert_fits");
            for (image, block) in images.chunks_exact(image_len).zip(full_row.chunks_exact_mut(positions)) {
                strided_copy::gather_block(&image[plane.clone()], w, vertical, horizontal, block);
            }
        });
    }

    /// The adjoint of [`Self::im2col`]: adds every entry of the patch matrix back onto the
    /// image cell it was read from (entries read from the padding are dropped).
    ///
    /// # Shapes
    /// - cols: [C·KH·KW, row_len]; images: [count, C, H, W] (accumulated into)
    pub fn col2im_add(&self, cols: &[f32], row_len: usize, images: &mut [f32]) {
        self.assert_fits(images.len(), cols.len(), row_len, "col2im");
        let (w, positions, image_len) = (self.size[1], self.positions(), self.image_len());
        let mut rows = cols.chunks_exact(row_len);
        self.for_each_row(|plane, vertical, horizontal| {
            let full_row = rows.next().expect("checked by assert_fits");
            for (image, block) in images.chunks_exact_mut(image_len).zip(full_row.chunks_exact(positions)) {
                strided_copy::scatter_add_block(block, vertical, horizontal, &mut image[plane.clone()], w);
            }
        });
    }
}

/// A read-only matrix view: element (r, c) at `data[r·row_stride + c·col_stride]`.
#[derive(Clone, Copy)]
struct MatRef<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
}

impl<'a> MatRef<'a> {
    fn row_major(data: &'a [f32], cols: usize) -> Self {
        Self { data, row_stride: cols, col_stride: 1 }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self { data, row_stride: 1, col_stride: cols }
    }

    fn covers(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.row_stride + (cols - 1) * self.col_stride < self.data.len()
    }
}

/// `dst = lhs · rhs` (or `dst += lhs · rhs` when `accumulate`), dst row-major [m, n].
fn matmul(m: usize, n: usize, k: usize, dst: &mut [f32], accumulate: bool, lhs: MatRef, rhs: MatRef) {
    assert!(dst.len() >= m * n && lhs.covers(m, k) && rhs.covers(k, n), "matmul: operand too small");
    // SAFETY: the asserts above keep every index gemm forms (r·rs + c·cs over the given
    // extents) inside its slice; dst is borrowed mutably and does not alias lhs or rhs.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `y = conv2d(x, weight) + bias` (stride/padding of `patches`, dilation 1, groups 1), then
/// max(y, 0) if `relu`: straight from the images where `direct_conv::DirectConv` applies (64
/// output channels, 64 taps or more, AVX-512, a batch of 16 images or more), else
/// per chunk of images one GEMM, weight [C_out, rows] · patches [rows, b·P].
///
/// # Shapes
/// - x: [N, C_in, H, W] (`patches` describes one image of it)
/// - weight: [C_out, C_in, KH, KW]; bias: [C_out]
/// - returns [N, C_out, OH, OW]
pub fn conv2d_forward(x: &[f32], weight: &[f32], bias: &[f32], n: usize, patches: Patches, c_out: usize, relu: bool) -> Vec<f32> {
    match DirectConv::for_batch(n, patches, weight, c_out) {
        Some(direct) => direct.forward(x, bias, n, relu),
        None => conv2d_forward_gemm(x, weight, bias, n, patches, c_out, relu),
    }
}

/// [`conv2d_forward`] through im2col + GEMM always (the path for geometries and CPUs the
/// direct kernel does not take; the tests' reference for it).
///
/// # Shapes
/// - as [`conv2d_forward`]
pub fn conv2d_forward_gemm(x: &[f32], weight: &[f32], bias: &[f32], n: usize, patches: Patches, c_out: usize, relu: bool) -> Vec<f32> {
    let (rows, positions, image_len) = (patches.rows(), patches.positions(), patches.image_len());
    assert_eq!(x.len(), n * image_len, "conv2d_forward: input size");
    assert_eq!(weight.len(), c_out * rows, "conv2d_forward: weight size");
    assert_eq!(bias.len(), c_out, "conv2d_forward: bias size");
    let out_len = c_out * positions;
    over_output_chunks(n, out_len, images_per_chunk(rows.max(c_out) * positions), [rows * positions, c_out * positions], |first, images, [cols, wide]| {
        let count = images.len() / out_len;
        let span = count * positions;
        patches.im2col(&x[first * image_len..(first + count) * image_len], cols, span);
        let cols = &cols[..rows * span];
        write_side_by_side(images, wide, count, c_out, positions, |y| matmul(c_out, span, rows, y, false, MatRef::row_major(weight, rows), MatRef::row_major(cols, span)));
        add_bias(images, positions, bias, relu);
    })
}

/// Gradients of `y = conv2d(x, weight) + bias` (stride/padding of `patches`, dilation 1,
/// groups 1), given the output gradient; with `relu_output` (max(y, 0)), of that ReLU's output.
/// The weight gradient comes straight from the images where the forward's direct kernel
/// applies (`direct_conv`), else from the patch matrix by GEMM, as the input gradient always.
///
/// # Shapes
/// - x: [N, C_in, H, W] (`patches` describes one image of it)
/// - weight: [C_out, C_in, KH, KW]
/// - grad_out: [N, C_out, OH, OW]
/// - returns input [N, C_in, H, W] (if `want_input`), weight [C_out, C_in, KH, KW], bias [C_out]
pub fn conv2d_backward(x: &[f32], weight: &[f32], grad_out: &[f32], relu_output: Option<&[f32]>, n: usize, patches: Patches, c_out: usize, want_input: bool) -> LayerGrads {
    let (rows, positions, image_len) = (patches.rows(), patches.positions(), patches.image_len());
    assert_eq!(x.len(), n * image_len, "conv2d_backward: input size");
    assert_eq!(weight.len(), c_out * rows, "conv2d_backward: weight size");
    assert_eq!(grad_out.len(), n * c_out * positions, "conv2d_backward: output gradient size");
    // dX is the transposed convolution of dY with this weight ([C_out, C_in, KH, KW] read as
    // [C_in', C_out', KH, KW]): one output row a vector where the parity kernel applies.
    let parity = if want_input { ParityDeconv::for_batch(n, patches, weight, c_out) } else { None };
    // Else, size-keeping stride 1: dX as a convolution of dY, whose windows the third scratch
    // holds.
    let transposed = (want_input && parity.is_none() && patches.keeps_size()).then(|| patches.transposed_convolution(weight, c_out));
    let dy_rows = if transposed.is_some() { c_out * patches.kernel[0] * patches.kernel[1] } else { 0 };
    let scratch_per_image = rows.max(c_out).max(dy_rows) * positions;
    // The weight gradient straight from the images where the direct kernel applies (its
    // scratch fits in the patch matrix's); it accumulates tap-major, transposed at the end.
    let direct = DirectConv::for_batch(n, patches, weight, c_out).filter(|d| d.weight_grad_scratch_len(1) <= scratch_per_image);
    let parity = parity.filter(|p| p.scratch_len() <= scratch_per_image);
    let plan = ChunkPlan { images: n, grad_out, relu_output, input_len: image_len, want_input, weight_len: c_out * rows, bias_len: c_out, scratch_per_image };
    let mut grads = over_chunks(plan, |step| {
        let wide = step.images.len() * positions;
        let [cols, gy, cols_grad] = step.scratch;
        let images = &x[step.images.start * image_len..step.images.end * image_len];
        // dY side by side [C_out, b·P] only for the GEMM products that read it.
        let gy = (direct.is_none() || (want_input && parity.is_none() && transposed.is_none())).then(|| side_by_side(step.grad_out, 0..step.images.len(), c_out, positions, gy));
        if let Some(direct) = &direct {
            direct.add_weight_grad(images, step.grad_out, step.weight_grad, cols);
        } else if let Some(gy) = gy {
            let cols = &mut cols[..rows * wide];
            patches.im2col(images, cols, wide);
            // dW [C_out, rows] += dY [C_out, b·P] · colsᵀ [b·P, rows]
            matmul(c_out, rows, wide, step.weight_grad, true, MatRef::row_major(gy, wide), MatRef::transposed(cols, wide));
        }
        for image in step.grad_out.chunks_exact(c_out * positions) {
            add_channel_sums(image, positions, step.bias_grad);
        }
        let Some(gx) = step.input_grad else { return };
        if let Some(parity) = &parity {
            parity.run(step.grad_out, None, false, gx, cols_grad);
        } else if let Some((grad_patches, flipped)) = &transposed {
            // dX [C_in, b·P] = W' [C_in, C_out·KH·KW] · patches of dY (a gather, no scatter-add).
            let dy_cols = &mut cols_grad[..dy_rows * wide];
            grad_patches.im2col(step.grad_out, dy_cols, wide);
            let dy_cols = &*dy_cols;
            write_side_by_side(gx, cols, step.images.len(), patches.channels, positions, |dx| matmul(patches.channels, wide, dy_rows, dx, false, MatRef::row_major(flipped, dy_rows), MatRef::row_major(dy_cols, wide)));
        } else if let Some(gy) = gy {
            // dcols [rows, b·P] = Wᵀ [rows, C_out] · dY [C_out, b·P], folded back onto each image.
            let cols_grad = &mut cols_grad[..rows * wide];
            matmul(rows, wide, c_out, cols_grad, false, MatRef::transposed(weight, rows), MatRef::row_major(gy, wide));
            patches.col2im_add(cols_grad, wide, gx);
        }
    });
    if direct.is_some() {
        grads.weight = from_tap_major(&grads.weight, c_out, rows);
    }
    grads
}

/// `y = conv_transpose2d(x, weight) + bias` (dilation 1, groups 1, no output padding), then
/// max(y, 0) if `relu`: one output row a vector where `parity_deconv::ParityDeconv` applies
/// (the decoders' 4 x 4, stride 2, padding 1, output rows of 16 or fewer, AVX-512, a batch of
/// 16 or more), else through GEMM ([`conv_transpose2d_forward_gemm`]). `patches` describes
/// one output image read with the layer's stride and padding (as in
/// [`conv_transpose2d_backward`]).
///
/// # Shapes
/// - x: [N, C_in, H, W]; weight: [C_in, C_out, KH, KW]; bias: [C_out]
/// - returns [N, C_out, OH, OW]
pub fn conv_transpose2d_forward(x: &[f32], weight: &[f32], bias: &[f32], n: usize, patches: Patches, c_in: usize, relu: bool) -> Vec<f32> {
    match ParityDeconv::for_batch(n, patches, weight, c_in) {
        Some(parity) => parity.forward(x, bias, n, relu),
        None => conv_transpose2d_forward_gemm(x, weight, bias, n, patches, c_in, relu),
    }
}

/// [`conv_transpose2d_forward`] through GEMM always: per chunk of images one product, weightᵀ
/// [rows, C_in] · x [C_in, b·P], folded onto the outputs by col2im (the path for other
/// geometries and CPUs; the tests' reference for the parity kernel).
///
/// # Shapes
/// - as [`conv_transpose2d_forward`]
pub fn conv_transpose2d_forward_gemm(x: &[f32], weight: &[f32], bias: &[f32], n: usize, patches: Patches, c_in: usize, relu: bool) -> Vec<f32> {
    let (rows, positions, out_len) = (patches.rows(), patches.positions(), patches.image_len());
    let c_out = patches.channels;
    assert_eq!(x.len(), n * c_in * positions, "conv_transpose2d_forward: input size");
    assert_eq!(weight.len(), c_in * rows, "conv_transpose2d_forward: weight size");
    assert_eq!(bias.len(), c_out, "conv_transpose2d_forward: bias size");
    let plane = patches.size[0] * patches.size[1];
    over_output_chunks(n, out_len, images_per_chunk(rows.max(c_in) * positions), [rows * positions, c_in * positions], |first, images, [cols, xs]| {
        let count = images.len() / out_len;
        let span = count * positions;
        let xs = side_by_side(x, first..first + count, c_in, positions, xs);
        matmul(rows, span, c_in, cols, false, MatRef::transposed(weight, rows), MatRef::row_major(xs, span));
        patches.col2im_add(&cols[..rows * span], span, images);
        add_bias(images, plane, bias, relu);
    })
}

/// Gradients of `y = conv_transpose2d(x, weight) + bias` (dilation 1, groups 1, no output
/// padding; with `relu_output`, of max(y, 0)). A transposed convolution's input gradient is
/// the plain convolution of the output gradient, so `patches` describes one image of
/// `grad_out` read with the layer's stride and padding, and its `out` is the input's [H, W].
///
/// # Shapes
/// - x: [N, C_in, H, W]
/// - weight: [C_in, C_out, KH, KW]
/// - grad_out: [N, C_out, OH, OW]
/// - returns input [N, C_in, H, W] (if `want_input`), weight [C_in, C_out, KH, KW], bias [C_out]
pub fn conv_transpose2d_backward(x: &[f32], weight: &[f32], grad_out: &[f32], relu_output: Option<&[f32]>, n: usize, patches: Patches, c_in: usize, want_input: bool) -> LayerGrads {
    let (rows, positions, out_len) = (patches.rows(), patches.positions(), patches.image_len());
    let c_out = patches.channels;
    assert_eq!(x.len(), n * c_in * positions, "conv_transpose2d_backward: input size");
    assert_eq!(weight.len(), c_in * rows, "conv_transpose2d_backward: weight size");
    assert_eq!(grad_out.len(), n * out_len, "conv_transpose2d_backward: output gradient size");
    let scratch_per_image = rows.max(c_in) * positions;
    // Both gradients are those of the convolution dY -> X with this layer's weight: where the
    // direct kernel takes that convolution, dX is its forward and dW its weight gradient
    // (kept tap-major, transposed at the end), and no patch matrix of dY is made.
    let direct = DirectConv::for_batch(n, patches, weight, c_in).filter(|d| d.weight_grad_scratch_len(1).max(d.scratch_len()) <= scratch_per_image);
    let plan = ChunkPlan { images: n, grad_out, relu_output, input_len: c_in * positions, want_input, weight_len: c_in * rows, bias_len: c_out, scratch_per_image };
    let mut grads = over_chunks(plan, |step| {
        let wide = step.images.len() * positions;
        let [cols, xs, gxs] = step.scratch;
        let gy = step.grad_out;
        for image in gy.chunks_exact(out_len) {
            add_channel_sums(image, patches.size[0] * patches.size[1], step.bias_grad);
        }
        if let Some(direct) = &direct {
            direct.add_weight_grad(gy, &x[step.images.start * c_in * positions..step.images.end * c_in * positions], step.weight_grad, cols);
            if let Some(gx) = step.input_grad {
                direct.run(gy, None, false, gx, gxs);
            }
            return;
        }
        let cols = &mut cols[..rows * wide];
        patches.im2col(gy, cols, wide);
        let xs = side_by_side(x, step.images.clone(), c_in, positions, xs);
        // dW [C_in, rows] += X [C_in, b·P] · colsᵀ [b·P, rows]
        matmul(c_in, rows, wide, step.weight_grad, true, MatRef::row_major(xs, wide), MatRef::transposed(cols, wide));
        if let Some(gx) = step.input_grad {
            // dX [C_in, b·P] = W [C_in, rows] · cols [rows, b·P]
            let cols = &*cols;
            write_side_by_side(gx, gxs, step.images.len(), c_in, positions, |dx| matmul(c_in, wide, rows, dx, false, MatRef::row_major(weight, rows), MatRef::row_major(cols, wide)));
        }
    });
    if direct.is_some() {
        grads.weight = from_tap_major(&grads.weight, c_in, rows);
    }
    grads
}

/// A weight gradient kept tap-major by the direct kernel, [rows, C], in the weight's layout
/// [C, rows].
fn from_tap_major(tap_major: &[f32], channels: usize, rows: usize) -> Vec<f32> {
    (0..channels * rows).map(|i| tap_major[(i % rows) * channels + i / rows]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patches(channels: usize, size: [usize; 2], kernel: usize, stride: usize, padding: usize) -> Patches {
        let out = size.map(|s| (s + 2 * padding - kernel) / stride + 1);
        Patches { channels, size, kernel: [kernel; 2], stride: [stride; 2], padding: [padding; 2], out }
    }

    fn pseudo_random(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// Image row (or column) read by window `i`, kernel offset `a`, along `axis`; None when it
    /// falls in the padding. The definition, cell by cell, that the kernels' bounds must match.
    fn source(p: &Patches, axis: usize, i: usize, a: usize) -> Option<usize> {
        (i * p.stride[axis] + a).checked_sub(p.padding[axis]).filter(|&y| y < p.size[axis])
    }

    /// im2col against its definition, on geometries where windows start, end or lie wholly in
    /// the padding (the kernel's bounds are worked out per row, not per cell).
    #[test]
    fn im2col_matches_the_cell_by_cell_definition() {
        let geometries = [
            patches(2, [7, 9], 4, 2, 1),
            patches(3, [5, 5], 3, 1, 1),
            patches(1, [6, 4], 2, 3, 0),
            patches(1, [3, 3], 2, 1, 2),
            patches(2, [4, 5], 5, 3, 2),
            Patches { channels: 1, size: [28, 28], kernel: [4, 4], stride: [2, 2], padding: [1, 1], out: [14, 14] },
            Patches { channels: 2, size: [5, 6], kernel: [3, 2], stride: [1, 2], padding: [0, 1], out: [3, 4] },
        ];
        for p in geometries {
            // Two images side by side, in rows with 5 spare columns that must stay untouched.
            let x = pseudo_random(2 * p.image_len(), 7);
            let row_len = 2 * p.positions() + 5;
            let mut cols = vec![f32::NAN; p.rows() * row_len];
            p.im2col(&x, &mut cols, row_len);
            let ([h, w], [kh, kw], [oh, ow]) = (p.size, p.kernel, p.out);
            for row in 0..p.rows() {
                let (c, a, b) = (row / (kh * kw), (row / kw) % kh, row % kw);
                for image in 0..2 {
                    for i in 0..oh {
                        for j in 0..ow {
                            let expected = match (source(&p, 0, i, a), source(&p, 1, j, b)) {
                                (Some(y), Some(xx)) => x[image * p.image_len() + (c * h + y) * w + xx],
                                _ => 0.0,
                            };
                            assert_eq!(cols[row * row_len + image * p.positions() + i * ow + j], expected, "{p:?} image {image} row {row} ({i}, {j})");
                        }
                    }
                }
                assert!(cols[row * row_len + 2 * p.positions()..(row + 1) * row_len].iter().all(|v| v.is_nan()), "{p:?}: spare columns written");
            }
        }
    }

    /// ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: col2im is im2col's adjoint.
    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        for p in [patches(2, [7, 9], 4, 2, 1), patches(3, [5, 5], 3, 1, 1), patches(1, [6, 4], 2, 3, 0), patches(1, [3, 3], 2, 1, 2), patches(2, [4, 5], 5, 3, 2)] {
            let x = pseudo_random(3 * p.image_len(), 1);
            let c = pseudo_random(p.rows() * 3 * p.positions(), 2);
            let mut cols = vec![f32::NAN; c.len()];
            p.im2col(&x, &mut cols, 3 * p.positions());
            let mut back = vec![0.0; x.len()];
            p.col2im_add(&c, 3 * p.positions(), &mut back);
            let lhs: f64 = cols.iter().zip(&c).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
            assert!((lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0), "{p:?}: {lhs} vs {rhs}");
        }
    }

    /// Direct f64 convolution: y[n, co, i, j] = Σ w[co, ci, a, b] x[n, ci, i·s − p + a, j·s − p + b].
    fn direct_conv(x: &[f32], w: &[f32], n: usize, p: Patches, c_out: usize) -> Vec<f64> {
        let ([h, wd], [kh, kw], [oh, ow]) = (p.size, p.kernel, p.out);
        let mut y = vec![0.0f64; n * c_out * oh * ow];
        for b in 0..n {
            for co in 0..c_out {
                for i in 0..oh {
                    for j in 0..ow {
                        let mut acc = 0.0f64;
                        for ci in 0..p.channels {
                            for a in 0..kh {
                                for bb in 0..kw {
                                    let (Some(yy), Some(xx)) = (source(&p, 0, i, a), source(&p, 1, j, bb)) else { continue };
                                    acc += f64::from(w[((co * p.channels + ci) * kh + a) * kw + bb]) * f64::from(x[((b * p.channels + ci) * h + yy) * wd + xx]);
                                }
                            }
                        }
                        y[((b * c_out + co) * oh + i) * ow + j] = acc;
                    }
                }
            }
        }
        y
    }

    /// The conv gradients against finite differences of ⟨direct_conv(x, w), r⟩, which is
    /// linear in x and in w, so a unit perturbation gives the exact derivative.
    #[test]
    fn conv2d_gradients_match_the_direct_convolution() {
        // Strided (col2im input gradient), and size-keeping with more output than input
        // channels (the input gradient as a convolution of dY, Patches::keeps_size).
        for (p, c_out) in [(patches(2, [6, 5], 3, 2, 1), 4), (patches(2, [6, 5], 3, 1, 1), 3)] {
            conv2d_gradients_match_for(p, c_out);
        }
        assert!(patches(2, [6, 5], 3, 1, 1).keeps_size() && !patches(2, [6, 5], 3, 2, 1).keeps_size() && !patches(2, [6, 5], 3, 1, 0).keeps_size());
    }

    fn conv2d_gradients_match_for(p: Patches, c_out: usize) {
        let n = 3;
        let x = pseudo_random(n * p.image_len(), 3);
        let w = pseudo_random(c_out * p.rows(), 4);
        let r = pseudo_random(n * c_out * p.positions(), 5);
        let g = conv2d_backward(&x, &w, &r, None, n, p, c_out, true);
        let objective = |x: &[f32], w: &[f32]| -> f64 { direct_conv(x, w, n, p, c_out).iter().zip(&r).map(|(y, r)| y * f64::from(*r)).sum() };
        let base = objective(&x, &w);
        for k in (0..x.len()).step_by(7) {
            let mut x2 = x.clone();
            x2[k] += 1.0;
            let expected = objective(&x2, &w) - base;
            assert!((f64::from(g.input.as_ref().unwrap()[k]) - expected).abs() < 1e-4, "d x[{k}]");
        }
        for k in 0..w.len() {
            let mut w2 = w.clone();
            w2[k] += 1.0;
            let expected = objective(&x, &w2) - base;
            assert!((f64::from(g.weight[k]) - expected).abs() < 1e-4, "d w[{k}]");
        }
        for co in 0..c_out {
            let expected: f64 = (0..n).flat_map(|b| r[(b * c_out + co) * p.positions()..(b * c_out + co + 1) * p.positions()].iter()).map(|v| f64::from(*v)).sum();
            assert!((f64::from(g.bias[co]) - expected).abs() < 1e-4, "d bias[{co}]");
        }
        assert!(conv2d_backward(&x, &w, &r, None, n, p, c_out, false).input.is_none());
    }

    /// A transposed convolution is the adjoint of a convolution with the same weight:
    /// ⟨convT(x), y⟩ = ⟨x, conv(y)⟩; so convT's input gradient for output gradient r is
    /// conv(r), computed directly.
    #[test]
    fn conv_transpose2d_input_gradient_is_the_direct_convolution() {
        let (n, c_in, c_out) = (2, 3, 2);
        let p = patches(c_out, [8, 8], 4, 2, 1); // reads the [C_out, 8, 8] output back to 4x4
        let x = pseudo_random(n * c_in * p.positions(), 6);
        let w = pseudo_random(c_in * p.rows(), 7); // [C_in, C_out, 4, 4]
        let r = pseudo_random(n * p.image_len(), 8);
        let g = conv_transpose2d_backward(&x, &w, &r, None, n, p, c_in, true);
        let expected = direct_conv(&r, &w, n, p, c_in);
        for (k, (a, e)) in g.input.unwrap().iter().zip(&expected).enumerate() {
            assert!((f64::from(*a) - e).abs() < 1e-4, "d x[{k}]: {a} vs {e}");
        }
        // dW[ci, co, a, b] = Σ x[n, ci, i, j] r[n, co, 2i − 1 + a, 2j − 1 + b]: the derivative
        // of ⟨x, conv(r)⟩ with respect to w, by the same finite difference.
        let objective = |w: &[f32]| -> f64 { direct_conv(&r, w, n, p, c_in).iter().zip(&x).map(|(y, x)| y * f64::from(*x)).sum() };
        let base = objective(&w);
        for k in 0..w.len() {
            let mut w2 = w.clone();
            w2[k] += 1.0;
            assert!((f64::from(g.weight[k]) - (objective(&w2) - base)).abs() < 1e-4, "d w[{k}]");
        }
    }

    /// Large images take one image per GEMM chunk (see `images_per_chunk`), small ones many:
    /// the batch's gradients equal the sum of the images' own, either way.
    #[test]
    fn chunking_does_not_change_the_gradients() {
        for (p, c_out) in [(patches(64, [18, 18], 4, 1, 0), 2), (patches(2, [6, 6], 3, 1, 1), 3)] {
            let n = 5;
            let x = pseudo_random(n * p.image_len(), 9);
            let w = pseudo_random(c_out * p.rows(), 10);
            let r = pseudo_random(n * c_out * p.positions(), 11);
            let batch = conv2d_backward(&x, &w, &r, None, n, p, c_out, true);
            let mut weight = vec![0.0f32; w.len()];
            for i in 0..n {
                let one = conv2d_backward(&x[i * p.image_len()..(i + 1) * p.image_len()], &w, &r[i * c_out * p.positions()..(i + 1) * c_out * p.positions()], None, 1, p, c_out, true);
                weight.iter_mut().zip(&one.weight).for_each(|(a, b)| *a += b);
                let got = &batch.input.as_ref().unwrap()[i * p.image_len()..(i + 1) * p.image_len()];
                assert!(got.iter().zip(one.input.as_ref().unwrap()).all(|(a, b)| (a - b).abs() < 1e-4), "d x of image {i}");
            }
            assert!(batch.weight.iter().zip(&weight).all(|(a, b)| (a - b).abs() < 1e-3 * (1.0 + b.abs())), "d w ({p:?})");
        }
    }

    #[test]
    fn conv2d_forward_matches_the_direct_convolution() {
        for (p, c_out, n) in [(patches(2, [6, 5], 3, 2, 1), 4, 3), (patches(64, [18, 18], 4, 1, 0), 2, 3), (patches(1, [28, 28], 4, 2, 1), 5, 7)] {
            let x = pseudo_random(n * p.image_len(), 12);
            let w = pseudo_random(c_out * p.rows(), 13);
            let b = pseudo_random(c_out, 14);
            let y = conv2d_forward(&x, &w, &b, n, p, c_out, false);
            let direct = direct_conv(&x, &w, n, p, c_out);
            for (k, (got, want)) in y.iter().zip(&direct).enumerate() {
                let want = want + f64::from(b[(k / p.positions()) % c_out]);
                assert!((f64::from(*got) - want).abs() < 1e-3, "{p:?} y[{k}]: {got} vs {want}");
            }
        }
    }

    /// ⟨convT(x), r⟩ = ⟨x, conv(r)⟩ for the transposed convolution's own forward.
    #[test]
    fn conv_transpose2d_forward_is_the_adjoint_of_the_convolution() {
        let (n, c_in, c_out) = (3, 3, 2);
        let p = patches(c_out, [8, 8], 4, 2, 1);
        let x = pseudo_random(n * c_in * p.positions(), 15);
        let w = pseudo_random(c_in * p.rows(), 16);
        let r = pseudo_random(n * p.image_len(), 17);
        let zero_bias = vec![0.0f32; c_out];
        let y = conv_transpose2d_forward(&x, &w, &zero_bias, n, p, c_in, false);
        let lhs: f64 = y.iter().zip(&r).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
        let rhs: f64 = direct_conv(&r, &w, n, p, c_in).iter().zip(&x).map(|(a, b)| a * f64::from(*b)).sum();
        assert!((lhs - rhs).abs() < 1e-3 * rhs.abs().max(1.0), "{lhs} vs {rhs}");
        let bias = vec![0.5f32, -1.0];
        let shifted = conv_transpose2d_forward(&x, &w, &bias, n, p, c_in, false);
        for (k, (a, b)) in shifted.iter().zip(&y).enumerate() {
            assert!((a - b - bias[(k / 64) % c_out]).abs() < 1e-5, "bias at {k}");
        }
    }
}
