//! Evaluation: the episode bound on held-out episodes, and iterative-reading denoising. The same
//! functions serve the CLI (`eval`, `denoise`) and the tests.

mod amortization;
mod basins;
mod clustering;
mod denoise;
mod elbo;
mod familiarity;
mod landscape;
mod samples;
mod sweep;

pub use amortization::{GapReport, amortization_gap};
pub use clustering::{ClusteringReport, allocation_clustering, normalized_mutual_information};
pub use basins::{BasinCell, Projection, basin_map, mix, nearest};
pub use denoise::{DenoiseReport, DenoiseStep, ENERGY_TOLERANCE, denoise};
pub use landscape::{Landscape, LandscapeRequest, landscape};
pub use familiarity::{Familiarity, familiarity};
pub use elbo::{ElboReport, Scoring, evaluate_bound, evaluate_elbo, evaluate_importance_weighted};
pub use samples::sample_and_clean_up;
pub use sweep::{MAX_SWEEP_POINTS, PatternSource, SweepAxis, SweepControl, SweepPoint, SweepSetting, capacity_sweep, check_sweep, sweep, sweep_settings};
