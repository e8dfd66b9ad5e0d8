//! Every memory the explorer and the CLI can build, by name and with its settings: the
//! classical ones (Hopfield with three learning rules, modern Hopfield, SDM) and trained
//! checkpoints of any kind.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backend::inference_device;
use crate::memory::AttractorMemory;
use crate::memory::limits::{SettingsError, check_beta};
use crate::memory::hopfield::{Hopfield, HopfieldConfig, LearningRule};
use crate::memory::modern_hopfield::ModernHopfield;
use crate::memory::sdm::{Sdm, SdmConfig};
use crate::model::ModelKind;
use crate::train::CheckpointError;
use crate::train::checkpoint::card_path;

use super::kinds::load_checkpoint;
use super::shipped::shipped_checkpoints;

/// The modern Hopfield network's default inverse temperature: retrieves 64 held-out
/// Omniglot characters or 256 MNIST digits under 15% bit flips (recall error <= 0.0005),
/// where β = 20 blends them (0.08 and 0.14): docs/capacity.md has the commands.
pub const DEFAULT_BETA: f64 = 100.0;

/// A memory's name on the command line (`sweep --model NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryName {
    Hopfield(LearningRule),
    ModernHopfield,
    Sdm,
    Trained(ModelKind),
}

impl MemoryName {
    /// Every name, classical memories first.
    pub fn all() -> Vec<MemoryName> {
        let mut names = vec![
            MemoryName::Hopfield(LearningRule::Hebbian),
            MemoryName::Hopfield(LearningRule::Storkey),
            MemoryName::Hopfield(LearningRule::PseudoInverse),
            MemoryName::Hopfield(LearningRule::Covariance),
            MemoryName::ModernHopfield,
            MemoryName::Sdm,
        ];
        names.extend(ModelKind::ALL.map(MemoryName::Trained));
        names
    }

    pub fn name(self) -> &'static str {
        match self {
            MemoryName::Hopfield(LearningRule::Hebbian) => "hopfield",
            MemoryName::Hopfield(LearningRule::Storkey) => "hopfield-storkey",
            MemoryName::Hopfield(LearningRule::PseudoInverse) => "hopfield-pinv",
            MemoryName::Hopfield(LearningRule::Covariance) => "hopfield-covariance",
            MemoryName::ModernHopfield => "modern-hopfield",
            MemoryName::Sdm => "sdm",
            MemoryName::Trained(kind) => kind.name(),
        }
    }

    /// "hopfield, hopfield-storkey, ...": for help texts and errors.
    pub fn list() -> String {
        Self::all().into_iter().map(MemoryName::name).collect::<Vec<_>>().join(", ")
    }

    /// The help of a `--model` option that takes any memory: the classical ones, then the
    /// trained kinds (which need `--checkpoint`), all from [`Self::all`].
    pub fn help() -> String {
        let classical: Vec<&str> = Self::all().into_iter().filter(|n| !matches!(n, MemoryName::Trained(_))).map(MemoryName::name).collect();
        format!("The memory: {}, or a trained kind ({}) with --checkpoint", classical.join(", "), ModelKind::names())
    }
}

impl std::str::FromStr for MemoryName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::all().into_iter().find(|n| n.name() == s).ok_or_else(|| format!("unknown memory {s:?} (one of: {})", Self::list()))
    }
}

impl std::fmt::Display for MemoryName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A memory with its settings: what the explorer's pickers list (and persist) and what the
/// CLI builds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MemorySpec {
    Hopfield(HopfieldConfig),
    ModernHopfield { beta: f64 },
    Sdm(SdmConfig),
    /// A trained checkpoint; `kind` is its card's model kind (None: the card could not be read).
    Trained { kind: Option<ModelKind>, checkpoint: PathBuf },
}

/// Why a memory could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("--model {0} needs --checkpoint")]
    NeedsCheckpoint(ModelKind),
    #[error("{path}: holds a \"{found}\" model, but --model {wanted} was asked for")]
    KindMismatch { path: PathBuf, wanted: ModelKind, found: ModelKind },
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

impl MemorySpec {
    /// The spec `name` means on the command line, with the classical memories' settings.
    pub fn from_name(name: MemoryName, checkpoint: Option<&Path>, beta: f64, locations: usize) -> Result<MemorySpec, BuildError> {
        Ok(match name {
            MemoryName::Hopfield(rule) => MemorySpec::Hopfield(HopfieldConfig { rule, ..Default::default() }),
            MemoryName::ModernHopfield => MemorySpec::ModernHopfield { beta },
            MemoryName::Sdm => MemorySpec::Sdm(SdmConfig { locations, ..SdmConfig::default() }),
            MemoryName::Trained(kind) => {
                let checkpoint = checkpoint.ok_or(BuildError::NeedsCheckpoint(kind))?;
                MemorySpec::Trained { kind: Some(kind), checkpoint: checkpoint.to_path_buf() }
            }
        })
    }

    /// The name of this memory's kind.
    pub fn name(&self) -> Option<MemoryName> {
        Some(match self {
            MemorySpec::Hopfield(c) => MemoryName::Hopfield(c.rule),
            MemorySpec::ModernHopfield { .. } => MemoryName::ModernHopfield,
            MemorySpec::Sdm(_) => MemoryName::Sdm,
            MemorySpec::Trained { kind, .. } => MemoryName::Trained((*kind)?),
        })
    }

    /// For people: "Hopfield (Hebbian)", "DKM (dkm_mnist.ckpt)".
    pub fn label(&self) -> String {
        match self {
            MemorySpec::Hopfield(c) => format!(
                "Hopfield ({})",
                match c.rule {
                    LearningRule::Hebbian => "Hebbian",
                    LearningRule::Storkey => "Storkey",
                    LearningRule::PseudoInverse => "pseudo-inverse",
                    LearningRule::Covariance => "covariance",
                }
            ),
            MemorySpec::ModernHopfield { .. } => "Modern Hopfield".into(),
            MemorySpec::Sdm(_) => "Sparse distributed memory".into(),
            MemorySpec::Trained { kind, checkpoint } => format!(
                "{} ({})",
                kind.map_or("checkpoint", ModelKind::label),
                checkpoint.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            ),
        }
    }

    /// Whether this is a trained checkpoint of `kind`.
    pub fn is_trained(&self, wanted: ModelKind) -> bool {
        matches!(self, MemorySpec::Trained { kind: Some(kind), .. } if *kind == wanted)
    }

    /// Refuses settings past the limits of [`crate::memory::limits`] (β, the SDM's locations
    /// and activation), whoever gave them: the command line, saved settings, a scene.
    pub fn validate(&self) -> Result<(), SettingsError> {
        match self {
            MemorySpec::ModernHopfield { beta } => check_beta(*beta),
            MemorySpec::Sdm(c) => c.validate(),
            MemorySpec::Hopfield(_) | MemorySpec::Trained { .. } => Ok(()),
        }
    }

    /// Builds the memory (loads the checkpoint of a trained one, refusing one whose card names
    /// another kind than the spec), after [`Self::validate`].
    pub fn build(&self) -> Result<Box<dyn AttractorMemory>, BuildError> {
        self.validate()?;
        Ok(match self {
            MemorySpec::Hopfield(c) => Box::new(Hopfield::new(*c)),
            MemorySpec::ModernHopfield { beta } => Box::new(ModernHopfield::new(*beta)),
            MemorySpec::Sdm(c) => Box::new(Sdm::new(*c)),
            MemorySpec::Trained { kind, checkpoint } => {
                let device = inference_device();
                let loaded = load_checkpoint(checkpoint, &device)?;
                if let Some(wanted) = *kind
                    && loaded.card.model_kind != wanted
                {
                    return Err(BuildError::KindMismatch { path: checkpoint.clone(), wanted, found: loaded.card.model_kind });
                }
                let name = loaded.display_name();
                loaded.model.into_attractor(&name, device)
            }
        })
    }

    /// A trained checkpoint, its kind read from the card beside it (or from the file itself).
    pub fn trained(checkpoint: PathBuf) -> MemorySpec {
        if super::shipped::is_embedded(&checkpoint) {
            return MemorySpec::Trained { kind: Some(ModelKind::Dkm), checkpoint };
        }
        let beside = crate::data::read_bounded(&card_path(&checkpoint), 1 << 20)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|card| card.get("model_kind").and_then(|k| k.as_str()).and_then(ModelKind::from_name));
        let kind = beside.or_else(|| super::shipped::read_checkpoint(&checkpoint).ok().map(|f| f.card.model_kind));
        MemorySpec::Trained { kind, checkpoint }
    }

    /// The memories available here: the classical ones, and one per shipped checkpoint.
    pub fn available() -> Vec<MemorySpec> {
        // Every classical memory, in the order of the names.
        let mut out: Vec<MemorySpec> = MemoryName::all()
            .into_iter()
            .filter(|name| !matches!(name, MemoryName::Trained(_)))
            .map(|name| MemorySpec::from_name(name, None, DEFAULT_BETA, SdmConfig::default().locations).expect("classical memories need no checkpoint"))
            .collect();
        let shipped = shipped_checkpoints();
        if !shipped.iter().any(|p| p.file_name().is_some_and(|n| n == "dkm_mnist.ckpt")) {
            // No folder of weights here (the binary runs outside its source tree): the DKM
            // built into it.
            out.push(MemorySpec::Trained { kind: Some(ModelKind::Dkm), checkpoint: PathBuf::from(super::shipped::EMBEDDED_DKM) });
        }
        out.extend(shipped.into_iter().map(MemorySpec::trained));
        out
    }
}

