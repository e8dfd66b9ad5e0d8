//! The Kanerva Machine (Wu, Wayne, Graves, Lillicrap, ICLR 2018), the DKM's predecessor, in the
//! simplified form of docs/model.md: the same memory q(M) = MN(R, U, I) and Bayesian write as the
//! DKM, but
//! - learned, content-independent addressing: q(y|x) = N(μ_y(e(x)), diag σ_y²(e(x))),
//!   y ∈ R^S, p(y) = N(0, I), and w = yA / √S with trainable keys A [S, K];
//! - a stochastic code: q(z | x, y, M) = N(μ_z, diag s²) from a network on [e(x), Rᵀw]
//!   (bottom-up evidence and the top-down memory read), prior p(z | y, M) = N(Mᵀw, σξ² I);
//! - the objective Σ_t E[ln p(x_t|z_t)] − KL(q(z_t)‖p(z_t|y_t,M)) − KL(q(y_t)‖p(y_t))
//!   − KL(q(M)‖p(M)), without the DKM's autoencoder term.
//!
//! Writing uses w from q(y|x) and, as codes, the means of q(z | x, y, R0) (the memory before
//! the episode); reading uses the written memory. The KL of z is taken in expectation over
//! q(M): Mᵀw has mean Rᵀw and per-coordinate variance wᵀUw. The addressing and write_mode
//! fields of `memory` are the DKM's and are not used here.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use crate::data::PIXELS;
use crate::memory::dkm::{self as mem, MemoryConfig, MemoryState};
use crate::rng::SplitMix64;

use super::networks::{Arch, Decoder, DecoderConfig, Encoder, EncoderConfig, bernoulli_log_likelihood};
use super::{EpisodeTerms, truncated_normal};

/// ln s of q(z) is clamped to this range: keeps early training away from e^{±large}.
const LOG_CODE_STD_RANGE: (f64, f64) = (-7.0, 3.0);

#[derive(Config, Debug, PartialEq)]
pub struct KmConfig {
    #[config(default = "Arch::Simple")]
    pub arch: Arch,
    #[config(default = "MemoryConfig::default()")]
    pub memory: MemoryConfig,
    /// S, size of the addressing latent y.
    #[config(default = 32)]
    pub address_size: usize,
    /// Hidden width of the network of q(z | x, y, M).
    #[config(default = 256)]
    pub hidden_size: usize,
    #[config(default = 0)]
    pub seed: u64,
}

#[derive(Module, Debug)]
pub struct Km {
    pub encoder: Encoder,
    pub decoder: Decoder,
    /// e(x) -> [μ_y, ln σ_y]. [C -> 2S]
    pub address_net: Linear,
    /// A, the addressing keys. [S, K]
    pub keys: Param<Tensor<2>>,
    /// [e(x), Rᵀw] -> hidden. [2C -> H]
    pub code_hidden: Linear,
    /// hidden -> [μ_z, ln s]. [H -> 2C]
    pub code_out: Linear,
    /// R0. [K, C]
    pub prior_mean: Param<Tensor<2>>,
    /// s, with U0 = (e^s + 1e-6) I. [1]
    pub prior_log_var: Param<Tensor<1>>,
}

impl KmConfig {
    pub fn init(&self, device: &Device) -> Km {
        device.seed(self.seed);
        let (k, c, s) = (self.memory.slots, self.memory.code_size, self.address_size);
        let mut rng = SplitMix64::new(self.seed ^ 0x4B4D_0F_0A11);
        let r0 = Tensor::from_data(TensorData::new(truncated_normal(k * c, &mut rng), [k, c]), device);
        let keys = Tensor::from_data(TensorData::new(truncated_normal(s * k, &mut rng), [s, k]), device);
        Km {
            encoder: EncoderConfig::new(c).with_arch(self.arch).init(device),
            decoder: DecoderConfig::new(c).with_arch(self.arch).init(device),
            address_net: LinearConfig::new(c, 2 * s).init(device),
            keys: Param::from_tensor(keys),
            code_hidden: LinearConfig::new(2 * c, self.hidden_size).init(device),
            code_out: LinearConfig::new(self.hidden_size, 2 * c).init(device),
            prior_mean: Param::from_tensor(r0),
            prior_log_var: Param::from_tensor(Tensor::zeros([1], device)),
        }
    }
}

/// A diagonal Gaussian: mean and ln std, same shape.
#[derive(Debug, Clone)]
pub struct DiagonalGaussian<const D: usize> {
    pub mean: Tensor<D>,
    pub log_std: Tensor<D>,
}

impl<const D: usize> DiagonalGaussian<D> {
    /// The mean, or a reparameterised sample.
    pub fn draw(&self, sampled: bool) -> Tensor<D> {
        if !sampled {
            return self.mean.clone();
        }
        let eps = Tensor::random(self.mean.dims(), Distribution::Normal(0.0, 1.0), (&self.mean.device(), self.mean.dtype()));
        self.mean.clone() + eps * self.log_std.clone().exp()
    }
}

/// Splits the last dimension of `x` in two halves.
fn halves(x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
    let [n, two_d] = x.dims();
    let d = two_d / 2;
    (x.clone().slice([0..n, 0..d]), x.slice([0..n, d..two_d]))
}

impl Km {
    pub fn memory_prior(&self, batch: usize) -> MemoryState {
        MemoryState::prior(self.prior_mean.val(), self.prior_log_var.val(), batch)
    }

    /// q(y | x) from the encoder features.
    ///
    /// # Shapes
    /// - features: [N, C] -> mean, ln std: [N, S]
    pub fn addressing_posterior(&self, features: Tensor<2>) -> DiagonalGaussian<2> {
        let (mean, log_std) = halves(self.address_net.forward(features));
        DiagonalGaussian { mean, log_std }
    }

    /// w = yA / √S (so w ~ N(0, I)-ish under the prior at initialisation).
    ///
    /// # Shapes
    /// - y: [N, S] -> [N, K]
    pub fn weights(&self, y: Tensor<2>) -> Tensor<2> {
        let s = y.dims()[1];
        y.matmul(self.keys.val()).div_scalar((s as f64).sqrt())
    }

    /// q(z | x, y, M) from the encoder features and the memory read Rᵀw.
    ///
    /// # Shapes
    /// - features, memory_read: [N, C] -> mean, ln std: [N, C]
    pub fn code_posterior(&self, features: Tensor<2>, memory_read: Tensor<2>) -> DiagonalGaussian<2> {
        let hidden = relu(self.code_hidden.forward(Tensor::cat(vec![features, memory_read], 1)));
        let (mean, log_std) = halves(self.code_out.forward(hidden));
        DiagonalGaussian { mean, log_std: log_std.clamp(LOG_CODE_STD_RANGE.0, LOG_CODE_STD_RANGE.1) }
    }

    /// Encodes and addresses one flat batch of items.
    ///
    /// # Shapes
    /// - images: [N, 784] -> features [N, C], q(y) [N, S]
    pub fn encode_and_address(&self, images: Tensor<2>) -> (Tensor<2>, DiagonalGaussian<2>) {
        let features = self.encoder.forward(images);
        let q_y = self.addressing_posterior(features.clone());
        (features, q_y)
    }

    /// Writes episodes into fresh memories with given weights.
    ///
    /// # Shapes
    /// - features: [B·T, C], weights: [B, T, K]
    pub fn write(&self, features: Tensor<2>, weights: Tensor<3>, config: &KmConfig) -> MemoryState {
        let [b, t, k] = weights.dims();
        let prior = self.memory_prior(b);
        let prior_read = mem::read(weights.clone(), prior.mean.clone()).reshape([b * t, config.memory.code_size]);
        let codes = self.code_posterior(features, prior_read).mean.reshape([b, t, config.memory.code_size]);
        debug_assert_eq!(k, config.memory.slots);
        mem::write_batched(prior, codes, weights, &config.memory)
    }

    /// The episode bound (module docs): write with q(y), then read each item back.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    pub fn episode_terms(&self, images: Tensor<3>, config: &KmConfig, sampled: bool) -> EpisodeTerms {
        let [b, t, _] = images.dims();
        let (k, c) = (config.memory.slots, config.memory.code_size);
        let targets = images.reshape([b * t, PIXELS]);
        let (features, q_y) = self.encode_and_address(targets.clone());
        let w = self.weights(q_y.draw(sampled)); // [BT, K]
        let weights = w.clone().reshape([b, t, k]);
        let state = self.write(features.clone(), weights.clone(), config);
        let memory_read = mem::read(weights.clone(), state.mean.clone()).reshape([b * t, c]);
        let q_z = self.code_posterior(features, memory_read.clone());
        let z = q_z.draw(sampled);
        let recon_ll = bernoulli_log_likelihood(targets, self.decoder.forward(z));
        let read_var = quadratic_form(weights, state.cov.clone()).reshape([b * t]);
        let kl_z = kl_code(&q_z, memory_read, read_var, config.memory.obs_noise_std);
        let kl_y = kl_standard_normal(&q_y);
        let kl_m = mem::kl_memory(&state, self.prior_mean.val(), self.prior_log_var.val()); // [B]
        let per_image = |x: Tensor<1>| x.sum().div_scalar((b * t) as f64);
        let recon_nats = per_image(recon_ll.neg());
        let kl_code_nats = per_image(kl_z);
        let kl_addressing_nats = per_image(kl_y);
        let kl_memory_nats = per_image(kl_m);
        let nats_per_image = recon_nats.clone() + kl_code_nats.clone() + kl_addressing_nats.clone() + kl_memory_nats.clone();
        EpisodeTerms {
            loss: nats_per_image.clone(),
            nats_per_image,
            recon_nats,
            kl_addressing_nats,
            kl_memory_nats,
            kl_code_nats: kl_code_nats.clone(),
            ae_nats: kl_code_nats.zeros_like(),
        }
    }
}

impl Km {
    /// The memory written from `written` with the addressing at its posterior mean: a
    /// deterministic function of those images, what the conditional bound holds fixed.
    ///
    /// # Shapes
    /// - written: [B, T, 784]
    pub fn write_at_means(&self, written: Tensor<3>, config: &KmConfig) -> MemoryState {
        let [b, t, _] = written.dims();
        let (features, q_y) = self.encode_and_address(written.reshape([b * t, PIXELS]));
        let weights = self.weights(q_y.mean).reshape([b, t, config.memory.slots]);
        self.write(features, weights, config)
    }

    /// Reads `scored` from a fixed memory: q(y), the weights of a draw, the read Mᵀw at the
    /// memory's mean, and q(z | x, y, M).
    ///
    /// # Shapes
    /// - targets: [B·T, 784], memory mean: [B, K, C]
    fn read_fixed(&self, targets: Tensor<2>, memory_mean: Tensor<3>, sampled: bool) -> FixedRead {
        let [b, k, c] = memory_mean.dims();
        let n = targets.dims()[0];
        let (features, q_y) = self.encode_and_address(targets);
        let y = q_y.draw(sampled);
        let weights = self.weights(y.clone()).reshape([b, n / b, k]);
        let memory_read = mem::read(weights, memory_mean).reshape([n, c]);
        let q_z = self.code_posterior(features, memory_read.clone());
        FixedRead { q_y, y, memory_read, q_z }
    }

    /// The memory-conditional terms (per image, nats): recon, KL(y), KL(z) with the memory
    /// written from `written` at the means and held fixed (p(z | y, M) = N(Mᵀw, σξ² I)).
    ///
    /// # Shapes
    /// - scored, written: [B, T, 784], binary
    pub fn conditional_episode_terms(&self, scored: Tensor<3>, written: Tensor<3>, config: &KmConfig, sampled: bool) -> [Tensor<1>; 3] {
        let [b, t, _] = scored.dims();
        let state = self.write_at_means(written, config);
        let targets = scored.reshape([b * t, PIXELS]);
        let read = self.read_fixed(targets.clone(), state.mean, sampled);
        let recon_ll = bernoulli_log_likelihood(targets, self.decoder.forward(read.q_z.draw(sampled)));
        let kl_z = kl_code(&read.q_z, read.memory_read, Tensor::zeros([b * t], &recon_ll.device()), config.memory.obs_noise_std);
        let kl_y = kl_standard_normal(&read.q_y);
        let per_image = |x: Tensor<1>| x.sum().div_scalar((b * t) as f64);
        [per_image(recon_ll.neg()), per_image(kl_y), per_image(kl_z)]
    }
}

/// One read of a fixed memory: q(y), the drawn y, the read Mᵀw and q(z | x, y, M).
struct FixedRead {
    q_y: DiagonalGaussian<2>,
    y: Tensor<2>,
    memory_read: Tensor<2>,
    q_z: DiagonalGaussian<2>,
}

/// wᵀUw per item: the variance of each coordinate of Mᵀw under q(M).
///
/// # Shapes
/// - weights: [B, T, K], cov: [B, K, K] -> [B, T]
pub fn quadratic_form(weights: Tensor<3>, cov: Tensor<3>) -> Tensor<2> {
    let [b, t, _] = weights.dims();
    (weights.clone().matmul(cov) * weights).sum_dim(2).reshape([b, t])
}

/// KL(N(μ, diag σ²) ‖ N(0, I)) per row.
///
/// # Shapes
/// - q: [N, S] -> [N]
pub fn kl_standard_normal(q: &DiagonalGaussian<2>) -> Tensor<1> {
    let n = q.mean.dims()[0];
    let var = q.log_std.clone().mul_scalar(2.0).exp();
    (q.mean.clone().square() + var - q.log_std.clone().mul_scalar(2.0)).add_scalar(-1.0).mul_scalar(0.5).sum_dim(1).reshape([n])
}

/// E_{q(M)} KL(q(z) ‖ N(Mᵀw, σξ² I)) per row, where Mᵀw has mean `read_mean` and
/// per-coordinate variance `read_var`:
/// Σ_c ln σξ − ln s_c + (s_c² + (m_c − r_c)² + v)/(2σξ²) − ½.
///
/// # Shapes
/// - q: [N, C], read_mean: [N, C], read_var: [N] -> [N]
pub fn kl_code(q: &DiagonalGaussian<2>, read_mean: Tensor<2>, read_var: Tensor<1>, obs_noise_std: f64) -> Tensor<1> {
    let n = q.mean.dims()[0];
    let noise_var = obs_noise_std * obs_noise_std;
    let var = q.log_std.clone().mul_scalar(2.0).exp();
    let spread = var + (q.mean.clone() - read_mean).square() + read_var.reshape([n, 1]);
    (spread.div_scalar(2.0 * noise_var) - q.log_std.clone())
        .add_scalar(obs_noise_std.ln() - 0.5)
        .sum_dim(1)
        .reshape([n])
}

/// The KM's reported terms (per image, nats): −ELBO/T and its parts.
pub mod terms {
    use crate::model::TermName;
    pub const NEG_ELBO: TermName = TermName::new("nats_per_image", "-ELBO", "nats");
    pub const RECON: TermName = TermName::new("recon_nats", "recon", "nats");
    pub const KL_Y: TermName = TermName::new("kl_addressing_nats", "KL(y)", "nats");
    pub const KL_Z: TermName = TermName::new("kl_code_nats", "KL(z)", "nats");
    pub const KL_M: TermName = TermName::new("kl_memory_nats", "KL(M)/T", "nats");
}

impl super::TrainableModel for Km {
    type Config = KmConfig;
    const KIND: super::ModelKind = super::ModelKind::Km;

    fn config_from(options: &super::ModelOptions, seed: u64) -> KmConfig {
        let memory = MemoryConfig { slots: options.slots, code_size: options.code_size, ..MemoryConfig::default() };
        KmConfig::new().with_arch(options.arch).with_seed(seed).with_memory(memory).with_address_size(options.address_size)
    }

    fn check_config(config: &KmConfig) -> Result<(), String> {
        super::check_memory_config(&config.memory)?;
        super::check_size("address_size", config.address_size)?;
        super::check_size("hidden_size", config.hidden_size)
    }

    fn init(config: &KmConfig, device: &Device) -> Self {
        config.init(device)
    }

    fn loss_terms(&self, images: Tensor<3>, config: &KmConfig, sampled: bool) -> super::LossTerms {
        let t = Km::episode_terms(self, images, config, sampled);
        super::LossTerms {
            loss: t.loss,
            terms: vec![
                (terms::NEG_ELBO, t.nats_per_image),
                (terms::RECON, t.recon_nats),
                (terms::KL_Y, t.kl_addressing_nats),
                (terms::KL_Z, t.kl_code_nats),
                (terms::KL_M, t.kl_memory_nats),
            ],
            series: Vec::new(),
        }
    }

    fn sampled_in_training(_: &KmConfig) -> bool {
        true
    }

    fn conditional_terms(&self, scored: Tensor<3>, written: Tensor<3>, config: &KmConfig, sampled: bool) -> Option<super::LossTerms> {
        let [recon, kl_y, kl_z] = self.conditional_episode_terms(scored, written, config, sampled);
        let conditional = recon.clone() + kl_y.clone() + kl_z.clone();
        Some(super::LossTerms {
            loss: conditional.clone(),
            terms: vec![(super::CONDITIONAL_NEG_ELBO, conditional), (terms::RECON, recon), (terms::KL_Y, kl_y), (terms::KL_Z, kl_z)],
            series: Vec::new(),
        })
    }

    /// ln p(x | z) + ln N(z; Mᵀw, σξ² I) + ln N(y; 0, I) − ln q(z | x, y, M) − ln q(y | x), the
    /// memory written from the episode at the means and held fixed.
    fn log_importance_weights(&self, images: Tensor<3>, config: &KmConfig, samples: usize) -> Option<Tensor<2>> {
        let [b, t, _] = images.dims();
        let state = self.write_at_means(images.clone(), config);
        let targets = images.reshape([b * t, PIXELS]);
        let log_noise_std = config.memory.obs_noise_std.ln();
        let mut columns = Vec::with_capacity(samples);
        for _ in 0..samples {
            let read = self.read_fixed(targets.clone(), state.mean.clone(), true);
            let z = read.q_z.draw(true);
            let log_p = bernoulli_log_likelihood(targets.clone(), self.decoder.forward(z.clone()))
                + super::gaussian_log_density(z.clone(), read.memory_read.clone(), read.memory_read.zeros_like().add_scalar(log_noise_std))
                + super::gaussian_log_density(read.y.clone(), read.y.zeros_like(), read.y.zeros_like());
            let log_q = super::gaussian_log_density(z, read.q_z.mean.clone(), read.q_z.log_std.clone()) + super::gaussian_log_density(read.y, read.q_y.mean.clone(), read.q_y.log_std.clone());
            columns.push((log_p - log_q).reshape([b * t, 1]));
        }
        Some(Tensor::cat(columns, 1))
    }

    fn into_attractor(self, name: &str, config: KmConfig, device: Device) -> Box<dyn crate::memory::AttractorMemory> {
        Box::new(super::KmAttractor::explorable(name, self, config, device))
    }
}
