//! A trained Product Kanerva Machine as an explorable [`AttractorMemory`]: write an episode
//! into the N machines, then read iteratively by the bound: encode, take the machine posterior
//! q(c | x) = γ/S (S what the gates sum to), address and decode every machine, and step the
//! pixels on the q-weighted logits Σ_c q_c ℓ_c (with q and the addresses held, that threshold
//! minimises the bound's reconstruction −Σ_c q_c ln p(x | ℓ_c)). The energy of an image x is the
//! PKM's bound at its own address with c enumerated,
//! F(x) = −Σ_c q_c ln p(x | d(R_cᵀ μ_c)) + Σ_c q_c KL(w_c) + KL(c) (docs/pkm.md).

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{Image, PIXELS, SIDE};
use crate::memory::attractor::{About, Evaluation, Generator, MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size};
use crate::memory::dkm::{self as mem, Addresser, MemoryState};
use crate::memory::product::{kl_machines, per_machine, product_read};
use crate::rng::SplitMix64;

use super::explorable::{Explorable, Facets, TrainedAttractor};
use super::reading::{decode_probabilities, images_tensor, next_iterate, probability_images, to_f32, to_f64_scalar, write_report};
use super::{Pkm, PkmConfig, bernoulli_log_likelihood};

/// A PKM on an inference device with (optionally) a written episode.
pub struct PkmAttractor {
    model: Pkm,
    config: PkmConfig,
    device: Device,
    written: Option<Written>,
}

struct Written {
    /// The N machines of the episode (batch axis = machines).
    state: MemoryState,
    addresser: Addresser,
    /// The stored items' gates. [T, N]
    gates: Vec<f32>,
}

/// What one image's read goes through.
struct Read {
    /// Each machine's address. [N, 1, K]
    mu: Tensor<3>,
    /// The image's gates γ = S q(c | x). [1, 1, N]
    gates: Tensor<3>,
    /// Each machine's decoded read ℓ_c = d(R_cᵀ μ_c). [N, 784]
    machine_logits: Tensor<2>,
    /// The q-weighted logits Σ_c q_c ℓ_c, what the next iterate is made from. [1, 784]
    logits: Tensor<2>,
}

impl PkmAttractor {
    /// `model` should live on `device` without autodiff.
    pub fn new(model: Pkm, config: PkmConfig, device: Device) -> Self {
        Self { model, config, device, written: None }
    }

    /// The explorable memory called `name`.
    pub fn explorable(name: &str, model: Pkm, config: PkmConfig, device: Device) -> Explorable<Self> {
        Explorable::new(name, Self::new(model, config, device))
    }

    fn written(&self) -> Result<&Written, MemoryError> {
        self.written.as_ref().ok_or(MemoryError::Empty)
    }

    /// The gates γ(e(x)) of images. [M, N]
    pub fn gates_of(&self, images: &[Image]) -> Result<Vec<f32>, MemoryError> {
        check_size(images, SIDE, SIDE)?;
        let z = self.model.encoder.forward(images_tensor(images, &self.device));
        Ok(to_f32(self.model.gates(z, &self.config)))
    }

    /// Gates, addresses, each machine's decoded read and their q-weighted logits, of one image.
    fn read(&self, image: &Image) -> Result<Read, MemoryError> {
        let written = self.written()?;
        let n = self.model.machines();
        let z = self.model.encoder.forward(images_tensor(std::slice::from_ref(image), &self.device));
        let c = z.dims()[1];
        let gates = self.model.gates(z.clone(), &self.config).reshape([1, 1, n]);
        let mu = written.addresser.address(per_machine(z.reshape([1, 1, c]), n));
        let machine_logits = self.model.decoder.forward(mem::read(mu.clone(), written.state.mean.clone()).reshape([n, c]));
        let share = gates.clone().reshape([n, 1]).div_scalar(self.config.gate_total());
        let logits = (machine_logits.clone() * share).sum_dim(0);
        Ok(Read { mu, gates, machine_logits, logits })
    }

    /// (reconstruction, KL(w), KL(c)) of `image` under its read, the machine enumerated:
    /// −Σ_c q_c ln p(x | ℓ_c), Σ_c q_c KL(w_c), KL(q(c | x) ‖ U(N)).
    fn energy_terms(&self, image: &Image, read: &Read) -> (f64, f64, f64) {
        let n = self.model.machines();
        let target = images_tensor(std::slice::from_ref(image), &self.device).repeat_dim(0, n);
        let share = read.gates.clone().reshape([n]).div_scalar(self.config.gate_total());
        let log_likelihoods = bernoulli_log_likelihood(target, read.machine_logits.clone()); // [N]
        let recon = -to_f64_scalar((log_likelihoods * share.clone()).sum());
        let kl_w = to_f64_scalar((mem::kl_addressing(read.mu.clone(), self.model.log_w_std.val(), self.config.memory.w_prior_std).reshape([n]) * share.clone()).sum());
        let share = to_f32(share);
        let entropy: f64 = share.iter().map(|&p| f64::from(p)).filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum();
        (recon, kl_w, (n as f64).ln() - entropy)
    }
}

impl TrainedAttractor for PkmAttractor {
    /// Its size: N machines of K·C + K².
    fn about(&self, name: String) -> About {
        let (k, c) = (self.config.memory.slots, self.config.memory.code_size);
        About::new(name, "nats", self.config.machines * (k * c + k * k))
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        let images = images_tensor(episode, &self.device).reshape([1, episode.len(), PIXELS]);
        let written = self.model.write(images, &self.config);
        let kl = to_f64_scalar(kl_machines(&written.state, self.model.prior_mean.val(), self.model.prior_log_var.val()).sum());
        self.written = Some(Written {
            addresser: Addresser::new(written.state.mean.clone(), &self.config.memory).with_address_map(),
            state: written.state,
            gates: to_f32(written.gates),
        });
        Ok(write_report(kl, episode.len()))
    }

    fn forget(&mut self) {
        let state = self.model.memory_prior(1);
        self.written = Some(Written { addresser: Addresser::new(state.mean.clone(), &self.config.memory).with_address_map(), state, gates: Vec::new() });
    }

    fn step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<Image, MemoryError> {
        Ok(next_iterate(self.read(image)?.logits, update, seed))
    }

    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError> {
        let read = self.read(image)?;
        let (recon, kl_w, kl_c) = self.energy_terms(image, &read);
        // What each machine alone reads for this image (its own R_kᵀ μ_k, decoded by `read`).
        let gates = to_f32(read.gates.clone());
        let parts = probability_images(read.machine_logits.clone()).into_iter().enumerate().map(|(k, im)| (format!("machine {k} (q = {:.2})", gates[k] / self.config.gate_total() as f32), im)).collect();
        let evaluation = Evaluation {
            energy: Some(recon + kl_w + kl_c),
            terms: vec![Term::new("reconstruction nats", recon), Term::new("KL(w) nats", kl_w), Term::new("KL(c) nats", kl_c)],
            // Every machine's address, machine after machine.
            weights: Some(to_f32(read.mu.clone())),
            parts,
        };
        Ok((evaluation, next_iterate(read.logits, update, seed)))
    }

    fn inspect(&self, stored: &[Image]) -> Vec<Panel> {
        let Some(w) = &self.written else { return Vec::new() };
        let [n, k, c] = w.state.mean.dims();
        let t = stored.len();
        let mut usage = vec![0.0f32; n];
        for row in w.gates.chunks(n) {
            usage.iter_mut().zip(row).for_each(|(u, g)| *u += g / (self.config.gate_total() as f32 * t as f32));
        }
        let rows = w.state.mean.clone().reshape([n * k, c]);
        // Which machine each stored item went to: its largest gate, i.e. its most likely c.
        let dominant: Vec<usize> = w.gates.chunks(n).map(|g| (0..n).max_by(|&a, &b| g[a].total_cmp(&g[b])).unwrap_or(0)).collect();
        let by_machine = (0..n).map(|m| {
            let items: Vec<Image> = dominant.iter().zip(stored).filter(|(d, _)| **d == m).map(|(_, im)| im.clone()).collect();
            Panel::Images { title: format!("machine {m}: the stored items whose most likely machine it is"), images: items }
        });
        let mut panels: Vec<Panel> = by_machine.collect();
        panels.extend([
            Panel::Heatmap { title: "gates γ of the stored items (items × machines)".into(), rows: t, cols: n, values: w.gates.clone() },
            Panel::Heatmap { title: "machine usage: share of the gates (1 × machines)".into(), rows: 1, cols: n, values: usage },
            Panel::Heatmap { title: "memory means R_k, machine after machine (N·K × C)".into(), rows: n * k, cols: c, values: to_f32(rows.clone()) },
            Panel::Images { title: "decoded memory rows d(R_k), machine after machine".into(), images: decode_probabilities(&self.model.decoder, rows) },
        ]);
        panels
    }

    fn facets(&self) -> Facets<'_> {
        Facets { generator: Some(self), encoder: Some((&self.model.encoder, &self.device)), ..Facets::default() }
    }
}

impl Generator for PkmAttractor {
    /// c ~ U(N), w ~ N(0, σp² I) in machine c, its read z0 = R_cᵀ w, one read of z0 through
    /// the memory with all the gate on machine c, decode (means).
    fn sample(&self, seed: u64) -> Result<Image, MemoryError> {
        let written = self.written()?;
        let (n, k) = (self.model.machines(), self.config.memory.slots);
        let mut rng = SplitMix64::new(seed);
        let machine = rng.below(n);
        let w: Vec<f32> = (0..n * k).map(|_| (rng.normal() * self.config.memory.w_prior_std) as f32).collect();
        let w = Tensor::<3>::from_data(TensorData::new(w, [n, 1, k]), &self.device);
        let mut one_hot = vec![0.0f32; n];
        one_hot[machine] = self.config.gate_total() as f32;
        let gates = Tensor::<3>::from_data(TensorData::new(one_hot, [1, 1, n]), &self.device);
        let z0 = product_read(mem::read(w, written.state.mean.clone()), gates.clone()); // [1, 1, C]
        let mu = written.addresser.address(per_machine(z0, n));
        let zhat = product_read(mem::read(mu, written.state.mean.clone()), gates);
        let c = zhat.dims()[2];
        Ok(decode_probabilities(&self.model.decoder, zhat.reshape([1, c])).remove(0))
    }
}
