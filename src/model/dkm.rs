//! The Dynamic Kanerva Machine as a burn Module: encoder, decoder and the memory prior, with
//! the episode loss of docs/model.md

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use crate::data::PIXELS;
use crate::memory::dkm::{self as mem, MemoryConfig, MemoryState};
use crate::rng::SplitMix64;

use super::address_search::frozen_autodiff_copy;
use super::networks::{Arch, Decoder, DecoderConfig, Encoder, EncoderConfig, bernoulli_log_likelihood};
use super::reading::{to_f32, to_f64_scalar};
use super::refined_address::{self, AddressPosteriors, Refinement};

/// Everything that fixes a DKM's shape and behaviour; stored in every checkpoint card.
#[derive(Config, Debug, PartialEq)]
pub struct DkmConfig {
    #[config(default = "Arch::Simple")]
    pub arch: Arch,
    #[config(default = "MemoryConfig::default()")]
    pub memory: MemoryConfig,
    /// ln σw at initialisation (σw = 0.3, docs/model.md).
    #[config(default = -1.2039728043259361)]
    pub init_log_w_std: f64,
    /// Weight of the autoencoder term in the training loss (docs/model.md; 1.0).
    #[config(default = 1.0)]
    pub ae_weight: f64,
    /// Weight of KL(q(w)‖p(w)) in the training loss (None: 1, the ELBO). Only the loss
    /// changes; the reported bound and the reading energy keep weight 1. An experiment's knob
    /// (issue 4: does the KL weighting shape the attractor?). An Option so that cards written
    /// before it existed still load.
    pub kl_addressing_weight: Option<f64>,
    /// Training only (our design, not the paper's): the share of pixels of each image set to a
    /// random bit before the image is encoded for its own address, so that the reconstruction
    /// term is read from a salt-and-pepper-corrupted query's address while the memory is
    /// written from the clean codes. Any address still gives a bound (q(w) is any Gaussian), so
    /// the loss stays the −ELBO of the clean images; evaluation and reading never corrupt.
    /// None: no corruption (every model before it). An Option so that older cards still load.
    pub query_noise: Option<f64>,
    /// Training only: read from one draw M ~ q(M) per episode instead of the posterior mean R
    /// (the paper's `sample_M`), so the training loss is the joint −ELBO strict in M. None or
    /// false: the mean read (every model before it; an Option so that older cards still load).
    pub sample_memory_in_training: Option<bool>,
    /// Sample w ~ q(w) for the read in training (the reference does); else use μ.
    #[config(default = true)]
    pub sample_w_in_training: bool,
    /// Seed of the parameter initialisation.
    #[config(default = 0)]
    pub seed: u64,
}

#[derive(Module, Debug)]
pub struct Dkm {
    pub encoder: Encoder,
    pub decoder: Decoder,
    /// R0, prior mean of the memory. [K, C]
    pub prior_mean: Param<Tensor<2>>,
    /// s, with U0 = (e^s + 1e-6) I. [1]
    pub prior_log_var: Param<Tensor<1>>,
    /// ln σw, the posterior std of the addressing weights. [1]
    pub log_w_std: Param<Tensor<1>>,
}

/// Truncated standard normal (|x| <= 2, by resampling): the official R0 initialisation.
pub(crate) fn truncated_normal(n: usize, rng: &mut SplitMix64) -> Vec<f32> {
    (0..n)
        .map(|_| loop {
            let x = rng.normal();
            if x.abs() <= 2.0 {
                break x as f32;
            }
        })
        .collect()
}

impl DkmConfig {
    /// The settings that shape the training loss and no parameter: the command line's KL(w)
    /// and autoencoder weights, query noise and memory read.
    fn with_training_options(self, options: &super::ModelOptions) -> Self {
        self.with_kl_addressing_weight(options.kl_addressing_weight)
            .with_ae_weight(options.ae_weight)
            .with_query_noise(options.query_noise)
            .with_sample_memory_in_training(options.sample_memory.then_some(true))
    }

    pub fn init(&self, device: &Device) -> Dkm {
        device.seed(self.seed);
        let (k, c) = (self.memory.slots, self.memory.code_size);
        let mut rng = SplitMix64::new(self.seed ^ 0x5EED_0F_0A11);
        let r0 = Tensor::from_data(TensorData::new(truncated_normal(k * c, &mut rng), [k, c]), device);
        Dkm {
            encoder: EncoderConfig::new(c).with_arch(self.arch).init(device),
            decoder: DecoderConfig::new(c).with_arch(self.arch).init(device),
            prior_mean: Param::from_tensor(r0),
            prior_log_var: Param::from_tensor(Tensor::zeros([1], device)),
            log_w_std: Param::from_tensor(Tensor::from_data(TensorData::new(vec![self.init_log_w_std as f32], [1]), device)),
        }
    }
}

/// Per-image terms of the episode bound, each a [1]-shaped tensor (mean over episodes, / T).
#[derive(Debug, Clone)]
pub struct EpisodeTerms {
    /// The training loss: (−ELBO + ae_weight · AE NLL) / T, with KL(w) weighted by
    /// `kl_addressing_weight` (1 unless an experiment sets it).
    pub loss: Tensor<1>,
    /// −ELBO / T in nats per image (the reported number; excludes the AE term).
    pub nats_per_image: Tensor<1>,
    /// −Σ ln p(x | read) / T.
    pub recon_nats: Tensor<1>,
    /// Σ KL(q(w)‖p(w)) / T.
    pub kl_addressing_nats: Tensor<1>,
    /// KL(q(M)‖p(M)) / T.
    pub kl_memory_nats: Tensor<1>,
    /// Σ KL(q(z)‖p(z|y,M)) / T: the Kanerva Machine's stochastic code (0 for the DKM).
    pub kl_code_nats: Tensor<1>,
    /// −Σ ln p(x | d(e(x))) / T: the autoencoder term.
    pub ae_nats: Tensor<1>,
}

/// Where a read takes the memory from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryRead {
    /// The posterior mean R (the official code's default): the joint number is then a plug-in
    /// value in M.
    Mean,
    /// One draw M ~ q(M) per episode: the joint −ELBO strict in M.
    Sampled,
}

impl Dkm {
    pub fn memory_prior(&self, batch: usize) -> MemoryState {
        MemoryState::prior(self.prior_mean.val(), self.prior_log_var.val(), batch)
    }

    /// # Shapes
    /// - images: [B, T, 784] -> codes [B, T, C]
    pub fn encode_episodes(&self, images: Tensor<3>) -> Tensor<3> {
        let [b, t, _] = images.dims();
        let codes = self.encoder.forward(images.reshape([b * t, PIXELS]));
        let c = codes.dims()[1];
        codes.reshape([b, t, c])
    }

    /// Writes episodes into fresh memories (from the prior).
    ///
    /// # Shapes
    /// - images: [B, T, 784]; returns the posterior and the codes [B, T, C]
    pub fn write(&self, images: Tensor<3>, config: &DkmConfig) -> (MemoryState, Tensor<3>) {
        let b = images.dims()[0];
        let codes = self.encode_episodes(images);
        let (state, _) = mem::write(self.memory_prior(b), codes.clone(), &config.memory);
        (state, codes)
    }

    /// The episode bound of docs/model.md: write, read each item back through q(w), decode.
    /// `sample_w`: read with w = μ + σw ε instead of μ.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    pub fn episode_terms(&self, images: Tensor<3>, config: &DkmConfig, sample_w: bool) -> EpisodeTerms {
        self.episode_terms_with_memory_from(images, None, config, sample_w)
    }

    /// [`Self::episode_terms`] with the memory written from `written` instead (None: from
    /// `images`): its recon and KL(w) are the memory-conditional bound of `images`, and its
    /// KL(M) is the written memory's.
    ///
    /// # Shapes
    /// - images, written: [B, T, 784], binary
    pub fn episode_terms_with_memory_from(&self, images: Tensor<3>, written: Option<Tensor<3>>, config: &DkmConfig, sample_w: bool) -> EpisodeTerms {
        self.episode_terms_addressed_from(images, written, None, config, sample_w, MemoryRead::Mean)
    }

    /// [`Self::episode_terms_with_memory_from`] with each item addressed from `queries`' codes
    /// instead of its own (None: its own), e.g. a corrupted copy (`query_noise`), and read from
    /// the memory as `memory_read` says (addressed against R either way).
    ///
    /// # Shapes
    /// - images, written, queries: [B, T, 784]
    fn episode_terms_addressed_from(&self, images: Tensor<3>, written: Option<Tensor<3>>, queries: Option<Tensor<3>>, config: &DkmConfig, sample_w: bool, memory_read: MemoryRead) -> EpisodeTerms {
        let [b, t, _] = images.dims();
        let (state, codes) = match written {
            None => self.write(images.clone(), config),
            Some(other) => (self.write(other, config).0, self.encode_episodes(images.clone())),
        };
        let query_codes = queries.map_or_else(|| codes.clone(), |q| self.encode_episodes(q));
        let mu = mem::address(query_codes, state.mean.clone(), &config.memory); // [B, T, K]
        let k = mu.dims()[2];
        let w = if sample_w {
            let eps = Tensor::random([b, t, k], Distribution::Normal(0.0, 1.0), (&mu.device(), mu.dtype()));
            mu.clone() + eps * self.log_w_std.val().exp().reshape([1, 1, 1])
        } else {
            mu.clone()
        };
        let memory = match memory_read {
            MemoryRead::Mean => state.mean.clone(),
            MemoryRead::Sampled => mem::sample_memory(&state, Tensor::random(state.mean.dims(), Distribution::Normal(0.0, 1.0), (&mu.device(), mu.dtype()))),
        };
        let read = mem::read(w, memory); // [B, T, C]
        let c = read.dims()[2];
        let targets = images.reshape([b * t, PIXELS]);
        // The memory's reads and the codes decoded in one pass of 2·B·T rows (the networks
        // treat rows independently): half the decoder's calls, larger products.
        let both = Tensor::cat(vec![read.reshape([b * t, c]), codes.reshape([b * t, c])], 0);
        let both_ll = bernoulli_log_likelihood(Tensor::cat(vec![targets.clone(), targets], 0), self.decoder.forward(both));
        let recon_ll = both_ll.clone().slice(0..b * t);
        let ae_ll = both_ll.slice(b * t..2 * b * t);
        let kl_w = mem::kl_addressing(mu, self.log_w_std.val(), config.memory.w_prior_std); // [B, T]
        let kl_m = mem::kl_memory(&state, self.prior_mean.val(), self.prior_log_var.val()); // [B]
        let per_image = |x: Tensor<1>| x.sum().div_scalar((b * t) as f64);
        let recon_nats = per_image(recon_ll.neg());
        let kl_addressing_nats = per_image(kl_w.reshape([b * t]));
        let kl_memory_nats = per_image(kl_m);
        let ae_nats = per_image(ae_ll.neg());
        let nats_per_image = recon_nats.clone() + kl_addressing_nats.clone() + kl_memory_nats.clone();
        EpisodeTerms {
            loss: nats_per_image.clone()
                + kl_addressing_nats.clone().mul_scalar(config.kl_addressing_weight.unwrap_or(1.0) - 1.0)
                + ae_nats.clone().mul_scalar(config.ae_weight),
            nats_per_image,
            recon_nats,
            kl_addressing_nats,
            kl_code_nats: kl_memory_nats.zeros_like(),
            kl_memory_nats,
            ae_nats,
        }
    }
}

/// An episode's terms as the loss and the reported terms.
fn terms_of(t: EpisodeTerms) -> super::LossTerms {
    super::LossTerms {
        loss: t.loss,
        terms: vec![(terms::NEG_ELBO, t.nats_per_image), (terms::RECON, t.recon_nats), (terms::KL_W, t.kl_addressing_nats), (terms::KL_M, t.kl_memory_nats), (terms::AE, t.ae_nats)],
        series: Vec::new(),
    }
}

/// The DKM's reported terms (per image, nats): −ELBO/T and its parts, then the AE term.
pub mod terms {
    use crate::model::TermName;
    pub const NEG_ELBO: TermName = TermName::new("nats_per_image", "-ELBO", "nats");
    pub const RECON: TermName = TermName::new("recon_nats", "recon", "nats");
    pub const KL_W: TermName = TermName::new("kl_addressing_nats", "KL(w)", "nats");
    pub const KL_M: TermName = TermName::new("kl_memory_nats", "KL(M)/T", "nats");
    pub const AE: TermName = TermName::new("ae_nats", "AE", "nats");
}

impl super::TrainableModel for Dkm {
    type Config = DkmConfig;
    const KIND: super::ModelKind = super::ModelKind::Dkm;

    fn config_from(options: &super::ModelOptions, seed: u64) -> DkmConfig {
        let default = MemoryConfig::default();
        let obs_noise_std = options.obs_noise_std.unwrap_or(default.obs_noise_std);
        let memory = MemoryConfig { slots: options.slots, code_size: options.code_size, write_mode: options.write_mode, obs_noise_std, ..default };
        DkmConfig::new()
            .with_arch(options.arch)
            .with_seed(seed)
            .with_memory(memory)
            .with_training_options(options)
    }

    /// The source's shapes with the command line's KL(w) and autoencoder weights, query noise
    /// and memory read, and its σξ where given (no parameter's shape depends on them).
    fn fine_tune_config(mut source: DkmConfig, options: &super::ModelOptions) -> DkmConfig {
        if let Some(std) = options.obs_noise_std {
            source.memory.obs_noise_std = std;
        }
        source.with_training_options(options)
    }

    fn check_config(config: &DkmConfig) -> Result<(), String> {
        super::check_memory_config(&config.memory)?;
        super::check_finite_weight("ae_weight", config.ae_weight)?;
        if let Some(p) = config.query_noise.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(format!("query_noise = {p} must be a share between 0 and 1"));
        }
        config.kl_addressing_weight.map_or(Ok(()), |w| super::check_finite_weight("kl_addressing_weight", w))
    }

    fn init(config: &DkmConfig, device: &Device) -> Self {
        config.init(device)
    }

    fn loss_terms(&self, images: Tensor<3>, config: &DkmConfig, sampled: bool) -> super::LossTerms {
        terms_of(Dkm::episode_terms(self, images, config, sampled))
    }

    fn sampled_in_training(config: &DkmConfig) -> bool {
        config.sample_w_in_training
    }

    /// With `query_noise` p: each item addressed from a copy with a share p of its pixels set
    /// to random bits (salt and pepper, as `data::Corruption::SaltPepper`, drawn here on the
    /// device for the whole batch), the memory written from the clean episode.
    /// With `sample_memory_in_training`: each read from one draw M ~ q(M) per episode.
    fn training_terms(&self, images: Tensor<3>, config: &DkmConfig) -> super::LossTerms {
        let queries = config.query_noise.filter(|&p| p > 0.0).map(|p| {
            let (device, dtype) = (images.device(), images.dtype());
            let hit = Tensor::random(images.dims(), Distribution::Bernoulli(p), (&device, dtype));
            let bits = Tensor::random(images.dims(), Distribution::Bernoulli(0.5), (&device, dtype));
            images.clone() * hit.clone().neg().add_scalar(1.0) + hit * bits
        });
        let memory_read = if config.sample_memory_in_training == Some(true) { MemoryRead::Sampled } else { MemoryRead::Mean };
        terms_of(self.episode_terms_addressed_from(images, None, queries, config, config.sample_w_in_training, memory_read))
    }

    /// recon + KL(w), the memory written from `written` and held at its posterior mean.
    fn conditional_terms(&self, scored: Tensor<3>, written: Tensor<3>, config: &DkmConfig, sampled: bool) -> Option<super::LossTerms> {
        let t = self.episode_terms_with_memory_from(scored, Some(written), config, sampled);
        let conditional = t.recon_nats.clone() + t.kl_addressing_nats.clone();
        Some(super::LossTerms {
            loss: conditional.clone(),
            terms: vec![(super::CONDITIONAL_NEG_ELBO, conditional), (terms::RECON, t.recon_nats), (terms::KL_W, t.kl_addressing_nats)],
            series: Vec::new(),
        })
    }

    /// ln p(x | w, M) + ln N(w; 0, σp²) − ln N(w; μ, σw²), w ~ q(w), M the written posterior mean.
    fn log_importance_weights(&self, images: Tensor<3>, config: &DkmConfig, samples: usize) -> Option<Tensor<2>> {
        let [b, t, _] = images.dims();
        let (state, codes) = self.write(images.clone(), config);
        let mu = mem::address(codes, state.mean.clone(), &config.memory); // [B, T, K]
        let k = mu.dims()[2];
        let log_w_std = self.log_w_std.val();
        let targets = images.reshape([b * t, PIXELS]);
        let mut columns = Vec::with_capacity(samples);
        for _ in 0..samples {
            let eps = Tensor::random([b, t, k], Distribution::Normal(0.0, 1.0), (&mu.device(), mu.dtype()));
            let w = mu.clone() + eps * log_w_std.clone().exp().reshape([1, 1, 1]);
            let c = state.mean.dims()[2];
            let logits = self.decoder.forward(mem::read(w.clone(), state.mean.clone()).reshape([b * t, c]));
            let flat_w = w.reshape([b * t, k]);
            let prior = super::gaussian_log_density(flat_w.clone(), flat_w.zeros_like(), flat_w.zeros_like().add_scalar(config.memory.w_prior_std.ln()));
            let posterior = super::gaussian_log_density(flat_w.clone(), mu.clone().reshape([b * t, k]), log_w_std.clone().reshape([1, 1]).repeat_dim(0, b * t).repeat_dim(1, k));
            columns.push((bernoulli_log_likelihood(targets.clone(), logits) + prior - posterior).reshape([b * t, 1]));
        }
        Some(Tensor::cat(columns, 1))
    }

    /// The memory written and addressed (against R) as always, w sampled; each episode's read
    /// from one draw M ~ q(M) instead of R.
    fn sampled_memory_terms(&self, images: Tensor<3>, config: &DkmConfig) -> Option<super::LossTerms> {
        let t = self.episode_terms_addressed_from(images, None, None, config, true, MemoryRead::Sampled);
        Some(super::LossTerms {
            loss: t.nats_per_image.clone(),
            terms: vec![(terms::NEG_ELBO, t.nats_per_image), (terms::RECON, t.recon_nats), (terms::KL_W, t.kl_addressing_nats), (terms::KL_M, t.kl_memory_nats)],
            series: Vec::new(),
        })
    }

    /// The memory written and addressed as always; each item's q(w) then refined on its own
    /// bound, the memory held at its posterior mean (as every DKM bound here reads it).
    fn refined_terms(&self, images: Tensor<3>, config: &DkmConfig, refinement: Refinement) -> Option<super::LossTerms> {
        let [b, t, _] = images.dims();
        let device = images.device();
        let (state, codes) = self.write(images.clone(), config);
        let mu = mem::address(codes, state.mean.clone(), &config.memory); // [B, T, K]
        let k = mu.dims()[2];
        let log_w_std = to_f64_scalar(self.log_w_std.val()) as f32;
        let start = AddressPosteriors { mean: to_f32(mu), log_std: vec![log_w_std; b * t * k], slots: k };
        let autodiff_device = device.clone().autodiff();
        let decoder_config = DecoderConfig::new(config.memory.code_size).with_arch(config.arch);
        let autodiff_decoder = frozen_autodiff_copy(&self.decoder, &decoder_config, &autodiff_device);
        let prior_std = config.memory.w_prior_std;
        let refined = refined_address::refine(&autodiff_decoder, &autodiff_device, state.mean.clone(), images.clone(), start, prior_std, refinement);
        let (recon, kl_w) = refined_address::score(&self.decoder, state.mean.clone(), images, &refined, prior_std, refinement.samples, &device);
        let kl_m = mem::kl_memory(&state, self.prior_mean.val(), self.prior_log_var.val()); // [B]
        let per_image = |x: Tensor<1>| x.sum().div_scalar((b * t) as f64);
        let (recon, kl_w, kl_m) = (per_image(recon), per_image(kl_w), per_image(kl_m));
        let conditional = recon.clone() + kl_w.clone();
        let joint = conditional.clone() + kl_m.clone();
        Some(super::LossTerms {
            loss: joint.clone(),
            terms: vec![(terms::NEG_ELBO, joint), (super::CONDITIONAL_NEG_ELBO, conditional), (terms::RECON, recon), (terms::KL_W, kl_w), (terms::KL_M, kl_m)],
            series: Vec::new(),
        })
    }

    fn into_attractor(self, name: &str, config: DkmConfig, device: Device) -> Box<dyn crate::memory::AttractorMemory> {
        Box::new(super::DkmAttractor::explorable(name, self, config, device))
    }
}
