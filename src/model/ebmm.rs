//! An energy-based memory model (EBMM; Bartunov, Rae, Osindero, Lillicrap, ICLR 2020) in our
//! small closed-form version (docs/ebmm.md says which parts are the paper's): patterns are
//! stored in the fast weights of an energy by a few meta-learned gradient steps from a learned
//! initialisation, and retrieved by descent on that energy from a corrupted query.
//!
//! - Energy (a Gaussian-mixture free energy with a confinement): for x ∈ [0, 1]^D,
//!   E(x; W) = (λ/2)‖x − c‖² − (1/β) ln Σ_j exp(β (b_j − ½‖x − w_j‖²)),
//!   ∇_x E = λ(x − c) + x − Wᵀp, with p = softmax_j(β (b_j − ½‖x − w_j‖²)) the responsibilities.
//!   The fast ("memory") weights are W [H, D]; b, c, λ, β are slow. The energy is low near the
//!   rows of W, so storing a pattern means moving a row onto it.
//! - Write: W_0 = W̄ (learned), then T_w steps on the writing loss
//!   𝒲 = Σ_i E(x_i; W) + (ρ/2)‖W − W̄‖², ∇_{w_j} 𝒲 = Σ_i p_ij (w_j − x_i) + ρ (w_j − w̄_j),
//!   each row's step divided by its curvature m_j + ρ (m_j = Σ_i p_ij, the Hessian's diagonal with
//!   p held): w_j ← w_j − η_τ ∇_{w_j} 𝒲 / (m_j + ρ). With η = 1 a row moves to the
//!   responsibility-weighted mean of its items, pulled towards w̄_j by ρ (a soft k-means step);
//!   rows no item claims stay at W̄.
//! - Read: x ← clamp(x − γ ∇_x E, 0, 1) with γ = ω / (1 + λ), ω = sigmoid(ρ_read) ∈ (0, 1).
//!   E is a convex quadratic ((1 + λ)/2)‖x‖² − λcᵀx plus a concave part (−(1/β) lse of affine
//!   functions of x), so E(y) ≤ E(x) + ∇E(x)ᵀ(y − x) + ‖y − x‖²/(2γ) for every γ ≤ 1/(1 + λ), and
//!   the projected step minimises that majoriser over the box: the energy never rises, whatever
//!   W and β are (the concave-convex procedure; ω = 1 is its full step x ← clamp((λc + Wᵀp)/(1 + λ))).
//! - Meta-training: write an episode, corrupt each item (a random 10 × 10 white block in half the
//!   episodes, 15% salt and pepper in the others), read K steps, and minimise the binary cross
//!   entropy of the read against the clean items, over W̄, b, c, λ, β, ρ, η and ω.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use crate::data::{PIXELS, SIDE};

/// Everything that fixes an EBMM's shape and behaviour; stored in every checkpoint card.
#[derive(Config, Debug, PartialEq)]
pub struct EbmmConfig {
    /// H, rows of the fast weights: W (H × 784) and b (H) are the memory.
    #[config(default = 128)]
    pub hidden: usize,
    /// T_w, gradient steps of a write (the shipped weights have 5; 3 since 2026-12-02: a row
    /// lands on its items in one or two steps, and each step costs as much as two read steps).
    #[config(default = 3)]
    pub write_steps: usize,
    /// K, read steps in meta-training (the explorer reads as many as asked; the shipped weights
    /// trained with 10, 3 since 2026-12-02: the read settles in one or two).
    #[config(default = 3)]
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
    /// W̄, the rows before a write. [H, D]
    pub w_init: Param<Tensor<2>>,
    /// b̄, the rows' offsets before a write. [H]
    pub bias: Param<Tensor<1>>,
    /// c, the confinement's centre. [D]
    pub center: Param<Tensor<1>>,
    /// ln λ (confinement), ln β (inverse temperature), ln ρ (pull towards W̄), ln κ (depth a
    /// write gives a claimed row). [1] each
    pub log_lambda: Param<Tensor<1>>,
    pub log_beta: Param<Tensor<1>>,
    pub log_rho: Param<Tensor<1>>,
    pub log_kappa: Param<Tensor<1>>,
    /// η_τ = 2 sigmoid of these, in (0, 2): the curvature-scaled step cannot overshoot by more
    /// than the distance it corrects. [T_w]
    pub write_rates: Param<Tensor<1>>,
    /// ω = sigmoid of this, the read's step as a fraction of 1/(1 + λ). [1]
    pub read_rate: Param<Tensor<1>>,
}

impl EbmmConfig {
    pub fn init(&self, device: &Device) -> Ebmm {
        device.seed(self.seed);
        let scalar = |v: f64| Param::from_tensor(Tensor::from_data(TensorData::new(vec![v as f32], [1]), device));
        Ebmm {
            w_init: Param::from_tensor(Tensor::random([self.hidden, PIXELS], Distribution::Normal(0.08, 0.05), device)),
            bias: Param::from_tensor(Tensor::zeros([self.hidden], device)),
            center: Param::from_tensor(Tensor::full([PIXELS], 0.08, device)),
            log_lambda: scalar(0.01f64.ln()),
            log_beta: scalar(0.0),
            log_rho: scalar(0.1f64.ln()),
            log_kappa: scalar(5f64.ln()),
            write_rates: Param::from_tensor(Tensor::zeros([self.write_steps], device)),
            read_rate: scalar(3.0),
        }
    }
}

/// Slow parameters with their positive transforms applied, each [1] except c [D].
pub struct Slow {
    pub center: Tensor<1>,
    pub lambda: Tensor<1>,
    pub beta: Tensor<1>,
    pub rho: Tensor<1>,
    pub kappa: Tensor<1>,
}

/// The fast ("memory") weights: the rows W and their offsets b, what a write changes.
#[derive(Clone, Debug)]
pub struct Fast {
    /// [B, H, D]
    pub w: Tensor<3>,
    /// [B, H]
    pub bias: Tensor<2>,
}

impl Fast {
    pub fn dims(&self) -> [usize; 3] {
        self.w.dims()
    }
}

/// a_ij = b_j + x_iᵀw_j − ½‖w_j‖², the part of each row's score that depends on the row
/// (b_j − ½‖x_i − w_j‖² = a_ij − ½‖x_i‖²).
///
/// # Shapes
/// - x: [B, N, D]; fast: [B, H, D] and [B, H]; returns [B, N, H]
fn row_scores(x: Tensor<3>, fast: &Fast) -> Tensor<3> {
    let [b, h, _] = fast.dims();
    let half_norms = fast.w.clone().square().sum_dim(2).reshape([b, 1, h]).div_scalar(2.0);
    x.matmul(fast.w.clone().swap_dims(1, 2)) - half_norms + fast.bias.clone().reshape([b, 1, h])
}

/// The responsibilities p = softmax_j(β a_ij).
///
/// # Shapes
/// - x: [B, N, D]; fast: [B, H, D] and [B, H]; returns [B, N, H]
pub fn responsibilities(x: Tensor<3>, fast: &Fast, slow: &Slow) -> Tensor<3> {
    softmax(row_scores(x, fast) * slow.beta.clone().reshape([1, 1, 1]), 2)
}

/// The energy per item.
///
/// # Shapes
/// - x: [B, N, D]; fast: [B, H, D] and [B, H]; returns [B, N]
pub fn energy(x: Tensor<3>, fast: &Fast, slow: &Slow) -> Tensor<2> {
    let [b, n, d] = x.dims();
    let beta = slow.beta.clone().reshape([1, 1, 1]);
    let scaled = row_scores(x.clone(), fast) * beta.clone();
    // ln Σ exp with the largest term taken out (any shift gives the same value and gradient).
    let top = scaled.clone().max_dim(2).detach();
    let lse = (scaled - top.clone()).exp().sum_dim(2).log() + top;
    let confinement = (x.clone() - slow.center.clone().reshape([1, 1, d])).square().sum_dim(2) * slow.lambda.clone().reshape([1, 1, 1]).div_scalar(2.0);
    (confinement + x.square().sum_dim(2).div_scalar(2.0) - lse / beta).reshape([b, n])
}

/// ∇_x E = λ(x − c) + x − Wᵀp, and the responsibilities p.
///
/// # Shapes
/// - x: [B, N, D]; fast: [B, H, D] and [B, H]; returns ([B, N, D], [B, N, H])
pub fn energy_gradient(x: Tensor<3>, fast: &Fast, slow: &Slow) -> (Tensor<3>, Tensor<3>) {
    let d = x.dims()[2];
    let p = responsibilities(x.clone(), fast, slow);
    let g = (x.clone() - slow.center.clone().reshape([1, 1, d])) * slow.lambda.clone().reshape([1, 1, 1]) + x - p.clone().matmul(fast.w.clone());
    (g, p)
}

/// The writing loss 𝒲 per episode: Σ_i E(x_i) + (ρ/2)‖W − W̄‖².
///
/// # Shapes
/// - x: [B, N, D]; fast: [B, H, D] and [B, H]; w_bar: [B, H, D]; returns [B]
pub fn writing_loss(x: Tensor<3>, fast: &Fast, w_bar: Tensor<3>, slow: &Slow) -> Tensor<1> {
    let b = x.dims()[0];
    energy(x, fast, slow).sum_dim(1).reshape([b]) + (fast.w.clone() - w_bar).square().sum_dims(&[1, 2]).reshape([b]) * slow.rho.clone().div_scalar(2.0)
}

/// ∇_W 𝒲 in closed form, ∇_{w_j} 𝒲 = m_j w_j − Σ_i p_ij x_i + ρ(w_j − w̄_j) with m_j = Σ_i p_ij,
/// and each row's mass m_j (its curvature, the Hessian's diagonal with p held, is m_j + ρ).
/// `written` weighs each item (1 written, 0 not: meta-training writes part of an episode;
/// `None` writes all).
///
/// # Shapes
/// - x: [B, N, D]; fast: [B, H, D] and [B, H]; w_bar: [B, H, D]; written: [B, N, 1];
///   returns ([B, H, D], [B, H, 1])
pub fn writing_gradient(x: Tensor<3>, fast: &Fast, w_bar: Tensor<3>, slow: &Slow, written: Option<Tensor<3>>) -> (Tensor<3>, Tensor<3>) {
    let [b, h, _] = fast.dims();
    let mut p = responsibilities(x.clone(), fast, slow);
    if let Some(written) = written {
        p = p * written;
    }
    let mass = p.clone().sum_dim(1).reshape([b, h, 1]);
    let gradient = mass.clone() * fast.w.clone() - p.swap_dims(1, 2).matmul(x) + (fast.w.clone() - w_bar) * slow.rho.clone().reshape([1, 1, 1]);
    (gradient, mass)
}

impl Ebmm {
    pub fn hidden(&self) -> usize {
        self.w_init.dims()[0]
    }

    pub fn slow(&self) -> Slow {
        Slow {
            center: self.center.val(),
            lambda: self.log_lambda.val().exp(),
            beta: self.log_beta.val().exp(),
            rho: self.log_rho.val().exp(),
            kappa: self.log_kappa.val().exp(),
        }
    }

    /// The fast weights before any write, W̄ and b̄, for `b` episodes.
    pub fn initial_fast(&self, b: usize) -> Fast {
        Fast { w: self.w_init.val().unsqueeze_dim::<3>(0).repeat_dim(0, b), bias: self.bias.val().unsqueeze_dim::<2>(0).repeat_dim(0, b) }
    }

    /// The write's step sizes η_τ ∈ (0, 2). [T_w]
    pub fn write_step_sizes(&self) -> Tensor<1> {
        sigmoid(self.write_rates.val()).mul_scalar(2.0)
    }

    /// Writes each episode: T_w curvature-scaled gradient steps on the writing loss from W̄,
    /// w_j ← w_j − η_τ ∇_{w_j} 𝒲 / (m_j + ρ), and each row's offset set to
    /// b̄_j + κ m_j / (m_j + ρ): a row the items claim (m_j ≫ ρ) deepens by κ, however many items
    /// claim it, and a row none claims keeps b̄_j. Returns the fast weights after each step
    /// (W̄, b̄ first), so a caller can follow the write.
    ///
    /// # Shapes
    /// - x: [B, N, D]; returns T_w + 1 fast weights [B, H, D] and [B, H]
    pub fn write_steps(&self, x: Tensor<3>) -> Vec<Fast> {
        self.write_part(x, None)
    }

    /// [`Ebmm::write_steps`] of the items with `written` = 1 only.
    ///
    /// # Shapes
    /// - x: [B, N, D]; written: [B, N, 1]; returns T_w + 1 fast weights [B, H, D] and [B, H]
    pub fn write_part(&self, x: Tensor<3>, written: Option<Tensor<3>>) -> Vec<Fast> {
        let b = x.dims()[0];
        let h = self.hidden();
        let slow = self.slow();
        let initial = self.initial_fast(b);
        let w_bar = initial.w.clone();
        let rates = self.write_step_sizes();
        let steps = rates.dims()[0];
        let rho = slow.rho.clone().reshape([1, 1, 1]);
        let mut fasts = Vec::with_capacity(steps + 1);
        fasts.push(initial.clone());
        for tau in 0..steps {
            let fast = fasts.last().expect("W̄ first");
            let (gradient, mass) = writing_gradient(x.clone(), fast, w_bar.clone(), &slow, written.clone());
            let eta = rates.clone().slice([tau..tau + 1]).reshape([1, 1, 1]);
            let curvature = mass.clone() + rho.clone();
            let w = fast.w.clone() - gradient / curvature.clone() * eta;
            let claimed = (mass / curvature).reshape([b, h]);
            let bias = initial.bias.clone() + claimed * slow.kappa.clone().reshape([1, 1]);
            fasts.push(Fast { w, bias });
        }
        fasts
    }

    /// Writes each episode and returns its fast weights.
    ///
    /// # Shapes
    /// - x: [B, N, D]; returns [B, H, D] and [B, H]
    pub fn write(&self, x: Tensor<3>) -> Fast {
        self.write_steps(x).pop().expect("W̄ at least")
    }

    /// The read's step size γ = ω / (1 + λ): never above the convex part's inverse curvature.
    /// [1]
    pub fn read_step_size(&self) -> Tensor<1> {
        sigmoid(self.read_rate.val()) / self.log_lambda.val().exp().add_scalar(1.0)
    }

    /// `steps` projected steps on the energy.
    ///
    /// # Shapes
    /// - x: [B, N, D]; fast: [B, H, D] and [B, H]; returns [B, N, D]
    pub fn read(&self, x: Tensor<3>, fast: &Fast, steps: usize) -> Tensor<3> {
        let slow = self.slow();
        let gamma = self.read_step_size().reshape([1, 1, 1]);
        let mut x = x;
        for _ in 0..steps {
            let (g, _) = energy_gradient(x.clone(), fast, &slow);
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
    /// The stored items' mean energy before and after the write.
    pub stored_energy_before: Tensor<1>,
    pub stored_energy_after: Tensor<1>,
}

impl Ebmm {
    /// Writes the clean episodes, reads from corrupted queries, scores against the clean items.
    ///
    /// # Shapes
    /// - images: [B, N, 784], binary
    pub fn meta_terms(&self, images: Tensor<3>, config: &EbmmConfig) -> EbmmTerms {
        let [b, n, d] = images.dims();
        // Each episode writes its first k items, k log-uniform in 1..=N, so that meta-training
        // sees light loads (one item) as well as full ones; only the written items are read.
        let written = written_prefixes(b, n, &images.device());
        let count = written.clone().sum();
        let ws = self.write_part(images.clone(), Some(written.clone()));
        let slow = self.slow();
        let per_item_energy = |fast: &Fast| (energy(images.clone(), fast, &slow).reshape([b, n, 1]) * written.clone()).sum() / count.clone();
        let query = corrupt_training_queries(images.clone(), config.block_side, config.salt_pepper);
        let read = self.read(query.clone(), ws.last().expect("W̄ at least"), config.read_steps);
        let p = read.clamp(1e-4, 1.0 - 1e-4);
        let bce = (images.clone() * p.clone().log() + images.clone().neg().add_scalar(1.0) * p.clone().neg().add_scalar(1.0).log()).neg();
        let per_image = |t: Tensor<3>| (t * written.clone()).sum() / count.clone();
        let wrong = |x: Tensor<3>| per_image(x.greater_equal_elem(0.5).float().sub(images.clone()).abs()).div_scalar(d as f64);
        EbmmTerms {
            read_bce_nats: per_image(bce),
            retrieval_error: wrong(p),
            query_error: wrong(query),
            stored_energy_before: per_item_energy(ws.first().expect("W̄ first")),
            stored_energy_after: per_item_energy(ws.last().expect("W̄ at least")),
        }
    }
}

/// 1 for the first k_b items of episode b and 0 after, k_b = ⌊(N + 1)^u⌋ with u uniform: a
/// load between 1 and N, as often 1-2 as 16-32.
///
/// # Shapes
/// - returns [B, N, 1]
fn written_prefixes(b: usize, n: usize, device: &Device) -> Tensor<3> {
    let u = Tensor::<1>::random([b], Distribution::Uniform(0.0, 1.0), device).into_data().convert::<f32>().try_into_vec::<f32>().expect("float");
    let mut mask = vec![0.0f32; b * n];
    for (e, u) in u.iter().enumerate() {
        let k = ((n as f64 + 1.0).powf(f64::from(*u)) as usize).clamp(1, n);
        mask[e * n..e * n + k].fill(1.0);
    }
    Tensor::from_data(TensorData::new(mask, [b, n, 1]), device)
}

/// The EBMM's reported terms: the meta-training loss first (not a bound).
pub mod terms {
    use crate::model::TermName;
    pub const READ_BCE: TermName = TermName::new("read_bce_nats", "read BCE", "nats");
    pub const RETRIEVAL_ERROR: TermName = TermName::new("retrieval_error", "error after read", "pixel fraction");
    pub const QUERY_ERROR: TermName = TermName::new("query_error", "query error", "pixel fraction");
    pub const STORED_BEFORE: TermName = TermName::new("stored_energy_before", "stored E before write", "energy");
    pub const STORED_AFTER: TermName = TermName::new("stored_energy_after", "stored E after write", "energy");
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
                (terms::STORED_BEFORE, t.stored_energy_before),
                (terms::STORED_AFTER, t.stored_energy_after),
            ],
            series: Vec::new(),
        }
    }

    fn sampled_in_training(_: &EbmmConfig) -> bool {
        false
    }

    fn into_attractor(self, name: &str, _config: EbmmConfig, device: Device) -> Box<dyn crate::memory::AttractorMemory> {
        Box::new(super::EbmmAttractor::explorable(name, self, device))
    }
}
