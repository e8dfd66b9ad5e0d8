//! Which memories the explorer offers and how each is built.

use std::path::{Path, PathBuf};

use crate::backend::inference_device;
use crate::memory::AttractorMemory;
use crate::memory::hopfield::{Hopfield, HopfieldConfig, LearningRule, UpdateOrder};
use crate::memory::modern_hopfield::ModernHopfield;
use crate::memory::sdm::{Sdm, SdmConfig};
use crate::model::DkmAttractor;
use crate::train::load_dkm;

/// A memory the person can pick, with its settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ModelChoice {
    Hopfield(HopfieldConfig),
    ModernHopfield { beta: f64 },
    Sdm(SdmConfig),
    /// A trained DKM checkpoint.
    Dkm { checkpoint: PathBuf },
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
            ModelChoice::Dkm { checkpoint } => format!(
                "DKM ({})",
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
            ModelChoice::Dkm { checkpoint } => {
                let device = inference_device();
                let (card, model) = load_dkm(checkpoint, &device).map_err(|e| e.to_string())?;
                let name = format!("DKM ({}, {} steps)", card.data, card.steps);
                Box::new(DkmAttractor::new(&name, model, card.config, device))
            }
        })
    }

    /// The memories available here: the classical ones, and a DKM per shipped checkpoint.
    pub fn available() -> Vec<ModelChoice> {
        let mut out = vec![
            ModelChoice::Hopfield(HopfieldConfig { rule: LearningRule::Hebbian, order: UpdateOrder::Asynchronous }),
            ModelChoice::Hopfield(HopfieldConfig { rule: LearningRule::PseudoInverse, order: UpdateOrder::Asynchronous }),
            ModelChoice::ModernHopfield { beta: 20.0 },
            ModelChoice::Sdm(SdmConfig::default()),
        ];
        out.extend(shipped_checkpoints().into_iter().map(|checkpoint| ModelChoice::Dkm { checkpoint }));
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
