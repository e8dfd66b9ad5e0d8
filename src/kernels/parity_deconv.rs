//! The decoders' 4 x 4, stride-2, padding-1 transposed convolution computed straight from the
//! input, one output row per AVX-512 vector, written into the NCHW output with no patch
//! matrix, no col2im and no move of a position-major tile.
//!
//! Why: through GEMM this layer multiplies `Wᵀ [C_out·16, C_in] · x [C_in, b·P]` into a patch
//! matrix 16 times the output's taps and folds it back onto the output (col2im); at 64 -> 32
//! channels (`decoder.deconv1`, and the input gradient of `encoder.conv2`, the same map) that
//! fold, the side-by-side copy of the input and the zeroing of the output took about a third
//! of the layer's time. `cargo run --release --example conv_timing` gives both paths.
//!
//! How: output cell (y, x) = (2i + r, 2j + q) reads input rows i + r − s (tap row
//! `a = 1 + 2s` for r = 0, `a = 2s` for r = 1, s ∈ {0, 1}) and, along the row, input column
//! ⌈x/2⌉ − t through tap column `b = 1 + 2t` for even x and `b = 2t` for odd x (t ∈ {0, 1}).
//! So a whole output row is a sum of 2·2·C_in vectors: each input row "upsampled" once per
//! image into two vectors `u_t[x] = in[⌈x/2⌉ − t]`, times a weight vector alternating two values (even and odd lanes, one
//! 64-bit broadcast). A tile is 7 output rows of one parity by 4 channels: 28 accumulators,
//! per step 7 row loads and 4 broadcasts. Output widths up to 16 (one vector a row).
//!
//! The caller ([`super::conv_kernels`]) keeps the GEMM path for other geometries, batches under
//! 16 images and CPUs without AVX-512.

use std::mem::MaybeUninit;

use super::conv_kernels::Patches;
use super::thread_buffers::{ALIGN_SLACK, cache_aligned, filled_in_parts, with_scratch};

/// Floats per input row in the table: the t = 0 vector, then the t = 1 vector (the same
/// upsampled row two lanes on), each 64-byte aligned within the row so no load splits a cache
/// line.
const TABLE_ROW: usize = 32;

/// Images from which a batch takes this kernel: packing the weights costs about what a few
/// images save (as for `direct_conv`'s `MIN_IMAGES`), so one query being read keeps GEMM.
const MIN_IMAGES: usize = 16;

/// One transposed convolution's weights packed for the kernel.
pub struct ParityDeconv {
    c_in: usize,
    c_out: usize,
    /// Input height and width; the output is twice each.
    in_size: [usize; 2],
    /// `[r][ci][s][t][co]` -> the pair (even-lane weight, odd-lane weight) =
    /// `(W[ci, co, a(r, s), 1 + 2t], W[ci, co, a(r, s), 2t])` in one 64-bit word (even in the
    /// low half: lane 0), for one broadcast.
    packed: Vec<f64>,
}

/// The tap row output rows of parity `r` read through their `s`-th input row.
fn tap_row(r: usize, s: usize) -> usize {
    if r == 0 { 1 + 2 * s } else { 2 * s }
}

impl ParityDeconv {
    /// The weights of a transposed convolution whose output `patches` describes (read back
    /// with the layer's stride and padding, as `conv_kernels` passes it), packed; None where
    /// the kernel does not apply (not 4 x 4 / stride 2 / padding 1, an output wider than 16,
    /// the CPU).
    ///
    /// # Shapes
    /// - weight: [C_in, C_out, 4, 4]
    pub fn new(patches: Patches, weight: &[f32], c_in: usize) -> Option<Self> {
        let [h, w] = patches.out;
        let geometry = patches.kernel == [4, 4] && patches.stride == [2, 2] && patches.padding == [1, 1] && patches.size == [2 * h, 2 * w];
        if !(geometry && h > 0 && (1..=8).contains(&w) && c_in > 0 && has_avx512()) {
            return None;
        }
        let c_out = patches.channels;
        assert_eq!(weight.len(), c_in * c_out * 16, "ParityDeconv: weight size");
        let mut packed = Vec::with_capacity(2 * c_in * 4 * c_out);
        for r in 0..2 {
            for ci in 0..c_in {
                for s in 0..2 {
                    let a = tap_row(r, s);
                    for t in 0..2 {
                        for co in 0..c_out {
                            let tap = |b: usize| weight[((ci * c_out + co) * 4 + a) * 4 + b];
                            packed.push(f64::from_bits(u64::from(tap(1 + 2 * t).to_bits()) | (u64::from(tap(2 * t).to_bits()) << 32)));
                        }
                    }
                }
            }
        }
        Some(Self { c_in, c_out, in_size: [h, w], packed })
    }

    /// [`Self::new`] for a batch of `n` images: None for batches under [`MIN_IMAGES`].
    ///
    /// # Shapes
    /// - weight: [C_in, C_out, 4, 4]
    pub fn for_batch(n: usize, patches: Patches, weight: &[f32], c_in: usize) -> Option<Self> {
        if n < MIN_IMAGES { None } else { Self::new(patches, weight, c_in) }
    }

    /// Rows of one image's table: every input row and a zero row above and below.
    fn table_rows(&self) -> usize {
        self.in_size[0] + 2
    }

    /// Floats of one image's table.
    fn table_len(&self) -> usize {
        self.c_in * self.table_rows() * TABLE_ROW
    }

    /// Scratch floats [`Self::run`] needs: one image's table and room to start it on a cache
    /// line (the table's loads are whole aligned lines then).
    pub fn scratch_len(&self) -> usize {
        self.table_len() + ALIGN_SLACK
    }

    fn in_len(&self) -> usize {
        self.c_in * self.in_size[0] * self.in_size[1]
    }

    fn out_len(&self) -> usize {
        self.c_out * 4 * self.in_size[0] * self.in_size[1]
    }

    /// `conv_transpose(x) + bias`, then max(·, 0) if `relu`, the images split evenly over the
    /// threads.
    ///
    /// # Shapes
    /// - x: [N, C_in, H, W]; bias: [C_out]; returns [N, C_out, 2H, 2W]
    pub fn forward(&self, x: &[f32], bias: &[f32], n: usize, relu: bool) -> Vec<f32> {
        let (in_len, out_len) = (self.in_len(), self.out_len());
        assert_eq!(x.len(), n * in_len, "ParityDeconv::forward: input size");
        let share = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
        // SAFETY: `write` stores every cell of the images it is given (no zeroing first).
        unsafe {
            filled_in_parts(n * out_len, share * out_len, |start, part| {
                let first = start / out_len.max(1);
                let images = &x[first * in_len..(first + part.len() / out_len.max(1)) * in_len];
                with_scratch([self.scratch_len()], |[scratch]| self.write(images, Some(bias), relu, part, scratch));
            })
        }
    }

    /// `out = conv_transpose(images) + bias`, then max(·, 0) if `relu`, on this thread; every
    /// output cell is written.
    ///
    /// # Shapes
    /// - images: [count, C_in, H, W]; bias: [C_out] (None: zeros); out: [count, C_out, 2H, 2W]
    /// - scratch: at least [`Self::scratch_len`] floats (contents ignored)
    pub fn run(&self, images: &[f32], bias: Option<&[f32]>, relu: bool, out: &mut [f32], scratch: &mut [f32]) {
        // SAFETY: the same memory seen as possibly uninitialised; `write` stores only
        // initialised floats into it.
        let out = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<MaybeUninit<f32>>(), out.len()) };
        self.write(images, bias, relu, out, scratch);
    }

    /// [`Self::run`] into memory that need not be initialised: every cell is stored (and the
    /// kernel reads a cell only after storing it).
    fn write(&self, images: &[f32], bias: Option<&[f32]>, relu: bool, out: &mut [MaybeUninit<f32>], scratch: &mut [f32]) {
        let (in_len, out_len) = (self.in_len(), self.out_len());
        let count = images.len() / in_len;
        assert!(images.len() == count * in_len && out.len() == count * out_len && bias.is_none_or(|b| b.len() == self.c_out), "ParityDeconv::run: sizes");
        let zeros = vec![0.0f32; self.c_out];
        let bias = bias.unwrap_or(&zeros);
        let table = cache_aligned(scratch, self.table_len());
        for (image, out) in images.chunks_exact(in_len).zip(out.chunks_exact_mut(out_len)) {
            self.write_table(image, table);
            // SAFETY: AVX-512 was checked in `new`; the table holds C_in·(H + 2) rows of
            // TABLE_ROW floats and every load reads 16 of them from offset 0 or 16 of a row;
            // `packed` is 2·C_in·4·C_out pairs; `out` is C_out·2H·2W floats, each row's load
            // and store masked to its 2W floats.
            unsafe { avx512::image(table, &self.packed, self.c_in, self.c_out, self.in_size, bias, relu, out.as_mut_ptr().cast::<f32>()) };
        }
    }

    /// One image's upsampled rows: table row `ci·(H + 2) + 1 + iy` holds, for t = 0 and 1
    /// (16 floats each), `u_t[x] = in[ci, iy, ⌈x/2⌉ − t]` (zero outside the row); rows 0 and
    /// H + 1 of each channel are zero.
    ///
    /// # Shapes
    /// - image: [C_in, H, W]; table: [C_in, H + 2, TABLE_ROW] (overwritten)
    fn write_table(&self, image: &[f32], table: &mut [f32]) {
        let [h, w] = self.in_size;
        for (plane, rows) in image.chunks_exact(h * w).zip(table.chunks_exact_mut(self.table_rows() * TABLE_ROW)) {
            rows[..TABLE_ROW].fill(0.0);
            rows[(h + 1) * TABLE_ROW..].fill(0.0);
            for (src, row) in plane.chunks_exact(w).zip(rows[TABLE_ROW..].chunks_exact_mut(TABLE_ROW)) {
                // SAFETY: AVX-512 was checked in `new` (a table is only made for a kernel that
                // applies); `src` is W <= 8 floats, `row` TABLE_ROW = 32.
                unsafe { avx512::table_row(src, row) };
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

    use super::TABLE_ROW;

    /// Output rows a tile holds (one parity).
    const ROWS: usize = 7;
    /// Output channels a tile holds.
    const CHANNELS: usize = 4;
    /// Input channels a pass over the table takes: their table rows (32 channels x 8 rows x
    /// 128 bytes, 32 KB) stay in L1 while every channel tile reads them. With all 64 of the
    /// decoder's at once (64 KB) each tile streamed them from L2.
    const IN_CHANNELS: usize = 32;

    /// One input row's two vectors: `row[16t + x] = src[⌈x/2⌉ − t]`, zero outside `src`.
    ///
    /// # Safety
    /// AVX-512F present; `src` holds 1 to 8 floats, `row` at least 32.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn table_row(src: &[f32], row: &mut [f32]) {
        let w = src.len();
        debug_assert!((1..=8).contains(&w) && row.len() >= 2 * 16);
        // SAFETY: the masked load reads src's W floats only; the stores write row[0..32].
        unsafe {
            let v = _mm512_maskz_loadu_ps(((1u32 << w) - 1) as __mmask16, src.as_ptr());
            // Lane x takes src[⌈x/2⌉] (t = 0) and src[⌈x/2⌉ − 1] (t = 1) where those exist.
            let up = _mm512_setr_epi32(0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8);
            let down = _mm512_setr_epi32(0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7);
            let (inside_up, inside_down) = (((1u32 << (2 * w - 1)) - 1) as __mmask16, (((1u32 << (2 * w + 1)) - 2) & 0xFFFF) as __mmask16);
            _mm512_storeu_ps(row.as_mut_ptr(), _mm512_maskz_permutexvar_ps(inside_up, up, v));
            _mm512_storeu_ps(row.as_mut_ptr().add(16), _mm512_maskz_permutexvar_ps(inside_down, down, v));
        }
    }

    /// Every output row of one image: `out[co, 2i + r, x] = bias[co] + Σ_{ci, s, t}
    /// table[ci, 1 + i + r − s][16t + x] · pair(r, ci, s, t, co)[x % 2]`, then the ReLU.
    ///
    /// # Safety
    /// AVX-512F present; `table` is C_in·(H + 2) rows of TABLE_ROW floats, `packed`
    /// 2·C_in·4·C_out pairs, `out` points to C_out·2H·2W writable floats (read only where
    /// this call stored them), `bias` C_out, W in 1..=8.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn image(table: &[f32], packed: &[f64], c_in: usize, c_out: usize, [h, w]: [usize; 2], bias: &[f32], relu: bool, out: *mut f32) {
        debug_assert!(table.len() >= c_in * (h + 2) * TABLE_ROW && packed.len() >= 8 * c_in * c_out);
        let mask: __mmask16 = ((1u32 << (2 * w)) - 1) as __mmask16;
        for r in 0..2 {
            for i0 in (0..h).step_by(ROWS) {
                // A short last block repeats its last row and stores only the real ones.
                let rows: [usize; ROWS] = std::array::from_fn(|i| (i0 + i).min(h - 1));
                let stored_rows = ROWS.min(h - i0);
                // Input channels in blocks whose table rows stay in L1 across the channel
                // tiles; each block's sums are added to what the blocks before it stored.
                for ci0 in (0..c_in).step_by(IN_CHANNELS) {
                    let block = ci0..c_in.min(ci0 + IN_CHANNELS);
                    let (first, last) = (ci0 == 0, block.end == c_in);
                    for co0 in (0..c_out).step_by(CHANNELS) {
                        let channels: [usize; CHANNELS] = std::array::from_fn(|c| (co0 + c).min(c_out - 1));
                        // SAFETY: the caller's contract: table rows 1 + i + r − s lie in
                        // 0..H + 2 for i < H; pairs index below 8·C_in·C_out; loads and stores
                        // of `out` are masked to a row's 2W floats inside it.
                        unsafe {
                            let mut acc = [[_mm512_setzero_ps(); CHANNELS]; ROWS];
                            for ci in block.clone() {
                                let plane = table.as_ptr().add(ci * (h + 2) * TABLE_ROW);
                                for s in 0..2 {
                                    for t in 0..2 {
                                        let pairs = packed.as_ptr().add((((r * c_in + ci) * 2 + s) * 2 + t) * c_out);
                                        let wv: [__m512; CHANNELS] = std::array::from_fn(|c| _mm512_castpd_ps(_mm512_set1_pd(*pairs.add(channels[c]))));
                                        for (i, &row) in rows.iter().enumerate() {
                                            let u = _mm512_loadu_ps(plane.add((1 + row + r - s) * TABLE_ROW + 16 * t));
                                            for c in 0..CHANNELS {
                                                acc[i][c] = _mm512_fmadd_ps(u, wv[c], acc[i][c]);
                                            }
                                        }
                                    }
                                }
                            }
                            for c in 0..CHANNELS.min(c_out - co0) {
                                let (co, b) = (co0 + c, _mm512_set1_ps(bias[co0 + c]));
                                for (i, row) in acc.iter().enumerate().take(stored_rows) {
                                    let dst = out.add((co * 2 * h + 2 * (i0 + i) + r) * 2 * w);
                                    let mut y = row[c];
                                    if !first {
                                        y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(mask, dst));
                                    }
                                    if last {
                                        y = _mm512_add_ps(y, b);
                                        if relu {
                                            y = _mm512_max_ps(y, _mm512_setzero_ps());
                                        }
                                    }
                                    _mm512_mask_storeu_ps(dst, mask, y);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::conv_kernels::conv_transpose2d_forward_gemm;

    fn pseudo_random(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn output_patches(c_out: usize, [h, w]: [usize; 2]) -> Patches {
        Patches { channels: c_out, size: [2 * h, 2 * w], kernel: [4, 4], stride: [2, 2], padding: [1, 1], out: [h, w] }
    }

    /// The kernel against im2col + GEMM + col2im: the decoder's 64 -> 32 at 7 x 7, channel
    /// counts that leave a short last tile, heights that leave a short last row block (and
    /// more than one block), the widest row a vector holds, one-pixel images.
    #[test]
    fn parity_kernel_matches_the_gemm_path() {
        for (c_in, c_out, size, n) in [(64, 32, [7, 7], 2), (5, 4, [9, 8], 2), (3, 1, [1, 1], 3), (2, 7, [15, 3], 1), (16, 3, [4, 5], 2)] {
            let p = output_patches(c_out, size);
            let (x, w, b) = (pseudo_random(n * c_in * size[0] * size[1], 1), pseudo_random(c_in * c_out * 16, 2), pseudo_random(c_out, 3));
            let Some(kernel) = ParityDeconv::new(p, &w, c_in) else {
                assert!(!has_avx512(), "{p:?}: the kernel should apply on this CPU");
                return;
            };
            for relu in [false, true] {
                let expected = conv_transpose2d_forward_gemm(&x, &w, &b, n, p, c_in, relu);
                let got = kernel.forward(&x, &b, n, relu);
                assert_eq!(got.len(), expected.len());
                for (cell, (g, e)) in got.iter().zip(&expected).enumerate() {
                    assert!((g - e).abs() <= 1e-4 * (1.0 + e.abs()), "c_in {c_in} c_out {c_out} {size:?} relu {relu}: cell {cell}: {g} vs {e}");
                }
            }
            // `run` writes every cell: nothing of what the output held before survives.
            let mut out = vec![f32::NAN; n * c_out * 4 * size[0] * size[1]];
            kernel.run(&x, Some(&b), false, &mut out, &mut vec![f32::NAN; kernel.scratch_len()]);
            assert!(out.iter().all(|v| v.is_finite()), "a cell was left unwritten");
        }
    }

    #[test]
    fn other_geometries_take_the_gemm_path() {
        let w = vec![0.0; 2 * 3 * 16];
        // Output rows wider than a vector (the decoder's last layer, 14 -> 28).
        assert!(ParityDeconv::new(output_patches(3, [14, 14]), &w, 2).is_none());
        let mut p = output_patches(3, [4, 4]);
        p.padding = [0, 0];
        assert!(ParityDeconv::new(p, &w, 2).is_none(), "padding 0");
        let mut p = output_patches(3, [4, 4]);
        p.stride = [1, 1];
        assert!(ParityDeconv::new(p, &w, 2).is_none(), "stride 1");
        assert!(ParityDeconv::for_batch(MIN_IMAGES - 1, output_patches(3, [4, 4]), &w, 2).is_none(), "a small batch");
    }
}
