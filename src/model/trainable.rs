//! What the training loop, the checkpoints and the evaluation need of a generative memory
//! model, so the DKM and the Kanerva Machine share one loop, one file format and one `eval`.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::memory::AttractorMemory;

use super::EpisodeTerms;

pub trait TrainableModel: Module + Sized + 'static {
    /// Everything that fixes the model's shape; stored in the checkpoint card.
    type Config: Clone + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned + Send + Sync;

    /// The checkpoint card's `model_kind`, and the CLI's `--model`.
    const KIND: &'static str;

    fn init(config: &Self::Config, device: &Device) -> Self;

    /// Per-image terms of the episode bound. `sampled`: draw the latent variables from their
    /// posteriors (the training objective); otherwise use their means.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    fn episode_terms(&self, images: Tensor<3>, config: &Self::Config, sampled: bool) -> EpisodeTerms;

    /// Whether training draws the latent variables (`sampled` above).
    fn sampled_in_training(config: &Self::Config) -> bool;

    /// The model as an explorable memory; it should live on a device without autodiff.
    fn into_attractor(self, name: &str, config: Self::Config, device: Device) -> Box<dyn AttractorMemory>;
}
