//! The denoising experiment: write clean episodes, corrupt one query per stored item, read
//! iteratively, and record per iteration the mean energy, the pixel error against the clean
//! image, and how often the energy did not increase. Works for any [`AttractorMemory`].

use serde::Serialize;

use crate::data::{Corruption, Image, ImageSet};
use crate::memory::{AttractorMemory, MemoryError, ReadPlan, read_iterations};
use crate::train::standard_test_episodes;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DenoiseStep {
    pub iteration: usize,
    /// Mean energy over queries (NaN when the memory has none).
    pub energy_nats: f64,
    /// Mean fraction of pixels that differ from the clean image (both thresholded at 0.5).
    pub pixel_error: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DenoiseReport {
    pub corruption: String,
    pub update: String,
    pub addressing: String,
    /// The whole read plan (search steps and query address of optimised reads included).
    pub plan: ReadPlan,
    pub episodes: usize,
    pub episode_size: usize,
    pub queries: usize,
    /// steps[0] is the corrupted query itself.
    pub steps: Vec<DenoiseStep>,
    /// Share of (query, step) transitions where the energy did not increase (by more than
    /// 1e-3 nats, float noise); None without an energy.
    pub monotone_fraction: Option<f64>,
    /// Mean energy of the clean stored items themselves, as iterate 0 of the same read (with
    /// the address this plan's addressing gives them); None without an energy.
    pub clean_energy_nats: Option<f64>,
    /// Share of queries whose last iterate has an energy no higher than its clean item's: the
    /// read found a state at least as deep as the stored item, so a lower error would need a
    /// different energy, not a better descent.
    pub at_least_as_deep_as_clean_fraction: Option<f64>,
}

/// The corruption seed of query number `query` (episode-major) of a run seeded with `seed`.
pub(super) fn query_seed(seed: u64, query: usize) -> u64 {
    seed.wrapping_add(query as u64 * 7919)
}

/// Tolerance for "did not increase" in f32 arithmetic.
pub const ENERGY_TOLERANCE: f64 = 1e-3;

/// Each query's read follows `plan`; its seed (also the corruption's) moves with the query.
pub fn denoise(memory: &mut dyn AttractorMemory, set: &ImageSet, corruption: Corruption, plan: &ReadPlan, episodes: usize, episode_size: usize) -> Result<DenoiseReport, MemoryError> {
    let (iterations, seed) = (plan.iterations, plan.seed);
    let all = standard_test_episodes(set, episode_size, episodes);
    if all.is_empty() {
        return Err(MemoryError::Model(format!("no test episodes: {} images, {episodes} episodes of {episode_size} asked for", set.len())));
    }
    let mut energy = vec![0.0; iterations + 1];
    let mut error = vec![0.0; iterations + 1];
    let (mut transitions, mut monotone, mut has_energy) = (0usize, 0usize, true);
    let mut queries = 0usize;
    let (mut clean_energy, mut as_deep) = (0.0, 0usize);
    for (e, episode) in all.iter().enumerate() {
        let clean: Vec<Image> = episode.iter().map(|&i| set.binary_image(i)).collect();
        memory.write(&clean)?;
        for (t, target) in clean.iter().enumerate() {
            let query_seed = query_seed(seed, e * episode_size + t);
            let query = corruption.apply(target, query_seed);
            let iterates = read_iterations(memory, &query, &plan.with_seed(query_seed))?;
            let clean = crate::memory::start_read(memory, target, plan)?.evaluation.energy;
            if let (Some(clean), Some(last)) = (clean, iterates.last().and_then(|it| it.evaluation.energy)) {
                clean_energy += clean;
                as_deep += usize::from(last <= clean + ENERGY_TOLERANCE);
            }
            for (n, it) in iterates.iter().enumerate() {
                match it.evaluation.energy {
                    Some(f) => energy[n] += f,
                    None => has_energy = false,
                }
                error[n] += it.image.pixel_error(target) as f64;
            }
            for pair in iterates.windows(2) {
                if let (Some(a), Some(b)) = (pair[0].evaluation.energy, pair[1].evaluation.energy) {
                    transitions += 1;
                    if b <= a + ENERGY_TOLERANCE {
                        monotone += 1;
                    }
                }
            }
            queries += 1;
        }
    }
    let q = queries.max(1) as f64;
    Ok(DenoiseReport {
        corruption: corruption.to_string(),
        update: plan.update.name().to_string(),
        addressing: plan.addressing.name().to_string(),
        plan: *plan,
        episodes: all.len(),
        episode_size,
        queries,
        steps: (0..=iterations)
            .map(|n| DenoiseStep {
                iteration: n,
                energy_nats: if has_energy { energy[n] / q } else { f64::NAN },
                pixel_error: error[n] / q,
            })
            .collect(),
        monotone_fraction: (has_energy && transitions > 0).then(|| monotone as f64 / transitions as f64),
        clean_energy_nats: has_energy.then(|| clean_energy / q),
        at_least_as_deep_as_clean_fraction: has_energy.then(|| as_deep as f64 / q),
    })
}
