//! Which memories the explorer offers and how each is built.

use std::path::{Path, PathBuf};

use crate::backend::inference_device;
use crate::memory::AttractorMemory;
use crate::memory::hopfield::{Hopfield, HopfieldConfig, LearningRule, UpdateOrder};
use crate::memory::modern_hopfield::ModernHopfield;
use crate::memory::sdm::{Sdm, SdmConfig};
use crate::train::{CheckpointFile, load_checkpoint};
use crate::train::checkpoint::card_path;

/// A memory the person can pick, with its settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ModelChoice {
    Hopfield(HopfieldConfig),
    ModernHopfield { beta: f64 },
    Sdm(SdmConfig),
    /// A trained checkpoint; `kind` is its card's model kind ("dkm" or "km").
    Trained { kind: String, checkpoint: PathBuf },
}

impl ModelChoice {
    pub fn label(&self) -> String {
        match self {
            ModelChoice::Hopfield(c) => format!("Hopfield ({})", match c.rule {
                LearningRule::Hebbian => "Hebbian",
                LearningRule::Storkey => "Storkey",
                LearningRule::PseudoInverse => "pseudo-inverse",
            }),
            ModelChoice::ModernHopfield { .. } => "Modern Hopfield".into(),
            ModelChoice::Sdm(_) => "Sparse distributed memory".into(),
            ModelChoice::Trained { kind, checkpoint } => format!(
                "{} ({})",
                kind.to_uppercase(),
                checkpoint.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            ),
        }
    }

    /// Builds the memory (loads the checkpoint for a DKM).
    pub fn build(&self) -> Result<Box<dyn AttractorMemory>, String> {
        Ok(match self {
            ModelChoice::Hopfield(c) => Box::new(Hopfield::new(*c)),
            ModelChoice::ModernHopfield { beta } => Box::new(ModernHopfield::new(*beta)),
            ModelChoice::Sdm(c) => Box::new(Sdm::new(*c)),
            ModelChoice::Trained { checkpoint, .. } => {
                let device = inference_device();
                let loaded = load_checkpoint(checkpoint, &device).map_err(|e| e.to_string())?;
                let name = format!("{} ({}, {} steps)", loaded.model.display_kind(), loaded.card.data, loaded.card.steps);
                loaded.model.into_attractor(&name, device)
            }
        })
    }

    /// A trained checkpoint, its kind read from the card beside it (or from the file itself).
    pub fn trained(checkpoint: PathBuf) -> ModelChoice {
        let beside = std::fs::read(card_path(&checkpoint))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|card| card.get("model_kind").and_then(|k| k.as_str()).map(str::to_string));
        let kind = beside
            .or_else(|| CheckpointFile::read(&checkpoint).ok().map(|f| f.card.model_kind))
            .unwrap_or_else(|| "checkpoint".into());
        ModelChoice::Trained { kind, checkpoint }
    }

    pub fn is_trained_kind(&self, wanted: &str) -> bool {
        matches!(self, ModelChoice::Trained { kind, .. } if kind == wanted)
    }

    /// The memories available here: the classical ones, and one per shipped checkpoint.
    pub fn available() -> Vec<ModelChoice> {
        let mut out = vec![
            ModelChoice::Hopfield(HopfieldConfig { rule: LearningRule::Hebbian, order: UpdateOrder::Asynchronous }),
            ModelChoice::Hopfield(HopfieldConfig { rule: LearningRule::PseudoInverse, order: UpdateOrder::Asynchronous }),
            ModelChoice::ModernHopfield { beta: 20.0 },
            ModelChoice::Sdm(SdmConfig::default()),
        ];
        out.extend(shipped_checkpoints().into_iter().map(ModelChoice::trained));
        out
    }
}

/// Folder of the shipped weights: `$KANERVA_ASSETS`, else `assets/` of the source tree the
/// binary was built from, else `./assets`.
pub fn assets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KANERVA_ASSETS") {
        return PathBuf::from(dir);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    if built.is_dir() { built } else { PathBuf::from("assets") }
}

/// `*.ckpt` files in the assets folder, sorted (MNIST first by name).
pub fn shipped_checkpoints() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(assets_dir())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ckpt"))
        .collect();
    found.sort();
    found
}
