//! Loading a checkpoint of any kind (DKM or Kanerva Machine) as an explorable memory.

use std::path::Path;

use kanerva::backend::inference_device;
use kanerva::memory::AttractorMemory;
use kanerva::train::{CheckpointCard, load_checkpoint};

/// The checkpoint's card and its model as a memory. `expected_kind`: refuse another kind.
pub fn trained_memory(path: &Path, expected_kind: Option<&str>) -> anyhow::Result<(CheckpointCard, Box<dyn AttractorMemory>)> {
    let device = inference_device();
    let loaded = load_checkpoint(path, &device)?;
    if let Some(kind) = expected_kind {
        anyhow::ensure!(
            loaded.model.kind() == kind,
            "{}: holds a {:?} model, but --model {kind} was asked for",
            path.display(),
            loaded.model.kind()
        );
    }
    let kind = loaded.model.kind();
    Ok((loaded.card, loaded.model.into_attractor(kind, device)))
}
