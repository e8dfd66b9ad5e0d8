//! Networks and full generative models (burn Modules with their Configs).

pub mod attractor;
pub mod dkm;
pub mod networks;

pub use attractor::DkmAttractor;
pub use dkm::{Dkm, DkmConfig, EpisodeTerms};
pub use networks::{Arch, bernoulli_log_likelihood};
