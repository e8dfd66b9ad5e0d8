//! An energy-based memory model (EBMM; Bartunov, Rae, Osindero, Lillicrap, ICLR 2020) in our
//! small closed-form version (docs/ebmm.md says which parts are the paper's): patterns are
//! stored in the fast weights of an energy by a few meta-learned gradient steps from a learned
//! initialisation, and retrieved by gradient descent on that energy from a corrupted query.
//!
//! - Energy (an RBM-like free energy with a confinement): for x ∈ [0, 1]^D,
//!   E(x; W) = (λ/2)‖x − c‖² − Σ_j softplus(w_jᵀ x + b_j), with ∇_x E = λ(x − c) − Wᵀ σ(Wx + b).
//!   The fast ("memory") weights are W [H, D]; b, c and λ are slow.
//! - Write: W_0 = W̄ (learned), then T_w steps W ← W − η_τ ∇_W 𝒲 on the writing loss
//!   𝒲 = mean_i [E(x_i; W) + α‖∇_x E(x_i; W)‖²] + β‖W − W̄‖², with the gradient in closed form
//!   ([`writing_gradient`]), so meta-training needs only first-order autodiff through the unroll.
//! - Read: x ← clamp(x − γ ∇_x E(x; W_T), 0, 1), with γ = min(softplus(ρ), 1/L). The Hessian
//!   λI − Wᵀ diag(σ') W has its eigenvalues in [λ − σ²/4, λ] (σ = ‖W‖₂, σ' ≤ 1/4), so
//!   L = max(λ, 1.1 σ̂²/4 − λ) bounds the gradient's Lipschitz constant (σ̂ by power iteration,
//!   10% margin): projected gradient descent with a step under 1/L, so the energy does not rise.
//!   L is differentiable in W and λ, so meta-training sees what large fast weights cost the read.
//! - Meta-training: write an episode, corrupt each item (a random 10 × 10 white block in half the
//!   episodes, 15% salt and pepper in the others), read K steps, and minimise the binary cross
//!   entropy of the read against the clean items, over W̄, b, c, λ, α, β, η and ρ.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::{sigmoid, softplus};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use crate::data::{PIXELS, SIDE};

/// Everything that fixes an EBMM's shape and behaviour; stored in every checkpoint card.
#[derive(Config, Debug, PartialEq)]
pub struct EbmmConfig {
    /// H, hidden units: the fast weights W are H × 784 floats (the memory size).
    #[config(default = 128)]
    pub hidden: usize,
    /// T_w, gradient steps of a write.
    #[config(default = 5)]
    pub write_steps: usize,
    /// K, read steps in meta-training (the explorer reads as many as asked).
    #[config(default = 10)]
    pub read_steps: usize,
    /// Side of the white block that corrupts half of the training queries.
    #[config(default = 10)]
    pub block_side: usize,
    /// Salt-and-pepper probability of the other half.
    #[config(default = 0.15)]
    pub salt_pepper: f64,
    #[config(default = 0)]
    pub seed: u64,
}

#[derive(Module, Debug)]
pub struct Ebmm {
    /// W̄, the fast weights before a write. [H, D]
    pub w_init: Param<Tensor<2>>,
    /// b. [H]
    pub bias: Param<Tensor<1>>,
    /// c, the confinement's centre. [D]
    pub center: Param<Tensor<1>>,
    /// ln λ, ln α, ln β. [1] each
    pub log_lambda: Param<Tensor<1>>,
    pub log_alpha: Param<Tensor<1>>,
    pub log_beta: Param<Tensor<1>>,
    /// η_τ = softplus of these. [T_w]
    pub write_rates: Param<Tensor<1>>,
    /// ρ, with γ = min(softplus(ρ), 1/L). [1]
    pub read_rate: Param<Tensor<1>>,
}

impl EbmmConfig {
    pub fn init(&self, device: &Device) -> Ebmm {
        device.seed(self.seed);
        let scalar = |v: f64| Param::from_tensor(Tensor::from_data(TensorData::new(vec![v as f32], [1]), device));
        Ebmm {
            w_init: Param::from_tensor(Tensor::random([self.hidden, PIXELS], Distribution::Normal(0.0, 0.1), device)),
            bias: Param::from_tensor(Tensor::zeros([self.hidden], device)),
            center: Param::from_tensor(Tensor::full([PIXELS], 0.13, device)),
            log_lambda: scalar(0.0),
            log_alpha: scalar(-2.0),
            log_beta: scalar(-4.0),
            write_rates: Param::from_tensor(Tensor::full([self.write_steps], -3.0, device)),
            read_rate: scalar(0.0),
        }
    }
}

/// Slow parameters with their positive transforms applied.
pub struct Slow {
    pub bias: Tensor<1>,
    pub center: Tensor<1>,
    pub lambda: Tensor<1>,
    pub alpha: Tensor<1>,
    pub beta: Tensor<1>,
}

/// The energy per item.
///
/// # Shapes
/// - x: [B, N, D]; w: [B, H, D]; returns [B, N]
pub fn energy(x: Tensor<3>, w: Tensor<3>, slow: &Slow) -> Tensor<2> {
    let [b, n, d] = x.dims();
    let h = w.dims()[1];
    let a = x.clone().matmul(w.swap_dims(1, 2)) + slow.bias.clone().reshape([1, 1, h]);
    let confinement = (x - slow.center.clone().reshape([1, 1, d])).square().sum_dim(2).reshape([b, n]) * slow.lambda.clone().reshape([1, 1]).div_scalar(2.0);
    confinement - softplus(a, 1.0).sum_dim(2).reshape([b, n])
}

/// ∇_x E and the hidden activations σ(Wx + b).
///
/// # Shapes
/// - x: [B, N, D]; w: [B, H, D]; returns ([B, N, D], [B, N, H])
pub fn energy_gradient(x: Tensor<3>, w: Tensor<3>, slow: &Slow) -> (Tensor<3>, Tensor<3>) {
    let [_, _, d] = x.dims();
    let h = w.dims()[1];
    let s = sigmoid(x.clone().matmul(w.clone().swap_dims(1, 2)) + slow.bias.clone().reshape([1, 1, h]));
    let g = (x - slow.center.clone().reshape([1, 1, d])) * slow.lambda.clone().reshape([1, 1, 1]) - s.clone().matmul(w);
    (g, s)
}

/// The writing loss 𝒲 per episode: mean_i [E(x_i) + α‖∇_x E(x_i)‖²] + β‖W − W̄‖².
///
/// # Shapes
/// - x: [B, N, D]; w, w_bar: [B, H, D]; returns [B]
pub fn writing_loss(x: Tensor<3>, w: Tensor<3>, w_bar: Tensor<3>, slow: &Slow) -> Tensor<1> {
    let [b, n, _] = x.dims();
    let (g, _) = energy_gradient(x.clone(), w.clone(), slow);
    let per_item = energy(x, w.clone(), slow) + g.square().sum_dim(2).reshape([b, n]) * slow.alpha.clone().reshape([1, 1]);
    per_item.mean_dim(1).reshape([b]) + (w - w_bar).square().sum_dims(&[1, 2]).reshape([b]) * slow.beta.clone()
}

/// ∇_W 𝒲 in closed form. With S = σ(XWᵀ + b), S' = S(1 − S), G = ∇_x E:
/// ∇_W E(x) = −s xᵀ, ∇_W ‖g‖² = −2 (s gᵀ + (s' ⊙ W g) xᵀ), so
/// ∇_W 𝒲 = (1/N) Σ_i [−s_i x_iᵀ − 2α (s_i g_iᵀ + (s'_i ⊙ W g_i) x_iᵀ)] + 2β (W − W̄).
///
/// # Shapes
/// - x: [B, N, D]; w, w_bar: [B, H, D]; returns [B, H, D]
pub fn writing_gradient(x: Tensor<3>, w: Tensor<3>, w_bar: Tensor<3>, slow: &Slow) -> Tensor<3> {
    let n = x.dims()[1];
    let (g, s) = energy_gradient(x.clone(), w.clone(), slow);
    let s_prime = s.clone() * s.clone().neg().add_scalar(1.0);
    let wg = g.clone().matmul(w.clone().swap_dims(1, 2)); // (W g_i)_j [B, N, H]
    let two_alpha = slow.alpha.clone().reshape([1, 1, 1]).mul_scalar(2.0);
    // −[sᵀ(x + 2α g) + 2α (s' ⊙ Wg)ᵀ x]: two matmuls instead of three.
    let data = (s.swap_dims(1, 2).matmul(x.clone() + g * two_alpha.clone()) + (s_prime * wg * two_alpha).swap_dims(1, 2).matmul(x)).neg();
    data.div_scalar(n as f64) + (w - w_bar) * slow.beta.clone().reshape([1, 1, 1]).mul_scalar(2.0)
}

/// The read's bound on the gradient's Lipschitz constant per episode, max(λ, 1.1 σ̂²/4 − λ):
/// σ̂ = ‖W v‖ with v the top right singular vector of W found by 30 power iterations on a
/// detached copy; ‖W v‖² is differentiable in W with the gradient of σ_max² (2σ u vᵀ).
///
/// # Shapes
/// - w: [B, H, D]; lambda: [1]; returns [B]
pub fn lipschitz_bound(w: Tensor<3>, lambda: Tensor<1>) -> Tensor<1> {
    let [b, _, d] = w.dims();
    let fixed = w.clone().detach();
    let mut v = Tensor::<3>::ones([b, d, 1], (&w.device(), w.dtype())).div_scalar((d as f64).sqrt());
    for _ in 0..30 {
        let u = fixed.clone().matmul(v);
        v = fixed.clone().swap_dims(1, 2).matmul(u);
        let norm = v.clone().square().sum_dim(1).sqrt().clamp_min(1e-12); // [B, 1, 1]
        v = v / norm;
    }
    let sigma_sq = w.matmul(v.detach()).square().sum_dims(&[1, 2]).reshape([b]);
    let lambda = lambda.repeat_dim(0, b);
    lambda.clone().max_pair(sigma_sq.mul_scalar(1.1 / 4.0) - lambda)
}

impl Ebmm {
    pub fn hidden(&self) -> usize {
        self.w_init.dims()[0]
    }

    pub fn slow(&self) -> Slow {
        Slow {
            bias: self.bias.val(),
            center: self.center.val(),
            lambda: self.log_lambda.val().exp(),
            alpha: self.log_alpha.val().exp(),
            beta: self.log_beta.val().exp(),
        }
    }

    /// Writes each episode: T_w closed-form gradient steps on the writing loss from W̄. Also
    /// returns the writing loss before each step and after the last (`every_step`), or before
    /// the first and after the last only (meta-training: each loss costs three matmuls).
    ///
    /// # Shapes
    /// - x: [B, N, D]; returns W_T [B, H, D] and T_w + 1 (or 2) losses [B]
    pub fn write(&self, x: Tensor<3>, every_step: bool) -> (Tensor<3>, Vec<Tensor<1>>) {
        let b = x.dims()[0];
        let slow = self.slow();
        let w_bar = self.w_init.val().unsqueeze_dim::<3>(0).repeat_dim(0, b);
        let rates = softplus(self.write_rates.val(), 1.0);
        let steps = rates.dims()[0];
        let mut w = w_bar.clone();
        let mut losses = Vec::with_capacity(steps + 1);
        for tau in 0..steps {
            if every_step || tau == 0 {
                losses.push(writing_loss(x.clone(), w.clone(), w_bar.clone(), &slow));
            }
            let eta = rates.clone().slice([tau..tau + 1]).reshape([1, 1, 1]);
            w = w.clone() - writing_gradient(x.clone(), w, w_bar.clone(), &slow) * eta;
        }
        losses.push(writing_loss(x, w.clone(), w_bar, &slow));
        (w, losses)
    }

    /// The read's step size per episode, γ = min(softplus(ρ), 1/L).
    ///
    /// # Shapes
    /// - w: [B, H, D]; returns [B]
    pub fn read_step_size(&self, w: Tensor<3>) -> Tensor<1> {
        let b = w.dims()[0];
        let bound = lipschitz_bound(w, self.log_lambda.val().exp()).recip();
        softplus(self.read_rate.val(), 1.0).repeat_dim(0, b).min_pair(bound)
    }

    /// `steps` projected gradient steps on the energy.
    ///
    /// # Shapes
    /// - x: [B, N, D]; w: [B, H, D]; returns [B, N, D]
    pub fn read(&self, x: Tensor<3>, w: Tensor<3>, steps: usize) -> Tensor<3> {
        let b = x.dims()[0];
        let slow = self.slow();
        let gamma = self.read_step_size(w.clone()).reshape([b, 1, 1]);
        let mut x = x;
        for _ in 0..steps {
            let (g, _) = energy_gradient(x.clone(), w.clone(), &slow);
            x = (x - g * gamma.clone()).clamp(0.0, 1.0);
        }
        x
    }
}

/// Corrupts the training queries on the device's random stream: a white `side` × `side` block
/// at a random place in the even episodes, salt and pepper at `p` in the odd ones.
///
/// # Shapes
/// - x: [B, N, 784] -> [B, N, 784]
pub fn corrupt_training_queries(x: Tensor<3>, side: usize, p: f64) -> Tensor<3> {
    let [b, n, d] = x.dims();
    let device = x.device();
    let corners = Tensor::<3>::random([b, n, 2], Distribution::Uniform(0.0, 1.0), &device).into_data().convert::<f32>().try_into_vec::<f32>().expect("float");
    let span = (SIDE - side.min(SIDE) + 1) as f32;
    let mut block = vec![0.0f32; b * n * d];
    let mut is_block = vec![0.0f32; b * n * d];
    for e in 0..b {
        if e % 2 == 1 {
            continue;
        }
        for i in 0..n {
            let item = e * n + i;
            let (r0, c0) = (((corners[item * 2] * span) as usize).min(SIDE - side), ((corners[item * 2 + 1] * span) as usize).min(SIDE - side));
            for r in r0..r0 + side {
                for c in c0..c0 + side {
                    block[item * d + r * SIDE + c] = 1.0;
                }
            }
            is_block[item * d..(item + 1) * d].fill(1.0);
        }
    }
    let block = Tensor::<3>::from_data(TensorData::new(block, [b, n, d]), &device);
    let is_block = Tensor::<3>::from_data(TensorData::new(is_block, [b, n, d]), &device);
    let flip = Tensor::<3>::random([b, n, d], Distribution::Bernoulli(p), &device) * is_block.clone().neg().add_scalar(1.0);
    let salt = Tensor::<3>::random([b, n, d], Distribution::Bernoulli(0.5), &device);
    // Blocks: x where no block, 1 inside. Salt and pepper: x where no flip, a fair bit where one.
    let blocked = x.clone() * block.clone().neg().add_scalar(1.0) + block;
    let peppered = x * flip.clone().neg().add_scalar(1.0) + salt * flip;
    blocked * is_block.clone() + peppered * is_block.neg().add_scalar(1.0)
}

/// Per-image terms of a meta-training batch, each [1].
#[derive(Debug, Clone)]
pub struct EbmmTerms {
    /// Binary cross entropy of the read against the clean items, nats per image (the loss).
    pub read_bce_nats: Tensor<1>,
    /// Fraction of pixels wrong after the read, thresholded at ½.
    pub retrieval_error: Tensor<1>,
    /// The same for the corrupted queries.
    pub query_error: Tensor<1>,
    /// The writing loss before and after the write, per episode mean.
    pub write_loss_before: Tensor<1>,
    pub write_loss_after: Tensor<1>,
}

impl Ebmm {
    /// Writes the clean episodes, reads from corrupted queries, scores against the clean items.
    ///
    /// # Shapes
    /// - images: [B, N, 784], binary
    pub fn meta_terms(&self, images: Tensor<3>, config: &EbmmConfig) -> EbmmTerms {
        let [b, n, d] = images.dims();
        let (w, losses) = self.write(images.clone(), false);
        let query = corrupt_training_queries(images.clone(), config.block_side, config.salt_pepper);
        let read = self.read(query.clone(), w, config.read_steps);
        let p = read.clamp(1e-4, 1.0 - 1e-4);
        let bce = (images.clone() * p.clone().log() + images.clone().neg().add_scalar(1.0) * p.clone().neg().add_scalar(1.0).log()).neg();
        let per_image = |t: Tensor<3>| t.sum().div_scalar((b * n) as f64);
        let wrong = |x: Tensor<3>| x.greater_equal_elem(0.5).float().sub(images.clone()).abs().sum().div_scalar((b * n * d) as f64);
        EbmmTerms {
            read_bce_nats: per_image(bce),
            retrieval_error: wrong(p),
            query_error: wrong(query),
            write_loss_before: losses.first().expect("one loss at least").clone().mean(),
            write_loss_after: losses.last().expect("one loss at least").clone().mean(),
        }
    }
}

/// The EBMM's reported terms: the meta-training loss first (not a bound).
pub mod terms {
    use crate::model::TermName;
    pub const READ_BCE: TermName = TermName::new("read_bce_nats", "read BCE", "nats");
    pub const RETRIEVAL_ERROR: TermName = TermName::new("retrieval_error", "error after read", "pixel fraction");
    pub const QUERY_ERROR: TermName = TermName::new("query_error", "query error", "pixel fraction");
    pub const WRITE_BEFORE: TermName = TermName::new("write_loss_before", "W before write", "energy");
    pub const WRITE_AFTER: TermName = TermName::new("write_loss_after", "W after write", "energy");
}

impl super::TrainableModel for Ebmm {
    type Config = EbmmConfig;
    const KIND: super::ModelKind = super::ModelKind::Ebmm;
    const HEADLINE: super::HeadlineBound = super::HeadlineBound::NotABound;

    fn config_from(options: &super::ModelOptions, seed: u64) -> EbmmConfig {
        EbmmConfig::new().with_hidden(options.hidden).with_write_steps(options.write_steps).with_read_steps(options.read_steps).with_seed(seed)
    }

    fn check_config(config: &EbmmConfig) -> Result<(), String> {
        super::check_size("hidden", config.hidden)?;
        super::check_size("write_steps", config.write_steps)?;
        super::check_size("read_steps", config.read_steps)?;
        if config.block_side > SIDE {
            return Err(format!("block_side = {} is larger than the image ({SIDE})", config.block_side));
        }
        if !(0.0..=1.0).contains(&config.salt_pepper) {
            return Err(format!("salt_pepper = {} must be a probability", config.salt_pepper));
        }
        Ok(())
    }

    fn init(config: &EbmmConfig, device: &Device) -> Self {
        config.init(device)
    }

    fn loss_terms(&self, images: Tensor<3>, config: &EbmmConfig, _sampled: bool) -> super::LossTerms {
        let t = self.meta_terms(images, config);
        super::LossTerms {
            loss: t.read_bce_nats.clone(),
            terms: vec![
                (terms::READ_BCE, t.read_bce_nats),
                (terms::RETRIEVAL_ERROR, t.retrieval_error),
                (terms::QUERY_ERROR, t.query_error),
                (terms::WRITE_BEFORE, t.write_loss_before),
                (terms::WRITE_AFTER, t.write_loss_after),
            ],
            series: Vec::new(),
        }
    }

    fn sampled_in_training(_: &EbmmConfig) -> bool {
        false
    }

    fn into_attractor(self, name: &str, config: EbmmConfig, device: Device) -> Box<dyn crate::memory::AttractorMemory> {
        Box::new(super::EbmmAttractor::new(name, self, config, device))
    }
}
