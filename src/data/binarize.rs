//! Turning grey images into binary ones (the models' Bernoulli likelihood wants 0/1 pixels).

use crate::rng::SplitMix64;

/// Pixel -> 1 when it is at least `threshold`, else 0.
pub fn binarize_threshold(pixels: &[f32], threshold: f32) -> Vec<f32> {
    pixels.iter().map(|&v| if v >= threshold { 1.0 } else { 0.0 }).collect()
}

/// Pixel -> 1 with probability equal to its grey value (dynamic binarization), seeded.
pub fn binarize_stochastic(pixels: &[f32], rng: &mut SplitMix64) -> Vec<f32> {
    pixels
        .iter()
        .map(|&v| if rng.next_f32() < v { 1.0 } else { 0.0 })
        .collect()
}

/// How a data set is turned binary before it reaches a model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Binarization {
    /// Fixed threshold (0.5 for evaluation, as the CLI documents).
    Threshold(f32),
    /// A fresh Bernoulli draw each time an image is used (seeded).
    Stochastic,
}

impl Binarization {
    pub fn apply(self, pixels: &[f32], rng: &mut SplitMix64) -> Vec<f32> {
        match self {
            Binarization::Threshold(t) => binarize_threshold(pixels, t),
            Binarization::Stochastic => binarize_stochastic(pixels, rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_is_inclusive_and_binary() {
        assert_eq!(binarize_threshold(&[0.0, 0.49, 0.5, 1.0], 0.5), vec![0.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn stochastic_binarization_matches_grey_level_in_expectation_and_is_seeded() {
        let grey = vec![0.3f32; 100_000];
        let a = binarize_stochastic(&grey, &mut SplitMix64::new(1));
        let b = binarize_stochastic(&grey, &mut SplitMix64::new(1));
        assert_eq!(a, b);
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        assert!((mean - 0.3).abs() < 0.01, "{mean}");
        assert!(a.iter().all(|&v| v == 0.0 || v == 1.0));
    }
}
