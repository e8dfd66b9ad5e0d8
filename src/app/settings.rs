//! The explorer's settings that survive a restart.

use crate::catalog::MemorySpec;
use crate::data::{Corruption, Region};
use crate::memory::limits::MAX_EXPLORER_EPISODE;
use crate::memory::{Addressing, ReadPlan, ReadUpdate};

/// Where a click on a dataset thumbnail sends the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClickTarget {
    Episode,
    Query,
}

/// Corruption being edited in the query panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CorruptionKind {
    SaltPepper,
    BitFlip,
    Gaussian,
    OccludeSquare,
    EraseSquare,
}

/// The explorer shows 16 images per episode by default: one row of thumbnails. The shipped
/// models were trained on 32 (`crate::train::DEFAULT_EPISODE_SIZE`); any T from 1 to 64 reads.
pub const EXPLORER_EPISODE_SIZE: usize = 16;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub episode_size: usize,
    /// Iterations, update rule and seed of every read (the seed also seeds corruptions).
    pub read: ReadPlan,
    pub play_interval_s: f32,
    pub corruption: CorruptionKind,
    pub probability: f32,
    pub sigma: f32,
    pub square: usize,
    pub click_target: ClickTarget,
    pub show_help: bool,
    pub model: Option<MemorySpec>,
    /// Paths opened or saved to, per kind of file, newest first (the path prompt offers them).
    pub recent: crate::app::recent_paths::RecentPaths,
    /// The UI scale (egui's zoom; the View menu, F10, Ctrl+plus).
    pub ui_scale: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            episode_size: EXPLORER_EPISODE_SIZE,
            read: ReadPlan { iterations: 10, update: ReadUpdate::Mode, seed: 1, ..ReadPlan::default() },
            play_interval_s: 0.3,
            corruption: CorruptionKind::SaltPepper,
            probability: 0.15,
            sigma: 0.3,
            square: 10,
            click_target: ClickTarget::Episode,
            show_help: true,
            model: None,
            recent: Default::default(),
            ui_scale: 1.0,
        }
    }
}

impl Settings {
    /// The same settings with every number inside what the panels allow (saved settings are a
    /// file a person can edit): an out-of-range value goes back to its default.
    pub fn within_limits(self) -> Self {
        let default = Settings::default();
        Settings {
            episode_size: if (1..=MAX_EXPLORER_EPISODE).contains(&self.episode_size) { self.episode_size } else { default.episode_size },
            read: if self.read.validate().is_ok() { self.read } else { default.read },
            play_interval_s: if (0.0..=10.0).contains(&self.play_interval_s) { self.play_interval_s } else { default.play_interval_s },
            probability: if (0.0..=1.0).contains(&self.probability) { self.probability } else { default.probability },
            sigma: if (0.0..=10.0).contains(&self.sigma) { self.sigma } else { default.sigma },
            square: if self.square <= crate::data::SIDE { self.square } else { default.square },
            ui_scale: if crate::app::ui_scale::SCALE_RANGE.contains(&self.ui_scale) { self.ui_scale } else { default.ui_scale },
            ..self
        }
    }

    /// The corruption the query panel describes.
    pub fn corruption(&self) -> Corruption {
        match self.corruption {
            CorruptionKind::SaltPepper => Corruption::SaltPepper { p: self.probability },
            CorruptionKind::BitFlip => Corruption::BitFlip { p: self.probability },
            CorruptionKind::Gaussian => Corruption::Gaussian { sigma: self.sigma },
            CorruptionKind::OccludeSquare => Corruption::Occlude { region: Region::RandomSquare(self.square) },
            CorruptionKind::EraseSquare => Corruption::Erase { region: Region::RandomSquare(self.square) },
        }
    }
}

/// The plan a read of a memory follows: the chosen addressing where the memory holds an
/// address, else the amortised read (the only one it has).
pub fn plan_for(holds_address: bool, chosen: &ReadPlan) -> ReadPlan {
    ReadPlan { addressing: if holds_address { chosen.addressing } else { Addressing::Amortised }, ..*chosen }
}
