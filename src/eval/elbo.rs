//! −ELBO/T on consecutive, non-overlapping test episodes of a fixed-seed permutation.

use burn::tensor::{Device, Tensor};
use serde::Serialize;

use crate::data::ImageSet;
use crate::train::LoadedModel;
use crate::train::{evaluation_batch, standard_test_episodes};

/// Per-image nats, averaged over all evaluated images.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ElboReport {
    pub nats_per_image: f64,
    pub recon_nats: f64,
    pub kl_addressing_nats: f64,
    pub kl_memory_nats: f64,
    /// The Kanerva Machine's KL of the stochastic code (0 for the DKM).
    pub kl_code_nats: f64,
    pub ae_nats: f64,
    pub episodes: usize,
    pub episode_size: usize,
    /// Whether the latent variables (w; for the KM y and z) were sampled from their
    /// posteriors (the training objective) or set to their means.
    pub sampled_w: bool,
}

fn value(t: Tensor<1>) -> f64 {
    t.into_data().convert::<f64>().try_into_vec::<f64>().expect("float")[0]
}

/// Evaluates up to `episodes` test episodes of `episode_size` (thresholded at 0.5), in chunks
/// of 25 episodes. `device` should not be an autodiff device.
pub fn evaluate_elbo(
    model: &LoadedModel,
    set: &ImageSet,
    episodes: usize,
    episode_size: usize,
    sampled_w: bool,
    device: &Device,
) -> ElboReport {
    let all = standard_test_episodes(set, episode_size, episodes);
    let mut sums = [0.0f64; 6];
    for chunk in all.chunks(25) {
        let images = evaluation_batch(set, chunk, device);
        let terms = model.episode_terms(images, sampled_w);
        let weight = chunk.len() as f64;
        for (s, t) in sums.iter_mut().zip([
            terms.nats_per_image,
            terms.recon_nats,
            terms.kl_addressing_nats,
            terms.kl_memory_nats,
            terms.kl_code_nats,
            terms.ae_nats,
        ]) {
            *s += value(t) * weight;
        }
    }
    let n = all.len().max(1) as f64;
    ElboReport {
        nats_per_image: sums[0] / n,
        recon_nats: sums[1] / n,
        kl_addressing_nats: sums[2] / n,
        kl_memory_nats: sums[3] / n,
        kl_code_nats: sums[4] / n,
        ae_nats: sums[5] / n,
        episodes: all.len(),
        episode_size,
        sampled_w,
    }
}
