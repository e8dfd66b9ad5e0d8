//! Training: the loop, its events (the same ones the CLI prints and the GUI plots), and
//! checkpoints.

pub mod checkpoint;
mod any_model;
mod episodes;
mod loaded;
mod run;

pub use checkpoint::{CheckpointCard, CheckpointError, CheckpointFile, load_dkm, save_checkpoint};
pub use any_model::AnyModelConfig;
pub use loaded::{LoadedCheckpoint, LoadedModel, load_checkpoint};
pub use episodes::{EpisodeBatcher, evaluation_batch, standard_test_episodes};
pub use run::{TrainError, TrainEvent, TrainOutcome, StepMetrics, train_model};

use serde::{Deserialize, Serialize};

/// How to train (stored in the checkpoint card).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Stop after this many optimizer steps in total (a resumed run counts the earlier ones).
    pub steps: u64,
    /// B, episodes per batch.
    pub batch: usize,
    /// T, images per episode.
    pub episode_size: usize,
    pub lr: f64,
    pub seed: u64,
    /// Emit a metrics event every this many steps.
    pub log_every: u64,
    /// Save a checkpoint every this many steps (and always at the end).
    pub checkpoint_every: u64,
    /// Per-parameter gradient norm clip.
    pub grad_clip_norm: f32,
    /// Stop after this many minutes of wall time (0 = no limit), then save.
    pub max_minutes: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            steps: 10_000,
            batch: 16,
            episode_size: 32,
            lr: 3e-4,
            seed: 0,
            log_every: 50,
            checkpoint_every: 500,
            grad_clip_norm: 10.0,
            max_minutes: 0.0,
        }
    }
}
