//! Custom CPU ops on burn's flex backend, and every line of `unsafe` in the crate (the
//! allocator setup in `main.rs` aside).
//!
//! Each op does what a burn tensor expression does, faster on two cores: fused im2col + GEMM
//! convolutions with their backward (and the ReLU that follows them; the 64-channel forwards
//! and weight gradients straight from the images, `direct_conv`), a threaded ReLU, dense layers on one query, the Bernoulli log-likelihood in one
//! pass, and the batched Cholesky factor and triangular solves in f64. Each one is reached
//! through [`dispatch::custom_op`] and returns None (or falls back to burn) where it does not
//! apply, so the wgpu build runs burn's own tensor ops above the same code. Tests compare every
//! op with burn's form, values and gradients.
//!
//! In the `wgpu` build the Cholesky factor and the solves run as cubecl kernels on the GPU
//! instead ([`cube_linalg`]), with the memory maths' diagonal sums and Gram products
//! ([`cube_matrix_ops`]).
//!
//! Imports: burn, burn-flex, burn-cubecl, cubecl, gemm and rayon only; nothing else in the crate.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::Tensor;

mod chunked_passes;
pub mod conv_kernels;
#[cfg(feature = "wgpu")]
pub mod cube_linalg;
#[cfg(feature = "wgpu")]
pub mod cube_matrix_ops;
pub(crate) mod dispatch;
mod direct_conv;
mod parity_deconv;
pub mod dense_rows;
#[cfg(feature = "wgpu")]
pub mod launch_count;
pub mod fast_conv;
pub mod flex_linalg;
mod image_layout;
pub mod fused_bernoulli;
pub mod parallel_relu;
mod strided_copy;
mod thread_buffers;

/// Runs `work` on one of the rayon threads while the calling thread waits. Work that starts
/// many parallel loops (a training step starts hundreds) then starts each from inside the
/// pool: no hand-over from the caller and no wake-up of the caller at each loop's end.
/// Alternating `kanerva bench --reps 20` runs: train step 140.5-148.0 ms against 148.1-156.1
/// from the calling thread (docs/speed.md).
pub fn on_worker_thread<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| work())
}

/// Whether the memory maths take the custom ops (default) or burn's tensor-op forms (for
/// benchmarks and comparisons).
static LINALG_KERNELS: AtomicBool = AtomicBool::new(true);

/// Switches the Cholesky and solve kernels on or off (off: the tensor-op forms everywhere).
pub fn use_linalg_kernels(on: bool) {
    LINALG_KERNELS.store(on, Ordering::Relaxed);
}

/// The lower Cholesky factor of a + shift·I by a custom op of the tensor's backend, or None
/// where none applies (switched off, not f32, or no kernel for the backend).
///
/// # Shapes
/// - a: [B, n, n] -> [B, n, n]
pub fn cholesky(a: &Tensor<3>, shift: f64) -> Option<Tensor<3>> {
    if !LINALG_KERNELS.load(Ordering::Relaxed) {
        return None;
    }
    let factor = flex_linalg::cholesky(a, shift);
    #[cfg(feature = "wgpu")]
    let factor = factor.or_else(|| cube_linalg::cholesky(a, shift));
    factor
}

/// (L Lᵀ) X = B in one custom op where the backend has one (the GPU: one launch instead of
/// two), or None: the CPU runs the two solves, each already one op there.
///
/// # Shapes
/// - l: [B, n, n]; rhs: [B, n, m] -> [B, n, m]
pub fn cholesky_solve(l: &Tensor<3>, rhs: &Tensor<3>) -> Option<Tensor<3>> {
    if !LINALG_KERNELS.load(Ordering::Relaxed) {
        return None;
    }
    #[cfg(feature = "wgpu")]
    return cube_linalg::cholesky_solve(l, rhs);
    #[cfg(not(feature = "wgpu"))]
    {
        let _ = (l, rhs);
        None
    }
}

/// R Rᵀ with a one-product backward where the backend has a custom op for it (the GPU), or
/// None: the CPU takes burn's matmul.
///
/// # Shapes
/// - r: [B, n, m] -> [B, n, n]
pub fn gram(r: &Tensor<3>) -> Option<Tensor<3>> {
    if !LINALG_KERNELS.load(Ordering::Relaxed) {
        return None;
    }
    #[cfg(feature = "wgpu")]
    return cube_matrix_ops::gram(r);
    #[cfg(not(feature = "wgpu"))]
    {
        let _ = r;
        None
    }
}

/// scale · Σᵢ aᵢᵢ (`log`: scale · Σᵢ ln aᵢᵢ) of each matrix in one custom op where the
/// backend has one (the GPU: one launch instead of five, and as many saved backward), or None:
/// the CPU runs the tensor ops, each cheap there.
///
/// # Shapes
/// - a: [B, n, n] -> [B]
pub fn diagonal_sum(a: &Tensor<3>, log: bool, scale: f64) -> Option<Tensor<1>> {
    if !LINALG_KERNELS.load(Ordering::Relaxed) {
        return None;
    }
    #[cfg(feature = "wgpu")]
    return cube_matrix_ops::diagonal_sum(a, log, scale);
    #[cfg(not(feature = "wgpu"))]
    {
        let _ = (a, log, scale);
        None
    }
}

/// L X = B (`transposed`: Lᵀ X = B) by a custom op of the tensors' backend, or None where
/// none applies.
///
/// # Shapes
/// - l: [B, n, n]; rhs: [B, n, m] -> [B, n, m]
pub fn solve_lower(l: &Tensor<3>, rhs: &Tensor<3>, transposed: bool) -> Option<Tensor<3>> {
    if !LINALG_KERNELS.load(Ordering::Relaxed) {
        return None;
    }
    let x = flex_linalg::solve_lower(l, rhs, transposed);
    #[cfg(feature = "wgpu")]
    let x = x.or_else(|| cube_linalg::solve_lower(l, rhs, transposed));
    x
}
