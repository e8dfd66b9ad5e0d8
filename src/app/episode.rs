//! The episode being put together and the data it is picked from: the data browser's set, the
//! images chosen, random fills.

use std::sync::Arc;

use crate::data::{Image, ImageSet, PIXELS, SIDE};
use crate::rng::SplitMix64;

use super::views::dataset::DatasetBrowser;

#[derive(Default)]
pub struct Episode {
    /// The data shown in the data panel (None until loaded).
    pub data: Option<DatasetBrowser>,
    /// The images chosen, in order.
    pub items: Vec<Image>,
}

impl Episode {
    /// Shows `set` in the data panel; returns the status line.
    pub fn set_data(&mut self, set: Arc<ImageSet>) -> String {
        let status = format!("loaded {} ({} images)", set.source, set.len());
        self.data = Some(DatasetBrowser::new(set));
        status
    }

    /// The data shown, if any.
    pub fn data_set(&self) -> Option<Arc<ImageSet>> {
        self.data.as_ref().map(|b| b.set.clone())
    }

    /// `count` random items of the data shown (its label filter applies), drawn with `seed`;
    /// false when no data is shown.
    pub fn fill_random(&mut self, count: usize, seed: u64) -> bool {
        let Some(browser) = &self.data else { return false };
        let pool = browser.visible();
        if pool.is_empty() {
            return false;
        }
        let mut rng = SplitMix64::new(seed);
        self.items = (0..count).map(|_| browser.set.image(pool[rng.below(pool.len())])).collect();
        true
    }

    /// `count` random binary images (each pixel on with probability ½), as `kanerva sweep
    /// --patterns random` stores.
    pub fn fill_patterns(&mut self, count: usize, seed: u64) {
        let mut rng = SplitMix64::new(seed);
        self.items = (0..count).map(|_| Image::new(SIDE, SIDE, (0..PIXELS).map(|_| if rng.next_f32() < 0.5 { 1.0 } else { 0.0 }).collect())).collect();
    }

    /// Whether the episode differs from what the memory holds (edited after the last write).
    pub fn is_stale(&self, stored: &[Image]) -> bool {
        !stored.is_empty() && self.items != stored
    }
}
