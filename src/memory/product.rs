//! The product memory of the Product Kanerva Machine, in our exact form (docs/pkm.md): N small
//! matrix-normal memories ("machines") M_k, each item t written into every machine with a gate
//! γ_{t,k} >= 0 and read back as a product of Gaussian experts.
//!
//! The observation model treats the machines as N independent noisy views of the item's code,
//! p(z | {M_k}) ∝ Π_k N(z; M_kᵀ w_k, σ²/γ_k I). As a function of the memories the likelihood
//! factorises over k, so each machine's posterior is the ordinary Bayesian write at noise σ²/γ;
//! and because γ‖z − Mᵀw‖² = ‖√γ z − Mᵀ(√γ w)‖², that is [`write_batched`] on rows scaled by √γ.
//! The read is the product of the N views: precision Σ_k γ_k / σ², mean Σ_k γ_k M_kᵀ w_k / Σ_k γ_k.
//!
//! The machines of B episodes are stacked on the batch axis, episode-major: entry b·N + k is
//! machine k of episode b. Every function of [`super::dkm`] then works on them unchanged.

use burn::tensor::Tensor;

use super::dkm::{MemoryConfig, MemoryState, prior_variance, write_batched};
use super::linalg::{diagonal, eye_like};

/// The prior of N machines, repeated for `batch` episodes: machine k is MN(R0_k, u0_k I, I) with
/// u0_k = e^{s_k} + 1e-6.
///
/// # Shapes
/// - prior_mean (R0): [N, K, C]; log_var_scale (s): [N]; returns B·N memories
pub fn product_prior(prior_mean: Tensor<3>, log_var_scale: Tensor<1>, batch: usize) -> MemoryState {
    let [n, k, c] = prior_mean.dims();
    let u0 = prior_variance(log_var_scale); // [N]
    let eye = eye_like(k, &prior_mean).unsqueeze_dim::<3>(0); // [1, K, K]
    let cov = (eye * u0.clone().reshape([n, 1, 1])).unsqueeze_dim::<4>(0).repeat_dim(0, batch).reshape([batch * n, k, k]);
    let mean = prior_mean.unsqueeze_dim::<4>(0).repeat_dim(0, batch).reshape([batch * n, k, c]);
    let logdet_cov = u0.log().mul_scalar(k as f64).unsqueeze_dim::<2>(0).repeat_dim(0, batch).reshape([batch * n]);
    MemoryState { mean, cov, logdet_cov }
}

/// The episode's codes repeated for each machine, as the stacked memories expect them.
///
/// # Shapes
/// - codes: [B, T, C] -> [B·N, T, C]
pub fn per_machine(codes: Tensor<3>, machines: usize) -> Tensor<3> {
    let [b, t, c] = codes.dims();
    codes.unsqueeze_dim::<4>(1).repeat_dim(1, machines).reshape([b * machines, t, c])
}

/// The gates in the stacked layout.
///
/// # Shapes
/// - gates: [B, T, N] -> [B·N, T, 1]
fn stacked_gates(gates: Tensor<3>) -> Tensor<3> {
    let [b, t, n] = gates.dims();
    gates.swap_dims(1, 2).reshape([b * n, t, 1])
}

/// Writes T items into every machine, item t into machine k at noise σ²/γ_{t,k} (a gate of 0
/// leaves the machine unchanged).
///
/// # Shapes
/// - state: B·N memories; codes: [B, T, C]; weights: each machine's addressing [B·N, T, K];
///   gates: [B, T, N], >= 0
pub fn write_gated(state: MemoryState, codes: Tensor<3>, weights: Tensor<3>, gates: Tensor<3>, config: &MemoryConfig) -> MemoryState {
    let n = gates.dims()[2];
    let root = stacked_gates(gates).sqrt(); // √γ [B·N, T, 1]
    write_batched(state, per_machine(codes, n) * root.clone(), weights * root, config)
}

/// The product of the machines' reads: the γ-weighted mean of M_kᵀ w_k.
///
/// # Shapes
/// - reads: each machine's read [B·N, T, C]; gates: [B, T, N]; returns [B, T, C]
pub fn product_read(reads: Tensor<3>, gates: Tensor<3>) -> Tensor<3> {
    let [b, t, n] = gates.dims();
    let c = reads.dims()[2];
    let reads = reads.reshape([b, n, t, c]);
    let g = gates.swap_dims(1, 2).unsqueeze_dim::<4>(3); // [B, N, T, 1]
    let total = g.clone().sum_dim(1); // [B, 1, T, 1]
    ((reads * g).sum_dim(1) / total).reshape([b, t, c])
}

/// The product read's precision per item, Σ_k γ_k / σ² (the same in every code dimension).
///
/// # Shapes
/// - gates: [B, T, N]; returns [B, T]
pub fn product_precision(gates: Tensor<3>, config: &MemoryConfig) -> Tensor<2> {
    let [b, t, _] = gates.dims();
    gates.sum_dim(2).reshape([b, t]).div_scalar(config.obs_noise_var())
}

/// KL(q(M) ‖ p(M)) of each stacked memory against its own machine's prior (the DKM's exact
/// matrix-normal KL with a per-machine u0).
///
/// # Shapes
/// - state: B·N memories; prior_mean: [N, K, C]; log_var_scale: [N]; returns [B·N]
pub fn kl_machines(state: &MemoryState, prior_mean: Tensor<3>, log_var_scale: Tensor<1>) -> Tensor<1> {
    let [bn, k, c] = state.mean.dims();
    let n = prior_mean.dims()[0];
    let b = bn / n;
    let (kf, cf) = (k as f64, c as f64);
    let u0 = prior_variance(log_var_scale).unsqueeze_dim::<2>(0).repeat_dim(0, b).reshape([bn]); // [B·N]
    let trace = diagonal(state.cov.clone()).sum_dim(1).reshape([bn]);
    let prior = prior_mean.unsqueeze_dim::<4>(0).repeat_dim(0, b).reshape([bn, k, c]);
    let mahalanobis = (state.mean.clone() - prior).square().sum_dims(&[1, 2]).reshape([bn]);
    let scaled = (trace.mul_scalar(cf) + mahalanobis) / u0.clone();
    let constant = u0.log().mul_scalar(cf * kf).sub_scalar(kf * cf);
    (scaled + constant - state.logdet_cov.clone().mul_scalar(cf)).mul_scalar(0.5)
}
