//! A trained model's reported terms (−ELBO/T and its parts, for the generative memories) on
//! consecutive, non-overlapping test episodes of a fixed-seed permutation, averaged per image.

use burn::tensor::{Device, Tensor};
use serde::Serialize;

use crate::data::ImageSet;
use crate::model::refined_address::Refinement;
use crate::model::{Metric, Metrics};
use crate::train::TrainedModel;
use crate::train::{evaluation_batch, standard_test_episodes};

/// Per-image terms, averaged over all evaluated images.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElboReport {
    /// The model's terms, flattened into the JSON object (`nats_per_image`, `recon_nats`, ...).
    #[serde(flatten)]
    pub terms: Metrics,
    /// The model's named vectors (the PKM's `machine_usage`), averaged like the terms.
    #[serde(flatten)]
    pub series: std::collections::BTreeMap<String, Vec<f64>>,
    pub episodes: usize,
    /// T of the first episode (a shorter last one holds the images left over).
    pub episode_size: usize,
    /// Images scored: each once.
    pub images: usize,
    /// Whether the latent variables (w; for the KM y and z) were sampled from their
    /// posteriors (the training objective) or set to their means.
    pub sampled_w: bool,
}

impl ElboReport {
    /// The headline value (−ELBO/T in nats for the generative memories).
    pub fn headline(&self) -> f64 {
        self.terms.headline().map_or(f64::NAN, |m| m.value)
    }
}

fn value(t: Tensor<1>) -> f64 {
    t.into_data().convert::<f64>().try_into_vec::<f64>().expect("float")[0]
}

/// Which bound of each episode [`evaluate_bound`] computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scoring {
    /// The model's own terms ([`TrainedModel::loss_terms`]): the joint bound for the DKM, KM
    /// and PKM (what [`TrainedModel::headline_bound`] says).
    ModelTerms,
    /// The memory-conditional bound, the memory written from the item's own episode.
    Conditional,
    /// The memory-conditional bound with the memory written from another episode (the next
    /// one at least as long, the first after the last, cut to the scored episode's size): the
    /// control that shows what the own memory adds.
    OtherEpisodeMemory,
    /// The joint bound with the memory drawn from its posterior instead of read at its mean
    /// (the DKM): strict in M. Latents always sampled.
    SampledMemory,
    /// The joint and the memory-conditional bounds with each image's addressing posterior
    /// refined on its own bound ([`crate::model::refined_address`]): a tighter bound of the
    /// same model, reported beside the amortised one. Latents always sampled.
    RefinedAddresses(Refinement),
}

/// Evaluates up to `episodes` test episodes of `episode_size` (thresholded at 0.5).
/// `device` should not be an autodiff device.
pub fn evaluate_elbo(model: &dyn TrainedModel, set: &ImageSet, episodes: usize, episode_size: usize, sampled_w: bool, device: &Device) -> ElboReport {
    let episodes = standard_test_episodes(set, episode_size, episodes);
    evaluate_bound(model, set, &episodes, sampled_w, Scoring::ModelTerms, device).expect("every model has its own terms")
}

/// Runs of equal-sized episodes, at most 25 to a batch: the whole episodes, then a shorter
/// last one alone.
fn batches(episodes: &[Vec<usize>]) -> impl Iterator<Item = &[Vec<usize>]> {
    episodes.chunk_by(|a, b| a.len() == b.len()).flat_map(|run| run.chunks(25))
}

/// The episode whose memory scores episode `i` in [`Scoring::OtherEpisodeMemory`]: the next
/// one at least as long (the first after the last), cut to episode `i`'s size, so that a
/// batch's written episodes have one size. None when there is no other.
fn other_episode(episodes: &[Vec<usize>], i: usize) -> Option<Vec<usize>> {
    let size = episodes[i].len();
    (1..episodes.len()).map(|k| &episodes[(i + k) % episodes.len()]).find(|e| e.len() >= size).map(|e| e[..size].to_vec())
}

/// The bound of each episode of `episodes` under `scoring` (thresholded at 0.5), averaged
/// per image: a shorter last episode counts for its images. None where the model has no
/// conditional bound (the EBMM), or for the other-episode control with a single episode, or
/// without a sampled-memory read or a refinement of its posteriors.
/// `device` should not be an autodiff device.
pub fn evaluate_bound(model: &dyn TrainedModel, set: &ImageSet, episodes: &[Vec<usize>], sampled_w: bool, scoring: Scoring, device: &Device) -> Option<ElboReport> {
    let mut sums: Vec<Metric> = Vec::new();
    let mut series: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    let mut done = 0;
    for chunk in batches(episodes) {
        let images = evaluation_batch(set, chunk, device);
        let out = match scoring {
            Scoring::ModelTerms => model.loss_terms(images, sampled_w),
            Scoring::Conditional => model.conditional_terms(images.clone(), images, sampled_w)?,
            Scoring::OtherEpisodeMemory => {
                let others = (done..done + chunk.len()).map(|i| other_episode(episodes, i)).collect::<Option<Vec<_>>>()?;
                model.conditional_terms(images, evaluation_batch(set, &others, device), sampled_w)?
            }
            Scoring::SampledMemory => model.sampled_memory_terms(images)?,
            Scoring::RefinedAddresses(refinement) => model.refined_terms(images, refinement)?,
        };
        done += chunk.len();
        let weight = (chunk.len() * chunk[0].len()) as f64;
        for (name, values) in out.series {
            let values = values.into_data().convert::<f64>().try_into_vec::<f64>().expect("float");
            let sum = series.entry(name.to_string()).or_insert_with(|| vec![0.0; values.len()]);
            sum.iter_mut().zip(values).for_each(|(s, v)| *s += v * weight);
        }
        let terms = out.terms;
        if sums.is_empty() {
            sums = terms.iter().map(|(name, _)| Metric { name: *name, value: 0.0 }).collect();
        }
        for (sum, (_, t)) in sums.iter_mut().zip(terms) {
            sum.value += value(t) * weight;
        }
    }
    let images = episodes.iter().map(Vec::len).sum::<usize>();
    let n = images.max(1) as f64;
    sums.iter_mut().for_each(|m| m.value /= n);
    series.values_mut().flatten().for_each(|v| *v /= n);
    let episode_size = episodes.first().map_or(0, Vec::len);
    Some(ElboReport { terms: Metrics(sums), series, episodes: episodes.len(), episode_size, images, sampled_w })
}

/// The memory-conditional importance-weighted bound, −(1/N) Σ_x ln (1/K) Σ_k w_k(x) in nats per
/// image, from the model's proper log weights (K = `samples` per image, the memory written
/// from the image's own episode and held fixed): an upper bound on −ln p(x | M) that tightens
/// as K grows. None for models without log weights.
pub fn evaluate_importance_weighted(model: &dyn TrainedModel, set: &ImageSet, episodes: &[Vec<usize>], samples: usize, device: &Device) -> Option<f64> {
    let (mut total, mut count) = (0.0f64, 0usize);
    for chunk in batches(episodes) {
        let images = evaluation_batch(set, chunk, device);
        let log_w = model.log_importance_weights(images, samples.max(1))?;
        let [n, k] = log_w.dims();
        let values = log_w.into_data().convert::<f64>().try_into_vec::<f64>().expect("float");
        for row in values.chunks(k) {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            total += max + (row.iter().map(|v| (v - max).exp()).sum::<f64>() / k as f64).ln();
        }
        count += n;
    }
    Some(-total / count.max(1) as f64)
}
