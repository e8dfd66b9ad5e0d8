//! A trained Kanerva++ as an explorable [`AttractorMemory`]: a write computes the spatial memory
//! M of the episode; a read step encodes the image, takes its key's mean window, reads the block,
//! and decodes the prior mean μ_p(M, y). The energy of an image is K++'s bound at the latents'
//! means: −ln p(x | μ_z) + KL(q(z|x) ‖ p(z|M, μ_y)) + KL(q(y|x) ‖ N(0, I)).

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{Image, SIDE};
use crate::memory::attractor::{About, Evaluation, Generator, Iterate, LandscapeSpace, MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size};
use crate::rng::SplitMix64;

use super::kpp::Gaussian;
use super::explorable::{Explorable, Facets, TrainedAttractor};
use super::reading::{decode_probabilities, images_tensor, landscape_at_code, latent_point, latent_tensor, next_iterate, to_f32, to_f64_scalar};
use super::{Kpp, KppConfig, bernoulli_log_likelihood};

pub struct KppAttractor {
    model: Kpp,
    config: KppConfig,
    device: Device,
    written: Option<Written>,
}

struct Written {
    /// M. [1, C_m, S, S]
    memory: Tensor<4>,
    /// Each stored item's key mean and std (3 + 3 numbers).
    keys: Vec<[f32; 6]>,
}

/// One image's read.
struct Read {
    q_y: Gaussian,
    q_z: Gaussian,
    prior: Gaussian,
}

impl KppAttractor {
    pub fn new(model: Kpp, config: KppConfig, device: Device) -> Self {
        Self { model, config, device, written: None }
    }

    /// The explorable memory called `name`.
    pub fn explorable(name: &str, model: Kpp, config: KppConfig, device: Device) -> Explorable<Self> {
        Explorable::new(name, Self::new(model, config, device))
    }

    fn written(&self) -> Result<&Written, MemoryError> {
        self.written.as_ref().ok_or(MemoryError::Empty)
    }

    /// q(y | x) and q(z | x) of one image.
    fn posteriors(&self, image: &Image) -> Result<(Gaussian, Gaussian), MemoryError> {
        check_size(std::slice::from_ref(image), SIDE, SIDE)?;
        let features = self.model.encoder.forward(images_tensor(std::slice::from_ref(image), &self.device));
        Ok(self.model.posteriors(features))
    }

    fn read(&self, image: &Image) -> Result<Read, MemoryError> {
        let (q_y, q_z) = self.posteriors(image)?;
        let written = self.written()?;
        let prior = self.model.memory_prior(written.memory.clone(), q_y.mean.clone(), &self.config);
        Ok(Read { q_y, q_z, prior })
    }

    /// The window (scale, x, y) of a key, as numbers.
    fn window_of(&self, y: Tensor<2>) -> (f32, f32, f32) {
        let (s, tx, ty) = self.model.window(y, &self.config);
        (to_f32(s)[0], to_f32(tx)[0], to_f32(ty)[0])
    }
}

impl TrainedAttractor for KppAttractor {
    /// Its size: C_m · S · S.
    fn about(&self, name: String) -> About {
        let floats = self.config.memory_channels * self.config.memory_side * self.config.memory_side;
        About::new(name, "nats", floats).weights("the key's read window", "0: scale, 1: shift x, 2: shift y")
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        let features = self.model.encoder.forward(images_tensor(episode, &self.device));
        let f = features.dims()[1];
        let memory = self.model.write(features.clone().reshape([1, episode.len(), f]), &self.config);
        let (q_y, _) = self.model.posteriors(features);
        let (mean, log_std) = (to_f32(q_y.mean), to_f32(q_y.log_std));
        let keys = (0..episode.len()).map(|i| [mean[3 * i], mean[3 * i + 1], mean[3 * i + 2], log_std[3 * i].exp(), log_std[3 * i + 1].exp(), log_std[3 * i + 2].exp()]).collect();
        let norm = to_f64_scalar(memory.clone().square().sum().sqrt());
        self.written = Some(Written { memory, keys });
        Ok(WriteReport { stored: episode.len(), terms: vec![Term::new("|M|", norm)] })
    }

    /// The memory of an empty episode: the write's sum over items is zero, then the write's
    /// convolution (its bias) as for any episode.
    fn forget(&mut self) {
        let (c, s) = (self.config.memory_channels, self.config.memory_side);
        let memory = crate::kernels::fast_conv::FusedForward::forward_fused(&self.model.write_conv, Tensor::zeros([1, c, s, s], &self.device));
        self.written = Some(Written { memory, keys: Vec::new() });
    }

    fn step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<Image, MemoryError> {
        let read = self.read(image)?;
        Ok(next_iterate(self.model.decoder.forward(read.prior.mean), update, seed))
    }

    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError> {
        let read = self.read(image)?;
        let target = images_tensor(std::slice::from_ref(image), &self.device);
        let recon = -to_f64_scalar(bernoulli_log_likelihood(target, self.model.decoder.forward(read.q_z.mean.clone())));
        let kl_z = to_f64_scalar(read.q_z.kl(&read.prior));
        let kl_y = to_f64_scalar(read.q_y.kl_standard());
        let (s, tx, ty) = self.window_of(read.q_y.mean.clone());
        let evaluation = Evaluation {
            energy: Some(recon + kl_z + kl_y),
            terms: vec![Term::new("reconstruction nats", recon), Term::new("KL(z) nats", kl_z), Term::new("KL(y) nats", kl_y)],
            // The read window: scale and shift.
            weights: Some(vec![s, tx, ty]), parts: Vec::new() };
        let next = next_iterate(self.model.decoder.forward(read.prior.mean), update, seed);
        Ok((evaluation, next))
    }

    fn inspect(&self, _stored: &[Image]) -> Vec<Panel> {
        let Some(w) = &self.written else { return Vec::new() };
        let [_, c, s, _] = w.memory.dims();
        let values = to_f32(w.memory.clone());
        let mut panels: Vec<Panel> = (0..c.min(8))
            .map(|ch| Panel::Heatmap { title: format!("memory M, channel {ch} ({s} × {s})"), rows: s, cols: s, values: values[ch * s * s..(ch + 1) * s * s].to_vec() })
            .collect();
        // Where the stored items read: each key's mean window, accumulated over the memory grid.
        let mut coverage = vec![0.0f32; s * s];
        for key in &w.keys {
            let y = Tensor::<2>::from_data(TensorData::new(key[..3].to_vec(), [1, 3]), &self.device);
            let (scale, tx, ty) = self.window_of(y);
            let to_cell = |v: f32| ((v + 1.0) / 2.0 * (s as f32 - 1.0)).round().clamp(0.0, s as f32 - 1.0) as usize;
            let (r0, r1) = (to_cell(ty - scale), to_cell(ty + scale));
            let (c0, c1) = (to_cell(tx - scale), to_cell(tx + scale));
            for r in r0..=r1 {
                for col in c0..=c1 {
                    coverage[r * s + col] += 1.0;
                }
            }
        }
        panels.insert(0, Panel::Heatmap { title: format!("read windows of the {} stored items (count per cell)", w.keys.len()), rows: s, cols: s, values: coverage });
        panels
    }

    fn facets(&self) -> Facets<'_> {
        Facets { landscape: Some(self), generator: Some(self), encoder: Some((&self.model.encoder, &self.device)), ..Facets::default() }
    }
}

impl LandscapeSpace for KppAttractor {
    /// The iterate's key: the mean of q(y | x) (scale and shift of its read window).
    fn point(&self, iterate: &Iterate) -> Option<Vec<f64>> {
        let (q_y, _) = self.posteriors(&iterate.image).ok()?;
        Some(latent_point(q_y.mean))
    }

    /// At key y: the decoder's mode at the prior mean μ_p(M, y) of the block y's window
    /// reads (what a read step decodes), and that image's energy.
    fn energy_at(&self, point: &[f64]) -> Result<(f64, Image), MemoryError> {
        let written = self.written()?;
        let y = latent_tensor(point, 3, "key", &self.device)?;
        let prior = self.model.memory_prior(written.memory.clone(), y, &self.config);
        landscape_at_code(self, &self.model.decoder, prior.mean)
    }
}

impl Generator for KppAttractor {
    /// y ~ N(0, I), the block at its window, z = μ_p, decode (means).
    fn sample(&self, seed: u64) -> Result<Image, MemoryError> {
        let written = self.written()?;
        let mut rng = SplitMix64::new(seed);
        let y: Vec<f32> = (0..3).map(|_| rng.normal() as f32).collect();
        let y = Tensor::<2>::from_data(TensorData::new(y, [1, 3]), &self.device);
        let prior = self.model.memory_prior(written.memory.clone(), y, &self.config);
        Ok(decode_probabilities(&self.model.decoder, prior.mean).remove(0))
    }
}
