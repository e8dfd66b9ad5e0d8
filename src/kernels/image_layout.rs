//! The two layouts the convolution kernels move activations between: a batch of images
//! [b, C, P] (burn's NCHW, P = H·W) and the same images side by side as one matrix [C, b·P]
//! (what one GEMM over a chunk of images reads or writes).
//!
//! One image is already its own side-by-side matrix ([C, P] either way), so a chunk of one
//! image borrows or writes the batch in place instead of copying.

use std::ops::Range;

/// The images `images` of a batch [N, C, P] side by side as one matrix [C, b·P]: a borrow of
/// the batch itself for one image, else a copy into `out`.
pub fn side_by_side<'a>(batch: &'a [f32], images: Range<usize>, channels: usize, positions: usize, out: &'a mut [f32]) -> &'a [f32] {
    let image_len = channels * positions;
    if images.len() == 1 {
        return &batch[images.start * image_len..images.end * image_len];
    }
    let row_len = images.len() * positions;
    for (k, i) in images.enumerate() {
        for c in 0..channels {
            let src = &batch[(i * channels + c) * positions..(i * channels + c + 1) * positions];
            out[c * row_len + k * positions..c * row_len + (k + 1) * positions].copy_from_slice(src);
        }
    }
    &out[..channels * row_len]
}

/// Runs `write` on a [C, count·P] matrix and leaves it in `images` [count, C, P]: `write`
/// fills `images` itself for one image, else `wide`, which is then split into the images.
pub fn write_side_by_side(images: &mut [f32], wide: &mut [f32], count: usize, channels: usize, positions: usize, write: impl FnOnce(&mut [f32])) {
    let row_len = count * positions;
    if count == 1 {
        return write(&mut images[..channels * positions]);
    }
    let wide = &mut wide[..channels * row_len];
    write(wide);
    for k in 0..count {
        for c in 0..channels {
            images[(k * channels + c) * positions..(k * channels + c + 1) * positions].copy_from_slice(&wide[c * row_len + k * positions..c * row_len + (k + 1) * positions]);
        }
    }
}

/// Adds each channel's sum of `grad` [C, P] to `bias` [C].
pub fn add_channel_sums(grad: &[f32], positions: usize, bias: &mut [f32]) {
    for (acc, plane) in bias.iter_mut().zip(grad.chunks_exact(positions)) {
        *acc += plane.iter().sum::<f32>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Side by side and back is the identity, for one image (in place) and for several.
    #[test]
    fn side_by_side_and_back_round_trips() {
        let (channels, positions, n) = (3, 4, 5);
        let batch: Vec<f32> = (0..n * channels * positions).map(|v| v as f32).collect();
        for images in [2..3, 1..4, 0..5] {
            let count = images.len();
            let mut scratch = vec![0.0; channels * count * positions];
            let wide = side_by_side(&batch, images.clone(), channels, positions, &mut scratch).to_vec();
            // Channel c of the k-th image sits at columns k·P.. of row c.
            assert_eq!(wide[(channels - 1) * count * positions + (count - 1) * positions], batch[((images.end - 1) * channels + channels - 1) * positions]);
            let mut back = vec![f32::NAN; count * channels * positions];
            write_side_by_side(&mut back, &mut vec![0.0; wide.len()], count, channels, positions, |dst| dst.copy_from_slice(&wide));
            assert_eq!(back, batch[images.start * channels * positions..images.end * channels * positions]);
        }
    }
}
