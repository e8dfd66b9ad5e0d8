//! A trained Kanerva Machine as an explorable [`AttractorMemory`]. A read step is
//! encode -> y = μ_y -> w = yA/√S -> z = mean of q(z | e(x), Rᵀw) -> decode; its energy is the
//! item's negative bound −ln p(x|z) + KL(q(z)‖p(z|y,M)) + KL(q(y)‖p(y)). Unlike the DKM's,
//! this iteration has no convergence guarantee (docs/model.md): the code posterior mixes the
//! query's own evidence with the memory read, so a corrupted query can pull the read toward
//! itself.

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{Image, SIDE};
use crate::memory::attractor::{About, Evaluation, Generator, Iterate, LandscapeSpace, MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size};
use crate::memory::dkm::{self as mem, MemoryState};
use crate::rng::SplitMix64;

use super::km::{kl_code, kl_standard_normal, quadratic_form};
use super::explorable::{Explorable, Facets, TrainedAttractor};
use super::reading::{write_report, decode_probabilities, images_tensor, landscape_at_code, latent_point, latent_tensor, memory_panels, next_iterate, to_f32, to_f64_scalar};
use super::{Km, KmConfig, bernoulli_log_likelihood};

pub struct KmAttractor {
    model: Km,
    config: KmConfig,
    device: Device,
    written: Option<MemoryState>,
}

/// One query read against the written memory.
struct Read {
    weights: Tensor<2>,
    logits: Tensor<2>,
    kl_code: f64,
    kl_addressing: f64,
}

impl KmAttractor {
    /// `model` should live on `device` without autodiff (see backend.rs).
    pub fn new(model: Km, config: KmConfig, device: Device) -> Self {
        Self { model, config, device, written: None }
    }

    /// The explorable memory called `name`.
    pub fn explorable(name: &str, model: Km, config: KmConfig, device: Device) -> Explorable<Self> {
        Explorable::new(name, Self::new(model, config, device))
    }

    fn state(&self) -> Result<&MemoryState, MemoryError> {
        self.written.as_ref().ok_or(MemoryError::Empty)
    }

    fn read(&self, image: &Image) -> Result<Read, MemoryError> {
        let state = self.state()?;
        let (features, q_y) = self.model.encode_and_address(images_tensor(std::slice::from_ref(image), &self.device));
        let weights = self.model.weights(q_y.mean.clone()); // [1, K]
        let k = weights.dims()[1];
        let w3 = weights.clone().reshape([1, 1, k]);
        let c = self.config.memory.code_size;
        let memory_read = mem::read(w3.clone(), state.mean.clone()).reshape([1, c]);
        let q_z = self.model.code_posterior(features, memory_read.clone());
        let read_var = quadratic_form(w3, state.cov.clone()).reshape([1]);
        let kl_code = to_f64_scalar(kl_code(&q_z, memory_read, read_var, self.config.memory.obs_noise_std));
        let kl_addressing = to_f64_scalar(kl_standard_normal(&q_y));
        Ok(Read { weights, logits: self.model.decoder.forward(q_z.mean), kl_code, kl_addressing })
    }
}

impl TrainedAttractor for KmAttractor {
    /// Its size: the memory's mean K·C and covariance K².
    fn about(&self, name: String) -> About {
        let (k, c) = (self.config.memory.slots, self.config.memory.code_size);
        About::new(name, "nats", k * c + k * k)
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        let (features, q_y) = self.model.encode_and_address(images_tensor(episode, &self.device));
        let weights = self.model.weights(q_y.mean).reshape([1, episode.len(), self.config.memory.slots]);
        let state = self.model.write(features, weights, &self.config);
        let kl = to_f64_scalar(mem::kl_memory(&state, self.model.prior_mean.val(), self.model.prior_log_var.val()));
        self.written = Some(state);
        Ok(write_report(kl, episode.len()))
    }

    fn forget(&mut self) {
        self.written = Some(self.model.memory_prior(1));
    }

    fn step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<Image, MemoryError> {
        Ok(next_iterate(self.read(image)?.logits, update, seed))
    }

    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError> {
        let read = self.read(image)?;
        let target = images_tensor(std::slice::from_ref(image), &self.device);
        let recon = -to_f64_scalar(bernoulli_log_likelihood(target, read.logits.clone()));
        let next = next_iterate(read.logits, update, seed);
        let evaluation = Evaluation {
            energy: Some(recon + read.kl_code + read.kl_addressing),
            terms: vec![
                Term::new("reconstruction nats", recon),
                Term::new("KL(z) nats", read.kl_code),
                Term::new("KL(y) nats", read.kl_addressing),
            ],
            weights: Some(to_f32(read.weights)), parts: Vec::new() };
        Ok((evaluation, next))
    }

    fn inspect(&self, _stored: &[Image]) -> Vec<Panel> {
        let Some(state) = &self.written else { return vec![] };
        let mut panels = memory_panels(state, &self.model.decoder);
        let [s, k] = self.model.keys.val().dims();
        panels.push(Panel::Heatmap { title: "addressing keys A (S × K)".into(), rows: s, cols: k, values: to_f32(self.model.keys.val()) });
        panels
    }

    fn facets(&self) -> Facets<'_> {
        Facets { landscape: Some(self), generator: Some(self), encoder: Some((&self.model.encoder, &self.device)), ..Facets::default() }
    }
}

impl LandscapeSpace for KmAttractor {
    /// The iterate's address: the mean of q(y | x).
    fn point(&self, iterate: &Iterate) -> Option<Vec<f64>> {
        check_size(std::slice::from_ref(&iterate.image), SIDE, SIDE).ok()?;
        let (_, q_y) = self.model.encode_and_address(images_tensor(std::slice::from_ref(&iterate.image), &self.device));
        Some(latent_point(q_y.mean))
    }

    /// At address y: the decoder's mode at the memory's read Rᵀw(y), w = yA/√S (the prior
    /// mean of z given y and M), and that image's energy.
    fn energy_at(&self, point: &[f64]) -> Result<(f64, Image), MemoryError> {
        let state = self.state()?;
        let y = latent_tensor(point, self.config.address_size, "address", &self.device)?;
        let weights = self.model.weights(y);
        let k = weights.dims()[1];
        let code = mem::read(weights.reshape([1, 1, k]), state.mean.clone()).reshape([1, self.config.memory.code_size]);
        landscape_at_code(self, &self.model.decoder, code)
    }
}

impl Generator for KmAttractor {
    /// y ~ N(0, I), w = yA/√S, z = Rᵀw, decode (means).
    fn sample(&self, seed: u64) -> Result<Image, MemoryError> {
        let state = self.state()?;
        let s = self.config.address_size;
        let mut rng = SplitMix64::new(seed);
        let y: Vec<f32> = (0..s).map(|_| rng.normal() as f32).collect();
        let weights = self.model.weights(Tensor::from_data(TensorData::new(y, [1, s]), &self.device));
        let k = weights.dims()[1];
        let z = mem::read(weights.reshape([1, 1, k]), state.mean.clone()).reshape([1, self.config.memory.code_size]);
        Ok(decode_probabilities(&self.model.decoder, z).remove(0))
    }
}
