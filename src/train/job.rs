//! A training job: everything one run needs, as one value that the CLI, the explorer's train
//! panel and the tests build the same way.

use std::path::PathBuf;
use std::sync::Arc;

use crate::data::ImageSet;
use crate::model::{ModelKind, ModelOptions, TrainableModel};

use super::TrainConfig;

/// Which model to train: its kind and its config (that kind's `TrainableModel::Config`, as the
/// JSON a checkpoint card stores).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    pub kind: ModelKind,
    pub config: serde_json::Value,
}

impl ModelSpec {
    /// The spec of a typed config.
    pub fn of<M: TrainableModel>(config: &M::Config) -> Self {
        Self { kind: M::KIND, config: serde_json::to_value(config).expect("a model config always serialises") }
    }

    /// The config `M` builds from command-line or train-panel options.
    pub fn from_options<M: TrainableModel>(options: &ModelOptions, seed: u64) -> Self {
        Self::of::<M>(&M::config_from(options, seed))
    }
}

/// Where a run starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainStart {
    /// A new model, initialised from its config.
    Fresh,
    /// Continue the checkpoint at the job's `out`: parameters, optimiser state, step count and
    /// card history. Its config must equal the job's.
    Resume,
    /// Start from another checkpoint's parameters, optimiser state and step count, training
    /// under the job's config (same shapes; loss weights may differ). The source is left
    /// untouched; everything is written to `out`.
    FineTune(PathBuf),
}

/// One training run.
#[derive(Debug, Clone)]
pub struct TrainJob {
    pub model: ModelSpec,
    pub train: TrainConfig,
    pub data: Arc<ImageSet>,
    /// How the data is named on the card (a path, `embedded:mnist-train`, ...).
    pub data_name: String,
    pub start: TrainStart,
    /// Where the checkpoint (and its card beside it) is written.
    pub out: PathBuf,
}
