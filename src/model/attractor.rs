//! A trained DKM as an explorable [`AttractorMemory`]: write an episode from the prior, then
//! read iteratively with encode -> address -> read -> decode (spec §8), energy
//! F(x, μ) = −ln p(x | Rᵀμ) + KL(q(w)‖p(w)) (spec §8.2).

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{Image, PIXELS, SIDE};
use crate::memory::attractor::{AttractorMemory, Evaluation, MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size};
use crate::memory::dkm::{self as mem, Addresser, MemoryState};
use crate::rng::SplitMix64;

use super::reading::{encoder_embeddings, check_episode, write_report, decode_probabilities, images_tensor, memory_panels, next_iterate, to_f32, to_f64_scalar};
use super::{Dkm, DkmConfig, bernoulli_log_likelihood};

/// A DKM on an inference device with (optionally) a written memory.
pub struct DkmAttractor {
    pub name: String,
    model: Dkm,
    config: DkmConfig,
    device: Device,
    written: Option<Written>,
}

struct Written {
    state: MemoryState,
    addresser: Addresser,
    stored: Vec<Image>,
}

impl DkmAttractor {
    /// `model` should live on `device` without autodiff (see backend.rs).
    pub fn new(name: &str, model: Dkm, config: DkmConfig, device: Device) -> Self {
        Self { name: name.to_string(), model, config, device, written: None }
    }

    pub fn config(&self) -> &DkmConfig {
        &self.config
    }

    fn written(&self) -> Result<&Written, MemoryError> {
        self.written.as_ref().ok_or(MemoryError::Empty)
    }

    /// Addressing means and decoder logits of one image against the written memory.
    fn address_and_decode(&self, image: &Image) -> Result<(Tensor<3>, Tensor<2>), MemoryError> {
        let mu = self.address(image)?;
        let logits = self.decode_at(mu.clone())?;
        Ok((mu, logits))
    }

    /// μ(x): the addressing means of `image` (encoder, then the least-squares solve against
    /// the written memory).
    ///
    /// # Shapes
    /// - returns [1, 1, K]
    pub fn address(&self, image: &Image) -> Result<Tensor<3>, MemoryError> {
        check_size(std::slice::from_ref(image), SIDE, SIDE)?;
        let written = self.written()?;
        let z = self.model.encoder.forward(images_tensor(std::slice::from_ref(image), &self.device));
        let c = z.dims()[1];
        Ok(written.addresser.address(z.reshape([1, 1, c])))
    }

    /// Decoder logits of the read Rᵀμ.
    ///
    /// # Shapes
    /// - mu: [1, 1, K] -> [1, 784]
    fn decode_at(&self, mu: Tensor<3>) -> Result<Tensor<2>, MemoryError> {
        let written = self.written()?;
        let c = written.state.mean.dims()[2];
        Ok(self.model.decoder.forward(mem::read(mu, written.state.mean.clone()).reshape([1, c])))
    }

    /// F(x, μ) = −ln p(x | Rᵀμ) + KL(q(w)‖p(w)) at a given address (spec §8.2), and its two
    /// terms.
    pub fn energy_terms_at(&self, image: &Image, mu: Tensor<3>) -> Result<(f64, f64), MemoryError> {
        let logits = self.decode_at(mu.clone())?;
        Ok(self.energy_terms(image, mu, logits))
    }

    /// (reconstruction nats, KL(w) nats) of `image` at address `mu` whose read decodes to
    /// `logits`.
    fn energy_terms(&self, image: &Image, mu: Tensor<3>, logits: Tensor<2>) -> (f64, f64) {
        let target = images_tensor(std::slice::from_ref(image), &self.device);
        let recon = -to_f64_scalar(bernoulli_log_likelihood(target, logits));
        let kl_w = to_f64_scalar(mem::kl_addressing(mu, self.model.log_w_std.val(), self.config.memory.w_prior_std).reshape([1]));
        (recon, kl_w)
    }

    /// F(x, μ), the sum of [`Self::energy_terms_at`].
    pub fn energy_at(&self, image: &Image, mu: Tensor<3>) -> Result<f64, MemoryError> {
        self.energy_terms_at(image, mu).map(|(recon, kl)| recon + kl)
    }

    /// The mode of p(x | Rᵀμ): the image that maximises the likelihood term at μ.
    pub fn mode_at(&self, mu: Tensor<3>) -> Result<Image, MemoryError> {
        Ok(next_iterate(self.decode_at(mu)?, ReadUpdate::Mode, 0))
    }
}

impl AttractorMemory for DkmAttractor {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn energy_unit(&self) -> &'static str {
        "nats"
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        check_episode(episode)?;
        let images = images_tensor(episode, &self.device).reshape([1, episode.len(), PIXELS]);
        let (state, _) = self.model.write(images, &self.config);
        let kl = to_f64_scalar(mem::kl_memory(&state, self.model.prior_mean.val(), self.model.prior_log_var.val()));
        self.written = Some(Written {
            addresser: Addresser::new(state.mean.clone(), &self.config.memory).with_address_map(),
            state,
            stored: episode.to_vec(),
        });
        Ok(write_report(kl, episode.len()))
    }

    fn stored(&self) -> &[Image] {
        self.written.as_ref().map_or(&[], |w| &w.stored)
    }

    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError> {
        self.evaluate_and_step(image, ReadUpdate::Mode, 0).map(|(evaluation, _)| evaluation)
    }

    fn step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<Image, MemoryError> {
        let (_, logits) = self.address_and_decode(image)?;
        Ok(next_iterate(logits, update, seed))
    }

    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError> {
        let (mu, logits) = self.address_and_decode(image)?;
        let (recon, kl_w) = self.energy_terms(image, mu.clone(), logits.clone());
        let k = mu.dims()[2];
        let evaluation = Evaluation {
            energy: Some(recon + kl_w),
            terms: vec![Term::new("reconstruction nats", recon), Term::new("KL(w) nats", kl_w)],
            weights: Some(to_f32(mu.reshape([1, k]))), parts: Vec::new() };
        Ok((evaluation, next_iterate(logits, update, seed)))
    }

    /// Spec §8.4: w ~ N(0, σp² I), z = Rᵀw, one read through the memory, decode (means).
    fn sample(&self, seed: u64) -> Option<Result<Image, MemoryError>> {
        Some((|| {
            let written = self.written()?;
            let k = self.config.memory.slots;
            let mut rng = SplitMix64::new(seed);
            let w: Vec<f32> = (0..k).map(|_| (rng.normal() * self.config.memory.w_prior_std) as f32).collect();
            let w = Tensor::<3>::from_data(TensorData::new(w, [1, 1, k]), &self.device);
            let z0 = mem::read(w, written.state.mean.clone());
            let zhat = mem::read(written.addresser.address(z0), written.state.mean.clone());
            let c = zhat.dims()[2];
            Ok(decode_probabilities(&self.model.decoder, zhat.reshape([1, c])).remove(0))
        })())
    }

    fn embed(&self, images: &[Image]) -> Option<Vec<Vec<f32>>> {
        encoder_embeddings(&self.model.encoder, images, &self.device)
    }

    fn inspect(&self) -> Vec<Panel> {
        self.written.as_ref().map_or_else(Vec::new, |w| memory_panels(&w.state, &self.model.decoder))
    }
}
