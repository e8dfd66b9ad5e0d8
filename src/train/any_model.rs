//! A model config of either kind, for callers that choose the kind at run time (the CLI's
//! `--model`, the explorer's training panel) and then train it with the one loop.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use burn::tensor::Device;

use crate::data::ImageSet;
use crate::model::{Dkm, DkmConfig, Km, KmConfig};

use super::checkpoint::CheckpointFile;
use super::run::{TrainError, TrainEvent, TrainOutcome, train_model};
use super::TrainConfig;

#[derive(Debug, Clone, PartialEq)]
pub enum AnyModelConfig {
    Dkm(DkmConfig),
    Km(KmConfig),
}

impl AnyModelConfig {
    /// [`train_model`] for this kind.
    #[allow(clippy::too_many_arguments)]
    pub fn train(
        &self,
        config: &TrainConfig,
        data: &ImageSet,
        data_name: &str,
        resume: Option<&CheckpointFile>,
        out: &Path,
        device: &Device,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(TrainEvent),
    ) -> Result<TrainOutcome, TrainError> {
        match self {
            AnyModelConfig::Dkm(c) => train_model::<Dkm>(c, config, data, data_name, resume, out, device, cancel, on_event),
            AnyModelConfig::Km(c) => train_model::<Km>(c, config, data, data_name, resume, out, device, cancel, on_event),
        }
    }
}
