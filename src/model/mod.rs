//! Networks and the trainable generative models (burn Modules with their Configs), each with
//! its explorable form. A model kind is two files here (`kind.rs`: its Module, Config, loss
//! terms and [`TrainableModel`] impl; `kind_attractor.rs`: its [`TrainedAttractor`], which
//! [`Explorable`] makes an explorable memory) plus a [`ModelKind`] variant and a catalog
//! entry. This file is only the face: what the rest of the crate uses.

pub mod address_search;
pub mod block_read;
pub mod dkm;
pub mod dkm_attractor;
pub mod ebmm;
pub mod ebmm_attractor;
pub mod explorable;
pub mod km;
pub mod layer_shapes;
pub mod km_attractor;
pub mod kpp;
pub mod kpp_attractor;
mod config_checks;
mod kind;
pub mod networks;
mod options;
pub mod pkm;
pub mod pkm_attractor;
mod reading;
pub mod refined_address;
pub mod trainable;

pub use dkm_attractor::DkmAttractor;
pub(crate) use dkm::truncated_normal;
pub use dkm::{Dkm, DkmConfig, EpisodeTerms};
pub use ebmm::{Ebmm, EbmmConfig};
pub use ebmm_attractor::EbmmAttractor;
pub use explorable::{Explorable, Facets, TrainedAttractor};
pub use kind::ModelKind;
pub use km::{Km, KmConfig};
pub use km_attractor::KmAttractor;
pub use kpp::{Kpp, KppConfig};
pub use kpp_attractor::KppAttractor;
pub use networks::{Arch, bernoulli_log_likelihood, bernoulli_log_likelihood_generic};
pub use options::ModelOptions;
pub use pkm::{Pkm, PkmConfig};
pub use pkm_attractor::PkmAttractor;
pub use config_checks::MAX_DIMENSION;
pub(crate) use config_checks::{check_finite_weight, check_memory_config, check_size};
pub(crate) use networks::gaussian_log_density;
pub use trainable::{CONDITIONAL_NEG_ELBO, HeadlineBound, LossTerms, Metric, Metrics, TermName, TrainableModel};
