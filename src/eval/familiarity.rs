//! How far an episode is from what a trained model saw: the model's headline objective (its
//! −ELBO per image, or the EBMM's read loss) on the written episode, beside the value its
//! training last logged for the same objective (the checkpoint card's metrics). Data far from
//! the training data (Fashion-MNIST under an MNIST model, digits under an Omniglot K++) costs
//! far more than the training level, and the explorer says so: its reads may not mean much.

use burn::tensor::{Device, Tensor};

use crate::data::{Image, PIXELS};
use crate::train::{CheckpointCard, TrainedModel};

/// The objective on the episode and at the end of training.
#[derive(Debug, Clone, PartialEq)]
pub struct Familiarity {
    /// The objective's label ("-ELBO", ...) and unit ("nats").
    pub objective: &'static str,
    pub unit: &'static str,
    /// Per image, on the written episode (the means of the model's posteriors, no sampling).
    pub episode: f64,
    /// Per image, as the last training steps logged it (on training episodes).
    pub training: f64,
}

/// An episode is far from the training data when its objective exceeds the training level by
/// a quarter and by 10 units: a model's own test data costs about its training level (the
/// MNIST DKM: 82.7 nats on 16 test digits against 100.5 logged in training), random binary
/// patterns several times it.
const FAR_RATIO: f64 = 1.25;
const FAR_MARGIN: f64 = 10.0;

impl Familiarity {
    pub fn is_far(&self) -> bool {
        self.episode > self.training * FAR_RATIO && self.episode > self.training + FAR_MARGIN
    }

    /// "−ELBO 183.2 nats per image on this episode; 100.5 in its last training steps".
    pub fn summary(&self) -> String {
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        format!("{} {:.1}{unit} per image on this episode; {:.1} in its last training steps", self.objective, self.episode, self.training)
    }
}

/// The familiarity of `episode` to the model of `card`; None when the card logged no value of
/// the model's headline objective, or the episode is empty or not 28 x 28.
///
/// # Shapes
/// - the episode goes in as [1, T, 784]
pub fn familiarity(model: &dyn TrainedModel, card: &CheckpointCard, episode: &[Image], device: &Device) -> Option<Familiarity> {
    if episode.is_empty() || episode.iter().any(|im| im.pixels.len() != PIXELS) {
        return None;
    }
    let values: Vec<f32> = episode.iter().flat_map(|im| im.pixels.iter().map(|v| v.clamp(0.0, 1.0))).collect();
    let images = Tensor::<3>::from_data(burn::tensor::TensorData::new(values, [1, episode.len(), PIXELS]), device);
    let terms = model.loss_terms(images, false);
    let (name, value) = terms.terms.into_iter().next()?;
    let training = card.metrics.as_ref()?.get(name.key)?.as_f64()?;
    let episode = value.into_data().convert::<f64>().try_into_vec::<f64>().ok()?.first().copied()?;
    (episode.is_finite() && training.is_finite()).then_some(Familiarity { objective: name.label, unit: name.unit, episode, training })
}

#[cfg(test)]
mod tests {
    use super::Familiarity;

    #[test]
    fn far_means_a_quarter_and_ten_units_above_the_training_level() {
        let at = |episode| Familiarity { objective: "-ELBO", unit: "nats", episode, training: 100.0 }.is_far();
        assert!(!at(82.7) && !at(113.0) && !at(125.0));
        assert!(at(126.0) && at(500.0));
        // A small objective needs the margin too (the EBMM's read loss is about 14 nats).
        let small = |episode| Familiarity { objective: "read", unit: "nats", episode, training: 14.0 }.is_far();
        assert!(!small(20.0) && small(25.0));
    }
}
