//! The optimised address step of a DKM read: for a fixed image x, lower
//! F(x, μ) = −ln p(x | d(Rᵀμ)) + ‖μ‖²/(2σp²) + const
//! over the address μ by gradient steps through the decoder, each with a line search that only
//! accepts a lower F. F therefore never rises, by construction, whatever the decoder.
//!
//! The gradient: ∂F/∂μ = R ∂F/∂z + μ/σp² with z = Rᵀμ; ∂F/∂z is one backward pass of the
//! decoder on an autodiff copy of it (parameters frozen). The line search is batched: the
//! candidates μ − η·s·g for a ladder of scales s are decoded in one forward pass and the lowest
//! one is taken if it lowers F enough (Armijo); the accepted scale seeds the next step's ladder.
//! One inner step costs one decoder backward and one batched decoder forward.

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Device, Tensor, TensorData};

use crate::data::PIXELS;

use super::networks::{Decoder, DecoderConfig, bernoulli_log_likelihood};
use super::reading::to_f32;

/// Scales of the line search, relative to the current step length: the largest first.
const LADDER: [f64; 6] = [4.0, 1.0, 0.25, 1.0 / 16.0, 1.0 / 128.0, 1.0 / 1024.0];
/// Armijo's sufficient-decrease constant.
const ARMIJO: f64 = 1e-4;

/// What the energy is made of, fixed while a memory is written.
#[derive(Debug, Clone)]
pub struct AddressEnergy {
    /// R, the written memory's mean, row-major. [K, C]
    pub memory: Vec<f32>,
    pub slots: usize,
    pub code_size: usize,
    /// σp², the prior variance of the addressing weights.
    pub prior_var: f64,
    /// The μ-independent part of KL(q(w)‖p(w)): K(σw²/(2σp²) − ln σw + ln σp − ½).
    pub kl_constant: f64,
}

impl AddressEnergy {
    /// z = Rᵀμ for each address in `addresses` (row-major, [N, K]) -> [N, C] row-major.
    pub fn codes(&self, addresses: &[f64]) -> Vec<f32> {
        let (k, c) = (self.slots, self.code_size);
        let mut out = vec![0f32; addresses.len() / k * c];
        for (mu, z) in addresses.chunks(k).zip(out.chunks_mut(c)) {
            for (m, row) in mu.iter().zip(self.memory.chunks(c)) {
                for (zj, r) in z.iter_mut().zip(row) {
                    *zj += (*m as f32) * r;
                }
            }
        }
        out
    }

    /// KL(q(w)‖p(w)) at μ, in nats.
    pub fn kl(&self, mu: &[f64]) -> f64 {
        mu.iter().map(|m| m * m).sum::<f64>() / (2.0 * self.prior_var) + self.kl_constant
    }
}

/// −ln p(x | logits) = Σ softplus(l) − x·l, in f64 so that every comparison of a read agrees.
///
/// # Shapes
/// - image, logits: [784]
pub fn reconstruction_nats(image: &[f32], logits: &[f32]) -> f64 {
    image
        .iter()
        .zip(logits)
        .map(|(&x, &l)| {
            let l = l as f64;
            l.max(0.0) + (-l.abs()).exp().ln_1p() - x as f64 * l
        })
        .sum()
}

/// A copy of `decoder` (built from `config`, on an inference device) on `autodiff_device`, its
/// parameters frozen: differentiable with respect to its input only. The copy goes through the
/// record's bytes: `fork` of a clone would move the parameters the two share, and the
/// inference decoder with them.
pub(crate) fn frozen_autodiff_copy(decoder: &Decoder, config: &DecoderConfig, autodiff_device: &Device) -> Decoder {
    decoder
        .clone()
        .into_record()
        .into_bytes()
        .ok()
        .and_then(|bytes| ModuleRecord::from_bytes(bytes).ok())
        .and_then(|record| config.init(autodiff_device).try_load_record(record).ok())
        .expect("a decoder's own record loads into a decoder of its config")
        .no_grad()
}

/// A decoder that can be differentiated with respect to its input, and the search settings.
pub struct AddressSearch {
    autodiff_decoder: Decoder,
    autodiff_device: Device,
}

/// The result of a search: the address, its logits and energy, and how many steps were taken.
#[derive(Debug, Clone)]
pub struct Found {
    pub mu: Vec<f64>,
    pub logits: Vec<f32>,
    pub energy: f64,
    pub steps: usize,
}

impl AddressSearch {
    /// `decoder` (built from `config`) lives on an inference device; the search keeps a frozen
    /// copy on `autodiff_device` ([`frozen_autodiff_copy`]).
    pub fn new(decoder: &Decoder, config: &DecoderConfig, autodiff_device: &Device) -> Self {
        Self { autodiff_decoder: frozen_autodiff_copy(decoder, config, autodiff_device), autodiff_device: autodiff_device.clone() }
    }

    /// ∂F/∂μ at μ for `image`.
    ///
    /// # Shapes
    /// - image: [784]; mu: [K]; returns [K]
    fn gradient(&self, energy: &AddressEnergy, image: &[f32], mu: &[f64]) -> Vec<f64> {
        let c = energy.code_size;
        let z = Tensor::<2>::from_data(TensorData::new(energy.codes(mu), [1, c]), &self.autodiff_device).require_grad();
        let logits = self.autodiff_decoder.forward(z.clone());
        let target = Tensor::<2>::from_data(TensorData::new(image.to_vec(), [1, PIXELS]), &self.autodiff_device);
        let nll = bernoulli_log_likelihood(target, logits).neg().sum();
        let grads = nll.backward();
        let dz = z.grad(&grads).map(to_f32).unwrap_or_else(|| vec![0.0; c]);
        energy
            .memory
            .chunks(c)
            .zip(mu)
            .map(|(row, m)| row.iter().zip(&dz).map(|(r, g)| (*r as f64) * (*g as f64)).sum::<f64>() + m / energy.prior_var)
            .collect()
    }

    /// Descends F(image, ·) from `start` (whose logits and energy the caller knows) with at
    /// most `max_steps` gradient steps. Never returns an address with a higher energy than
    /// `start`'s.
    ///
    /// # Shapes
    /// - image: [784]; start.mu: [K]
    #[allow(clippy::too_many_arguments)]
    pub fn descend(&self, decoder: &Decoder, device: &Device, energy: &AddressEnergy, image: &[f32], start: Found, max_steps: usize) -> Found {
        let mut best = Found { steps: 0, ..start };
        let mut step_length: Option<f64> = None;
        for _ in 0..max_steps {
            let grad = self.gradient(energy, image, &best.mu);
            let grad_sq: f64 = grad.iter().map(|g| g * g).sum();
            if !grad_sq.is_finite() || grad_sq == 0.0 {
                break;
            }
            // First step: move about a tenth of the address's length (or 0.1 from the origin).
            let base = step_length.unwrap_or_else(|| 0.1 * best.mu.iter().map(|m| m * m).sum::<f64>().sqrt().max(1.0) / grad_sq.sqrt());
            let candidates: Vec<f64> = LADDER
                .iter()
                .flat_map(|s| best.mu.iter().zip(&grad).map(move |(m, g)| m - base * s * g))
                .collect();
            let k = energy.slots;
            let codes = Tensor::<2>::from_data(TensorData::new(energy.codes(&candidates), [LADDER.len(), energy.code_size]), device);
            let logits = to_f32(decoder.forward(codes));
            let chosen = (0..LADDER.len())
                .map(|j| {
                    let l = &logits[j * PIXELS..(j + 1) * PIXELS];
                    (j, reconstruction_nats(image, l) + energy.kl(&candidates[j * k..(j + 1) * k]))
                })
                .filter(|(j, f)| f.is_finite() && *f <= best.energy - ARMIJO * base * LADDER[*j] * grad_sq)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let Some((j, f)) = chosen else { break };
            best = Found {
                mu: candidates[j * k..(j + 1) * k].to_vec(),
                logits: logits[j * PIXELS..(j + 1) * PIXELS].to_vec(),
                energy: f,
                steps: best.steps + 1,
            };
            step_length = Some(base * LADDER[j]);
        }
        best
    }
}
