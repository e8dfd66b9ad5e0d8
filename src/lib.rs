//! Kanerva Explorer: generative attractor memories (the Dynamic Kanerva Machine and its
//! relatives) as a library. The desktop app (`app`, feature `gui`) and the CLI are thin
//! shells over it.
//!
//! Module map:
//! - [`data`]: image readers, embedded MNIST, binarization, episodes, corruptions.
//! - [`memory`]: the memory models' math on tensors (DKM linear-Gaussian memory, ...).
//! - [`backend`]: the one place that picks the tensor device.
//! - [`rng`]: the seeded generator everything reproducible uses.

pub mod backend;
pub mod data;
pub mod eval;
pub mod export;
pub mod memory;
pub mod model;
pub mod rng;
pub mod train;

#[cfg(feature = "gui")]
pub mod app;
#[cfg(feature = "gui")]
pub use eframe::egui;
