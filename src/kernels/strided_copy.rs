//! The inner loops of im2col and col2im, one patch-matrix row of one image at a time: copy
//! every `stride`-th float of the image rows under a kernel offset into the row's OH×OW
//! block (zeros where the window lies in the padding), or add such a block back.
//!
//! Why: with the strided (stride 2) layers a window row is 7 or 14 floats, and copied
//! element by element, or even with a vector copy per row behind a call, each cost ~16
//! cycles: im2col and col2im were a quarter of a training step (perf). With AVX-512 an output
//! row is two masked loads, one permute (which also writes the padding's zeros) and one masked
//! store, all inlined in one loop over the block; the stride-1 rows of the 3 x 3 convolutions
//! (ResNet arch) are one masked load and one masked store each (the scalar loop had made im2col
//! 28% of a ResNet step). Other strides, rows longer than 16 and CPUs without AVX-512 take the
//! scalar loops, which the tests compare the vector ones against.

use std::ops::Range;

/// How the windows of one kernel offset read an image row: output columns `inside` read the
/// source columns `x0, x0 + stride, ...`; the others fall in the padding and read zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HorizontalMap {
    /// Output columns (OW).
    pub width: usize,
    pub inside: Range<usize>,
    /// The source column read by output column `inside.start`.
    pub x0: usize,
    pub stride: usize,
}

/// Which output rows read the image and where: output rows `inside` read source rows
/// `y0, y0 + stride, ...`; the others read zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerticalMap {
    pub inside: Range<usize>,
    pub y0: usize,
    pub stride: usize,
}

impl HorizontalMap {
    fn fits(&self, row_len: usize) -> bool {
        self.inside.is_empty() || (self.inside.end <= self.width && self.x0 + (self.inside.len() - 1) * self.stride < row_len)
    }

    fn vectorised(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            (self.stride == 1 || self.stride == 2) && self.width <= 16 && std::arch::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }
}

/// `block[i·OW + j] = plane[(y0 + (i − rows.start)·sy)·W + x0 + (j − cols.start)·sx]` inside
/// the maps, 0 outside.
///
/// # Shapes
/// - plane: [H, W]; block: [OH, OW] (overwritten)
pub fn gather_block(plane: &[f32], w: usize, rows: &VerticalMap, cols: &HorizontalMap, block: &mut [f32]) {
    let ow = cols.width;
    assert!(ow > 0 && block.len() % ow == 0 && rows.inside.end * ow <= block.len() && cols.fits(w), "gather_block: maps do not fit");
    assert!(rows.inside.is_empty() || (rows.y0 + (rows.inside.len() - 1) * rows.stride + 1) * w <= plane.len(), "gather_block: plane too short");
    #[cfg(target_arch = "x86_64")]
    if cols.vectorised() {
        // SAFETY: avx512f present (vectorised); every index was bounds-checked by the asserts.
        unsafe {
            if cols.stride == 1 { avx512::gather_block_contiguous(plane, w, rows, cols, block) } else { avx512::gather_block(plane, w, rows, cols, block) }
        };
        return;
    }
    block[..rows.inside.start * ow].fill(0.0);
    block[rows.inside.end * ow..].fill(0.0);
    for (k, out) in block[rows.inside.start * ow..rows.inside.end * ow].chunks_exact_mut(ow).enumerate() {
        let src = &plane[(rows.y0 + k * rows.stride) * w..];
        out[..cols.inside.start].fill(0.0);
        out[cols.inside.end..].fill(0.0);
        for (d, s) in out[cols.inside.clone()].iter_mut().zip(src[cols.x0..].iter().step_by(cols.stride)) {
            *d = *s;
        }
    }
}

/// The adjoint of [`gather_block`]: adds every block entry inside the maps onto the plane cell
/// it was read from.
///
/// # Shapes
/// - block: [OH, OW]; plane: [H, W] (accumulated into)
pub fn scatter_add_block(block: &[f32], rows: &VerticalMap, cols: &HorizontalMap, plane: &mut [f32], w: usize) {
    let ow = cols.width;
    assert!(ow > 0 && block.len() % ow == 0 && rows.inside.end * ow <= block.len() && cols.fits(w), "scatter_add_block: maps do not fit");
    assert!(rows.inside.is_empty() || (rows.y0 + (rows.inside.len() - 1) * rows.stride + 1) * w <= plane.len(), "scatter_add_block: plane too short");
    if cols.inside.is_empty() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if cols.vectorised() {
        // SAFETY: avx512f present (vectorised); every index was bounds-checked by the asserts.
        unsafe {
            if cols.stride == 1 { avx512::scatter_add_block_contiguous(block, rows, cols, plane, w) } else { avx512::scatter_add_block(block, rows, cols, plane, w) }
        };
        return;
    }
    for (k, src) in block[rows.inside.start * ow..rows.inside.end * ow].chunks_exact(ow).enumerate() {
        let dst = &mut plane[(rows.y0 + k * rows.stride) * w..];
        for (s, d) in src[cols.inside.clone()].iter().zip(dst[cols.x0..].iter_mut().step_by(cols.stride)) {
            *d += s;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{VerticalMap, HorizontalMap};

    /// Lanes 0..n set.
    fn first(n: usize) -> __mmask16 {
        if n >= 16 { 0xFFFF } else { ((1u32 << n) - 1) as __mmask16 }
    }

    /// The stride-1 rows (3 x 3 convolutions): output lanes `inside` are the source's lanes
    /// from x0 in order, so a row is one masked load (the padding's lanes zeroed by the mask)
    /// and one masked store.
    ///
    /// # Safety
    /// avx512f; cols.stride == 1, cols.width <= 16; the maps fit the plane and the block
    /// (checked by the caller).
    #[target_feature(enable = "avx512f")]
    pub unsafe fn gather_block_contiguous(plane: &[f32], w: usize, rows: &VerticalMap, cols: &HorizontalMap, block: &mut [f32]) {
        let ow = cols.width;
        let keep = first(cols.inside.end) & !first(cols.inside.start);
        block[..rows.inside.start * ow].fill(0.0);
        block[rows.inside.end * ow..].fill(0.0);
        for (k, out) in block[rows.inside.start * ow..rows.inside.end * ow].chunks_exact_mut(ow).enumerate() {
            // Lane j reads x0 + j − start; the base may lie before the row, but only the lanes
            // of `keep` are touched (masked lanes never fault), all inside the row (`fits`).
            let src = plane.as_ptr().wrapping_add((rows.y0 + k * rows.stride) * w + cols.x0).wrapping_sub(cols.inside.start);
            // SAFETY: as above; the store writes lanes < ow of an output row (inside the block).
            unsafe { _mm512_mask_storeu_ps(out.as_mut_ptr(), first(ow), _mm512_maskz_loadu_ps(keep, src)) };
        }
    }

    /// The adjoint of [`gather_block_contiguous`].
    ///
    /// # Safety
    /// As [`gather_block_contiguous`].
    #[target_feature(enable = "avx512f")]
    pub unsafe fn scatter_add_block_contiguous(block: &[f32], rows: &VerticalMap, cols: &HorizontalMap, plane: &mut [f32], w: usize) {
        let ow = cols.width;
        let keep = first(cols.inside.end) & !first(cols.inside.start);
        for (k, src) in block[rows.inside.start * ow..rows.inside.end * ow].chunks_exact(ow).enumerate() {
            let dst = plane.as_mut_ptr().wrapping_add((rows.y0 + k * rows.stride) * w + cols.x0).wrapping_sub(cols.inside.start);
            // SAFETY: the block row's lanes < ow are inside the block; the plane's lanes of
            // `keep` are inside its row (`fits`), the others masked (never touched).
            unsafe {
                let values = _mm512_maskz_loadu_ps(keep, src.as_ptr());
                _mm512_mask_storeu_ps(dst, keep, _mm512_add_ps(_mm512_maskz_loadu_ps(keep, dst), values));
            }
        }
    }

    /// # Safety
    /// avx512f; cols.stride == 2, cols.width <= 16; the maps fit the plane and the block
    /// (checked by the caller).
    #[target_feature(enable = "avx512f")]
    pub unsafe fn gather_block(plane: &[f32], w: usize, rows: &VerticalMap, cols: &HorizontalMap, block: &mut [f32]) {
        let (ow, n) = (cols.width, cols.inside.len());
        // Output lane j (inside) takes source lane 2·(j − start) of [low | high], the 32
        // floats from x0; lanes outside are zeroed by the mask.
        let mut index = [0i32; 16];
        for j in cols.inside.clone() {
            index[j] = (2 * (j - cols.inside.start)) as i32;
        }
        let keep = first(cols.inside.end) & !first(cols.inside.start);
        let span = if n == 0 { 0 } else { 2 * n - 1 }; // source floats read per row
        block[..rows.inside.start * ow].fill(0.0);
        block[rows.inside.end * ow..].fill(0.0);
        // SAFETY: loads touch lanes < span from x0 in the row (inside it: `fits`), the store
        // lanes < ow of an output row (inside the block).
        unsafe {
            let index = _mm512_loadu_si512(index.as_ptr().cast());
            for (k, out) in block[rows.inside.start * ow..rows.inside.end * ow].chunks_exact_mut(ow).enumerate() {
                let src = plane.as_ptr().add((rows.y0 + k * rows.stride) * w + cols.x0);
                let low = _mm512_maskz_loadu_ps(first(span), src);
                let high = if span > 16 { _mm512_maskz_loadu_ps(first(span - 16), src.add(16)) } else { _mm512_setzero_ps() };
                _mm512_mask_storeu_ps(out.as_mut_ptr(), first(ow), _mm512_maskz_permutex2var_ps(keep, low, index, high));
            }
        }
    }

    /// # Safety
    /// As [`gather_block`], and cols.inside not empty.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn scatter_add_block(block: &[f32], rows: &VerticalMap, cols: &HorizontalMap, plane: &mut [f32], w: usize) {
        let (ow, start, n) = (cols.width, cols.inside.start, cols.inside.len());
        let span = 2 * n - 1; // destination floats touched per row, from x0
        // Destination lane m (even, < span) takes block lane start + m/2; the upper 16 lanes
        // take start + 8 + m/2.
        let (mut low_index, mut high_index) = ([0i32; 16], [0i32; 16]);
        for m in (0..16).step_by(2) {
            low_index[m] = (start + m / 2).min(15) as i32;
            high_index[m] = (start + 8 + m / 2).min(15) as i32;
        }
        const EVEN_LANES: __mmask16 = 0x5555;
        let low_mask = first(span) & EVEN_LANES;
        let high_mask = if span > 16 { first(span - 16) & EVEN_LANES } else { 0 };
        // SAFETY: loads of block rows touch lanes < ow (inside the block); loads and stores of
        // the plane touch even lanes < span from x0 (inside the row: `fits`).
        unsafe {
            let (low_index, high_index) = (_mm512_loadu_si512(low_index.as_ptr().cast()), _mm512_loadu_si512(high_index.as_ptr().cast()));
            for (k, src) in block[rows.inside.start * ow..rows.inside.end * ow].chunks_exact(ow).enumerate() {
                let values = _mm512_maskz_loadu_ps(first(ow), src.as_ptr());
                let dst = plane.as_mut_ptr().add((rows.y0 + k * rows.stride) * w + cols.x0);
                let spread = _mm512_maskz_permutexvar_ps(low_mask, low_index, values);
                _mm512_mask_storeu_ps(dst, low_mask, _mm512_add_ps(_mm512_maskz_loadu_ps(low_mask, dst), spread));
                if high_mask != 0 {
                    let spread = _mm512_maskz_permutexvar_ps(high_mask, high_index, values);
                    let dst = dst.add(16);
                    _mm512_mask_storeu_ps(dst, high_mask, _mm512_add_ps(_mm512_maskz_loadu_ps(high_mask, dst), spread));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len).map(|i| ((i * 37 + seed * 11) % 23) as f32 - 11.5).collect()
    }

    /// Every map of every geometry here against the definition, vector or scalar alike: strides
    /// 1..=3, widths up to 20 (vector up to 16), windows starting or ending in the padding,
    /// rows that end exactly at the plane's end (masks must not read or write past it).
    #[test]
    fn blocks_agree_with_the_definition() {
        for stride in 1..=3 {
            for w in [3, 7, 14, 28, 31, 40] {
                for width in 1..=20usize {
                    for (start, end) in [(0, width), (1, width), (0, width.saturating_sub(1)), (1, width.saturating_sub(1)), (width / 2, width / 2)] {
                        let n = end.saturating_sub(start);
                        let x0 = 1;
                        if start > end || (n > 0 && x0 + (n - 1) * stride >= w) {
                            continue;
                        }
                        let cols = HorizontalMap { width, inside: start..end, x0, stride };
                        let h = 5;
                        for rows in [VerticalMap { inside: 1..3, y0: 2, stride: 1 }, VerticalMap { inside: 1..4, y0: 0, stride: 2 }] {
                            let plane = values(h * w, width + start);
                            let mut block = vec![f32::NAN; 4 * width];
                            gather_block(&plane, w, &rows, &cols, &mut block);
                            for i in 0..4 {
                                for j in 0..width {
                                    let expected = if rows.inside.contains(&i) && cols.inside.contains(&j) {
                                        plane[(rows.y0 + (i - rows.inside.start) * rows.stride) * w + x0 + (j - start) * stride]
                                    } else {
                                        0.0
                                    };
                                    assert_eq!(block[i * width + j], expected, "gather stride {stride} w {w} width {width} {start}..{end} ({i}, {j})");
                                }
                            }
                            let add = values(4 * width, 5);
                            let mut target = values(h * w, 3);
                            let mut expected = target.clone();
                            for i in rows.inside.clone() {
                                for j in cols.inside.clone() {
                                    expected[(rows.y0 + (i - rows.inside.start) * rows.stride) * w + x0 + (j - start) * stride] += add[i * width + j];
                                }
                            }
                            scatter_add_block(&add, &rows, &cols, &mut target, w);
                            assert_eq!(target, expected, "scatter stride {stride} w {w} width {width} {start}..{end}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "maps do not fit")]
    fn a_map_past_the_row_is_refused() {
        let cols = HorizontalMap { width: 4, inside: 0..4, x0: 2, stride: 2 };
        gather_block(&[0.0; 16], 8, &VerticalMap { inside: 0..1, y0: 0, stride: 1 }, &cols, &mut [0.0; 4]);
    }
}
