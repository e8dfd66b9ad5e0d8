//! The differentiable block read of Kanerva++ (our form): a k × k window cropped from a spatial
//! memory [C_m, S, S] by bilinear sampling at an axis-aligned affine grid (scale s, shift t_x,
//! t_y, in the normalised coordinates [-1, 1] with aligned corners).
//!
//! Bilinear sampling at position p along one axis is the tent kernel max(0, 1 − |p − q|) over
//! the cells q, and an axis-aligned grid is separable, so the crop of every channel is
//! A_y M A_xᵀ with A [k, S] tent weights: two small matmuls, differentiable in the memory and (a.e.)
//! in the window, zero outside the memory.

use burn::tensor::Tensor;
use burn::tensor::activation::relu;

/// The sampling positions of a window in cell units: for output index i of k,
/// p_i = ((s·u_i + t) + 1)/2 · (S − 1) with u_i = −1 + 2i/(k − 1).
///
/// # Shapes
/// - scale, shift: [M] -> [M, k]
pub fn window_positions(scale: Tensor<1>, shift: Tensor<1>, window: usize, side: usize) -> Tensor<2> {
    let m = scale.dims()[0];
    let device = scale.device();
    let u: Vec<f64> = (0..window).map(|i| if window == 1 { 0.0 } else { -1.0 + 2.0 * i as f64 / (window - 1) as f64 }).collect();
    let u = Tensor::<1>::from_data(burn::tensor::TensorData::new(u, [window]), (&device, scale.dtype())).reshape([1, window]);
    let normalised = scale.reshape([m, 1]) * u + shift.reshape([m, 1]);
    normalised.add_scalar(1.0).mul_scalar((side as f64 - 1.0) / 2.0)
}

/// Tent weights max(0, 1 − |p − q|) of each position against each cell.
///
/// # Shapes
/// - positions: [M, k] -> [M, k, S]
pub fn tent_weights(positions: Tensor<2>, side: usize) -> Tensor<3> {
    let [m, k] = positions.dims();
    let cells: Vec<f64> = (0..side).map(|q| q as f64).collect();
    let cells = Tensor::<1>::from_data(burn::tensor::TensorData::new(cells, [side]), (&positions.device(), positions.dtype())).reshape([1, 1, side]);
    relu((positions.reshape([m, k, 1]) - cells).abs().neg().add_scalar(1.0))
}

/// The transpose of [`read_block`]: each item's k × k block spread onto the S × S grid at its
/// window with the same bilinear weights (A_yᵀ c A_x per channel): a differentiable write into a
/// block of the memory.
///
/// # Shapes
/// - blocks: [M, C_m, k, k]; scale, shift_x, shift_y: [M]; returns [M, C_m, S, S]
pub fn write_block(blocks: Tensor<4>, scale: Tensor<1>, shift_x: Tensor<1>, shift_y: Tensor<1>, side: usize) -> Tensor<4> {
    let [m, _, window, _] = blocks.dims();
    let ay = tent_weights(window_positions(scale.clone(), shift_y, window, side), side).reshape([m, 1, window, side]);
    let ax = tent_weights(window_positions(scale, shift_x, window, side), side).reshape([m, 1, window, side]);
    ay.swap_dims(2, 3).matmul(blocks).matmul(ax)
}

/// The block each item reads: bilinear samples of its memory at its window.
///
/// # Shapes
/// - memory: [M, C_m, S, S] (each item's own memory); scale, shift_x, shift_y: [M]
/// - returns [M, C_m, k, k]
pub fn read_block(memory: Tensor<4>, scale: Tensor<1>, shift_x: Tensor<1>, shift_y: Tensor<1>, window: usize) -> Tensor<4> {
    let side = memory.dims()[2];
    let m = memory.dims()[0];
    let ay = tent_weights(window_positions(scale.clone(), shift_y, window, side), side).reshape([m, 1, window, side]);
    let ax = tent_weights(window_positions(scale, shift_x, window, side), side).reshape([m, 1, window, side]);
    ay.matmul(memory).matmul(ax.swap_dims(2, 3))
}
