//! Checkpoints: one file holding a JSON card (what the model is, how it was trained), the
//! burn record of the parameters and, for `--resume`, the optimizer state; plus a readable copy
//! of the card beside it (`NAME.card.json`). Written atomically (temp file, fsync, rename), so
//! an interrupted save never leaves a half-written checkpoint where a good one was.
//!
//! Layout: magic `KNVCKPT1`, then three length-prefixed (u64 LE) sections: card JSON, model
//! record, optimizer record (may be empty); then the CRC-32 of everything before it (u32 LE).

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::model::{ModelKind, TrainableModel};

use super::TrainConfig;

const MAGIC: &[u8; 8] = b"KNVCKPT1";
pub const FORMAT_VERSION: u32 = 1;
/// No checkpoint of any model kind here comes near this (the largest ships at 10 MB).
pub const MAX_CHECKPOINT_BYTES: u64 = 256 << 20;

/// What a checkpoint is, readable without loading any tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointCard {
    pub format_version: u32,
    /// Which model ([`TrainableModel::KIND`]; "dkm", "km", ... in the file).
    pub model_kind: ModelKind,
    /// The model's config (that kind's `TrainableModel::Config`).
    pub config: serde_json::Value,
    pub train: Option<TrainConfig>,
    /// The data it was trained on.
    pub data: String,
    /// Optimizer steps taken.
    pub steps: u64,
    /// Wall-clock seconds of training, summed over resumed runs.
    pub train_seconds: f64,
    /// CPU seconds (user + system, every thread of the training process; in the explorer its
    /// interface's too) summed over the runs since step `cpu_seconds_from_step`: checkpoints
    /// written before this field existed leave the steps before it uncounted. None where the
    /// platform does not say (not Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cpu_seconds_from_step: u64,
    /// Last logged metrics (nats per image), if any.
    pub metrics: Option<serde_json::Value>,
    pub crate_version: String,
    /// Where the weights came from when this program did not train them from scratch (a
    /// PyTorch reference checkpoint: its file, SHA-256, arch, steps and arguments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<serde_json::Value>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Not a `#[source]`: the message already says it, and error chains would say it twice.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path}: not a Kanerva Explorer checkpoint (wrong magic)")]
    NotACheckpoint { path: PathBuf },
    #[error("{path}: checkpoint is damaged: {problem}")]
    Corrupt { path: PathBuf, problem: String },
    #[error("{path}: holds a \"{found}\" model, expected \"{expected}\"")]
    WrongKind { path: PathBuf, expected: ModelKind, found: ModelKind },
    #[error("{path}: model config differs from the requested one: {difference}")]
    ConfigMismatch { path: PathBuf, difference: String },
    #[error("{path}: written in checkpoint format {version} by a newer version of this program; this one reads format {supported}")]
    NewerFormat { path: PathBuf, version: u64, supported: u32 },
    #[error("{path}: the card's {kind} config is not valid: {problem}")]
    InvalidConfig { path: PathBuf, kind: ModelKind, problem: String },
    #[error("{path}: the saved tensors do not match the model the card describes: {problem}")]
    RecordMismatch { path: PathBuf, problem: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |error| CheckpointError::Io { path: path.to_path_buf(), error }
}

fn corrupt(path: &Path, problem: impl Into<String>) -> CheckpointError {
    CheckpointError::Corrupt { path: path.to_path_buf(), problem: problem.into() }
}

/// Writes `bytes` to `path` atomically: a temp file in the same folder, fsync, rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    write_atomically_with(path, bytes, || Ok(()))
}

/// [`write_atomically`] with a hook run between the fsync and the rename; a failing hook stands
/// for a process killed at that moment (tests use it to check that nothing is lost).
pub fn write_atomically_with(path: &Path, bytes: &[u8], before_rename: impl FnOnce() -> std::io::Result<()>) -> Result<(), CheckpointError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        before_rename()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io(path))
}

/// Path of the readable card beside a checkpoint.
pub fn card_path(checkpoint: &Path) -> PathBuf {
    let mut name = checkpoint.file_name().unwrap_or_default().to_os_string();
    name.push(".card.json");
    checkpoint.with_file_name(name)
}

/// Serialises card + model (+ optimizer) into checkpoint bytes.
pub fn encode_checkpoint<M: TrainableModel>(card: &CheckpointCard, model: &M, optimizer: Option<&ModuleOptimizer>) -> Result<Vec<u8>, String> {
    let card_json = serde_json::to_vec_pretty(card).map_err(|e| e.to_string())?;
    let model_bytes = model.clone().into_record().into_bytes().map_err(|e| format!("{e:?}"))?;
    let optim_bytes = match optimizer {
        Some(o) => o.into_bytes().map_err(|e| format!("{e:?}"))?.to_vec(),
        None => Vec::new(),
    };
    let mut out = Vec::with_capacity(card_json.len() + model_bytes.len() + optim_bytes.len() + 64);
    out.extend_from_slice(MAGIC);
    for section in [&card_json[..], &model_bytes[..], &optim_bytes[..]] {
        out.extend_from_slice(&(section.len() as u64).to_le_bytes());
        out.extend_from_slice(section);
    }
    let mut crc = flate2::Crc::new();
    crc.update(&out);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    Ok(out)
}

/// Saves a checkpoint and its readable card, both atomically.
pub fn save_checkpoint<M: TrainableModel>(path: &Path, card: &CheckpointCard, model: &M, optimizer: Option<&ModuleOptimizer>) -> Result<(), CheckpointError> {
    let bytes = encode_checkpoint(card, model, optimizer).map_err(|e| corrupt(path, format!("could not serialise: {e}")))?;
    write_atomically(path, &bytes)?;
    let pretty = serde_json::to_vec_pretty(card).expect("a card always serialises");
    write_atomically(&card_path(path), &pretty)
}

/// A checkpoint read from disk, its tensors not yet placed on a device.
pub struct CheckpointFile {
    pub path: PathBuf,
    pub card: CheckpointCard,
    model: Vec<u8>,
    optimizer: Vec<u8>,
}

impl CheckpointFile {
    pub fn read(path: &Path) -> Result<Self, CheckpointError> {
        Self::parse(path, &Self::read_bytes(path)?)
    }

    /// A checkpoint file's bytes, refused over [`MAX_CHECKPOINT_BYTES`] before they are read.
    pub fn read_bytes(path: &Path) -> Result<Vec<u8>, CheckpointError> {
        crate::data::read_bounded(path, MAX_CHECKPOINT_BYTES).map_err(|e| match e {
            crate::data::BoundedReadError::Io(error) => CheckpointError::Io { path: path.to_path_buf(), error },
            crate::data::BoundedReadError::TooLarge => corrupt(path, format!("larger than {MAX_CHECKPOINT_BYTES} bytes, more than any model here")),
        })
    }

    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, CheckpointError> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(CheckpointError::NotACheckpoint { path: path.to_path_buf() });
        }
        if bytes.len() < MAGIC.len() + 4 {
            return Err(corrupt(path, "truncated"));
        }
        let (body, tail) = bytes.split_at(bytes.len() - 4);
        let mut crc = flate2::Crc::new();
        crc.update(body);
        if crc.sum().to_le_bytes() != tail {
            return Err(corrupt(path, "checksum mismatch (truncated or altered file)"));
        }
        let mut rest = &body[MAGIC.len()..];
        let mut sections = Vec::new();
        for name in ["card", "model", "optimizer"] {
            if rest.len() < 8 {
                return Err(corrupt(path, format!("{name} section missing")));
            }
            let len = u64::from_le_bytes(rest[..8].try_into().unwrap());
            if len > (rest.len() - 8) as u64 {
                return Err(corrupt(path, format!("{name} section runs past the end")));
            }
            sections.push(rest[8..8 + len as usize].to_vec());
            rest = &rest[8 + len as usize..];
        }
        if !rest.is_empty() {
            return Err(corrupt(path, format!("{} bytes after the last section", rest.len())));
        }
        // The version first, so a newer file is named as newer rather than as unreadable.
        let version = serde_json::from_slice::<serde_json::Value>(&sections[0]).ok().and_then(|card| card.get("format_version")?.as_u64());
        if let Some(version) = version.filter(|&v| v > u64::from(FORMAT_VERSION)) {
            return Err(CheckpointError::NewerFormat { path: path.to_path_buf(), version, supported: FORMAT_VERSION });
        }
        let card: CheckpointCard = serde_json::from_slice(&sections[0]).map_err(|e| corrupt(path, format!("card: {e}")))?;
        let optimizer = sections.pop().unwrap();
        let model = sections.pop().unwrap();
        Ok(Self { path: path.to_path_buf(), card, model, optimizer })
    }

    /// Refuses a checkpoint of another model kind.
    pub fn expect_kind(&self, kind: ModelKind) -> Result<(), CheckpointError> {
        if self.card.model_kind != kind {
            return Err(CheckpointError::WrongKind { path: self.path.clone(), expected: kind, found: self.card.model_kind });
        }
        Ok(())
    }

    /// The model config of the card, read as `M`'s (after checking the kind) and checked
    /// against `M`'s limits before anything is built from it.
    pub fn config<M: TrainableModel>(&self) -> Result<M::Config, CheckpointError> {
        self.expect_kind(M::KIND)?;
        let config = serde_json::from_value(self.card.config.clone()).map_err(|e| corrupt(&self.path, format!("card config: {e}")))?;
        M::check_config(&config).map_err(|problem| CheckpointError::InvalidConfig { path: self.path.clone(), kind: M::KIND, problem })?;
        Ok(config)
    }

    /// Refuses a checkpoint whose kind or model config differs from `wanted`, naming the
    /// difference.
    pub fn expect_config<M: TrainableModel>(&self, wanted: &M::Config) -> Result<(), CheckpointError> {
        if &self.config::<M>()? == wanted {
            return Ok(());
        }
        let (a, b) = (&self.card.config, serde_json::to_value(wanted).unwrap());
        let difference = match (a.as_object(), b.as_object()) {
            (Some(a), Some(b)) => a
                .iter()
                .filter(|(k, v)| b.get(*k) != Some(v))
                .map(|(k, v)| format!("{k}: checkpoint {v}, requested {}", b.get(k).cloned().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("; "),
            _ => "unknown".into(),
        };
        Err(CheckpointError::ConfigMismatch { path: self.path.clone(), difference })
    }

    /// The model and its config, on `device`. Fails (never panics) on another kind or a
    /// record that does not fit the config.
    pub fn load<M: TrainableModel>(&self, device: &Device) -> Result<(M::Config, M), CheckpointError> {
        let config = self.config::<M>()?;
        let model = self.load_as::<M>(&config, device)?;
        Ok((config, model))
    }

    /// The parameters, loaded into a model built from `config` rather than the card's (a
    /// fine-tune under other loss weights); the record must fit it.
    pub fn load_as<M: TrainableModel>(&self, config: &M::Config, device: &Device) -> Result<M, CheckpointError> {
        self.expect_kind(M::KIND)?;
        M::check_config(config).map_err(|problem| CheckpointError::InvalidConfig { path: self.path.clone(), kind: M::KIND, problem })?;
        let model = M::init(config, device);
        let reference = model.clone().into_record().into_bytes().map_err(|e| corrupt(&self.path, format!("the model's own record: {e}")))?;
        super::record_check::check_model_record(&self.model, &reference).map_err(|problem| self.mismatch(problem))?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(self.model.clone())).map_err(|e| corrupt(&self.path, format!("parameter record: {e}")))?;
        model.try_load_record(record).map_err(|e| self.mismatch(e.to_string()))
    }

    /// The optimizer state saved with the model, applied to `optimizer`, if there is one.
    pub fn load_optimizer(&self, optimizer: ModuleOptimizer) -> Result<ModuleOptimizer, CheckpointError> {
        if self.optimizer.is_empty() {
            return Ok(optimizer);
        }
        super::record_check::check_optimizer_record(&self.optimizer, &self.model).map_err(|problem| self.mismatch(problem))?;
        optimizer.from_bytes(Bytes::from_bytes_vec(self.optimizer.clone())).map_err(|e| corrupt(&self.path, format!("optimizer record: {e}")))
    }

    fn mismatch(&self, problem: String) -> CheckpointError {
        CheckpointError::RecordMismatch { path: self.path.clone(), problem }
    }
}
