//! What the training loop, the checkpoints, the evaluation and the catalog need of a trainable
//! model, so every kind shares one loop, one file format and one `eval`.
//!
//! The loop minimises [`LossTerms::loss`] and reports [`LossTerms::terms`]: named numbers with
//! their units. For the DKM and the KM the first term is −ELBO/T in nats and the others its
//! parts; a model whose objective is not a bound (EBMM's meta-learned reconstruction loss)
//! names its own terms and units.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::memory::AttractorMemory;

use super::{ModelKind, ModelOptions};

/// The name of one reported number: its key in JSON output and cards, a label for people,
/// its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermName {
    /// "nats_per_image", "recon_nats", ... (stable: scripts read these keys).
    pub key: &'static str,
    /// "-ELBO", "recon", "KL(w)", ...
    pub label: &'static str,
    /// "nats", "pixels", ...
    pub unit: &'static str,
}

impl TermName {
    pub const fn new(key: &'static str, label: &'static str, unit: &'static str) -> Self {
        Self { key, label, unit }
    }
}

/// One step's loss and what it reports, each a [1]-shaped tensor (per image, averaged over the
/// batch).
#[derive(Debug, Clone)]
pub struct LossTerms {
    /// What the optimiser minimises (may carry weights the reported terms do not).
    pub loss: Tensor<1>,
    /// The reported numbers; the first is the headline (−ELBO/T for the generative memories).
    pub terms: Vec<(TermName, Tensor<1>)>,
    /// Named vectors reported beside the terms and averaged like them (the PKM's per-machine
    /// usage); empty for most models.
    pub series: Vec<(&'static str, Tensor<1>)>,
}

/// A reported number with its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    pub name: TermName,
    pub value: f64,
}

/// A list of metrics, serialised as a flat JSON object `{key: value, ...}` (the shape `eval
/// --json` and the training events have always printed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metrics(pub Vec<Metric>);

impl Metrics {
    /// The value under `key`, if reported.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0.iter().find(|m| m.name.key == key).map(|m| m.value)
    }

    /// The first (headline) metric.
    pub fn headline(&self) -> Option<Metric> {
        self.0.first().copied()
    }

    /// "-ELBO 99.93 nats (recon 52.19, KL(w) 35.52, ...)": the headline and its parts.
    pub fn summary(&self) -> String {
        let Some((first, rest)) = self.0.split_first() else { return String::new() };
        let parts: Vec<String> = rest.iter().map(|m| format!("{} {:.2}", m.name.label, m.value)).collect();
        format!("{} {:.2} {} ({})", first.name.label, first.value, first.name.unit, parts.join(", "))
    }
}

impl Serialize for Metrics {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for m in &self.0 {
            map.serialize_entry(m.name.key, &m.value)?;
        }
        map.end()
    }
}

/// What a model's headline term (the first of [`LossTerms::terms`]) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeadlineBound {
    /// −ELBO/T of the whole episode under the model's memory prior, KL(M)/T included: a bound
    /// on −ln p(x_1..x_T)/T.
    Joint,
    /// A bound on −ln p(x | M) with M written from the episode and held fixed; the model has
    /// no memory prior, so no joint bound exists (K++).
    Conditional,
    /// Not a bound at all (the EBMM's reconstruction loss).
    NotABound,
}

/// The headline term of [`TrainableModel::conditional_terms`].
pub const CONDITIONAL_NEG_ELBO: TermName = TermName::new("conditional_nats_per_image", "-ELBO | M", "nats");

pub trait TrainableModel: Module + Sized + 'static {
    /// Everything that fixes the model's shape; stored in the checkpoint card.
    type Config: Clone + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned + Send + Sync;

    /// The checkpoint card's `model_kind`, and the CLI's `--model`.
    const KIND: ModelKind;

    /// What the headline term of [`Self::loss_terms`] is.
    const HEADLINE: HeadlineBound = HeadlineBound::Joint;

    /// The config the command line's and the train panel's model options describe.
    fn config_from(options: &ModelOptions, seed: u64) -> Self::Config;

    /// The config of a fine-tuning run from a checkpoint whose config is `source`: its shapes
    /// kept (so the parameters fit), the loss weights of `options` where the kind has them.
    /// By default the source's config unchanged (a kind without loss weights).
    fn fine_tune_config(source: Self::Config, _options: &ModelOptions) -> Self::Config {
        source
    }

    /// Refuses configs no model can be built from (zero sizes, sizes that would not fit in
    /// memory), before anything is allocated.
    fn check_config(config: &Self::Config) -> Result<(), String>;

    fn init(config: &Self::Config, device: &Device) -> Self;

    /// The loss of a batch of episodes and its reported terms. `sampled`: draw the latent
    /// variables from their posteriors (the training objective); otherwise use their means.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    fn loss_terms(&self, images: Tensor<3>, config: &Self::Config, sampled: bool) -> LossTerms;

    /// Whether training draws the latent variables (`sampled` above).
    fn sampled_in_training(config: &Self::Config) -> bool;

    /// The loss a training step descends: by default [`Self::loss_terms`] with the latents
    /// drawn as [`Self::sampled_in_training`] says (a kind may add training-only noise).
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    fn training_terms(&self, images: Tensor<3>, config: &Self::Config) -> LossTerms {
        self.loss_terms(images, config, Self::sampled_in_training(config))
    }

    /// Proper log importance weights ln p(x, latents | M) − ln q(latents | x) of `samples` draws
    /// per image, with the memory written from the image's episode and held fixed: their
    /// log-mean-exp is a memory-conditional importance-weighted bound on ln p(x | M). None (the
    /// default) where the model has no such estimator.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary; returns [B·T, samples]
    fn log_importance_weights(&self, _images: Tensor<3>, _config: &Self::Config, _samples: usize) -> Option<Tensor<2>> {
        None
    }

    /// The memory-conditional bound of `scored`: −ln p(x | M) bounded per image with the memory
    /// M written from `written` (same shape) as a deterministic function of those images and
    /// held fixed (no KL(M) term). `written` = `scored` gives the conditional bound proper;
    /// another episode gives the control "how much does the item's own memory help". The first
    /// term is [`CONDITIONAL_NEG_ELBO`]. None (the default) where the model has no bound.
    ///
    /// # Shapes
    /// - scored, written: [B, T, 784], binary
    fn conditional_terms(&self, _scored: Tensor<3>, _written: Tensor<3>, _config: &Self::Config, _sampled: bool) -> Option<LossTerms> {
        None
    }

    /// The joint bound with the memory drawn from its posterior (one draw M ~ q(M) per
    /// episode) where [`Self::loss_terms`] reads it at its mean: a strict bound on the episode's
    /// −ln p(x₁..x_T)/T where the mean read is a plug-in value in M. The first term is the
    /// joint −ELBO/T, then its parts. None (the default) where the model has no such read.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    fn sampled_memory_terms(&self, _images: Tensor<3>, _config: &Self::Config) -> Option<LossTerms> {
        None
    }

    /// The joint and the memory-conditional bounds with each image's addressing posterior
    /// refined by gradient steps on its own bound (`super::refined_address`): the first term
    /// the joint −ELBO/T, then [`CONDITIONAL_NEG_ELBO`] and the parts. None (the default) where
    /// the model has no such refinement.
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    fn refined_terms(&self, _images: Tensor<3>, _config: &Self::Config, _refinement: super::refined_address::Refinement) -> Option<LossTerms> {
        None
    }

    /// For models that allocate items among parts of their memory (the PKM's machines): each
    /// image's allocation weights, one row per image. None (the default) for the others.
    ///
    /// # Shapes
    /// - images: [N, 784] -> [N, parts]
    fn allocation(&self, _images: Tensor<2>, _config: &Self::Config) -> Option<Tensor<2>> {
        None
    }

    /// The model as an explorable memory; it should live on a device without autodiff.
    fn into_attractor(self, name: &str, config: Self::Config, device: Device) -> Box<dyn AttractorMemory>;
}
