//! A trained DKM as an explorable [`AttractorMemory`]: write an episode from the prior, then
//! read iteratively with encode -> address -> read -> decode (docs/attractor.md), energy
//! F(x, μ) = −ln p(x | Rᵀμ) + KL(q(w)‖p(w)) (docs/attractor.md).

use std::sync::OnceLock;

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{Image, PIXELS, SIDE};
use crate::memory::attractor::{About, AddressStep, AddressedRead, Addressing, Evaluation, Generator, HeldAddress, Iterate, LandscapeSpace, MemoryError, Panel, ReadPlan, ReadUpdate, Term, WriteReport, check_size};
use crate::memory::dkm::{self as mem, Addresser, MemoryState};
use crate::rng::SplitMix64;

use super::address_search::{AddressEnergy, AddressSearch, Found, reconstruction_nats};
use super::explorable::{Explorable, Facets, TrainedAttractor};
use super::reading::{decode_probabilities, images_tensor, iterate_from_logits, memory_panels, to_f32, to_f64_scalar, write_report};
use super::networks::DecoderConfig;
use super::{Dkm, DkmConfig};

/// A DKM on an inference device with (optionally) a written memory.
pub struct DkmAttractor {
    model: Dkm,
    config: DkmConfig,
    device: Device,
    written: Option<Written>,
    /// The optimised address step's differentiable decoder, made on first use.
    search: OnceLock<AddressSearch>,
}

struct Written {
    state: MemoryState,
    addresser: Addresser,
    energy: AddressEnergy,
}

impl DkmAttractor {
    /// `model` should live on `device` without autodiff (see backend.rs).
    pub fn new(model: Dkm, config: DkmConfig, device: Device) -> Self {
        Self { model, config, device, written: None, search: OnceLock::new() }
    }

    /// The explorable memory called `name`.
    pub fn explorable(name: &str, model: Dkm, config: DkmConfig, device: Device) -> Explorable<Self> {
        Explorable::new(name, Self::new(model, config, device))
    }

    pub fn config(&self) -> &DkmConfig {
        &self.config
    }

    /// Holds `state` as the memory read from, with its addresser and energy.
    fn install(&mut self, state: MemoryState) {
        let [_, slots, code_size] = state.mean.dims();
        let prior_std = self.config.memory.w_prior_std;
        let log_w_std = to_f64_scalar(self.model.log_w_std.val());
        let energy = AddressEnergy {
            memory: to_f32(state.mean.clone()),
            slots,
            code_size,
            prior_var: prior_std * prior_std,
            kl_constant: slots as f64 * ((2.0 * log_w_std).exp() / (2.0 * prior_std * prior_std) - log_w_std + prior_std.ln() - 0.5),
        };
        self.written = Some(Written {
            addresser: Addresser::new(state.mean.clone(), &self.config.memory).with_address_map(),
            energy,
            state,
        });
    }

    fn written(&self) -> Result<&Written, MemoryError> {
        self.written.as_ref().ok_or(MemoryError::Empty)
    }

    fn search(&self) -> &AddressSearch {
        self.search.get_or_init(|| {
            let decoder_config = DecoderConfig::new(self.config.memory.code_size).with_arch(self.config.arch);
            AddressSearch::new(&self.model.decoder, &decoder_config, &self.device.clone().autodiff())
        })
    }

    /// μ(x): the amortised address of `image` (encoder, then the least-squares solve against
    /// the written memory).
    ///
    /// # Shapes
    /// - returns [K]
    pub fn address(&self, image: &Image) -> Result<Vec<f64>, MemoryError> {
        check_size(std::slice::from_ref(image), SIDE, SIDE)?;
        let written = self.written()?;
        let z = self.model.encoder.forward(images_tensor(std::slice::from_ref(image), &self.device));
        let c = z.dims()[1];
        Ok(to_f32(written.addresser.address(z.reshape([1, 1, c]))).into_iter().map(f64::from).collect())
    }

    /// Decoder logits of the read Rᵀμ.
    ///
    /// # Shapes
    /// - mu: [K] -> [784]
    pub fn logits_at(&self, mu: &[f64]) -> Result<Vec<f32>, MemoryError> {
        let written = self.written()?;
        let c = written.energy.code_size;
        let z = Tensor::<2>::from_data(TensorData::new(written.energy.codes(mu), [1, c]), &self.device);
        Ok(to_f32(self.model.decoder.forward(z)))
    }

    /// (−ln p(x | d(Rᵀμ)), KL(q(w)‖p(w))) in nats, from the logits at μ; their sum is
    /// F(x, μ) (docs/attractor.md).
    fn energy_terms(&self, image: &Image, mu: &[f64], logits: &[f32]) -> Result<(f64, f64), MemoryError> {
        Ok((reconstruction_nats(&image.pixels, logits), self.written()?.energy.kl(mu)))
    }

    /// The address `mu` held for `image`, with its logits and energy.
    fn found(&self, image: &Image, mu: Vec<f64>) -> Result<Found, MemoryError> {
        let logits = self.logits_at(&mu)?;
        let (recon, kl) = self.energy_terms(image, &mu, &logits)?;
        Ok(Found { mu, logits, energy: recon + kl, steps: 0 })
    }

    /// The optimised address for `image`: at most `steps` gradient steps from `start`.
    pub fn optimise_address(&self, image: &Image, start: Found, steps: usize) -> Result<Found, MemoryError> {
        let written = self.written()?;
        Ok(self.search().descend(&self.model.decoder, &self.device, &written.energy, &image.pixels, start, steps))
    }

    /// Iterate `image` holding `found`.
    fn iterate(&self, image: Image, found: Found, pixel_step_energy: Option<f64>, address_step: AddressStep) -> Result<Iterate, MemoryError> {
        let (recon, kl_w) = self.energy_terms(&image, &found.mu, &found.logits)?;
        let evaluation = evaluation(recon, kl_w, &found.mu);
        let held = HeldAddress { weights: found.mu, logits: found.logits };
        Ok(Iterate { image, evaluation, held: Some(held), pixel_step_energy, address_step: Some(address_step) })
    }
}

/// The explorer's view of F at an address.
fn evaluation(recon: f64, kl_w: f64, mu: &[f64]) -> Evaluation {
    Evaluation {
        energy: Some(recon + kl_w),
        terms: vec![Term::new("reconstruction nats", recon), Term::new("KL(w) nats", kl_w)],
        weights: Some(mu.iter().map(|&m| m as f32).collect()),
        parts: Vec::new(),
    }
}

impl TrainedAttractor for DkmAttractor {
    /// Its size: the memory's mean K·C and covariance K².
    fn about(&self, name: String) -> About {
        let (k, c) = (self.config.memory.slots, self.config.memory.code_size);
        About::new(name, "nats", k * c + k * k)
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        let images = images_tensor(episode, &self.device).reshape([1, episode.len(), PIXELS]);
        let (state, _) = self.model.write(images, &self.config);
        let kl = to_f64_scalar(mem::kl_memory(&state, self.model.prior_mean.val(), self.model.prior_log_var.val()));
        self.install(state);
        Ok(write_report(kl, episode.len()))
    }

    fn forget(&mut self) {
        self.install(self.model.memory_prior(1));
    }

    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError> {
        let found = self.found(image, self.address(image)?)?;
        let (recon, kl_w) = self.energy_terms(image, &found.mu, &found.logits)?;
        Ok((evaluation(recon, kl_w, &found.mu), iterate_from_logits(&found.logits, update, seed)))
    }

    fn inspect(&self, _stored: &[Image]) -> Vec<Panel> {
        self.written.as_ref().map_or_else(Vec::new, |w| memory_panels(&w.state, &self.model.decoder))
    }

    fn facets(&self) -> Facets<'_> {
        Facets { addressed: Some(self), landscape: Some(self), generator: Some(self), encoder: Some((&self.model.encoder, &self.device)) }
    }
}

impl AddressedRead for DkmAttractor {
    fn start_read(&self, query: &Image, plan: &ReadPlan) -> Result<Iterate, MemoryError> {
        let amortised = self.found(query, self.address(query)?)?;
        match plan.addressing {
            Addressing::Optimised if plan.optimise_query => {
                let found = self.optimise_address(query, amortised, plan.search_steps)?;
                let steps = found.steps;
                self.iterate(query.clone(), found, None, AddressStep::Optimised { steps })
            }
            _ => self.iterate(query.clone(), amortised, None, AddressStep::Amortised),
        }
    }

    /// The pixel step from the held address, then the address step (docs/attractor.md and
    /// [`Addressing`]): F(x_{n+1}, μ_n) <= F(x_n, μ_n) for the mode update, and the guarded
    /// and optimised address steps never raise F(x_{n+1}, ·) above F(x_{n+1}, μ_n).
    fn read_step(&self, current: &Iterate, plan: &ReadPlan, seed: u64) -> Result<Iterate, MemoryError> {
        let Some(held) = &current.held else {
            return self.read_step(&self.start_read(&current.image, plan)?, plan, seed);
        };
        let next = iterate_from_logits(&held.logits, plan.update, seed);
        let kept = {
            let (recon, kl) = self.energy_terms(&next, &held.weights, &held.logits)?;
            Found { mu: held.weights.clone(), logits: held.logits.clone(), energy: recon + kl, steps: 0 }
        };
        let pixel_step_energy = kept.energy;
        let amortised = self.found(&next, self.address(&next)?)?;
        let (found, step) = match plan.addressing {
            Addressing::Amortised => (amortised, AddressStep::Amortised),
            Addressing::Guarded if amortised.energy <= kept.energy => (amortised, AddressStep::Amortised),
            Addressing::Guarded => (kept, AddressStep::Kept),
            Addressing::Optimised => {
                let start = if amortised.energy <= kept.energy { amortised } else { kept };
                let found = self.optimise_address(&next, start, plan.search_steps)?;
                let steps = found.steps;
                (found, AddressStep::Optimised { steps })
            }
        };
        self.iterate(next, found, Some(pixel_step_energy), step)
    }
}

impl LandscapeSpace for DkmAttractor {
    fn point(&self, iterate: &Iterate) -> Option<Vec<f64>> {
        iterate.held.as_ref().map(|held| held.weights.clone())
    }

    /// F(x*(μ), μ): the energy of the most likely image at address μ, and that image.
    fn energy_at(&self, point: &[f64]) -> Result<(f64, Image), MemoryError> {
        if point.len() != self.config.memory.slots {
        return Err(MemoryError::Model(format!("a landscape point of {} values for {} slots", point.len(), self.config.memory.slots)));
        }
        let logits = self.logits_at(point)?;
        let image = iterate_from_logits(&logits, ReadUpdate::Mode, 0);
        let (recon, kl) = self.energy_terms(&image, point, &logits)?;
        Ok((recon + kl, image))
    }
}

impl Generator for DkmAttractor {
    /// A sample: w ~ N(0, σp² I), z = Rᵀw, one read through the memory, decode (means).
    fn sample(&self, seed: u64) -> Result<Image, MemoryError> {
        let written = self.written()?;
        let k = self.config.memory.slots;
        let mut rng = SplitMix64::new(seed);
        let w: Vec<f32> = (0..k).map(|_| (rng.normal() * self.config.memory.w_prior_std) as f32).collect();
        let w = Tensor::<3>::from_data(TensorData::new(w, [1, 1, k]), &self.device);
        let z0 = mem::read(w, written.state.mean.clone());
        let zhat = mem::read(written.addresser.address(z0), written.state.mean.clone());
        let c = zhat.dims()[2];
        Ok(decode_probabilities(&self.model.decoder, zhat.reshape([1, c])).remove(0))
    }
}
