//! The Product Kanerva Machine, in our exact form (docs/pkm.md says which parts are the
//! paper's): N small DKM-style memories ("machines") combined per item by gates.
//!
//! - The DKM's encoder e and decoder d; one code z = e(x) [C] per image.
//! - Gates γ(z) = S · softmax(g(z) / τ) over the N machines, S = N (Σ_k γ_k = N; γ ≡ 1 when
//!   N = 1; the shipped weights) or S = 1 (`gates_sum_to_one = Some(true)`),
//!   from a linear layer g. They are the mean of an amortised categorical q(c | x) = γ/N over
//!   "which machine", with a uniform prior: the bound pays KL(q(c|x) ‖ U(N)) = ln N − H(γ/N).
//! - Each machine k: a matrix-normal memory MN(R_k, U_k, I) with its own prior (R0_k, u0_k), the
//!   DKM's least-squares addressing μ_k(z, R_k) and posterior q(w_k) = N(μ_k, σw² I).
//! - Write (static): every item is addressed against each machine's prior and written into
//!   every machine at noise σ²/γ_k (`memory::product::write_gated`).
//! - The bound treats c as the latent it is and enumerates it (N decoder passes):
//!   −ELBO/T = −Σ_c q(c|x) ln p(x | d(R_cᵀ w_c)) + Σ_c q(c|x) KL(q(w_c) ‖ p(w)) + KL(c)
//!   + Σ_k KL(M_k)/T (a machine not chosen keeps its w at the prior and costs nothing). Earlier
//!   versions decoded the γ-weighted product read instead, which let the gates carry
//!   x into the generative path for free: not a bound. The training loss adds the DKM's
//!   autoencoder term and a usage balance term, β_u · KL(q̄(c) ‖ U(N)) with q̄ the episode's
//!   mean gate share: without it every item went to one machine within 300 steps (usage
//!   0.999 / 0.001 / 0.000 / 0.000 on MNIST), the mixture-of-experts collapse; the bound's own
//!   KL(c) costs at most ln N nats and cannot stop it.
//! - The explorer's read (`PkmAttractor`) combines the machines' reads as a product of Gaussian
//!   experts (the γ-weighted mean) and decodes that: a point estimate for reading, not the bound.
//!
//! With N = 1 this is the DKM exactly (a test checks it).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Distribution, IndexingUpdateOp, Int, Tensor, TensorData};

use crate::data::PIXELS;
use crate::memory::dkm::{self as mem, MemoryConfig, MemoryState};
use crate::memory::product::{kl_machines, per_machine, product_prior, write_gated};
use crate::rng::SplitMix64;

use super::networks::{Arch, Decoder, DecoderConfig, Encoder, EncoderConfig, bernoulli_log_likelihood};
use super::truncated_normal;

/// Everything that fixes a PKM's shape and behaviour; stored in every checkpoint card.
#[derive(Config, Debug, PartialEq)]
pub struct PkmConfig {
    #[config(default = "Arch::Simple")]
    pub arch: Arch,
    /// N, the number of machines.
    #[config(default = 4)]
    pub machines: usize,
    /// Each machine's memory: `slots` is K per machine; C, the noise and the addressing are
    /// shared. (`write_mode` is not used: the write is static.)
    #[config(default = "MemoryConfig { slots: 8, ..MemoryConfig::default() }")]
    pub memory: MemoryConfig,
    /// τ of the gate softmax.
    #[config(default = 1.0)]
    pub gate_temperature: f64,
    /// ln σw at initialisation (σw = 0.3, as the DKM).
    #[config(default = -1.2039728043259361)]
    pub init_log_w_std: f64,
    /// Weight of the autoencoder term in the training loss.
    #[config(default = 1.0)]
    pub ae_weight: f64,
    /// β_u, weight of the usage balance term KL(q̄(c) ‖ U(N)) in the training loss (not in the
    /// bound).
    #[config(default = 10.0)]
    pub balance_weight: f64,
    /// Sample w ~ q(w) for the read in training; else use μ.
    #[config(default = true)]
    pub sample_w_in_training: bool,
    /// The gates γ = S · softmax sum to S = 1 (`Some(true)`: one view's evidence split among the
    /// machines, so a one-hot gate writes exactly like the single-machine DKM) or to S = N
    /// (otherwise: each item is written as N views' worth of evidence; the shipped weights, whose
    /// cards predate the field).
    #[config(default = "None")]
    pub gates_sum_to_one: Option<bool>,
    /// k: the bound's q(c | x) restricted to each item's k most likely machines and
    /// renormalised, so the bound decodes k reads per item instead of N (any q(c | x) gives an
    /// ELBO, so it stays a bound). `None`: all N (the shipped weights).
    #[config(default = "None")]
    pub scored_machines: Option<usize>,
    #[config(default = 0)]
    pub seed: u64,
}

#[derive(Module, Debug)]
pub struct Pkm {
    pub encoder: Encoder,
    pub decoder: Decoder,
    /// z -> gate logits. [C -> N]
    pub gate: Linear,
    /// R0_k, each machine's prior mean. [N, K, C]
    pub prior_mean: Param<Tensor<3>>,
    /// s_k, with U0_k = (e^{s_k} + 1e-6) I. [N]
    pub prior_log_var: Param<Tensor<1>>,
    /// ln σw, shared by the machines. [1]
    pub log_w_std: Param<Tensor<1>>,
}

impl PkmConfig {
    /// S, what the gates of one item sum to.
    pub fn gate_total(&self) -> f64 {
        if self.gates_sum_to_one == Some(true) { 1.0 } else { self.machines as f64 }
    }

    pub fn init(&self, device: &Device) -> Pkm {
        device.seed(self.seed);
        let (n, k, c) = (self.machines, self.memory.slots, self.memory.code_size);
        let mut rng = SplitMix64::new(self.seed ^ 0x504B_4D0F_0A11);
        let r0 = Tensor::from_data(TensorData::new(truncated_normal(n * k * c, &mut rng), [n, k, c]), device);
        Pkm {
            encoder: EncoderConfig::new(c).with_arch(self.arch).init(device),
            decoder: DecoderConfig::new(c).with_arch(self.arch).init(device),
            gate: LinearConfig::new(c, n).init(device),
            prior_mean: Param::from_tensor(r0),
            prior_log_var: Param::from_tensor(Tensor::zeros([n], device)),
            log_w_std: Param::from_tensor(Tensor::from_data(TensorData::new(vec![self.init_log_w_std as f32], [1]), device)),
        }
    }
}

/// Per-image terms of the episode bound, each [1] (mean over episodes, / T).
#[derive(Debug, Clone)]
pub struct PkmTerms {
    /// (−ELBO + ae_weight · AE) / T.
    pub loss: Tensor<1>,
    pub nats_per_image: Tensor<1>,
    pub recon_nats: Tensor<1>,
    /// Σ_k KL(q(w_k) ‖ p(w)).
    pub kl_addressing_nats: Tensor<1>,
    /// KL(q(c|x) ‖ U(N)) = ln N − H(γ/N).
    pub kl_gate_nats: Tensor<1>,
    /// Σ_k KL(q(M_k) ‖ p(M_k)) / T.
    pub kl_memory_nats: Tensor<1>,
    pub ae_nats: Tensor<1>,
    /// KL(q̄(c) ‖ U(N)) of each episode's mean gate share, averaged over episodes.
    pub usage_kl_nats: Tensor<1>,
    /// Each machine's share of the gates, Σ_t γ_{t,k} / (N T), averaged over episodes. [N]
    pub machine_usage: Tensor<1>,
}

/// An episode written into the machines.
pub struct PkmWrite {
    /// B·N memories (episode-major).
    pub state: MemoryState,
    /// The items' codes. [B, T, C]
    pub codes: Tensor<3>,
    /// The items' gates. [B, T, N]
    pub gates: Tensor<3>,
}

impl Pkm {
    pub fn machines(&self) -> usize {
        self.prior_mean.dims()[0]
    }

    /// The prior of every machine, for `batch` episodes.
    pub fn memory_prior(&self, batch: usize) -> MemoryState {
        product_prior(self.prior_mean.val(), self.prior_log_var.val(), batch)
    }

    /// γ(z) = N softmax(g(z)/τ).
    ///
    /// # Shapes
    /// - codes: [M, C] -> [M, N]
    pub fn gates(&self, codes: Tensor<2>, config: &PkmConfig) -> Tensor<2> {
        softmax(self.gate.forward(codes).div_scalar(config.gate_temperature), 1).mul_scalar(config.gate_total())
    }

    /// Encodes episodes, gates their items and writes them into fresh machines.
    ///
    /// # Shapes
    /// - images: [B, T, 784]
    pub fn write(&self, images: Tensor<3>, config: &PkmConfig) -> PkmWrite {
        let [b, t, _] = images.dims();
        let n = self.machines();
        let codes = self.encoder.forward(images.reshape([b * t, PIXELS]));
        let c = codes.dims()[1];
        let gates = self.gates(codes.clone(), config).reshape([b, t, n]);
        let codes = codes.reshape([b, t, c]);
        let prior = self.memory_prior(b);
        let weights = mem::address(per_machine(codes.clone(), n), prior.mean.clone(), &config.memory);
        let state = write_gated(prior, codes.clone(), weights, gates.clone(), &config.memory);
        PkmWrite { state, codes, gates }
    }

    /// The episode bound (module docs). `sample_w`: read with w = μ + σw ε.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    pub fn episode_terms(&self, images: Tensor<3>, config: &PkmConfig, sample_w: bool) -> PkmTerms {
        self.episode_terms_with_memory_from(images, None, config, sample_w)
    }

    /// Each item's view of the machines written from `written` (None: from `images`): its
    /// machine posterior q(c | x), addressing means and draws, and the decoded log-likelihood of
    /// each machine's read.
    ///
    /// # Shapes
    /// - images, written: [B, T, 784], binary
    fn read_machines(&self, images: Tensor<3>, written: Option<Tensor<3>>, config: &PkmConfig, sample_w: bool) -> MachineReads {
        let [b, t, _] = images.dims();
        let n = self.machines();
        let (written, codes, share) = match written {
            None => {
                let w = self.write(images.clone(), config);
                let share = w.gates.clone().div_scalar(config.gate_total());
                let codes = w.codes.clone();
                (w, codes, share)
            }
            Some(other) => {
                let codes = self.encoder.forward(images.clone().reshape([b * t, PIXELS]));
                let c = codes.dims()[1];
                let share = self.gates(codes.clone(), config).div_scalar(config.gate_total()).reshape([b, t, n]);
                (self.write(other, config), codes.reshape([b, t, c]), share)
            }
        };
        let c = codes.dims()[2];
        let (share, scored) = restrict_to_top(share, config.scored_machines);
        let mu = mem::address(per_machine(codes.clone(), n), written.state.mean.clone(), &config.memory); // [B·N, T, K]
        let k = mu.dims()[2];
        let w = if sample_w {
            let eps = Tensor::random([b * n, t, k], Distribution::Normal(0.0, 1.0), (&mu.device(), mu.dtype()));
            mu.clone() + eps * self.log_w_std.val().exp().reshape([1, 1, 1])
        } else {
            mu.clone()
        };
        let log_likelihood = self.machine_log_likelihoods(images, mem::read(w.clone(), written.state.mean.clone()), n, scored);
        MachineReads { written, codes, share, mu, w, log_likelihood, code_size: c }
    }

    /// ln p(x | d(R_cᵀ w_c)) of every item under every machine's read, or only under the
    /// `scored` (item, machine) pairs (flat indices into [B, T, N]; 0 elsewhere, where q is 0).
    ///
    /// # Shapes
    /// - images: [B, T, 784]; reads: [B·N, T, C]; returns [B, T, N]
    fn machine_log_likelihoods(&self, images: Tensor<3>, reads: Tensor<3>, n: usize, scored: Option<Vec<i64>>) -> Tensor<3> {
        let [b, t, _] = images.dims();
        let c = reads.dims()[2];
        let reads = reads.reshape([b, n, t, c]).swap_dims(1, 2).reshape([b * t * n, c]);
        let targets = images.unsqueeze_dim::<4>(2).repeat_dim(2, n).reshape([b * t * n, PIXELS]);
        let Some(scored) = scored else {
            return bernoulli_log_likelihood(targets, self.decoder.forward(reads)).reshape([b, t, n]);
        };
        let device = reads.device();
        let count = scored.len();
        let index = Tensor::<1, Int>::from_data(TensorData::new(scored, [count]), &device);
        let picked = bernoulli_log_likelihood(targets.select(0, index.clone()), self.decoder.forward(reads.select(0, index.clone())));
        let all = Tensor::<1>::zeros([b * t * n], (&device, picked.dtype()));
        all.select_assign(0, index, picked, IndexingUpdateOp::Add).reshape([b, t, n])
    }

    /// The episode bound with the memory written from `written` (None: from `images`, the
    /// bound proper), the machine c enumerated: recon = −Σ_c q(c|x) ln p(x | d(R_cᵀ w_c)),
    /// KL(w) = Σ_c q(c|x) KL(q(w_c) ‖ p(w)). Its KL(M) is the written memory's.
    ///
    /// # Shapes
    /// - images, written: [B, T, 784], binary
    pub fn episode_terms_with_memory_from(&self, images: Tensor<3>, written: Option<Tensor<3>>, config: &PkmConfig, sample_w: bool) -> PkmTerms {
        let [b, t, _] = images.dims();
        let n = self.machines();
        let targets = images.clone().reshape([b * t, PIXELS]);
        let r = self.read_machines(images, written, config, sample_w);
        let share = r.share; // q(c|x) [B, T, N]
        let recon = (share.clone() * r.log_likelihood).sum_dim(2).neg(); // [B, T, 1]
        let kl_w = mem::kl_addressing(r.mu, self.log_w_std.val(), config.memory.w_prior_std).reshape([b, n, t]).swap_dims(1, 2); // [B, T, N]
        let kl_w = (share.clone() * kl_w).sum_dim(2);
        let ae_ll = bernoulli_log_likelihood(targets, self.decoder.forward(r.codes.reshape([b * t, r.code_size])));
        let kl_m = kl_machines(&r.written.state, self.prior_mean.val(), self.prior_log_var.val()); // [B·N]
        let entropy = (share.clone() * share.clone().clamp_min(1e-12).log()).sum_dim(2).neg(); // [B, T, 1]
        let kl_c = entropy.neg().add_scalar((n as f64).ln());
        let per_image = |x: Tensor<1>| x.sum().div_scalar((b * t) as f64);
        let recon_nats = per_image(recon.reshape([b * t]));
        let kl_addressing_nats = per_image(kl_w.reshape([b * t]));
        let kl_gate_nats = per_image(kl_c.reshape([b * t]));
        let kl_memory_nats = per_image(kl_m);
        let ae_nats = per_image(ae_ll.neg());
        let nats_per_image = recon_nats.clone() + kl_addressing_nats.clone() + kl_gate_nats.clone() + kl_memory_nats.clone();
        let episode_share = share.clone().sum_dim(1).div_scalar(t as f64); // q̄(c) [B, 1, N]
        let usage_kl = (episode_share.clone() * episode_share.clamp_min(1e-12).mul_scalar(n as f64).log()).sum().div_scalar(b as f64);
        let machine_usage = share.sum_dims(&[0, 1]).reshape([n]).div_scalar((b * t) as f64);
        PkmTerms {
            loss: nats_per_image.clone() + ae_nats.clone().mul_scalar(config.ae_weight) + usage_kl.clone().mul_scalar(config.balance_weight),
            nats_per_image,
            recon_nats,
            kl_addressing_nats,
            kl_gate_nats,
            kl_memory_nats,
            ae_nats,
            usage_kl_nats: usage_kl,
            machine_usage,
        }
    }
}

/// q(c | x) restricted to each item's `k` most likely machines and renormalised (the choice is
/// made on the host and held; the kept shares stay differentiable), with the flat indices of
/// the kept (item, machine) pairs. `None` or k ≥ N: q as it is, no indices.
///
/// # Shapes
/// - share: [B, T, N]; returns [B, T, N]
fn restrict_to_top(share: Tensor<3>, k: Option<usize>) -> (Tensor<3>, Option<Vec<i64>>) {
    let [b, t, n] = share.dims();
    let Some(k) = k.filter(|&k| k < n) else { return (share, None) };
    let values = share.clone().detach().into_data().convert::<f32>().try_into_vec::<f32>().expect("float");
    let mut mask = vec![0.0f32; b * t * n];
    let mut scored = Vec::with_capacity(b * t * k);
    for (item, row) in values.chunks(n).enumerate() {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&x, &y| row[y].total_cmp(&row[x]));
        for &m in &order[..k] {
            mask[item * n + m] = 1.0;
            scored.push((item * n + m) as i64);
        }
    }
    let mask = Tensor::<3>::from_data(TensorData::new(mask, [b, t, n]), &share.device());
    let kept = share * mask;
    let total = kept.clone().sum_dim(2);
    (kept / total, Some(scored))
}

/// What [`Pkm::read_machines`] computes for a batch of items.
struct MachineReads {
    written: PkmWrite,
    /// The scored items' codes. [B, T, C]
    codes: Tensor<3>,
    /// q(c | x) = γ/N. [B, T, N]
    share: Tensor<3>,
    /// Addressing means. [B·N, T, K]
    mu: Tensor<3>,
    /// Addressing draws (or the means). [B·N, T, K]
    w: Tensor<3>,
    /// ln p(x | d(R_cᵀ w_c)). [B, T, N]
    log_likelihood: Tensor<3>,
    code_size: usize,
}

/// An index drawn with probabilities `q` (which sum to 1 up to rounding).
fn draw_category(q: &[f64], rng: &mut SplitMix64) -> usize {
    let mut u = rng.next_f64() * q.iter().sum::<f64>();
    for (i, &p) in q.iter().enumerate() {
        if u < p {
            return i;
        }
        u -= p;
    }
    q.len() - 1
}

/// The PKM's reported terms: −ELBO/T and its parts (nats per image), then the AE term.
pub mod terms {
    // The bound's terms the PKM shares with the DKM, under the same keys.
    pub use crate::model::dkm::terms::{AE, KL_M, KL_W, NEG_ELBO, RECON};
    use crate::model::TermName;
    pub const KL_C: TermName = TermName::new("kl_gate_nats", "KL(c)", "nats");
    /// KL(q̄(c) ‖ U(N)): how unevenly an episode uses the machines (training loss only).
    pub const USAGE_KL: TermName = TermName::new("usage_kl_nats", "KL(usage)", "nats");
    /// H(γ/N), the gates' entropy (not part of the bound; ln N − KL(c)).
    pub const GATE_ENTROPY: TermName = TermName::new("gate_entropy_nats", "H(gate)", "nats");
}

impl super::TrainableModel for Pkm {
    type Config = PkmConfig;
    const KIND: super::ModelKind = super::ModelKind::Pkm;

    fn config_from(options: &super::ModelOptions, seed: u64) -> PkmConfig {
        let memory = MemoryConfig { slots: options.slots_per_machine, code_size: options.code_size, ..MemoryConfig::default() };
        // New runs score each item's two most likely machines (the gates decide: the shipped
        // PKMs' gate entropy is 0.06-0.12 nats), half the decoding of all four.
        let scored = (options.machines > 2).then_some(2);
        PkmConfig::new().with_arch(options.arch).with_seed(seed).with_machines(options.machines).with_memory(memory).with_ae_weight(options.ae_weight).with_scored_machines(scored)
    }

    /// The source's shapes with the command line's autoencoder weight.
    fn fine_tune_config(source: PkmConfig, options: &super::ModelOptions) -> PkmConfig {
        source.with_ae_weight(options.ae_weight)
    }

    fn check_config(config: &PkmConfig) -> Result<(), String> {
        super::check_memory_config(&config.memory)?;
        super::check_size("machines", config.machines)?;
        if let Some(k) = config.scored_machines {
            if !(1..=config.machines).contains(&k) {
                return Err(format!("scored_machines = {k} must lie in 1..={}", config.machines));
            }
        }
        super::check_finite_weight("ae_weight", config.ae_weight)?;
        super::check_finite_weight("balance_weight", config.balance_weight)?;
        if !(config.gate_temperature.is_finite() && config.gate_temperature > 0.0) {
            return Err(format!("gate_temperature = {} must be a finite number > 0", config.gate_temperature));
        }
        Ok(())
    }

    fn init(config: &PkmConfig, device: &Device) -> Self {
        config.init(device)
    }

    fn loss_terms(&self, images: Tensor<3>, config: &PkmConfig, sampled: bool) -> super::LossTerms {
        let t = Pkm::episode_terms(self, images, config, sampled);
        super::LossTerms {
            loss: t.loss,
            terms: vec![
                (terms::NEG_ELBO, t.nats_per_image),
                (terms::RECON, t.recon_nats),
                (terms::KL_W, t.kl_addressing_nats),
                (terms::KL_C, t.kl_gate_nats.clone()),
                (terms::KL_M, t.kl_memory_nats),
                (terms::AE, t.ae_nats),
                (terms::USAGE_KL, t.usage_kl_nats),
                (terms::GATE_ENTROPY, t.kl_gate_nats.neg().add_scalar((config.machines as f64).ln())),
            ],
            series: vec![("machine_usage", t.machine_usage)],
        }
    }

    fn sampled_in_training(config: &PkmConfig) -> bool {
        config.sample_w_in_training
    }

    fn conditional_terms(&self, scored: Tensor<3>, written: Tensor<3>, config: &PkmConfig, sampled: bool) -> Option<super::LossTerms> {
        let t = self.episode_terms_with_memory_from(scored, Some(written), config, sampled);
        let conditional = t.recon_nats.clone() + t.kl_addressing_nats.clone() + t.kl_gate_nats.clone();
        Some(super::LossTerms {
            loss: conditional.clone(),
            terms: vec![(super::CONDITIONAL_NEG_ELBO, conditional), (terms::RECON, t.recon_nats), (terms::KL_W, t.kl_addressing_nats), (terms::KL_C, t.kl_gate_nats)],
            series: Vec::new(),
        })
    }

    /// ln p(x | w_c, M_c) + ln p(w_c) + ln p(c) − ln q(w_c) − ln q(c | x), c ~ q(c | x) drawn
    /// (on the host, seeded) and w_c ~ q(w_c), the memory written from the episode and held
    /// fixed.
    fn log_importance_weights(&self, images: Tensor<3>, config: &PkmConfig, samples: usize) -> Option<Tensor<2>> {
        let [b, t, _] = images.dims();
        let n = self.machines();
        let device = images.device();
        let log_w_std = self.log_w_std.val();
        let mut rng = SplitMix64::new(0x1A5E_C0DE);
        let mut columns = vec![Vec::with_capacity(b * t); samples];
        let to_vec = |x: Tensor<3>| x.into_data().convert::<f64>().try_into_vec::<f64>().expect("float");
        for column in columns.iter_mut() {
            // The same memory every sample (a deterministic write); fresh w draws.
            let r = self.read_machines(images.clone(), Some(images.clone()), config, true);
            let k = r.w.dims()[2];
            let flat_w = r.w.clone().reshape([b * n * t, k]);
            let prior = super::gaussian_log_density(flat_w.clone(), flat_w.zeros_like(), flat_w.zeros_like().add_scalar(config.memory.w_prior_std.ln()));
            let posterior = super::gaussian_log_density(flat_w, r.mu.reshape([b * n * t, k]), log_w_std.clone().reshape([1, 1]));
            let addressing = (prior - posterior).reshape([b, n, t]).swap_dims(1, 2); // [B, T, N]
            let per_machine = to_vec(r.log_likelihood + addressing); // [B, T, N]
            let share = to_vec(r.share);
            for (terms, q) in per_machine.chunks(n).zip(share.chunks(n)) {
                let c = draw_category(q, &mut rng);
                column.push(terms[c] - (n as f64).ln() - q[c].max(1e-12).ln());
            }
        }
        let flat: Vec<f32> = (0..b * t).flat_map(|i| columns.iter().map(move |col| col[i] as f32)).collect();
        Some(Tensor::from_data(TensorData::new(flat, [b * t, samples]), &device))
    }

    fn allocation(&self, images: Tensor<2>, config: &PkmConfig) -> Option<Tensor<2>> {
        Some(self.gates(self.encoder.forward(images), config))
    }

    fn into_attractor(self, name: &str, config: PkmConfig, device: Device) -> Box<dyn crate::memory::AttractorMemory> {
        Box::new(super::PkmAttractor::explorable(name, self, config, device))
    }
}
