//! Episodes: the T images written into memory together.

use crate::rng::{SplitMix64, shuffle_permutation};

use super::image_set::ImageSet;

/// How training (or interactive) episodes are drawn from a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EpisodeSpec {
    /// T, images per episode.
    pub size: usize,
    /// Draw with replacement (an image may appear twice in one episode).
    pub replacement: bool,
    /// When labels exist: draw the episode from this many randomly chosen classes only
    /// (memory becomes more useful when an episode repeats a few characters).
    pub classes: Option<usize>,
}

impl EpisodeSpec {
    pub fn new(size: usize) -> Self {
        Self {
            size,
            replacement: false,
            classes: None,
        }
    }
}

/// Errors a person can cause by asking for an impossible episode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpisodeError {
    #[error("episode of {wanted} distinct images from only {available}")]
    TooFewImages { wanted: usize, available: usize },
    #[error("episode size must be at least 1")]
    Empty,
}

/// Draws the indices of one episode.
pub fn sample_episode(set: &ImageSet, spec: EpisodeSpec, rng: &mut SplitMix64) -> Result<Vec<usize>, EpisodeError> {
    if spec.size == 0 {
        return Err(EpisodeError::Empty);
    }
    let pool: Vec<usize> = match (spec.classes, &set.labels) {
        (Some(c), Some(_)) if c > 0 => {
            let mut labels: Vec<u32> = set.labels.as_ref().unwrap().clone();
            labels.sort_unstable();
            labels.dedup();
            rng.shuffle(&mut labels);
            let chosen = &labels[..c.min(labels.len())];
            (0..set.len())
                .filter(|&i| chosen.contains(&set.label(i).unwrap()))
                .collect()
        }
        _ => (0..set.len()).collect(),
    };
    draw(&pool, spec, rng)
}

fn draw(pool: &[usize], spec: EpisodeSpec, rng: &mut SplitMix64) -> Result<Vec<usize>, EpisodeError> {
    if pool.is_empty() || (!spec.replacement && pool.len() < spec.size) {
        return Err(EpisodeError::TooFewImages {
            wanted: spec.size,
            available: pool.len(),
        });
    }
    if spec.replacement {
        return Ok((0..spec.size).map(|_| pool[rng.below(pool.len())]).collect());
    }
    // Partial Fisher-Yates: only the first `size` positions are drawn.
    let mut items = pool.to_vec();
    for i in 0..spec.size {
        let j = i + rng.below(items.len() - i);
        items.swap(i, j);
    }
    items.truncate(spec.size);
    Ok(items)
}

/// Test episodes: consecutive, non-overlapping runs of `size` indices from the fixed-seed
/// permutation of the whole set (the reference's `shuffle_permutation`), so class-sorted files
/// such as the binarized MNIST test split give representative episodes. At most `count`.
pub fn test_episodes(n_images: usize, size: usize, count: usize, seed: u64) -> Vec<Vec<usize>> {
    let perm = shuffle_permutation(n_images, seed);
    perm.chunks_exact(size.max(1)).take(count).map(<[usize]>::to_vec).collect()
}

/// [`test_episodes`] covering every image once: all the whole episodes, then one shorter
/// episode of the images left over (when the set is not a multiple of `size`).
pub fn test_episodes_every_image(n_images: usize, size: usize, seed: u64) -> Vec<Vec<usize>> {
    let perm = shuffle_permutation(n_images, seed);
    perm.chunks(size.max(1)).map(<[usize]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(n: usize, classes: u32) -> ImageSet {
        ImageSet {
            rows: 1,
            cols: 1,
            pixels: vec![0; n],
            labels: Some((0..n as u32).map(|i| i % classes).collect()),
            source: String::new(),
        }
    }

    #[test]
    fn every_image_episodes_extend_the_whole_ones_with_the_rest() {
        let whole = test_episodes(100, 32, usize::MAX, 0);
        let every = test_episodes_every_image(100, 32, 0);
        assert_eq!(whole.len(), 3);
        assert_eq!(every[..3], whole[..]);
        assert_eq!(every.len(), 4);
        assert_eq!(every[3].len(), 4);
        let mut seen: Vec<usize> = every.concat();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert_eq!(test_episodes_every_image(64, 32, 0).len(), 2, "no empty last episode");
    }

    #[test]
    fn episodes_without_replacement_are_distinct_and_seeded() {
        let set = labelled(100, 10);
        let spec = EpisodeSpec::new(32);
        let a = sample_episode(&set, spec, &mut SplitMix64::new(3)).unwrap();
        let b = sample_episode(&set, spec, &mut SplitMix64::new(3)).unwrap();
        assert_eq!(a, b);
        let mut d = a.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 32);
    }

    #[test]
    fn class_episodes_use_only_the_chosen_classes() {
        let set = labelled(200, 20);
        let spec = EpisodeSpec { size: 16, replacement: false, classes: Some(2) };
        let ep = sample_episode(&set, spec, &mut SplitMix64::new(9)).unwrap();
        let mut labels: Vec<u32> = ep.iter().map(|&i| set.label(i).unwrap()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), 2);
    }

    #[test]
    fn impossible_episodes_are_errors_not_panics() {
        let set = labelled(5, 5);
        assert_eq!(
            sample_episode(&set, EpisodeSpec::new(6), &mut SplitMix64::new(0)),
            Err(EpisodeError::TooFewImages { wanted: 6, available: 5 })
        );
        let with = EpisodeSpec { replacement: true, ..EpisodeSpec::new(6) };
        assert_eq!(sample_episode(&set, with, &mut SplitMix64::new(0)).unwrap().len(), 6);
    }

    #[test]
    fn test_episodes_do_not_overlap() {
        let eps = test_episodes(10_000, 32, 1000, 0);
        assert_eq!(eps.len(), 312);
        assert_eq!(&eps[0][..2], &[7192, 9436]);
        let mut all: Vec<usize> = eps.concat();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 312 * 32);
    }
}
