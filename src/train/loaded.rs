//! A trained model of any kind, loaded: what `eval`, `denoise`, `sample`, `sweep` and the
//! explorer take, so each handles every kind alike. The catalog (`crate::catalog`) reads a
//! checkpoint into one of these by its card's kind.

use std::any::Any;

use burn::tensor::{Device, Tensor};

use crate::memory::AttractorMemory;
use crate::model::refined_address::Refinement;
use crate::model::{HeadlineBound, LossTerms, ModelKind, TrainableModel};

use super::checkpoint::CheckpointCard;

/// A model of some kind with its config, on a device without autodiff.
pub trait TrainedModel: Send {
    fn kind(&self) -> ModelKind;

    /// The loss and reported terms of a batch of episodes (see [`TrainableModel::loss_terms`]).
    ///
    /// # Shapes
    /// - images: [B, T, 784], binary
    fn loss_terms(&self, images: Tensor<3>, sampled: bool) -> LossTerms;

    /// [`TrainableModel::log_importance_weights`].
    fn log_importance_weights(&self, images: Tensor<3>, samples: usize) -> Option<Tensor<2>>;

    /// [`TrainableModel::HEADLINE`].
    fn headline_bound(&self) -> HeadlineBound;

    /// [`TrainableModel::conditional_terms`].
    fn conditional_terms(&self, scored: Tensor<3>, written: Tensor<3>, sampled: bool) -> Option<LossTerms>;

    /// [`TrainableModel::sampled_memory_terms`].
    fn sampled_memory_terms(&self, images: Tensor<3>) -> Option<LossTerms>;

    /// [`TrainableModel::refined_terms`].
    fn refined_terms(&self, images: Tensor<3>, refinement: Refinement) -> Option<LossTerms>;

    /// Each image's allocation weights among the model's memory parts (the PKM's gates), if it
    /// allocates.
    ///
    /// # Shapes
    /// - images: [N, 784] -> [N, parts]
    fn allocation(&self, images: Tensor<2>) -> Option<Tensor<2>>;

    /// The model as an explorable memory. `device`: where the model was loaded (no autodiff).
    fn into_attractor(self: Box<Self>, name: &str, device: Device) -> Box<dyn AttractorMemory>;

    /// For analyses of one kind (a DKM's amortisation gap): downcast to [`Trained<M>`].
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// A model and its config.
pub struct Trained<M: TrainableModel> {
    pub model: M,
    pub config: M::Config,
}

impl<M: TrainableModel> TrainedModel for Trained<M> {
    fn kind(&self) -> ModelKind {
        M::KIND
    }

    fn loss_terms(&self, images: Tensor<3>, sampled: bool) -> LossTerms {
        self.model.loss_terms(images, &self.config, sampled)
    }

    fn log_importance_weights(&self, images: Tensor<3>, samples: usize) -> Option<Tensor<2>> {
        self.model.log_importance_weights(images, &self.config, samples)
    }

    fn headline_bound(&self) -> HeadlineBound {
        M::HEADLINE
    }

    fn conditional_terms(&self, scored: Tensor<3>, written: Tensor<3>, sampled: bool) -> Option<LossTerms> {
        self.model.conditional_terms(scored, written, &self.config, sampled)
    }

    fn sampled_memory_terms(&self, images: Tensor<3>) -> Option<LossTerms> {
        self.model.sampled_memory_terms(images, &self.config)
    }

    fn refined_terms(&self, images: Tensor<3>, refinement: Refinement) -> Option<LossTerms> {
        self.model.refined_terms(images, &self.config, refinement)
    }

    fn allocation(&self, images: Tensor<2>) -> Option<Tensor<2>> {
        self.model.allocation(images, &self.config)
    }

    fn into_attractor(self: Box<Self>, name: &str, device: Device) -> Box<dyn AttractorMemory> {
        self.model.into_attractor(name, self.config, device)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// A checkpoint's card and its model.
pub struct LoadedCheckpoint {
    pub card: CheckpointCard,
    pub model: Box<dyn TrainedModel>,
}

impl LoadedCheckpoint {
    /// How the explorer names a loaded model: "DKM (mnist_train.img1.gz, 9500 steps)": the kind, the training data's file name (the
    /// folder it was trained from means nothing on another machine; the card keeps it) and
    /// the steps.
    pub fn display_name(&self) -> String {
        format!("{} ({}, {} steps)", self.card.model_kind.label(), data_file_name(&self.card.data), self.card.steps)
    }
}

/// The file name of a data argument (`data/sets/x.img1.gz#labels=0..864` ->
/// `x.img1.gz#labels=0..864`; `embedded:mnist-test` stays).
fn data_file_name(data: &str) -> &str {
    let (path, _) = data.split_once('#').unwrap_or((data, ""));
    match path.rfind(['/', '\\']) {
        Some(slash) => &data[slash + 1..],
        None => data,
    }
}

#[cfg(test)]
mod name_tests {
    #[test]
    fn the_displayed_data_is_its_file_name_with_its_label_range() {
        assert_eq!(super::data_file_name("data/sets/omniglot.img1.gz#labels=0..864"), "omniglot.img1.gz#labels=0..864");
        assert_eq!(super::data_file_name("datasets/mnist_train.img1.gz"), "mnist_train.img1.gz");
        assert_eq!(super::data_file_name("embedded:mnist-test"), "embedded:mnist-test");
        assert_eq!(super::data_file_name("C:\\data\\x.img1"), "x.img1");
    }
}
