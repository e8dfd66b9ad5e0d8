//! A convolution computed straight from the images, without a patch matrix: each output cell
//! is read from a zero-bordered copy of its image at a fixed offset per kernel tap, and the
//! products run in AVX-512 registers, 16 output channels a vector.
//!
//! Why: through im2col + GEMM a forward of `encoder.conv2` (32 -> 64 channels, 4 x 4, stride
//! 2) copies each image's windows into a patch matrix 2.6x the image's size, which the GEMM then
//! packs again; here each image is copied once, into its bordered plane, and the taps index it.
//! `cargo run --release --example conv_timing` gives both paths (docs/speed.md).
//!
//! How: an output tile is `NP` positions by all the output channels (`V` vectors of 16),
//! `NP·V = 24` accumulators; each tap k loads the weights `W[k, 0..C_out]` (packed tap-major
//! once per call) and broadcasts the `NP` input cells `plane[base(p) + offset(k)]`. The tile is
//! written position-major, then moved to the NCHW output with the bias and the ReLU. The
//! weight gradient turns the tile around ([`DirectConv::add_weight_grad`]): 6 taps by 64
//! channels, over every position of every image, so the backward needs no patch matrix for it
//! either. A transposed convolution with 64 input channels takes both for its gradients (its dX
//! is the forward, its dW the weight gradient, of the convolution dY -> X).
//!
//! Applies where the output has 64 channels (four vectors: the tile of 6 positions x 64
//! channels), there are at least [`MIN_TAPS`] taps, a batch of [`MIN_IMAGES`] and AVX-512; the caller
//! ([`super::conv_kernels`]) keeps the GEMM path for everything else. With 32 channels (tiles of
//! 12 positions x 32) the ResNet arch's 3 x 3 blocks at 14 x 14 were slower than through GEMM
//! (`kanerva bench --arch resnet`: 41.6-45.0 against 37.3-38.0 ms a layer, forward and
//! backward), while its 64-channel layers were faster (30.2-31.0 against 32.9-34.2 ms).

use rayon::prelude::*;

use super::conv_kernels::Patches;
use super::thread_buffers::{ALIGN_SLACK, AlignedFloats, cache_aligned, with_scratch, zeroed_by_threads};

/// Output channels the kernel takes: 4 vectors of 16, times 6 positions, fill 24 of the 32
/// registers, leaving room for the loaded weights and the broadcast.
const CHANNELS: usize = 64;

/// Taps (C_in·KH·KW) below which the GEMM path stays faster: with few taps a tile's products
/// are short and moving the position-major tiles into the NCHW output dominates
/// (`encoder.conv1`, 16 taps: 5.95-6.57 ms forward and backward against 5.73-5.88 through GEMM).
const MIN_TAPS: usize = 64;

/// Images from which a batch takes the direct kernel ([`DirectConv::for_batch`]): packing the
/// weights costs about what the kernel saves on a few images (a one-query read through it took
/// 255-272 us against 195-205 through GEMM, `kanerva bench`), so reads keep GEMM.
const MIN_IMAGES: usize = 16;

/// One convolution's weights packed for the direct kernel, with its tap offsets and the
/// positions' bases in a bordered image plane.
pub struct DirectConv {
    patches: Patches,
    c_out: usize,
    /// `W[k, co]`, tap-major: [C_in·KH·KW, C_out].
    packed: AlignedFloats,
    /// Offset of tap k = (c, a, b) in the bordered image: `c·plane + a·width + b`.
    tap_offsets: Vec<u32>,
    /// Offset of output position (i, j)'s window corner: `i·s_h·width + j·s_w`.
    bases: Vec<u32>,
    /// Bordered plane [rows, width]: the image at (padding, padding), zeros around it.
    bordered: [usize; 2],
}

impl DirectConv {
    /// The weights of a convolution over images that `patches` describes, packed for the
    /// direct kernel; None where it does not apply (channels, CPU).
    ///
    /// # Shapes
    /// - weight: [C_out, C_in, KH, KW]
    pub fn new(patches: Patches, weight: &[f32], c_out: usize) -> Option<Self> {
        if !(c_out == CHANNELS && patches.rows() >= MIN_TAPS && has_avx512()) {
            return None;
        }
        let rows = patches.rows();
        assert_eq!(weight.len(), c_out * rows, "DirectConv: weight size");
        let ([kh, kw], [s_h, s_w], [oh, ow]) = (patches.kernel, patches.stride, patches.out);
        // Every window lies inside the bordered plane: it reaches row (OH − 1)·s + KH − 1.
        let bordered = [((oh - 1) * s_h + kh).max(patches.padding[0] + patches.size[0]), ((ow - 1) * s_w + kw).max(patches.padding[1] + patches.size[1])];
        let plane = bordered[0] * bordered[1];
        let mut packed = AlignedFloats::zeroed(rows * c_out);
        let packed_weights = packed.as_mut_slice();
        for co in 0..c_out {
            for k in 0..rows {
                packed_weights[k * c_out + co] = weight[co * rows + k];
            }
        }
        let tap_offsets: Vec<u32> = (0..rows).map(|k| (k / (kh * kw) * plane + (k / kw % kh) * bordered[1] + k % kw) as u32).collect();
        let bases: Vec<u32> = (0..oh * ow).map(|p| ((p / ow) * s_h * bordered[1] + (p % ow) * s_w) as u32).collect();
        // What the kernel's unchecked reads rely on: the last window's last tap lies inside
        // the bordered image (and every offset fits in u32).
        let last = bases.last().map_or(0, |&b| b as usize) + tap_offsets.last().map_or(0, |&t| t as usize);
        assert!(patches.channels * plane <= u32::MAX as usize && last < patches.channels * plane, "DirectConv: windows outside the bordered image");
        Some(Self { patches, c_out, packed, tap_offsets, bases, bordered })
    }

    /// [`Self::new`] for a batch of `n` images: None for batches under [`MIN_IMAGES`].
    ///
    /// # Shapes
    /// - weight: [C_out, C_in, KH, KW]
    pub fn for_batch(n: usize, patches: Patches, weight: &[f32], c_out: usize) -> Option<Self> {
        if n < MIN_IMAGES { None } else { Self::new(patches, weight, c_out) }
    }

    /// Floats of one bordered image: C_in planes.
    fn bordered_len(&self) -> usize {
        self.patches.channels * self.bordered[0] * self.bordered[1]
    }

    /// Scratch floats [`Self::run`] needs: one bordered image and one position-major tile
    /// block (on a cache line).
    pub fn scratch_len(&self) -> usize {
        self.bordered_len() + self.patches.positions() * self.c_out + ALIGN_SLACK
    }

    /// Scratch floats [`Self::add_weight_grad`] needs for `count` images: their bordered
    /// images and their output gradients position-major (on a cache line).
    pub fn weight_grad_scratch_len(&self, count: usize) -> usize {
        count * (self.bordered_len() + self.patches.positions() * self.c_out) + ALIGN_SLACK
    }

    /// Adds the weight gradient over `images` to `grad`, kept tap-major (the transpose of the
    /// weight's layout, so that a tile adds whole vectors):
    /// `grad[k, co] += Σ_{image, p} grad_out[image, co, p] · image[window p, tap k]`.
    ///
    /// # Shapes
    /// - images: [count, C_in, H, W]; grad_out: [count, C_out, OH, OW]; grad: [C_in·KH·KW, C_out]
    /// - scratch: at least [`Self::weight_grad_scratch_len`] floats (contents ignored)
    pub fn add_weight_grad(&self, images: &[f32], grad_out: &[f32], grad: &mut [f32], scratch: &mut [f32]) {
        let (p, c_out, positions) = (self.patches, self.c_out, self.patches.positions());
        let count = images.len() / p.image_len().max(1);
        assert!(images.len() == count * p.image_len() && grad_out.len() == count * c_out * positions && grad.len() == p.rows() * c_out, "DirectConv::add_weight_grad: sizes");
        let (bordered, rest) = scratch[..self.weight_grad_scratch_len(count)].split_at_mut(count * self.bordered_len());
        let position_major = cache_aligned(rest, count * positions * c_out);
        for ((image, dst), (g, g_t)) in images.chunks_exact(p.image_len()).zip(bordered.chunks_exact_mut(self.bordered_len())).zip(grad_out.chunks_exact(c_out * positions).zip(position_major.chunks_exact_mut(positions * c_out))) {
            self.write_bordered(image, dst);
            for (co, plane) in g.chunks_exact(positions).enumerate() {
                for (pos, &v) in plane.iter().enumerate() {
                    g_t[pos * c_out + co] = v;
                }
            }
        }
        // SAFETY: AVX-512 was checked in `new`; every base plus tap indexes inside one
        // bordered image (asserted in `new`), the images and gradients are `count` long, and
        // `grad` holds taps x 64 floats.
        unsafe { avx512::add_weight_grad(bordered, self.bordered_len(), position_major, &self.tap_offsets, &self.bases, grad) };
    }

    /// Writes one image into its bordered planes, zeros around it.
    ///
    /// # Shapes
    /// - image: [C_in, H, W]; out: [C_in, rows, width] (overwritten)
    fn write_bordered(&self, image: &[f32], out: &mut [f32]) {
        let ([h, w], [pad_h, pad_w], [rows, width]) = (self.patches.size, self.patches.padding, self.bordered);
        for (src, dst) in image.chunks_exact(h * w).zip(out.chunks_exact_mut(rows * width)) {
            dst[..pad_h * width].fill(0.0);
            dst[(pad_h + h) * width..].fill(0.0);
            for (src_row, dst_row) in src.chunks_exact(w).zip(dst[pad_h * width..].chunks_exact_mut(width)) {
                if width <= 16 {
                    // SAFETY: AVX-512 was checked in `new`; the row's W floats are read and its
                    // `width` <= 16 floats written.
                    unsafe { avx512::bordered_row(src_row, pad_w, dst_row) };
                } else {
                    dst_row[..pad_w].fill(0.0);
                    dst_row[pad_w..pad_w + w].copy_from_slice(src_row);
                    dst_row[pad_w + w..].fill(0.0);
                }
            }
        }
    }

    /// `conv(x) + bias`, then max(·, 0) if `relu`, the images split evenly over the threads.
    ///
    /// # Shapes
    /// - x: [N, C_in, H, W]; bias: [C_out]; returns [N, C_out, OH, OW]
    pub fn forward(&self, x: &[f32], bias: &[f32], n: usize, relu: bool) -> Vec<f32> {
        let (image_len, out_len) = (self.patches.image_len(), self.c_out * self.patches.positions());
        assert_eq!(x.len(), n * image_len, "DirectConv::forward: input size");
        let mut out = zeroed_by_threads(n * out_len);
        let share = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
        out.par_chunks_mut((share * out_len).max(1)).zip(x.par_chunks((share * image_len).max(1))).for_each(|(out, images)| {
            with_scratch([self.scratch_len()], |[scratch]| self.run(images, Some(bias), relu, out, scratch));
        });
        out
    }

    /// `out = conv(images) + bias`, then max(·, 0) if `relu`, on this thread.
    ///
    /// # Shapes
    /// - images: [count, C_in, H, W]; bias: [C_out] (None: zeros); out: [count, C_out, OH, OW]
    /// - scratch: at least [`Self::scratch_len`] floats (contents ignored)
    pub fn run(&self, images: &[f32], bias: Option<&[f32]>, relu: bool, out: &mut [f32], scratch: &mut [f32]) {
        let (p, c_out, positions) = (self.patches, self.c_out, self.patches.positions());
        let count = images.len() / p.image_len().max(1);
        assert!(images.len() == count * p.image_len() && out.len() == count * c_out * positions && bias.is_none_or(|b| b.len() == c_out), "DirectConv::run: sizes");
        let (plane, rest) = scratch[..self.scratch_len()].split_at_mut(self.bordered_len());
        let tiles = cache_aligned(rest, positions * c_out);
        for (image, out) in images.chunks_exact(p.image_len()).zip(out.chunks_exact_mut(c_out * positions)) {
            self.write_bordered(image, plane);
            // SAFETY: AVX-512 was checked in `new`; every tap offset plus every base indexes
            // inside `plane` (the largest of each is the last, and `new` asserts their sum is
            // inside), and `tiles` holds positions x C_out floats.
            unsafe { avx512::all_tiles(plane, self.packed.as_slice(), &self.tap_offsets, &self.bases, tiles) };
            for (co, out_plane) in out.chunks_exact_mut(positions).enumerate() {
                let b = bias.map_or(0.0, |b| b[co]);
                for (pos, v) in out_plane.iter_mut().enumerate() {
                    let y = tiles[pos * c_out + co] + b;
                    *v = if relu { y.max(0.0) } else { y };
                }
            }
        }
    }
}

fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// `dst = [0; pad], src, [0; rest]` for a bordered row of at most 16 floats, in one vector:
    /// the copy by three small memset/memcpy calls a row had been a tenth of the kernel's time.
    ///
    /// # Safety
    /// AVX-512F present; `pad + src.len() <= dst.len() <= 16`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn bordered_row(src: &[f32], pad: usize, dst: &mut [f32]) {
        debug_assert!(pad + src.len() <= dst.len() && dst.len() <= 16);
        // SAFETY: the expand-load reads src's len() floats; the store writes dst's len().
        unsafe {
            let v = _mm512_maskz_expandloadu_ps((((1u32 << src.len()) - 1) << pad) as __mmask16, src.as_ptr());
            _mm512_mask_storeu_ps(dst.as_mut_ptr(), ((1u32 << dst.len()) - 1) as __mmask16, v);
        }
    }

    /// Every tile of one image: `tiles[p·C_out + co] = Σ_k packed[k·C_out + co] ·
    /// plane[bases[p] + taps[k]]`.
    ///
    /// # Safety
    /// AVX-512F present; `bases[p] + taps[k]` inside `plane` for every p and k; `packed` is
    /// taps.len() x 64; `tiles` at least bases.len() x 64.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn all_tiles(plane: &[f32], packed: &[f32], taps: &[u32], bases: &[u32], tiles: &mut [f32]) {
        // SAFETY: the caller's contract, passed on.
        unsafe { tiles_of::<4, 6>(plane, packed, taps, bases, tiles) }
    }

    /// `grad[k, co] += Σ_{image, p} grads[image, p, co] · bordered[image][bases[p] + taps[k]]`:
    /// tiles of 6 taps x 64 channels in registers, over every position of every image.
    ///
    /// # Safety
    /// AVX-512F present; `bases[p] + taps[k]` < `image_len` for every p and k; `bordered` is
    /// whole images of `image_len` floats and `grads` as many images of bases.len() x 64;
    /// `grad` is taps.len() x 64.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn add_weight_grad(bordered: &[f32], image_len: usize, grads: &[f32], taps: &[u32], bases: &[u32], grad: &mut [f32]) {
        const TAPS: usize = 6;
        let (positions, count) = (bases.len(), bordered.len() / image_len.max(1));
        for (t, chunk) in taps.chunks(TAPS).enumerate() {
            // A short last tile repeats its last tap and adds only the real ones.
            let tile_taps: [usize; TAPS] = std::array::from_fn(|j| chunk[j.min(chunk.len() - 1)] as usize);
            // SAFETY: the caller's contract: every read below is inside `bordered` or `grads`,
            // every write inside `grad` (rows t·6 .. t·6 + chunk.len()).
            unsafe {
                let mut acc = [[_mm512_setzero_ps(); 4]; TAPS];
                for image in 0..count {
                    let (plane, g) = (bordered.as_ptr().add(image * image_len), grads.as_ptr().add(image * positions * 64));
                    for (pos, &base) in bases.iter().enumerate() {
                        let gv: [__m512; 4] = std::array::from_fn(|v| _mm512_loadu_ps(g.add(pos * 64 + 16 * v)));
                        let cell = plane.add(base as usize);
                        for j in 0..TAPS {
                            let x = _mm512_set1_ps(*cell.add(tile_taps[j]));
                            for v in 0..4 {
                                acc[j][v] = _mm512_fmadd_ps(x, gv[v], acc[j][v]);
                            }
                        }
                    }
                }
                for (j, row) in acc.iter().enumerate().take(chunk.len()) {
                    for (v, value) in row.iter().enumerate() {
                        let dst = grad.as_mut_ptr().add((t * TAPS + j) * 64 + 16 * v);
                        _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_loadu_ps(dst), *value));
                    }
                }
            }
        }
    }

    /// Tiles of NP positions; the last one, if short, repeats its last position and stores
    /// only the real ones.
    #[target_feature(enable = "avx512f")]
    unsafe fn tiles_of<const V: usize, const NP: usize>(plane: &[f32], packed: &[f32], taps: &[u32], bases: &[u32], tiles: &mut [f32]) {
        let c_out = 16 * V;
        for (t, chunk) in bases.chunks(NP).enumerate() {
            let tile_bases: [u32; NP] = std::array::from_fn(|j| chunk[j.min(chunk.len() - 1)]);
            // SAFETY: the caller's contract covers every base and tap; the tile's stores fall
            // in `tiles` (positions t·NP .. t·NP + chunk.len(), C_out floats each).
            unsafe { tile::<V, NP>(plane.as_ptr(), packed.as_ptr(), taps, &tile_bases, tiles.as_mut_ptr().add(t * NP * c_out), chunk.len()) };
        }
    }

    /// One tile: NP positions x V·16 output channels in registers, over every tap.
    #[target_feature(enable = "avx512f")]
    unsafe fn tile<const V: usize, const NP: usize>(plane: *const f32, packed: *const f32, taps: &[u32], bases: &[u32; NP], out: *mut f32, stored: usize) {
        let c_out = 16 * V;
        // SAFETY: indices as the caller's contract says.
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); V]; NP];
            for (k, &tap) in taps.iter().enumerate() {
                let w: [__m512; V] = std::array::from_fn(|v| _mm512_loadu_ps(packed.add(k * c_out + 16 * v)));
                let cell = plane.add(tap as usize);
                for j in 0..NP {
                    let x = _mm512_set1_ps(*cell.add(bases[j] as usize));
                    for v in 0..V {
                        acc[j][v] = _mm512_fmadd_ps(x, w[v], acc[j][v]);
                    }
                }
            }
            for (j, row) in acc.iter().enumerate().take(stored) {
                for (v, value) in row.iter().enumerate() {
                    _mm512_storeu_ps(out.add(j * c_out + 16 * v), *value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::conv_kernels::conv2d_forward_gemm;

    fn pseudo_random(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// The direct kernel against im2col + GEMM: short last tiles, windows that reach into the
    /// padding on every side, a geometry whose windows never read the image's last rows, a
    /// single image, bordered rows of more than 16 floats (copied without the vector path).
    #[test]
    fn direct_convolution_matches_im2col_and_gemm() {
        let geometry = |channels, size: [usize; 2], kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2]| {
            let out = [0, 1].map(|a| (size[a] + 2 * padding[a] - kernel[a]) / stride[a] + 1);
            Patches { channels, size, kernel, stride, padding, out }
        };
        let cases = [
            (geometry(32, [14, 14], [4, 4], [2, 2], [1, 1]), 64, 2), // encoder conv2
            (geometry(64, [7, 7], [3, 3], [1, 1], [1, 1]), 64, 2),  // a residual block
            (geometry(8, [7, 9], [3, 3], [2, 2], [1, 1]), 64, 2),   // odd size, non-square
            (geometry(4, [9, 11], [5, 4], [3, 2], [2, 0]), 64, 1),  // last rows never read
            (geometry(8, [5, 20], [3, 3], [1, 1], [1, 1]), 64, 2),  // rows wider than a vector
        ];
        for (p, c_out, n) in cases {
            let (x, w, b) = (pseudo_random(n * p.image_len(), 1), pseudo_random(c_out * p.rows(), 2), pseudo_random(c_out, 3));
            let Some(direct) = DirectConv::new(p, &w, c_out) else {
                assert!(!has_avx512(), "{p:?}: the direct kernel should apply on this CPU");
                return;
            };
            for relu in [false, true] {
                let expected = conv2d_forward_gemm(&x, &w, &b, n, p, c_out, relu);
                let got = direct.forward(&x, &b, n, relu);
                assert_eq!(got.len(), expected.len());
                for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                    assert!((g - e).abs() <= 1e-4 * (1.0 + e.abs()), "{p:?} c_out {c_out} relu {relu}: cell {i}: {g} vs {e}");
                }
            }
        }
    }

    /// The direct weight gradient against its definition through the (tested) patch matrix,
    /// in f64: dW[co, k] = Σ over images and positions of dY[co, p] · patches[k, p].
    #[test]
    fn direct_weight_gradient_matches_the_patch_matrix_product() {
        let geometry = |channels, size: [usize; 2], kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2]| {
            let out = [0, 1].map(|a| (size[a] + 2 * padding[a] - kernel[a]) / stride[a] + 1);
            Patches { channels, size, kernel, stride, padding, out }
        };
        for (p, n) in [(geometry(32, [14, 14], [4, 4], [2, 2], [1, 1]), 3), (geometry(8, [7, 9], [3, 3], [2, 2], [1, 1]), 2), (geometry(4, [9, 11], [5, 4], [3, 2], [2, 0]), 1)] {
            let (x, gy, w) = (pseudo_random(n * p.image_len(), 4), pseudo_random(n * 64 * p.positions(), 5), pseudo_random(64 * p.rows(), 6));
            let Some(direct) = DirectConv::new(p, &w, 64) else {
                assert!(!has_avx512(), "{p:?}: the direct kernel should apply on this CPU");
                return;
            };
            // Starts from a non-zero gradient: the kernel adds to it.
            let mut grad = vec![0.5f32; p.rows() * 64];
            direct.add_weight_grad(&x, &gy, &mut grad, &mut vec![f32::NAN; direct.weight_grad_scratch_len(n)]);
            let wide = n * p.positions();
            let mut cols = vec![0.0f32; p.rows() * wide];
            p.im2col(&x, &mut cols, wide);
            for k in 0..p.rows() {
                for co in 0..64 {
                    let expected: f64 = 0.5 + (0..wide).map(|c| f64::from(gy[(c / p.positions() * 64 + co) * p.positions() + c % p.positions()]) * f64::from(cols[k * wide + c])).sum::<f64>();
                    let got = f64::from(grad[k * 64 + co]);
                    assert!((got - expected).abs() <= 1e-4 * (1.0 + expected.abs()), "{p:?}: tap {k} channel {co}: {got} vs {expected}");
                }
            }
        }
    }

    #[test]
    fn other_channel_counts_and_few_taps_take_the_gemm_path() {
        let p = Patches { channels: 2, size: [6, 6], kernel: [3, 3], stride: [1, 1], padding: [1, 1], out: [6, 6] };
        for c_out in [1, 16, 32, 48, 80] {
            assert!(DirectConv::new(p, &vec![0.0; c_out * p.rows()], c_out).is_none(), "{c_out} output channels");
        }
        // The encoder's first layer: 16 taps.
        let first = Patches { channels: 1, size: [28, 28], kernel: [4, 4], stride: [2, 2], padding: [1, 1], out: [14, 14] };
        assert!(DirectConv::new(first, &vec![0.0; 64 * first.rows()], 64).is_none(), "16 taps");
    }
}
