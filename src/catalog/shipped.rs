//! Where the shipped weights are found, wherever the binary runs: `$KANERVA_ASSETS` alone when
//! it is set, else an `assets/` folder next to the executable, `../share/kanerva-explorer/assets` from it, the
//! user's data folder (`$XDG_DATA_HOME` or `~/.local/share`, then `kanerva-explorer/assets`),
//! the source tree it was built from, `./assets`. The MNIST DKM is also built into the binary,
//! so the explorer always starts on a trained memory.

use std::path::{Path, PathBuf};

use crate::train::{CheckpointError, CheckpointFile};

/// The name that stands for the DKM weights built into the binary, wherever a checkpoint path
/// is accepted (`--checkpoint embedded:dkm_mnist.ckpt`).
pub const EMBEDDED_DKM: &str = "embedded:dkm_mnist.ckpt";

const EMBEDDED_DKM_BYTES: &[u8] = include_bytes!("../../assets/dkm_mnist.ckpt");

/// Whether `path` names the built-in weights.
pub fn is_embedded(path: &Path) -> bool {
    path == Path::new(EMBEDDED_DKM)
}

/// Reads a checkpoint file, or the built-in one.
pub fn read_checkpoint(path: &Path) -> Result<CheckpointFile, CheckpointError> {
    if is_embedded(path) { CheckpointFile::parse(path, EMBEDDED_DKM_BYTES) } else { CheckpointFile::read(path) }
}

/// The folders searched for shipped weights, in order.
pub fn candidate_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("KANERVA_ASSETS") {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs = Vec::new();
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        dirs.push(exe_dir.join("assets"));
        dirs.push(exe_dir.join("../share/kanerva-explorer/assets"));
    }
    let data_home = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")));
    if let Some(data_home) = data_home {
        dirs.push(data_home.join("kanerva-explorer/assets"));
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"));
    dirs.push(PathBuf::from("assets"));
    dirs
}

/// The first candidate folder that holds a checkpoint.
pub fn assets_dir() -> Option<PathBuf> {
    candidate_dirs().into_iter().find(|dir| !checkpoints_in(dir).is_empty())
}

/// `*.ckpt` files in `dir`, sorted.
fn checkpoints_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ckpt"))
        .collect();
    found.sort();
    found
}

/// The shipped checkpoints found (none when no folder holds any).
pub fn shipped_checkpoints() -> Vec<PathBuf> {
    assets_dir().map(|dir| checkpoints_in(&dir)).unwrap_or_default()
}

/// A shipped checkpoint by its name under the assets folder (`pkm_mnist.ckpt`, or in a
/// subfolder: `pkm_counts/pkm2x16_mnist.ckpt`); the MNIST DKM is also built into the binary.
pub fn find_shipped(name: &Path) -> Option<PathBuf> {
    let nested = name.components().count() > 1;
    let found = if nested {
        assets_dir().map(|dir| dir.join(name)).filter(|p| p.is_file())
    } else {
        shipped_checkpoints().into_iter().find(|p| p.file_name() == name.file_name())
    };
    found.or_else(|| (name.as_os_str() == "dkm_mnist.ckpt").then(|| PathBuf::from(EMBEDDED_DKM)))
}

/// Where the weights a memory was built from came from, for the status bar.
pub fn origin(path: &Path) -> String {
    if is_embedded(path) { "the weights built into the binary".into() } else { path.display().to_string() }
}

/// The bytes of a checkpoint file, or of the built-in one (bounded like any checkpoint).
pub fn checkpoint_bytes(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    if is_embedded(path) { Ok(EMBEDDED_DKM_BYTES.to_vec()) } else { CheckpointFile::read_bytes(path) }
}
