//! What a lesson step says must hold on screen once the step has set up: the lesson test
//! checks every built-in lesson's claims, and the lesson window shows each one ticked or
//! crossed, so a lesson's text and what the explorer shows cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::memory::limits::MAX_EPISODE;

/// One claim about the screen. Reads are judged on their last iterate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonCheck {
    /// The memory holds this many items.
    Stored(usize),
    /// The read's last energy is below its first.
    EnergyFell,
    /// No half-step of the read raised the energy (no rise is marked).
    EnergyNeverRose,
    /// At least one half-step raised the energy, and it is marked.
    ARiseIsMarked,
    /// The read's last energy lies within these bounds.
    FinalEnergy {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        above: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        below: Option<f64>,
    },
    /// The read ends nearer to one of these stored items than to any other.
    ReadEndsAt(Vec<usize>),
    /// The read ends nearer to some stored item other than these.
    ReadEndsAwayFrom(Vec<usize>),
    /// The read ends at least this fraction of pixels away from every stored item.
    ReadEndsFar(f64),
    /// The read ends within this fraction of pixels of the clean item the query was made from.
    RecallErrorBelow(f64),
    /// The last sweep's point at `stored` items has a recall error in these bounds.
    Sweep {
        stored: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_above: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_below: Option<f64>,
    },
    /// The basin map has cells ending at each of these items.
    BasinsInclude(Vec<usize>),
    /// At least this fraction of the basin map's cells end far (over 0.05 of the pixels) from
    /// every stored item.
    BasinMapFarAtLeast(f64),
    /// The energy landscape is shown, with the read on it.
    LandscapeShown,
}

/// A fraction of the pixels beyond which a read's end is "far" from an item.
pub const FAR: f64 = 0.05;

impl LessonCheck {
    /// Values that cannot describe a screen (an item past any episode, a fraction outside
    /// 0..1, bounds that are not numbers) are refused with the lesson.
    pub fn check(&self) -> Result<(), String> {
        let items = |field: &str, items: &[usize]| match items.iter().find(|&&i| i >= MAX_EPISODE) {
            Some(i) => Err(format!("{field}: item {i} (an episode holds at most {MAX_EPISODE})")),
            None if items.is_empty() => Err(format!("{field}: no items")),
            None => Ok(()),
        };
        let fraction = |field: &str, f: f64| if (0.0..=1.0).contains(&f) { Ok(()) } else { Err(format!("{field}: {f} (a fraction of the pixels, 0 to 1)")) };
        let bound = |field: &str, b: Option<f64>| if b.is_none_or(f64::is_finite) { Ok(()) } else { Err(format!("{field}: not a number")) };
        match self {
            LessonCheck::Stored(n) if *n > MAX_EPISODE => Err(format!("stored: {n} (at most {MAX_EPISODE})")),
            LessonCheck::FinalEnergy { above, below } => bound("final_energy.above", *above).and(bound("final_energy.below", *below)),
            LessonCheck::ReadEndsAt(i) => items("read_ends_at", i),
            LessonCheck::ReadEndsAwayFrom(i) => items("read_ends_away_from", i),
            LessonCheck::BasinsInclude(i) => items("basins_include", i),
            LessonCheck::ReadEndsFar(f) => fraction("read_ends_far", *f),
            LessonCheck::RecallErrorBelow(f) => fraction("recall_error_below", *f),
            LessonCheck::BasinMapFarAtLeast(f) => fraction("basin_map_far_at_least", *f),
            LessonCheck::Sweep { error_above, error_below, .. } => bound("sweep.error_above", *error_above).and(bound("sweep.error_below", *error_below)),
            _ => Ok(()),
        }
    }

    /// The claim in words, as the lesson window shows it.
    pub fn claim(&self) -> String {
        let list = |items: &[usize]| items.iter().map(usize::to_string).collect::<Vec<_>>().join(" or ");
        let range = |above: Option<f64>, below: Option<f64>| match (above, below) {
            (Some(a), Some(b)) => format!("between {a} and {b}"),
            (Some(a), None) => format!("above {a}"),
            (None, Some(b)) => format!("below {b}"),
            (None, None) => "any value".into(),
        };
        match self {
            LessonCheck::Stored(n) => format!("the memory holds {n} items"),
            LessonCheck::EnergyFell => "the energy fell".into(),
            LessonCheck::EnergyNeverRose => "the energy never rose".into(),
            LessonCheck::ARiseIsMarked => "a rise is marked".into(),
            LessonCheck::FinalEnergy { above, below } => format!("the last energy is {}", range(*above, *below)),
            LessonCheck::ReadEndsAt(items) => format!("the read ends at item {}", list(items)),
            LessonCheck::ReadEndsAwayFrom(items) => format!("the read ends away from item {}", list(items)),
            LessonCheck::ReadEndsFar(f) => format!("the read ends over {:.0}% of the pixels from every item", 100.0 * f),
            LessonCheck::RecallErrorBelow(f) => format!("the read ends within {:.1}% of the pixels of the clean item", 100.0 * f),
            LessonCheck::Sweep { stored, error_above, error_below } => format!("at {stored} stored, the recall error is {}", range(*error_above, *error_below)),
            LessonCheck::BasinsInclude(items) => format!("the basin map has cells of item {}", items.iter().map(usize::to_string).collect::<Vec<_>>().join(" and ")),
            LessonCheck::BasinMapFarAtLeast(f) => format!("at least {:.0}% of the map ends far from every item", 100.0 * f),
            LessonCheck::LandscapeShown => "the landscape is shown with the read on it".into(),
        }
    }
}

/// A claim judged against the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub claim: String,
    pub holds: bool,
    /// What the screen shows (the number or item the claim is about).
    pub seen: String,
}
