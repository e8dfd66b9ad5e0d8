//! Sweeps: recall error against the number of stored patterns (capacity) or against the
//! strength of the corruption, for any memory.

use serde::Serialize;

use crate::data::{Corruption, Image, ImageSet, SIDE};
use crate::memory::limits::{MAX_EPISODE, SettingsError, check_count};
use crate::memory::{AttractorMemory, MemoryError, ReadPlan, read_iterations};
use crate::rng::{SplitMix64, shuffle_permutation};

/// Where the stored patterns come from.
#[derive(Debug, Clone)]
pub enum PatternSource {
    /// Unbiased random binary images (each pixel 0/1 with probability 1/2), seeded.
    Random { seed: u64 },
    /// Images of a data set, in a fixed-seed random order, thresholded at 0.5.
    Data(ImageSet),
}

impl PatternSource {
    pub fn patterns(&self, n: usize) -> Vec<Image> {
        match self {
            PatternSource::Random { seed } => {
                let mut rng = SplitMix64::new(*seed);
                (0..n)
                    .map(|_| Image::new(SIDE, SIDE, (0..SIDE * SIDE).map(|_| if rng.bernoulli(0.5) { 1.0 } else { 0.0 }).collect()))
                    .collect()
            }
            PatternSource::Data(set) => shuffle_permutation(set.len(), 0).into_iter().take(n).map(|i| set.binary_image(i)).collect(),
        }
    }
}

/// What a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
pub enum SweepAxis {
    /// The number of stored patterns, at one corruption.
    #[default]
    Stored,
    /// The corruption's level ([`Corruption::level`]), at one number of stored patterns.
    NoiseLevel,
}

/// One measurement: how many patterns were stored and how each query was corrupted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepSetting {
    pub stored: usize,
    pub noise: Corruption,
}

/// The settings of a capacity sweep (`stored` varies) or a corruption sweep (`levels` vary
/// at `stored[0]`).
pub fn sweep_settings(axis: SweepAxis, stored: &[usize], noise: Corruption, levels: &[f64]) -> Vec<SweepSetting> {
    match axis {
        SweepAxis::Stored => stored.iter().map(|&n| SweepSetting { stored: n, noise }).collect(),
        SweepAxis::NoiseLevel => levels.iter().map(|&l| SweepSetting { stored: stored.first().copied().unwrap_or(0), noise: noise.with_level(l) }).collect(),
    }
}

/// What a sweep writes before it reads: the measurement, or a control that would show a
/// memory answering without what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepControl {
    /// Write the n patterns and query them: the measurement.
    #[default]
    None,
    /// Write nothing ([`AttractorMemory::forget`]: the prior memory, zero couplings, the
    /// initial fast weights) and query the n patterns. A memory with nothing to read from
    /// answers with the query.
    NoWrite,
    /// Write n other patterns (the source's next n) and query the first n.
    OtherEpisode,
}

impl SweepControl {
    pub const ALL: [SweepControl; 3] = [SweepControl::None, SweepControl::NoWrite, SweepControl::OtherEpisode];

    pub fn name(self) -> &'static str {
        match self {
            SweepControl::None => "none",
            SweepControl::NoWrite => "no-write",
            SweepControl::OtherEpisode => "other-episode",
        }
    }
}

impl std::str::FromStr for SweepControl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.name() == s).ok_or_else(|| format!("unknown control {s:?} (none, no-write or other-episode)"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepPoint {
    pub stored: usize,
    /// The corruption's level ([`Corruption::level`]).
    pub noise_level: f64,
    /// Mean fraction of wrong pixels after reading, over all stored patterns.
    pub recall_error: f64,
    /// The trivial answer "return the query unchanged": the corruption alone.
    pub query_error: f64,
    /// The trivial answer "return the blank page" (all background): the patterns' ink.
    pub blank_error: f64,
    /// The numbers the memory held ([`AttractorMemory::memory_floats`]).
    pub memory_floats: usize,
}

impl SweepPoint {
    /// The point's coordinate along `axis`.
    pub fn x(&self, axis: SweepAxis) -> f64 {
        match axis {
            SweepAxis::Stored => self.stored as f64,
            SweepAxis::NoiseLevel => self.noise_level,
        }
    }
}

/// Most points of one sweep.
pub const MAX_SWEEP_POINTS: usize = 64;

/// Refuses a sweep past the limits before any work: at most [`MAX_SWEEP_POINTS`] points,
/// each storing 1 to [`MAX_EPISODE`] patterns, and a read plan within its limits.
pub fn check_sweep(settings: &[SweepSetting], plan: &ReadPlan) -> Result<(), SettingsError> {
    check_count("sweep points", settings.len(), MAX_SWEEP_POINTS)?;
    for setting in settings {
        check_count("stored", setting.stored, MAX_EPISODE)?;
    }
    plan.validate()
}

/// For each setting: write that many patterns (skipped when the count repeats; `control`
/// may write other patterns or none), corrupt each, read as `plan` says (its seed moves with
/// each query), and average the pixel error against the clean pattern, beside the trivial
/// answers' errors. `progress(done, total, point)` is called after each point; returning false
/// stops the sweep early (cancel).
pub fn sweep(
    memory: &mut dyn AttractorMemory,
    source: &PatternSource,
    settings: &[SweepSetting],
    plan: &ReadPlan,
    control: SweepControl,
    progress: &mut dyn FnMut(usize, usize, &SweepPoint) -> bool,
) -> Result<Vec<SweepPoint>, MemoryError> {
    check_sweep(settings, plan)?;
    let mut points = Vec::with_capacity(settings.len());
    let mut written: Option<usize> = None;
    if control == SweepControl::NoWrite {
        memory.forget();
    }
    for (done, setting) in settings.iter().enumerate() {
        let n = setting.stored;
        let wanted = if control == SweepControl::OtherEpisode { 2 * n } else { n };
        let all = source.patterns(wanted);
        if n == 0 || all.len() < wanted {
            return Err(MemoryError::Model(format!("only {} patterns available, {wanted} needed{}", all.len(), if control == SweepControl::OtherEpisode { " (the other-episode control writes n others)" } else { "" })));
        }
        let patterns = &all[..n];
        if written != Some(n) && control != SweepControl::NoWrite {
            memory.write(if control == SweepControl::OtherEpisode { &all[n..] } else { patterns })?;
            written = Some(n);
        }
        let (mut recall, mut query_error, mut blank_error) = (0.0, 0.0, 0.0);
        for (i, p) in patterns.iter().enumerate() {
            let query_seed = plan.seed.wrapping_add(i as u64 * 7919 + n as u64);
            let query = setting.noise.apply(p, query_seed);
            query_error += query.pixel_error(p) as f64;
            blank_error += p.pixels.iter().filter(|&&v| v >= 0.5).count() as f64 / p.pixels.len() as f64;
            let answer = match read_iterations(memory, &query, &plan.with_seed(query_seed)) {
                Ok(iterates) => iterates.last().expect("at least the query").image.clone(),
                // Nothing written and nothing to read from: the answer is the query.
                Err(MemoryError::Empty) if control == SweepControl::NoWrite => query.clone(),
                Err(e) => return Err(e),
            };
            recall += answer.pixel_error(p) as f64;
        }
        let point = SweepPoint {
            stored: n,
            noise_level: setting.noise.level(),
            recall_error: recall / n as f64,
            query_error: query_error / n as f64,
            blank_error: blank_error / n as f64,
            memory_floats: memory.about().floats,
        };
        points.push(point);
        if !progress(done + 1, settings.len(), &point) {
            break;
        }
    }
    Ok(points)
}

/// [`sweep`] over numbers of stored patterns at one corruption.
pub fn capacity_sweep(
    memory: &mut dyn AttractorMemory,
    source: &PatternSource,
    stored: &[usize],
    noise: Corruption,
    plan: &ReadPlan,
    progress: &mut dyn FnMut(usize, usize, &SweepPoint) -> bool,
) -> Result<Vec<SweepPoint>, MemoryError> {
    sweep(memory, source, &sweep_settings(SweepAxis::Stored, stored, noise, &[]), plan, SweepControl::None, progress)
}
