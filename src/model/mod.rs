//! Networks and full generative models (burn Modules with their Configs).

pub mod attractor;
pub mod dkm;
pub mod conv_kernels;
pub mod fast_conv;
pub mod fused_bernoulli;
pub mod km;
pub mod km_attractor;
pub mod networks;
pub mod parallel_relu;
mod thread_buffers;
mod strided_copy;
mod reading;
pub mod trainable;

pub use attractor::DkmAttractor;
pub(crate) use dkm::truncated_normal;
pub use dkm::{Dkm, DkmConfig, EpisodeTerms};
pub use km::{Km, KmConfig};
pub use km_attractor::KmAttractor;
pub use networks::{Arch, bernoulli_log_likelihood, bernoulli_log_likelihood_generic};
pub use trainable::TrainableModel;
