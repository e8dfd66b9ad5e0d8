//! Kanerva++ (Ramapuram, Wu, Kalousis, ICLR 2021), in our small form for 28 × 28 images
//! (docs/kpp.md says which parts are the paper's):
//!
//! - Write (deterministic, permutation invariant, block allocated): each item's features
//!   h = e(x) map to a C_m × k × k block, placed on the S × S grid at the window of its key's
//!   mean (the transpose of the bilinear read); the episode's sum, through a 3 × 3 convolution,
//!   is the memory M. (A first version wrote each item's full S × S map and averaged: the mean
//!   of 32 items carried almost nothing of any one of them, and the bound gained 0.015 nats from
//!   the item's own memory over another episode's.)
//! - Read key (stochastic, low dimensional): q(y | x) = N(μ_y(h), σ_y²(h)), y ∈ R³, p(y) = N(0, I);
//!   y sets a window: scale s = s_min + (1 − s_min)σ(y_0), shift (t_x, t_y) = tanh(y_1, y_2).
//! - Block read: the k × k window of M at y, by bilinear sampling ([`super::block_read`]).
//! - Memory-conditioned prior p(z | M, y) = N(μ_p(b), σ_p²(b)) from the block b (ln σ_p clamped
//!   to [−5, 2]); posterior q(z | x) = N(μ_z(h), σ_z²(h)); Bernoulli decoder d(z).
//! - −ELBO per image: −ln p(x | z) + KL(q(z|x) ‖ p(z|M, y)) + KL(q(y|x) ‖ N(0, I)), with
//!   z ~ q(z|x), y ~ q(y|x); the episode is written before it is scored.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Distribution, Tensor};

use crate::data::PIXELS;
use crate::kernels::fast_conv::FusedForward;

use super::block_read::{read_block, write_block};
use super::networks::{Arch, Decoder, DecoderConfig, Encoder, EncoderConfig, bernoulli_log_likelihood};

/// ln σ_p of the memory prior is clamped to this range.
const LOG_PRIOR_STD_RANGE: (f64, f64) = (-5.0, 2.0);
/// ln σ of the posteriors is clamped to this range (keeps early training away from e^{±large}).
const LOG_POSTERIOR_STD_RANGE: (f64, f64) = (-7.0, 3.0);

#[derive(Config, Debug, PartialEq)]
pub struct KppConfig {
    #[config(default = "Arch::Simple")]
    pub arch: Arch,
    /// Size of the encoder's features h.
    #[config(default = 100)]
    pub feature_size: usize,
    /// Z, the latent code of an image.
    #[config(default = 32)]
    pub code_size: usize,
    /// C_m, channels of the memory.
    #[config(default = 16)]
    pub memory_channels: usize,
    /// S, side of the memory.
    #[config(default = 8)]
    pub memory_side: usize,
    /// k, side of the read window.
    #[config(default = 4)]
    pub window: usize,
    /// s_min, the smallest window scale.
    #[config(default = 0.2)]
    pub min_scale: f64,
    #[config(default = 0)]
    pub seed: u64,
}

#[derive(Module, Debug)]
pub struct Kpp {
    pub encoder: Encoder,
    pub decoder: Decoder,
    /// h -> C_m·k·k: each item's block in the memory.
    pub write_map: Linear,
    /// The episode's summed blocks -> M.
    pub write_conv: Conv2d,
    /// h -> [μ_y, ln σ_y] (3 + 3).
    pub key: Linear,
    /// h -> [μ_z, ln σ_z].
    pub posterior: Linear,
    /// block -> [μ_p, ln σ_p].
    pub prior: Linear,
}

impl KppConfig {
    pub fn init(&self, device: &Device) -> Kpp {
        device.seed(self.seed);
        let (f, z, c, k) = (self.feature_size, self.code_size, self.memory_channels, self.window);
        Kpp {
            encoder: EncoderConfig::new(f).with_arch(self.arch).init(device),
            decoder: DecoderConfig::new(z).with_arch(self.arch).init(device),
            write_map: LinearConfig::new(f, c * k * k).init(device),
            write_conv: Conv2dConfig::new([c, c], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device),
            key: LinearConfig::new(f, 6).init(device),
            posterior: LinearConfig::new(f, 2 * z).init(device),
            prior: LinearConfig::new(c * k * k, 2 * z).init(device),
        }
    }
}

/// A diagonal Gaussian: mean and ln std, same shape.
#[derive(Debug, Clone)]
pub struct Gaussian {
    pub mean: Tensor<2>,
    pub log_std: Tensor<2>,
}

impl Gaussian {
    /// Splits [M, 2n] into mean and clamped ln std.
    fn from_halves(x: Tensor<2>, range: (f64, f64)) -> Self {
        let [m, two_n] = x.dims();
        let n = two_n / 2;
        Self { mean: x.clone().slice([0..m, 0..n]), log_std: x.slice([0..m, n..two_n]).clamp(range.0, range.1) }
    }

    /// A draw (`sampled`) or the mean.
    pub fn draw(&self, sampled: bool) -> Tensor<2> {
        if !sampled {
            return self.mean.clone();
        }
        let eps = Tensor::random(self.mean.dims(), Distribution::Normal(0.0, 1.0), (&self.mean.device(), self.mean.dtype()));
        self.mean.clone() + eps * self.log_std.clone().exp()
    }

    /// KL(self ‖ other) per row.
    ///
    /// # Shapes
    /// - returns [M]
    pub fn kl(&self, other: &Gaussian) -> Tensor<1> {
        let m = self.mean.dims()[0];
        let var_ratio = (self.log_std.clone() - other.log_std.clone()).mul_scalar(2.0).exp();
        let mahalanobis = (self.mean.clone() - other.mean.clone()).square() / other.log_std.clone().mul_scalar(2.0).exp();
        ((other.log_std.clone() - self.log_std.clone()) + (var_ratio + mahalanobis).mul_scalar(0.5).sub_scalar(0.5)).sum_dim(1).reshape([m])
    }

    /// KL(self ‖ N(0, I)) per row.
    pub fn kl_standard(&self) -> Tensor<1> {
        let zeros = self.mean.zeros_like();
        self.kl(&Gaussian { mean: zeros.clone(), log_std: zeros })
    }
}

/// Per-image terms of the episode bound, each [1].
#[derive(Debug, Clone)]
pub struct KppTerms {
    pub nats_per_image: Tensor<1>,
    pub recon_nats: Tensor<1>,
    pub kl_code_nats: Tensor<1>,
    pub kl_key_nats: Tensor<1>,
}

impl Kpp {
    /// The deterministic write: each item's block at its key mean's window, summed over the
    /// episode, through the convolution.
    ///
    /// # Shapes
    /// - features: [B, T, F] (the encoder's h) -> M [B, C_m, S, S]
    pub fn write(&self, features: Tensor<3>, config: &KppConfig) -> Tensor<4> {
        let [b, t, f] = features.dims();
        let (c, s, k) = (config.memory_channels, config.memory_side, config.window);
        let flat = features.reshape([b * t, f]);
        let (q_y, _) = self.posteriors(flat.clone());
        let (scale, tx, ty) = self.window(q_y.mean, config);
        let blocks = self.write_map.forward(relu(flat)).reshape([b * t, c, k, k]);
        let placed = write_block(blocks, scale, tx, ty, s).reshape([b, t, c, s, s]);
        self.write_conv.forward_fused(placed.sum_dim(1).reshape([b, c, s, s]))
    }

    /// The window (scale, shift x, shift y) a key sets.
    ///
    /// # Shapes
    /// - y: [M, 3] -> three [M]
    pub fn window(&self, y: Tensor<2>, config: &KppConfig) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
        let m = y.dims()[0];
        let column = |i: usize| y.clone().slice([0..m, i..i + 1]).reshape([m]);
        let scale = sigmoid(column(0)).mul_scalar(1.0 - config.min_scale).add_scalar(config.min_scale);
        (scale, column(1).tanh(), column(2).tanh())
    }

    /// p(z | M, y) for items reading the memories `memory` (one per item) with keys `y`.
    ///
    /// # Shapes
    /// - memory: [M, C_m, S, S]; y: [M, 3]
    pub fn memory_prior(&self, memory: Tensor<4>, y: Tensor<2>, config: &KppConfig) -> Gaussian {
        let m = y.dims()[0];
        let (scale, tx, ty) = self.window(y, config);
        let block = read_block(memory, scale, tx, ty, config.window);
        Gaussian::from_halves(self.prior.forward(block.reshape([m, config.memory_channels * config.window * config.window])), LOG_PRIOR_STD_RANGE)
    }

    /// q(y | h) and q(z | h).
    pub fn posteriors(&self, features: Tensor<2>) -> (Gaussian, Gaussian) {
        let key = self.key.forward(features.clone());
        (Gaussian::from_halves(key, LOG_POSTERIOR_STD_RANGE), Gaussian::from_halves(self.posterior.forward(features), LOG_POSTERIOR_STD_RANGE))
    }

    /// Each episode's memory repeated for its T items.
    ///
    /// # Shapes
    /// - memory: [B, C_m, S, S] -> [B·T, C_m, S, S]
    pub fn per_item(memory: Tensor<4>, items: usize) -> Tensor<4> {
        let [b, c, s, _] = memory.dims();
        memory.unsqueeze_dim::<5>(1).repeat_dim(1, items).reshape([b * items, c, s, s])
    }

    /// The episode bound (module docs). `sampled`: draw z and y; else use their means.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    pub fn episode_terms(&self, images: Tensor<3>, config: &KppConfig, sampled: bool) -> KppTerms {
        self.episode_terms_with_memory_from(images, None, config, sampled)
    }

    /// The episode bound of `images` with the memory written from `written` (None: from
    /// `images` themselves, the bound proper).
    ///
    /// # Shapes
    /// - images, written: [B, T, 784], binary
    pub fn episode_terms_with_memory_from(&self, images: Tensor<3>, written: Option<Tensor<3>>, config: &KppConfig, sampled: bool) -> KppTerms {
        let [b, t, _] = images.dims();
        let targets = images.reshape([b * t, PIXELS]);
        let features = self.encoder.forward(targets.clone());
        let f = features.dims()[1];
        let write_features = match written {
            Some(other) => self.encoder.forward(other.reshape([b * t, PIXELS])),
            None => features.clone(),
        };
        let memory = self.write(write_features.reshape([b, t, f]), config);
        let (q_y, q_z) = self.posteriors(features);
        let prior = self.memory_prior(Self::per_item(memory, t), q_y.draw(sampled), config);
        let recon_ll = bernoulli_log_likelihood(targets, self.decoder.forward(q_z.draw(sampled)));
        let per_image = |x: Tensor<1>| x.sum().div_scalar((b * t) as f64);
        let recon_nats = per_image(recon_ll.neg());
        let kl_code_nats = per_image(q_z.kl(&prior));
        let kl_key_nats = per_image(q_y.kl_standard());
        KppTerms { nats_per_image: recon_nats.clone() + kl_code_nats.clone() + kl_key_nats.clone(), recon_nats, kl_code_nats, kl_key_nats }
    }
}

/// K++'s reported terms (nats per image).
pub mod terms {
    use crate::model::TermName;
    pub const NEG_ELBO: TermName = TermName::new("nats_per_image", "-ELBO", "nats");
    pub const RECON: TermName = TermName::new("recon_nats", "recon", "nats");
    pub const KL_Z: TermName = TermName::new("kl_code_nats", "KL(z)", "nats");
    pub const KL_Y: TermName = TermName::new("kl_addressing_nats", "KL(y)", "nats");
}

impl super::TrainableModel for Kpp {
    type Config = KppConfig;
    const KIND: super::ModelKind = super::ModelKind::Kpp;
    // The memory is a deterministic function of the episode with no prior over it: the bound
    // is on ln p(x | M), and the model defines no joint likelihood of an episode.
    const HEADLINE: super::HeadlineBound = super::HeadlineBound::Conditional;

    fn config_from(options: &super::ModelOptions, seed: u64) -> KppConfig {
        KppConfig::new().with_arch(options.arch).with_seed(seed).with_memory_channels(options.memory_channels).with_memory_side(options.memory_side).with_window(options.window)
    }

    fn check_config(config: &KppConfig) -> Result<(), String> {
        for (name, value) in [("feature_size", config.feature_size), ("code_size", config.code_size), ("memory_channels", config.memory_channels), ("memory_side", config.memory_side), ("window", config.window)] {
            super::check_size(name, value)?;
        }
        if config.memory_channels * config.memory_side * config.memory_side > super::MAX_DIMENSION * 64 {
            return Err("the memory (memory_channels × memory_side²) is too large".into());
        }
        if config.window > config.memory_side {
            return Err(format!("window = {} is larger than the memory (memory_side = {})", config.window, config.memory_side));
        }
        if !(config.min_scale > 0.0 && config.min_scale <= 1.0) {
            return Err(format!("min_scale = {} must be in (0, 1]", config.min_scale));
        }
        Ok(())
    }

    fn init(config: &KppConfig, device: &Device) -> Self {
        config.init(device)
    }

    fn loss_terms(&self, images: Tensor<3>, config: &KppConfig, sampled: bool) -> super::LossTerms {
        let t = self.episode_terms(images, config, sampled);
        super::LossTerms {
            loss: t.nats_per_image.clone(),
            terms: vec![(terms::NEG_ELBO, t.nats_per_image), (terms::RECON, t.recon_nats), (terms::KL_Z, t.kl_code_nats), (terms::KL_Y, t.kl_key_nats)],
            series: Vec::new(),
        }
    }

    fn sampled_in_training(_: &KppConfig) -> bool {
        true
    }

    /// ln p(x | z) + ln p(z | M, y) + ln N(y; 0, I) − ln q(z | x) − ln q(y | x).
    fn log_importance_weights(&self, images: Tensor<3>, config: &KppConfig, samples: usize) -> Option<Tensor<2>> {
        let [b, t, _] = images.dims();
        let targets = images.reshape([b * t, PIXELS]);
        let features = self.encoder.forward(targets.clone());
        let f = features.dims()[1];
        let memory = Self::per_item(self.write(features.clone().reshape([b, t, f]), config), t);
        let (q_y, q_z) = self.posteriors(features);
        let mut columns = Vec::with_capacity(samples);
        for _ in 0..samples {
            let (y, z) = (q_y.draw(true), q_z.draw(true));
            let prior = self.memory_prior(memory.clone(), y.clone(), config);
            let log_p = bernoulli_log_likelihood(targets.clone(), self.decoder.forward(z.clone()))
                + super::gaussian_log_density(z.clone(), prior.mean, prior.log_std)
                + super::gaussian_log_density(y.clone(), y.zeros_like(), y.zeros_like());
            let log_q = super::gaussian_log_density(z, q_z.mean.clone(), q_z.log_std.clone()) + super::gaussian_log_density(y, q_y.mean.clone(), q_y.log_std.clone());
            columns.push((log_p - log_q).reshape([b * t, 1]));
        }
        Some(Tensor::cat(columns, 1))
    }

    fn conditional_terms(&self, scored: Tensor<3>, written: Tensor<3>, config: &KppConfig, sampled: bool) -> Option<super::LossTerms> {
        let t = self.episode_terms_with_memory_from(scored, Some(written), config, sampled);
        Some(super::LossTerms {
            loss: t.nats_per_image.clone(),
            terms: vec![(super::CONDITIONAL_NEG_ELBO, t.nats_per_image), (terms::RECON, t.recon_nats), (terms::KL_Z, t.kl_code_nats), (terms::KL_Y, t.kl_key_nats)],
            series: Vec::new(),
        })
    }

    fn into_attractor(self, name: &str, config: KppConfig, device: Device) -> Box<dyn crate::memory::AttractorMemory> {
        Box::new(super::KppAttractor::explorable(name, self, config, device))
    }
}
