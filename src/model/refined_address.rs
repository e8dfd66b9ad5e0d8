//! A tighter bound of the same DKM: each image's addressing posterior q(w) refined by gradient
//! steps on its own bound (semi-amortised inference; our design, not the paper's).
//!
//! The DKM's q(w) is amortised: N(μ, σw² I) with μ the least-squares address of the encoder's
//! code and one learned σw for every image and dimension. Any Gaussian q(w) gives a bound, so
//! here each image gets its own mean μ and a standard deviation per dimension, started at the
//! amortised ones and moved by Adam on
//!   F(μ, σ) = −E_ε ln p(x | d(Rᵀ(μ + σ ⊙ ε))) + KL(N(μ, σ²) ‖ N(0, σp² I)),
//! the memory q(M) (and its mean R, from which the DKM reads) as written. The result is a bound
//! of the same kind as the amortised one (joint or conditional), descended from it, so tighter
//! unless the amortised posterior is already the best Gaussian; the gap between the two is
//! what the amortised posterior costs.

use burn::tensor::{Device, Distribution, Tensor, TensorData};

use crate::data::PIXELS;
use crate::memory::dkm as mem;

use super::networks::{Decoder, bernoulli_log_likelihood};
use super::reading::to_f32;

/// How the per-image posteriors are refined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refinement {
    /// Adam steps on each image's (μ, ln σ).
    pub steps: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Draws of ε per step (the gradient's) and per image when the result is scored.
    pub samples: usize,
}

impl Refinement {
    pub fn with_steps(steps: usize) -> Self {
        Self { steps, learning_rate: 0.02, samples: 4 }
    }
}

/// Per-image Gaussian posteriors over the addressing weights.
#[derive(Debug, Clone)]
pub struct AddressPosteriors {
    /// Row-major means. [N, K]
    pub mean: Vec<f32>,
    /// Row-major ln σ, one per dimension. [N, K]
    pub log_std: Vec<f32>,
    pub slots: usize,
}

/// KL(N(μ, diag σ²) ‖ N(0, σp² I)) of each row, in nats:
/// Σ_k [(σ_k² + μ_k²)/(2σp²) − ln σ_k + ln σp − ½].
///
/// # Shapes
/// - mean, log_std: [N, K] -> [N]
pub fn kl_diagonal(mean: Tensor<2>, log_std: Tensor<2>, prior_std: f64) -> Tensor<1> {
    let [n, k] = mean.dims();
    let prior_var = prior_std * prior_std;
    let per_dim = (log_std.clone().mul_scalar(2.0).exp() + mean.square()).div_scalar(2.0 * prior_var) - log_std;
    per_dim.sum_dim(1).reshape([n]).add_scalar(k as f64 * (prior_std.ln() - 0.5))
}

/// −ln p(x | d(Rᵀw)) + KL of each image, ε drawn `samples` times (the recon averaged over them):
/// the per-image bound of `posteriors` and its two parts, on `device`.
///
/// # Shapes
/// - memory: [B, K, C]; images: [B, T, 784]; posteriors: B·T rows;
///   returns (recon [B·T], KL [B·T])
pub fn score(decoder: &Decoder, memory: Tensor<3>, images: Tensor<3>, posteriors: &AddressPosteriors, prior_std: f64, samples: usize, device: &Device) -> (Tensor<1>, Tensor<1>) {
    let (mean, log_std) = posterior_tensors(posteriors, images.dims(), device);
    let recon = expected_recon(decoder, memory, images, mean.clone(), log_std.clone(), samples);
    let [b, t, k] = mean.dims();
    let kl = kl_diagonal(mean.reshape([b * t, k]), log_std.reshape([b * t, k]), prior_std);
    (recon, kl)
}

/// Refines `start` (the amortised posteriors) by `refinement.steps` Adam steps on each image's
/// F, with gradients through `autodiff_decoder` (a frozen copy on `autodiff_device`).
///
/// # Shapes
/// - memory: [B, K, C]; images: [B, T, 784] (any device: copied over); start: B·T rows
pub fn refine(autodiff_decoder: &Decoder, autodiff_device: &Device, memory: Tensor<3>, images: Tensor<3>, start: AddressPosteriors, prior_std: f64, refinement: Refinement) -> AddressPosteriors {
    let dims = images.dims();
    let memory = Tensor::<3>::from_data(memory.into_data(), autodiff_device);
    let images = Tensor::<3>::from_data(images.into_data(), autodiff_device);
    let mut params = [start.mean, start.log_std];
    let mut adam = [Adam::new(params[0].len()), Adam::new(params[1].len())];
    for _ in 0..refinement.steps {
        let (mean, log_std) = posterior_tensors(&AddressPosteriors { mean: params[0].clone(), log_std: params[1].clone(), slots: start.slots }, dims, autodiff_device);
        let (mean, log_std) = (mean.require_grad(), log_std.require_grad());
        let recon = expected_recon(autodiff_decoder, memory.clone(), images.clone(), mean.clone(), log_std.clone(), refinement.samples);
        let [b, t, k] = mean.dims();
        let kl = kl_diagonal(mean.clone().reshape([b * t, k]), log_std.clone().reshape([b * t, k]), prior_std);
        // Each image's F depends on its own (μ, σ) only, so one backward of the sum gives every
        // image its own gradient.
        let grads = (recon + kl).sum().backward();
        for ((param, state), leaf) in params.iter_mut().zip(&mut adam).zip([mean, log_std]) {
            let Some(gradient) = leaf.grad(&grads).map(to_f32) else { continue };
            state.step(param, &gradient, refinement.learning_rate);
        }
    }
    AddressPosteriors { mean: params[0].clone(), log_std: params[1].clone(), slots: start.slots }
}

/// # Shapes
/// - returns mean, log_std: [B, T, K] for images of `dims` [B, T, 784]
fn posterior_tensors(posteriors: &AddressPosteriors, dims: [usize; 3], device: &Device) -> (Tensor<3>, Tensor<3>) {
    let shape = [dims[0], dims[1], posteriors.slots];
    let mean = Tensor::from_data(TensorData::new(posteriors.mean.clone(), shape), device);
    let log_std = Tensor::from_data(TensorData::new(posteriors.log_std.clone(), shape), device);
    (mean, log_std)
}

/// −ln p(x | d(Rᵀ(μ + σ ⊙ ε))) averaged over `samples` draws of ε.
///
/// # Shapes
/// - memory: [B, K, C]; images: [B, T, 784]; mean, log_std: [B, T, K] -> [B·T]
fn expected_recon(decoder: &Decoder, memory: Tensor<3>, images: Tensor<3>, mean: Tensor<3>, log_std: Tensor<3>, samples: usize) -> Tensor<1> {
    let [b, t, k] = mean.dims();
    let c = memory.dims()[2];
    let samples = samples.max(1);
    let device = mean.device();
    let draws: Vec<Tensor<3>> = (0..samples)
        .map(|_| mean.clone() + Tensor::<3>::random([b, t, k], Distribution::Normal(0.0, 1.0), (&device, mean.dtype())) * log_std.clone().exp())
        .collect();
    // All draws through the decoder at once: [S·B, T, K] read from the memory repeated S times.
    let weights = Tensor::cat(draws, 0);
    let read = mem::read(weights, memory.repeat_dim(0, samples)).reshape([samples * b * t, c]);
    let targets = images.reshape([b * t, PIXELS]).repeat_dim(0, samples);
    let nll = bernoulli_log_likelihood(targets, decoder.forward(read)).neg();
    nll.reshape([samples, b * t]).mean_dim(0).reshape([b * t])
}

/// Adam's moment estimates for one flat parameter vector.
struct Adam {
    first: Vec<f32>,
    second: Vec<f32>,
    steps: i32,
}

impl Adam {
    const BETA1: f32 = 0.9;
    const BETA2: f32 = 0.999;
    const EPSILON: f32 = 1e-8;

    fn new(len: usize) -> Self {
        Self { first: vec![0.0; len], second: vec![0.0; len], steps: 0 }
    }

    fn step(&mut self, param: &mut [f32], gradient: &[f32], learning_rate: f64) {
        self.steps += 1;
        let (c1, c2) = (1.0 - Self::BETA1.powi(self.steps), 1.0 - Self::BETA2.powi(self.steps));
        for (((p, g), m), v) in param.iter_mut().zip(gradient).zip(&mut self.first).zip(&mut self.second) {
            *m = Self::BETA1 * *m + (1.0 - Self::BETA1) * g;
            *v = Self::BETA2 * *v + (1.0 - Self::BETA2) * g * g;
            *p -= learning_rate as f32 * (*m / c1) / ((*v / c2).sqrt() + Self::EPSILON);
        }
    }
}
