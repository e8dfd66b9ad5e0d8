//! Training: the loop, its events (the same ones the CLI prints and the GUI plots), and
//! checkpoints.

pub mod checkpoint;
mod cpu_time;
mod episodes;
mod job;
mod loaded;
mod record_check;
mod run;

pub use checkpoint::{CheckpointCard, CheckpointError, CheckpointFile, save_checkpoint};
pub use episodes::{EpisodeBatcher, evaluation_batch, every_image_test_episodes, standard_test_episodes};
pub use job::{ModelSpec, TrainJob, TrainStart};
pub use loaded::{LoadedCheckpoint, Trained, TrainedModel};
pub use run::{StepMetrics, TrainError, TrainEvent, TrainOutcome, train_model};

/// T, images per episode, wherever an episode is drawn for training or evaluation (the shipped
/// models were trained with it).
pub const DEFAULT_EPISODE_SIZE: usize = 32;

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
            episode_size: DEFAULT_EPISODE_SIZE,
            lr: 3e-4,
            seed: 0,
            log_every: 50,
            checkpoint_every: 500,
            grad_clip_norm: 10.0,
            max_minutes: 0.0,
        }
    }
}

impl TrainConfig {
    /// Refuses settings no run can use (zero sizes, a non-positive learning rate, ...).
    pub fn check(&self) -> Result<(), String> {
        if self.steps == 0 {
            return Err("steps must be at least 1".into());
        }
        for (name, value) in [("batch", self.batch), ("episode_size", self.episode_size)] {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if self.log_every == 0 || self.checkpoint_every == 0 {
            return Err("log_every and checkpoint_every must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(format!("the learning rate must be a finite number > 0 (got {})", self.lr));
        }
        if !(self.grad_clip_norm.is_finite() && self.grad_clip_norm > 0.0) {
            return Err(format!("the gradient clip norm must be a finite number > 0 (got {})", self.grad_clip_norm));
        }
        if !(self.max_minutes.is_finite() && self.max_minutes >= 0.0) {
            return Err(format!("max_minutes must be a finite number >= 0 (got {})", self.max_minutes));
        }
        Ok(())
    }
}
