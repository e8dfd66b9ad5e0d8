//! The DKM's linear-Gaussian Bayesian memory (docs/model.md):
//! q(M) = MN(R, U, I_C), content-based ridge addressing, the Bayesian write, reads and the KL
//! terms. Pure tensor math, batched over B episodes; no networks here.
//!
//! Symbols (docs/model.md): B episodes, T items, K slots, C code size. R: posterior mean [B,K,C],
//! U: row covariance [B,K,K], W: addressing weights [B,T,K], Z: codes [B,T,C].

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::linalg::{cholesky_shifted, cholesky_solve, diagonal, diagonal_matrix_like, eye_like, gram, logdet_from_cholesky, mt, solve_lower, trace};

/// Lower bound of diag(U) after a write (official `memory.py` clip, docs/model.md).
pub const MIN_COV_DIAG: f64 = 1e-6;
/// Upper bound of diag(U) after a write.
pub const MAX_COV_DIAG: f64 = 1e10;
/// Added to the prior variance: u0 = exp(s) + 1e-6.
pub const PRIOR_VAR_EPSILON: f64 = 1e-6;

/// How the addressing weights are solved (docs/model.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AddressingMode {
    /// μ = (R Rᵀ + λI)⁻¹ R z: the MAP estimate of w. Recommended.
    #[default]
    Ridge,
    /// μ = ((R Rᵀ)² + λI)⁻¹ (R Rᵀ) R z: what TensorFlow's `matrix_solve_ls` in the official
    /// code computes. For parity experiments.
    OfficialTf,
}

/// How an episode is written (docs/model.md). On the command line: `sequential`, `static`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
pub enum WriteMode {
    /// Official: item t is addressed against the memory after items 1..t-1, then a rank-1 update.
    Sequential,
    /// All T items addressed against the memory before the write, then one batched update.
    /// Cheaper; permutation invariant; what the PyTorch reference does by default, and what
    /// every shipped DKM was trained with.
    #[default]
    #[value(name = "static")]
    StaticBatched,
}

/// Fixed (non-trainable) settings of the memory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MemoryConfig {
    /// K, number of memory rows.
    pub slots: usize,
    /// C, code size.
    pub code_size: usize,
    /// σξ, observation noise std in code space.
    pub obs_noise_std: f64,
    /// σp, prior std of the addressing weights.
    pub w_prior_std: f64,
    pub addressing: AddressingMode,
    pub write_mode: WriteMode,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        Self {
            slots: 32,
            code_size: 100,
            obs_noise_std: 1.0,
            w_prior_std: 1.0,
            addressing: AddressingMode::Ridge,
            write_mode: WriteMode::default(),
        }
    }
}

impl MemoryConfig {
    /// λ = σξ²/σp², the ridge strength of the addressing solve.
    pub fn ridge_lambda(&self) -> f64 {
        self.obs_noise_std.powi(2) / self.w_prior_std.powi(2)
    }

    pub fn obs_noise_var(&self) -> f64 {
        self.obs_noise_std.powi(2)
    }
}

/// q(M) = MN(R, U, I_C) for a batch of episodes, with ln det U tracked through the writes
/// (docs/model.md) so the KL needs no factorisation.
#[derive(Debug, Clone)]
pub struct MemoryState {
    /// R, posterior mean. [B, K, C]
    pub mean: Tensor<3>,
    /// U, row covariance, symmetric PSD. [B, K, K]
    pub cov: Tensor<3>,
    /// ln det U. [B]
    pub logdet_cov: Tensor<1>,
}

/// u0 = exp(s) + 1e-6, the prior row variance, from the trainable log-scale s.
///
/// # Shapes
/// - log_var_scale: [1]; returns [1]
pub fn prior_variance(log_var_scale: Tensor<1>) -> Tensor<1> {
    log_var_scale.exp().add_scalar(PRIOR_VAR_EPSILON)
}

impl MemoryState {
    /// The prior MN(R0, u0·I, I) repeated for `batch` episodes.
    ///
    /// # Shapes
    /// - prior_mean (R0): [K, C]
    /// - log_var_scale (s): [1]
    pub fn prior(prior_mean: Tensor<2>, log_var_scale: Tensor<1>, batch: usize) -> Self {
        let [k, c] = prior_mean.dims();
        let u0 = prior_variance(log_var_scale); // [1]
        let eye = eye_like(k, &prior_mean).unsqueeze_dim::<3>(0); // [1, K, K]
        let cov = (eye * u0.clone().reshape([1, 1, 1])).repeat_dim(0, batch);
        let mean = prior_mean.unsqueeze_dim::<3>(0).repeat_dim(0, batch);
        debug_assert_eq!(mean.dims(), [batch, k, c]);
        let logdet_cov = u0.log().mul_scalar(k as f64).repeat_dim(0, batch);
        Self { mean, cov, logdet_cov }
    }

    pub fn batch(&self) -> usize {
        self.mean.dims()[0]
    }

    /// The same state with every tensor cut from the autodiff graph.
    pub fn detach(self) -> Self {
        Self {
            mean: self.mean.detach(),
            cov: self.cov.detach(),
            logdet_cov: self.logdet_cov.detach(),
        }
    }

    /// Episode `index` alone, as a batch of one.
    pub fn episode(&self, index: usize) -> Self {
        let [_, k, c] = self.mean.dims();
        Self {
            mean: self.mean.clone().slice([index..index + 1, 0..k, 0..c]),
            cov: self.cov.clone().slice([index..index + 1, 0..k, 0..k]),
            logdet_cov: self.logdet_cov.clone().slice([index..index + 1]),
        }
    }
}

/// Addressing with the factorisation of the memory cached: reading many queries (or many
/// iterations) against one fixed memory pays for the K×K Cholesky once.
#[derive(Debug, Clone)]
pub struct Addresser {
    /// R (or a memory sample M). [B, K, C]
    memory: Tensor<3>,
    /// Cholesky factor of the system matrix G. [B, K, K]
    factor: Tensor<3>,
    /// (R Rᵀ) for the official form, used again on the right-hand side.
    gram: Option<Tensor<3>>,
    /// The whole address map P = (G⁻¹ [RRᵀ] R)ᵀ, for reading many queries against a fixed
    /// memory: μ = z P is one matmul instead of two substitution loops (K small tensor ops
    /// each). [B, C, K]
    projection: Option<Tensor<3>>,
}

impl Addresser {
    /// # Shapes
    /// - memory: [B, K, C]
    pub fn new(memory: Tensor<3>, config: &MemoryConfig) -> Self {
        let gram = gram(memory.clone()); // R Rᵀ [B, K, K]
        let lambda = config.ridge_lambda();
        match config.addressing {
            AddressingMode::Ridge => Self {
                factor: cholesky_shifted(gram, lambda),
                memory,
                gram: None,
                projection: None,
            },
            AddressingMode::OfficialTf => Self {
                factor: cholesky_shifted(gram.clone().matmul(gram.clone()), lambda),
                memory,
                gram: Some(gram),
                projection: None,
            },
        }
    }

    /// Precomputes the address map P from the factor, so later addresses cost one matmul.
    /// Worth it when one memory answers many reads (the explorer, evaluation); training
    /// addresses each memory once and keeps the substitutions.
    pub fn with_address_map(mut self) -> Self {
        let mut rhs = self.memory.clone(); // R [B, K, C]
        if let Some(gram) = &self.gram {
            rhs = gram.clone().matmul(rhs);
        }
        self.projection = Some(mt(cholesky_solve(self.factor.clone(), rhs)));
        self
    }

    /// The addressing means μ of T codes.
    ///
    /// # Shapes
    /// - codes: [B, T, C]
    /// - returns: W [B, T, K]
    pub fn address(&self, codes: Tensor<3>) -> Tensor<3> {
        if let Some(projection) = &self.projection {
            return codes.matmul(projection.clone());
        }
        let mut rhs = self.memory.clone().matmul(mt(codes)); // R Zᵀ [B, K, T]
        if let Some(gram) = &self.gram {
            rhs = gram.clone().matmul(rhs);
        }
        mt(cholesky_solve(self.factor.clone(), rhs))
    }
}

/// Addressing means of T codes against memory `memory` (docs/model.md).
///
/// # Shapes
/// - codes: [B, T, C]; memory: [B, K, C]; returns W: [B, T, K]
pub fn address(codes: Tensor<3>, memory: Tensor<3>, config: &MemoryConfig) -> Tensor<3> {
    Addresser::new(memory, config).address(codes)
}

/// A read: Ẑ = W R.
///
/// # Shapes
/// - weights: [B, T, K]; memory: [B, K, C]; returns: [B, T, C]
pub fn read(weights: Tensor<3>, memory: Tensor<3>) -> Tensor<3> {
    weights.matmul(memory)
}

/// Clamps diag(U) to [1e-6, 1e10], leaving the off-diagonal entries alone (official behaviour):
/// an elementwise clamp against bounds that are ±∞ off the diagonal.
fn clip_cov_diagonal(cov: Tensor<3>) -> Tensor<3> {
    let [b, k, _] = cov.dims();
    let bounds = |on_diagonal: f64, off_diagonal: f64| diagonal_matrix_like(k, on_diagonal, off_diagonal, &cov).unsqueeze_dim::<3>(0).expand([b, k, k]);
    let (lower, upper) = (bounds(MIN_COV_DIAG, f64::NEG_INFINITY), bounds(MAX_COV_DIAG, f64::INFINITY));
    cov.max_pair(lower).min_pair(upper)
}

/// Bayesian write of T codes with fixed weights, in closed form (docs/model.md):
/// Σc = W U, Σz = W U Wᵀ + σξ² I, R ← R + Σcᵀ Σz⁻¹ (Z − W R), U ← U − Σcᵀ Σz⁻¹ Σc.
/// Computed with one forward solve against chol(Σz) = Lz: with V = Lz⁻¹ Σc, U ← U − VᵀV is
/// symmetric by construction.
///
/// # Shapes
/// - state: R [B,K,C], U [B,K,K]; codes: [B, T, C]; weights: [B, T, K]
pub fn write_batched(state: MemoryState, codes: Tensor<3>, weights: Tensor<3>, config: &MemoryConfig) -> MemoryState {
    let [_, t, _] = codes.dims();
    let [_, k, c] = state.mean.dims();
    let noise_var = config.obs_noise_var();
    let sigma_c = weights.clone().matmul(state.cov.clone()); // [B, T, K]
    // Σz = Σc Wᵀ + σξ² I, factored with the noise added on the diagonal.
    let factor = cholesky_shifted(sigma_c.clone().matmul(mt(weights.clone())), noise_var); // [B, T, T]
    let residual = codes - weights.matmul(state.mean.clone()); // Z − W R [B, T, C]
    let solved = solve_lower(factor.clone(), Tensor::cat(vec![sigma_c, residual], 2)); // [V | D] [B, T, K+C]
    let b = solved.dims()[0];
    let v = solved.clone().slice([0..b, 0..t, 0..k]);
    // Vᵀ [V | D] = [VᵀV | VᵀD]: both updates from one product.
    let update = mt(v).matmul(solved); // [B, K, K+C]
    let mean = state.mean + update.clone().slice([0..b, 0..k, k..k + c]);
    let cov = clip_cov_diagonal(state.cov - update.slice([0..b, 0..k, 0..k]));
    let logdet_cov = state.logdet_cov - logdet_from_cholesky(factor) + (t as f64 * noise_var.ln());
    MemoryState { mean, cov, logdet_cov }
}

/// One rank-1 Bayesian update per episode (docs/model.md): Δ = z − Rᵀw, c = U w,
/// s = wᵀUw + σξ², R ← R + cΔᵀ/s, U ← U − ccᵀ/s, ln det U += ln σξ² − ln s.
///
/// # Shapes
/// - code: [B, 1, C]; weight: [B, 1, K]
pub fn write_rank_one(state: MemoryState, code: Tensor<3>, weight: Tensor<3>, config: &MemoryConfig) -> MemoryState {
    let noise_var = config.obs_noise_var();
    let c = state.cov.clone().matmul(mt(weight.clone())); // U w [B, K, 1]
    let s = weight.clone().matmul(c.clone()).add_scalar(noise_var); // [B, 1, 1]
    let delta = code - weight.matmul(state.mean.clone()); // [B, 1, C]
    let mean = state.mean + c.clone().matmul(delta) / s.clone();
    let cov = clip_cov_diagonal(state.cov - c.clone().matmul(mt(c)) / s.clone());
    let b = s.dims()[0];
    let logdet_cov = state.logdet_cov - s.reshape([b]).log().sub_scalar(noise_var.ln());
    MemoryState { mean, cov, logdet_cov }
}

/// T rank-1 updates with given weights, in order. Equals [`write_batched`] (a test checks it).
///
/// # Shapes
/// - codes: [B, T, C]; weights: [B, T, K]
pub fn write_sequential_fixed(mut state: MemoryState, codes: Tensor<3>, weights: Tensor<3>, config: &MemoryConfig) -> MemoryState {
    let [b, t, c] = codes.dims();
    let k = weights.dims()[2];
    for i in 0..t {
        let code = codes.clone().slice([0..b, i..i + 1, 0..c]);
        let weight = weights.clone().slice([0..b, i..i + 1, 0..k]);
        state = write_rank_one(state, code, weight, config);
    }
    state
}

/// Writes an episode of codes with dynamic addressing, as `config.write_mode` says. Returns the
/// posterior and the write weights.
///
/// # Shapes
/// - codes: [B, T, C]; returns W: [B, T, K]
pub fn write(state: MemoryState, codes: Tensor<3>, config: &MemoryConfig) -> (MemoryState, Tensor<3>) {
    match config.write_mode {
        WriteMode::StaticBatched => {
            let weights = address(codes.clone(), state.mean.clone(), config);
            (write_batched(state, codes, weights.clone(), config), weights)
        }
        WriteMode::Sequential => {
            let [b, t, c] = codes.dims();
            let mut state = state;
            let mut all = Vec::with_capacity(t);
            for i in 0..t {
                let code = codes.clone().slice([0..b, i..i + 1, 0..c]);
                let weight = address(code.clone(), state.mean.clone(), config);
                state = write_rank_one(state, code, weight.clone(), config);
                all.push(weight);
            }
            (state, Tensor::cat(all, 1))
        }
    }
}

/// KL(N(μ, σw² I) ‖ N(0, σp² I)) per item (docs/model.md).
///
/// # Shapes
/// - weights (μ): [B, T, K]; log_w_std (ln σw): [1]; returns: [B, T]
pub fn kl_addressing(weights: Tensor<3>, log_w_std: Tensor<1>, w_prior_std: f64) -> Tensor<2> {
    let [b, t, k] = weights.dims();
    let prior_var = w_prior_std.powi(2);
    let sq_norm = weights.square().sum_dim(2).reshape([b, t]); // Σ μ²
    let w_var = log_w_std.clone().mul_scalar(2.0).exp(); // σw² [1]
    let per_item = (w_var.mul_scalar(k as f64 / (2.0 * prior_var)) - log_w_std.mul_scalar(k as f64))
        .add_scalar(k as f64 * (w_prior_std.ln() - 0.5)); // [1]
    sq_norm.div_scalar(2.0 * prior_var) + per_item.reshape([1, 1])
}

/// Exact KL(q(M) ‖ p(M)) for q = MN(R, U, I), p = MN(R0, u0 I, I) (docs/model.md):
/// ½[C tr(U)/u0 + ‖R − R0‖²/u0 − KC + CK ln u0 − C ln det U], with ln det U from the state.
///
/// # Shapes
/// - prior_mean: [K, C]; log_var_scale: [1]; returns: [B]
pub fn kl_memory(state: &MemoryState, prior_mean: Tensor<2>, log_var_scale: Tensor<1>) -> Tensor<1> {
    let [b, k, c] = state.mean.dims();
    let (k, c) = (k as f64, c as f64);
    let u0 = prior_variance(log_var_scale); // [1]
    let trace = trace(state.cov.clone());
    let mahalanobis = (state.mean.clone() - prior_mean.unsqueeze_dim::<3>(0)).square().sum_dims(&[1, 2]).reshape([b]);
    let scaled = (trace.mul_scalar(c) + mahalanobis) / u0.clone();
    let constant = u0.log().mul_scalar(c * k).sub_scalar(k * c); // CK ln u0 − KC
    (scaled + constant - state.logdet_cov.clone().mul_scalar(c)).mul_scalar(0.5)
}

/// What the official `get_dkl_total` computes (docs/model.md): no ½ and Σ ln U_kk in place of
/// ln det U. For parity experiments only.
///
/// # Shapes
/// - returns: [B]
pub fn kl_memory_official(state: &MemoryState, prior_mean: Tensor<2>, log_var_scale: Tensor<1>) -> Tensor<1> {
    let [b, k, c] = state.mean.dims();
    let (k, c) = (k as f64, c as f64);
    let u0 = prior_variance(log_var_scale);
    let diag = diagonal(state.cov.clone()); // [B, K]
    let trace = diag.clone().sum_dim(1).reshape([b]);
    let sum_log_diag = diag.log().sum_dim(1).reshape([b]);
    let mahalanobis = (state.mean.clone() - prior_mean.unsqueeze_dim::<3>(0)).square().sum_dims(&[1, 2]).reshape([b]);
    let scaled = (trace.mul_scalar(c) + mahalanobis) / u0.clone();
    let constant = u0.log().mul_scalar(c * k).sub_scalar(k * c);
    scaled + constant - sum_log_diag.mul_scalar(c)
}

/// A draw M ~ q(M): each column M[:, c] = R[:, c] + L ε_c with L = chol(U), ε standard normal.
///
/// # Shapes
/// - noise (ε): [B, K, C]; returns: [B, K, C]
pub fn sample_memory(state: &MemoryState, noise: Tensor<3>) -> Tensor<3> {
    // A little jitter: U is only PSD after many writes.
    state.mean.clone() + cholesky_shifted(state.cov.clone(), MIN_COV_DIAG).matmul(noise)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;
    use crate::backend::training_device;

    /// Only the diagonal is clamped, to [MIN_COV_DIAG, MAX_COV_DIAG]; the gradient passes
    /// everywhere except through a clamped diagonal entry.
    #[test]
    fn clipping_the_covariance_touches_its_diagonal_only() {
        let dev = training_device();
        let values = vec![-3.0, -2e10, 5.0, 4e10, 1e-9, 7.0, -1.0, 2.0, 0.5f32];
        let cov = Tensor::<3>::from_data(TensorData::new(values, [1, 3, 3]), &dev).require_grad();
        let clipped = clip_cov_diagonal(cov.clone());
        let got = clipped.clone().into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(got, vec![MIN_COV_DIAG as f32, -2e10, 5.0, 4e10, MIN_COV_DIAG as f32, 7.0, -1.0, 2.0, 0.5]);
        let big = Tensor::<3>::from_data(TensorData::new(vec![2e10f32, 1.0, 1.0, 3.0], [1, 2, 2]), &dev);
        assert_eq!(clip_cov_diagonal(big).into_data().try_to_vec::<f32>().unwrap(), vec![MAX_COV_DIAG as f32, 1.0, 1.0, 3.0]);
        let grads = clipped.sum().backward();
        let grad = cov.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(grad, vec![0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    }
}
