//! Kanerva Explorer: generative attractor memories (the Dynamic Kanerva Machine and its
//! relatives) as a library. The desktop app (`app`, feature `gui`) and the CLI are thin
//! shells over it.
//!
//! Layers, each importing only those above it in this list (docs/architecture.md):
//! - [`data`], [`kernels`], [`rng`], [`backend`]: image readers and episodes, the custom CPU
//!   ops (all `unsafe` code), the seeded generator, the one place that picks the device.
//! - [`memory`]: the memories' maths behind one trait (the DKM's Bayesian memory, Hopfield,
//!   modern Hopfield, SDM).
//! - [`model`]: the trainable models (burn Modules) and their explorable forms.
//! - [`train`], [`eval`], [`export`]: the training loop and checkpoints; bounds, denoising,
//!   sweeps, basins; picture and CSV exports.
//! - [`catalog`]: the one list of model kinds and memories.
//! - `app` (feature `gui`) and the CLI binary on top.

pub mod backend;
pub mod catalog;
pub mod data;
pub mod eval;
pub mod experiment;
pub mod export;
pub mod finite;
pub mod import;
pub mod kernels;
pub mod memory;
pub mod model;
pub mod rng;
pub mod scene;
pub mod train;

#[cfg(feature = "gui")]
pub mod app;
#[cfg(feature = "gui")]
pub use eframe::egui;
