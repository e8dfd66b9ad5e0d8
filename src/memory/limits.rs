//! The one set of limits on a memory's settings and on a read, checked wherever settings come
//! from: the command line, the explorer's saved settings, scenes and lessons. A setting past
//! its limit is refused before anything is allocated or computed, with the field named, so a
//! file someone sent cannot ask for 100 GB or for hours of work.
//!
//! The limits are wide enough for any experiment the explorer runs (the largest sweeps store
//! 1024 items; reads converge in tens of iterations) and tight enough that the worst case of
//! every setting together stays within seconds and a few hundred MB (docs/files.md has the
//! measurements).

use super::attractor::{Addressing, ReadPlan};

/// Most images one episode may hold (a write, a scene's episode, a sweep's stored count).
pub const MAX_EPISODE: usize = 1024;
/// Most images of an episode made in the explorer (its T field) or by a lesson: a row or four
/// of thumbnails.
pub const MAX_EXPLORER_EPISODE: usize = 64;
/// Most read iterations of one query (the explorer's field goes to 200; reads settle in tens).
pub const MAX_ITERATIONS: usize = 1000;
/// Most gradient steps of one optimised address step.
pub const MAX_SEARCH_STEPS: usize = 100;
/// Most gradient steps of a whole optimised read (iterations × search steps): ~0.5 ms each
/// for the shipped DKM, so a read stays under about 10 s.
pub const MAX_SEARCH_WORK: usize = 20_000;
/// Most hard locations of a sparse distributed memory (784 counters each: 314 MB at the limit).
pub const MAX_SDM_LOCATIONS: usize = 100_000;
/// Largest fraction of the SDM's locations a random address may activate (a write and a read
/// touch the counters of every active location: at the limits, 1024 items and 1000 iterations
/// take about 20 s).
pub const MAX_SDM_ACTIVATION: f64 = 0.05;
/// Largest inverse temperature of the modern Hopfield network (β = 100 already retrieves one
/// pattern in one step; larger values only risk overflow).
pub const MAX_BETA: f64 = 1e6;

/// A setting outside its limits: which one, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct SettingsError {
    pub field: &'static str,
    pub problem: String,
}

impl SettingsError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self { field, problem: problem.into() }
    }
}

/// `value` within `1..=max`, or an error naming `field`.
pub fn check_count(field: &'static str, value: usize, max: usize) -> Result<(), SettingsError> {
    if value == 0 || value > max {
        return Err(SettingsError::new(field, format!("{value} (1 to {max})")));
    }
    Ok(())
}

impl ReadPlan {
    /// Refuses a plan past the limits: iterations, search steps and their product.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.iterations > MAX_ITERATIONS {
            return Err(SettingsError::new("iterations", format!("{} (at most {MAX_ITERATIONS})", self.iterations)));
        }
        if self.search_steps > MAX_SEARCH_STEPS {
            return Err(SettingsError::new("search_steps", format!("{} (at most {MAX_SEARCH_STEPS})", self.search_steps)));
        }
        let work = self.iterations.saturating_add(1).saturating_mul(self.search_steps);
        if self.addressing == Addressing::Optimised && work > MAX_SEARCH_WORK {
            return Err(SettingsError::new(
                "search_steps",
                format!("{} search steps for each of {} iterations: {work} gradient steps, more than the {MAX_SEARCH_WORK} one read may take", self.search_steps, self.iterations + 1),
            ));
        }
        Ok(())
    }
}

/// The modern Hopfield network's β: finite, > 0 and at most [`MAX_BETA`].
pub fn check_beta(beta: f64) -> Result<(), SettingsError> {
    if !(beta.is_finite() && beta > 0.0 && beta <= MAX_BETA) {
        return Err(SettingsError::new("beta", format!("{beta:?} (a number > 0 and at most {MAX_BETA:?})")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_past_the_limits_are_refused_with_the_field_named() {
        assert!(ReadPlan::default().validate().is_ok());
        let err = ReadPlan { iterations: MAX_ITERATIONS + 1, ..ReadPlan::default() }.validate().unwrap_err();
        assert_eq!(err.field, "iterations");
        let err = ReadPlan { search_steps: 1_000_000_000, ..ReadPlan::default() }.validate().unwrap_err();
        assert_eq!(err.field, "search_steps");
        // Many iterations with a few search steps: fine for the amortised read, too much work
        // for the optimised one.
        let plan = ReadPlan { iterations: 1000, search_steps: 50, ..ReadPlan::default() };
        assert!(plan.validate().is_ok());
        let err = ReadPlan { addressing: Addressing::Optimised, ..plan }.validate().unwrap_err();
        assert!(err.to_string().contains("gradient steps"), "{err}");
        assert!(ReadPlan { iterations: 1000, search_steps: 19, addressing: Addressing::Optimised, ..plan }.validate().is_ok());
    }

    #[test]
    fn beta_and_counts_have_closed_ranges() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 2.0 * MAX_BETA] {
            assert!(check_beta(bad).is_err(), "{bad}");
        }
        assert!(check_beta(100.0).is_ok());
        assert!(check_count("episode", 0, MAX_EPISODE).is_err());
        assert!(check_count("episode", MAX_EPISODE + 1, MAX_EPISODE).is_err());
        assert!(check_count("episode", MAX_EPISODE, MAX_EPISODE).is_ok());
    }
}
