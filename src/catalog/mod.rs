//! The one list of what the explorer and the CLI can build: the trainable model kinds
//! ([`kinds`]: train, load, evaluate any kind by its [`ModelKind`]) and every memory by name
//! ([`memories`]: the classical ones with their settings, and trained checkpoints), for the
//! app's pickers, `kanerva sweep --model`, `train --model`, checkpoint loading and the
//! compare view.
//!
//! Adding a model kind: its file in `crate::model` (Module, Config, loss terms, explorable form,
//! [`crate::model::TrainableModel`] impl), a [`ModelKind`] variant, and its line in
//! [`kinds::entry`].

pub mod cards;
pub mod kinds;
pub mod memories;
pub mod shipped;

pub use crate::model::ModelKind;
pub use kinds::{fine_tune_spec, load_checkpoint, load_file, model_spec, train};
pub use memories::{BuildError, MemoryName, MemorySpec};
pub use shipped::{EMBEDDED_DKM, assets_dir, shipped_checkpoints};
