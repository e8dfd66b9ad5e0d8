//! Networks and the trainable generative models (burn Modules with their Configs), each with
//! its explorable form. A model kind is one file here (its Module, Config, loss terms and
//! [`TrainableModel`] impl) plus a [`ModelKind`] variant and a catalog entry.

pub mod address_search;
pub mod block_read;
pub mod dkm;
pub mod dkm_attractor;
pub mod ebmm;
pub mod ebmm_attractor;
pub mod explorable;
pub mod km;
pub mod km_attractor;
pub mod kpp;
pub mod kpp_attractor;
mod kind;
pub mod networks;
mod options;
pub mod pkm;
pub mod pkm_attractor;
mod reading;
pub mod trainable;

pub use dkm_attractor::DkmAttractor;
pub(crate) use dkm::truncated_normal;
pub use dkm::{Dkm, DkmConfig, EpisodeTerms};
pub use ebmm::{Ebmm, EbmmConfig};
pub use ebmm_attractor::EbmmAttractor;
pub use explorable::{Explorable, TrainedAttractor};
pub use kind::ModelKind;
pub use km::{Km, KmConfig};
pub use km_attractor::KmAttractor;
pub use kpp::{Kpp, KppConfig};
pub use kpp_attractor::KppAttractor;
pub use networks::{Arch, bernoulli_log_likelihood, bernoulli_log_likelihood_generic};
pub use options::ModelOptions;
pub use pkm::{Pkm, PkmConfig};
pub use pkm_attractor::PkmAttractor;
pub use trainable::{CONDITIONAL_NEG_ELBO, HeadlineBound, LossTerms, Metric, Metrics, TermName, TrainableModel};

use crate::memory::dkm::MemoryConfig;

/// ln N(x; μ, σ² I) summed over the last axis, with ln σ given.
///
/// # Shapes
/// - x, mean, log_std: [M, D] (log_std broadcastable) -> [M]
pub(crate) fn gaussian_log_density(x: burn::tensor::Tensor<2>, mean: burn::tensor::Tensor<2>, log_std: burn::tensor::Tensor<2>) -> burn::tensor::Tensor<1> {
    let [m, d] = x.dims();
    let z = (x - mean) / log_std.clone().exp();
    (z.square().mul_scalar(-0.5) - log_std).sum_dim(1).reshape([m]).sub_scalar(0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln())
}

/// The largest size any model dimension may have: a card asking for more is refused before
/// anything is allocated (a 2^31 code size would ask for exabytes).
pub const MAX_DIMENSION: usize = 4096;

/// Refuses a dimension of 0 or over [`MAX_DIMENSION`].
pub(crate) fn check_size(name: &str, value: usize) -> Result<(), String> {
    if value == 0 || value > MAX_DIMENSION {
        return Err(format!("{name} = {value} is out of range (1..={MAX_DIMENSION})"));
    }
    Ok(())
}

/// Refuses a loss weight that is negative or not finite.
pub(crate) fn check_finite_weight(name: &str, value: f64) -> Result<(), String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{name} = {value} must be a finite number >= 0"));
    }
    Ok(())
}

/// The memory's sizes and noise levels.
pub(crate) fn check_memory_config(memory: &MemoryConfig) -> Result<(), String> {
    check_size("slots", memory.slots)?;
    check_size("code_size", memory.code_size)?;
    for (name, value) in [("obs_noise_std", memory.obs_noise_std), ("w_prior_std", memory.w_prior_std)] {
        if !value.is_finite() || value <= 0.0 {
            return Err(format!("{name} = {value} must be a finite number > 0"));
        }
    }
    Ok(())
}
