//! Custom CPU ops on burn's flex backend, and every line of `unsafe` in the crate (the
//! allocator setup in `main.rs` aside).
//!
//! Each op does what a burn tensor expression does, faster on two cores: fused im2col + GEMM
//! convolutions with their backward, a threaded ReLU, the Bernoulli log-likelihood in one
//! pass, and the batched Cholesky factor and triangular solves in f64. Each one is reached
//! through [`dispatch::custom_op`] and returns None (or falls back to burn) where it does not
//! apply, so the wgpu build runs burn's own tensor ops above the same code. Tests compare every
//! op with burn's form, values and gradients.
//!
//! Imports: burn, burn-flex, gemm and rayon only; nothing else in the crate.

pub mod conv_kernels;
pub(crate) mod dispatch;
pub mod fast_conv;
pub mod flex_linalg;
pub mod fused_bernoulli;
pub mod parallel_relu;
mod strided_copy;
mod thread_buffers;
