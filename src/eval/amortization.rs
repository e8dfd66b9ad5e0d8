//! Why the DKM's mode reading is not always monotone in energy: the amortisation gap.
//!
//! One read step from x_n is x_{n+1} = mode p(x | Rᵀμ_n), then μ_{n+1} = μ(x_{n+1}) (encoder +
//! least-squares address). With F(x, μ) = −ln p(x | Rᵀμ) + KL(q(w)‖p(w)) split as
//!   F(x_{n+1}, μ_{n+1}) − F(x_n, μ_n) = [F(x_{n+1}, μ_n) − F(x_n, μ_n)]        (pixel step)
//!                                     + [F(x_{n+1}, μ_{n+1}) − F(x_{n+1}, μ_n)] (re-addressing)
//! the pixel step is never positive (the mode maximises the likelihood pixel by pixel, and the
//! KL term does not depend on x). So every rise of the energy is a re-addressing that is worse
//! for x_{n+1} than the address it already had: the encoder and the least-squares solve are an
//! amortised, approximate minimiser of F over μ. A guarded reading that keeps μ_n whenever
//! μ(x_{n+1}) is worse is monotone by construction ([`Addressing::Guarded`]); this experiment
//! measures both readings on any memory that holds an address.

use serde::Serialize;

use crate::data::{Corruption, Image, ImageSet};
use crate::memory::{AddressStep, Addressing, AttractorMemory, Iterate, MemoryError, ReadPlan, ReadUpdate, read_iterations};
use crate::train::standard_test_episodes;

use super::denoise::{ENERGY_TOLERANCE, query_seed};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapReport {
    pub corruption: String,
    pub queries: usize,
    /// (query, step) transitions of the plain mode reading.
    pub transitions: usize,
    /// Share of transitions where F rose (1 − the plain `monotone_fraction`).
    pub increase_fraction: f64,
    /// Share of transitions where the pixel step raised F(·, μ_n): 0 up to float noise.
    pub pixel_step_increase_fraction: f64,
    /// Share of the rises where re-addressing was worse than keeping μ_n.
    pub rises_from_readdressing_fraction: f64,
    /// Mean F(x_{n+1}, μ_n) − F(x_n, μ_n), nats.
    pub mean_pixel_step_nats: f64,
    /// Mean F(x_{n+1}, μ_{n+1}) − F(x_{n+1}, μ_n), nats (> 0: the address got worse).
    pub mean_readdressing_nats: f64,
    /// Mean pixel error per iteration (0 = the query) of the plain reading.
    pub plain_pixel_error: Vec<f64>,
    /// The same for the guarded reading.
    pub guarded_pixel_error: Vec<f64>,
    /// Mean energy per iteration of the plain and the guarded readings.
    pub plain_energy_nats: Vec<f64>,
    pub guarded_energy_nats: Vec<f64>,
    /// Share of guarded transitions where F did not rise (1 by construction, up to float noise).
    pub guarded_monotone_fraction: f64,
    /// Share of guarded steps that kept the previous address.
    pub guard_kept_fraction: f64,
}

/// Runs both readings (mode update) on one corrupted query per stored item of `episodes`
/// standard test episodes, each step split into its pixel and address half-steps.
pub fn amortization_gap(memory: &mut dyn AttractorMemory, set: &ImageSet, corruption: Corruption, iterations: usize, episodes: usize, episode_size: usize, seed: u64) -> Result<GapReport, MemoryError> {
    crate::memory::check_addressing(memory, Addressing::Guarded)?;
    let all = standard_test_episodes(set, episode_size, episodes);
    let mut plain_error = vec![0.0; iterations + 1];
    let mut guarded_error = vec![0.0; iterations + 1];
    let mut plain_energy = vec![0.0; iterations + 1];
    let mut guarded_energy = vec![0.0; iterations + 1];
    let (mut transitions, mut rises, mut pixel_rises, mut readdress_rises) = (0usize, 0usize, 0usize, 0usize);
    let (mut pixel_sum, mut readdress_sum) = (0.0, 0.0);
    let (mut guarded_monotone, mut kept) = (0usize, 0usize);
    let mut queries = 0usize;
    let plan = |addressing| ReadPlan { iterations, update: ReadUpdate::Mode, seed, addressing, ..ReadPlan::default() };
    for (e, episode) in all.iter().enumerate() {
        let clean: Vec<Image> = episode.iter().map(|&i| set.binary_image(i)).collect();
        memory.write(&clean)?;
        for (t, target) in clean.iter().enumerate() {
            let query = corruption.apply(target, query_seed(seed, e * episode_size + t));
            let plain = read_iterations(memory, &query, &plan(Addressing::Amortised))?;
            let guarded = read_iterations(memory, &query, &plan(Addressing::Guarded))?;
            for (n, (p, g)) in plain.iter().zip(&guarded).enumerate() {
                plain_error[n] += p.image.pixel_error(target) as f64;
                guarded_error[n] += g.image.pixel_error(target) as f64;
                plain_energy[n] += energy(p);
                guarded_energy[n] += energy(g);
            }
            for pair in plain.windows(2) {
                let (pixel_step, address_step) = pair[1].half_steps(&pair[0]).expect("a memory that holds an address reports its half-steps");
                transitions += 1;
                pixel_sum += pixel_step;
                readdress_sum += address_step;
                pixel_rises += usize::from(pixel_step > ENERGY_TOLERANCE);
                if pixel_step + address_step > ENERGY_TOLERANCE {
                    rises += 1;
                    readdress_rises += usize::from(address_step > 0.0);
                }
            }
            for pair in guarded.windows(2) {
                guarded_monotone += usize::from(energy(&pair[1]) <= energy(&pair[0]) + ENERGY_TOLERANCE);
                kept += usize::from(pair[1].address_step == Some(AddressStep::Kept));
            }
            queries += 1;
        }
    }
    let (q, tr) = (queries.max(1) as f64, transitions.max(1) as f64);
    let mean = |v: Vec<f64>| v.into_iter().map(|s| s / q).collect::<Vec<_>>();
    Ok(GapReport {
        corruption: corruption.to_string(),
        queries,
        transitions,
        increase_fraction: rises as f64 / tr,
        pixel_step_increase_fraction: pixel_rises as f64 / tr,
        rises_from_readdressing_fraction: if rises == 0 { 1.0 } else { readdress_rises as f64 / rises as f64 },
        mean_pixel_step_nats: pixel_sum / tr,
        mean_readdressing_nats: readdress_sum / tr,
        plain_pixel_error: mean(plain_error),
        guarded_pixel_error: mean(guarded_error),
        plain_energy_nats: mean(plain_energy),
        guarded_energy_nats: mean(guarded_energy),
        guarded_monotone_fraction: guarded_monotone as f64 / tr,
        guard_kept_fraction: kept as f64 / tr,
    })
}

fn energy(iterate: &Iterate) -> f64 {
    iterate.evaluation.energy.unwrap_or(f64::NAN)
}
