//! Memory models: pure math on tensors (DKM) or plain vectors (the classical ones). The UI sees
//! them only through [`attractor::AttractorMemory`].

pub mod attractor;
pub mod dense;
pub mod dkm;
pub mod hopfield;
pub mod limits;
pub mod linalg;
pub mod modern_hopfield;
pub mod product;
pub mod sdm;

pub use attractor::{About, AddressStep, AddressedRead, Addressing, AttractorMemory, Capabilities, Embedding, Generator, LandscapeSpace, MemoryInfo, check_addressing, read_step, start_read, DEFAULT_SEARCH_STEPS, HeldAddress, Evaluation, Iterate, MemoryError, Panel, ReadPlan, ReadUpdate, Term, WriteReport, read_iterations};
pub use limits::SettingsError;
