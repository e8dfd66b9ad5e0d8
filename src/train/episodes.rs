//! Turning an image set into training batches of episodes.

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{EpisodeSpec, ImageSet, PIXELS, binarize_stochastic, sample_episode, test_episodes, test_episodes_every_image};
use crate::rng::SplitMix64;

/// Draws batches of random episodes, binarizing grey data afresh each draw (dynamic
/// binarization) and passing binary data through.
pub struct EpisodeBatcher<'a> {
    set: &'a ImageSet,
    binary: bool,
    rng: SplitMix64,
}

impl<'a> EpisodeBatcher<'a> {
    pub fn new(set: &'a ImageSet, seed: u64) -> Self {
        assert_eq!(set.pixels_per_image(), PIXELS, "model images are 28x28");
        Self { set, binary: set.is_binary(), rng: SplitMix64::new(seed) }
    }

    /// # Shapes
    /// - returns: [batch, episode_size, 784], values 0/1
    pub fn next_batch(&mut self, batch: usize, episode_size: usize, device: &Device) -> Tensor<3> {
        let spec = EpisodeSpec { size: episode_size, replacement: self.set.len() < episode_size, classes: None };
        let mut values = Vec::with_capacity(batch * episode_size * PIXELS);
        for _ in 0..batch {
            let episode = sample_episode(self.set, spec, &mut self.rng).expect("episode spec is always satisfiable");
            for i in episode {
                let image = self.set.image(i);
                if self.binary {
                    values.extend_from_slice(&image.pixels);
                } else {
                    values.extend(binarize_stochastic(&image.pixels, &mut self.rng));
                }
            }
        }
        Tensor::from_data(TensorData::new(values, [batch, episode_size, PIXELS]), device)
    }
}

/// Evaluation episodes: consecutive runs of the fixed-seed permutation, thresholded at 0.5.
///
/// # Shapes
/// - returns: one [count, episode_size, 784] tensor (count may be fewer than asked)
pub fn evaluation_batch(set: &ImageSet, episodes: &[Vec<usize>], device: &Device) -> Tensor<3> {
    let t = episodes.first().map_or(0, Vec::len);
    let mut values = Vec::with_capacity(episodes.len() * t * PIXELS);
    for ep in episodes {
        for &i in ep {
            values.extend(set.bytes(i).iter().map(|&b| if b >= 128 { 1.0f32 } else { 0.0 }));
        }
    }
    Tensor::from_data(TensorData::new(values, [episodes.len(), t, PIXELS]), device)
}

/// The standard test episodes of a set (see [`test_episodes`]).
pub fn standard_test_episodes(set: &ImageSet, episode_size: usize, count: usize) -> Vec<Vec<usize>> {
    test_episodes(set.len(), episode_size, count, 0)
}

/// The standard test episodes covering every image of a set once, the last one shorter when
/// the set is not a multiple of `episode_size`.
pub fn every_image_test_episodes(set: &ImageSet, episode_size: usize) -> Vec<Vec<usize>> {
    test_episodes_every_image(set.len(), episode_size, 0)
}
