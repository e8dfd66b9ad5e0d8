//! A checkpoint of any model kind, loaded: what `eval`, `denoise`, `sample`, `sweep` and the
//! explorer take, so each handles the DKM and the Kanerva Machine alike.

use std::path::Path;

use burn::tensor::{Device, Tensor};

use crate::memory::AttractorMemory;
use crate::model::{Dkm, DkmConfig, EpisodeTerms, Km, KmConfig, TrainableModel};

use super::checkpoint::{CheckpointCard, CheckpointError, CheckpointFile};

pub enum LoadedModel {
    Dkm(Dkm, DkmConfig),
    Km(Km, KmConfig),
}

pub struct LoadedCheckpoint {
    pub card: CheckpointCard,
    pub model: LoadedModel,
}

/// Reads a checkpoint of any kind onto `device`.
pub fn load_checkpoint(path: &Path, device: &Device) -> Result<LoadedCheckpoint, CheckpointError> {
    let file = CheckpointFile::read(path)?;
    let model = match file.card.model_kind.as_str() {
        Dkm::KIND => {
            let (config, model) = file.load::<Dkm>(device)?;
            LoadedModel::Dkm(model, config)
        }
        Km::KIND => {
            let (config, model) = file.load::<Km>(device)?;
            LoadedModel::Km(model, config)
        }
        other => {
            return Err(CheckpointError::WrongKind {
                path: path.to_path_buf(),
                expected: format!("{} or {}", Dkm::KIND, Km::KIND),
                found: other.to_string(),
            });
        }
    };
    Ok(LoadedCheckpoint { card: file.card, model })
}

impl LoadedModel {
    pub fn kind(&self) -> &'static str {
        match self {
            LoadedModel::Dkm(..) => Dkm::KIND,
            LoadedModel::Km(..) => Km::KIND,
        }
    }

    /// "DKM" or "KM", for people.
    pub fn display_kind(&self) -> &'static str {
        match self {
            LoadedModel::Dkm(..) => "DKM",
            LoadedModel::Km(..) => "KM",
        }
    }

    /// # Shapes
    /// - images: [B, T, 784], binary
    pub fn episode_terms(&self, images: Tensor<3>, sampled: bool) -> EpisodeTerms {
        match self {
            LoadedModel::Dkm(model, config) => model.episode_terms(images, config, sampled),
            LoadedModel::Km(model, config) => model.episode_terms(images, config, sampled),
        }
    }

    /// `device`: where the model was loaded (no autodiff).
    pub fn into_attractor(self, name: &str, device: Device) -> Box<dyn AttractorMemory> {
        match self {
            LoadedModel::Dkm(model, config) => model.into_attractor(name, config, device),
            LoadedModel::Km(model, config) => model.into_attractor(name, config, device),
        }
    }
}

impl From<(Dkm, DkmConfig)> for LoadedModel {
    fn from((model, config): (Dkm, DkmConfig)) -> Self {
        LoadedModel::Dkm(model, config)
    }
}

impl From<(Km, KmConfig)> for LoadedModel {
    fn from((model, config): (Km, KmConfig)) -> Self {
        LoadedModel::Km(model, config)
    }
}
