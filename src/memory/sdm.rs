//! Kanerva's sparse distributed memory (Kanerva 1988; docs/capacity.md): fixed random binary
//! addresses ("hard locations"), each with a counter per data bit. Writing x adds ±1 to the
//! counters of every location within Hamming radius r of x; reading sums the active counters
//! and thresholds at 0. Autoassociative, iterated reading: x <- read(x).

use serde::{Deserialize, Serialize};

use crate::data::{Image, SIDE};
use crate::rng::SplitMix64;

use super::attractor::{About, AttractorMemory, Evaluation, MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size};
use super::limits::{MAX_SDM_ACTIVATION, MAX_SDM_LOCATIONS, SettingsError, check_count};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SdmConfig {
    /// Number of hard locations M_h.
    pub locations: usize,
    /// Fraction of locations a random address activates; sets the radius r from the
    /// Binomial(N, ½) quantile.
    pub activation: f64,
    /// Seed of the random addresses.
    pub seed: u64,
}

impl Default for SdmConfig {
    fn default() -> Self {
        Self {
            locations: 20_000,
            activation: 0.01,
            seed: 0,
        }
    }
}

impl SdmConfig {
    /// Refuses settings past the limits (locations, activation) before anything is allocated.
    pub fn validate(&self) -> Result<(), SettingsError> {
        check_count("locations", self.locations, MAX_SDM_LOCATIONS)?;
        if !(self.activation > 0.0 && self.activation <= MAX_SDM_ACTIVATION) {
            return Err(SettingsError::new("activation", format!("{:?} (a fraction > 0 and at most {MAX_SDM_ACTIVATION})", self.activation)));
        }
        Ok(())
    }
}

/// Bit-packed binary vector.
type Bits = Vec<u64>;

fn pack(bits: impl Iterator<Item = bool>, words: usize) -> Bits {
    let mut out = vec![0u64; words];
    for (k, b) in bits.enumerate() {
        if b {
            out[k / 64] |= 1 << (k % 64);
        }
    }
    out
}

fn hamming(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Largest r with P(Binomial(n, ½) <= r) <= fraction (at least 0).
pub fn radius_for_activation(n: usize, fraction: f64) -> u32 {
    // ln C(n, k) − n ln 2, accumulated in log space to stay finite for n = 784.
    let mut log_pmf = -(n as f64) * std::f64::consts::LN_2; // k = 0
    let mut cdf = 0.0;
    for k in 0..=n {
        if k > 0 {
            log_pmf += ((n - k + 1) as f64).ln() - (k as f64).ln();
        }
        cdf += log_pmf.exp();
        if cdf > fraction {
            return k.saturating_sub(1) as u32;
        }
    }
    n as u32
}

#[derive(Debug, Clone)]
pub struct Sdm {
    pub config: SdmConfig,
    rows: usize,
    cols: usize,
    words: usize,
    /// Hamming radius r.
    pub radius: u32,
    addresses: Vec<Bits>,
    /// locations x N counters.
    counters: Vec<i32>,
    stored: Vec<Image>,
}

impl Sdm {
    pub fn new(config: SdmConfig) -> Self {
        let (rows, cols) = (SIDE, SIDE);
        let n = rows * cols;
        let words = n.div_ceil(64);
        let mut rng = SplitMix64::new(config.seed);
        let addresses = (0..config.locations)
            .map(|_| pack((0..n).map(|_| rng.bernoulli(0.5)), words))
            .collect();
        Self {
            radius: radius_for_activation(n, config.activation),
            config,
            rows,
            cols,
            words,
            addresses,
            counters: vec![0; config.locations * n],
            stored: Vec::new(),
        }
    }

    fn bits(&self, image: &Image) -> Bits {
        pack(image.pixels.iter().map(|&v| v >= 0.5), self.words)
    }

    /// Indices of the locations within the radius of `address`.
    pub fn active(&self, address: &Image) -> Vec<usize> {
        let bits = self.bits(address);
        (0..self.addresses.len())
            .filter(|&m| hamming(&self.addresses[m], &bits) <= self.radius)
            .collect()
    }

    /// Summed counters of the active locations and how many there were.
    fn sums(&self, address: &Image) -> (Vec<i64>, usize) {
        let n = self.rows * self.cols;
        let active = self.active(address);
        let mut sums = vec![0i64; n];
        for &m in &active {
            sums.iter_mut()
                .zip(&self.counters[m * n..(m + 1) * n])
                .for_each(|(s, &c)| *s += c as i64);
        }
        (sums, active.len())
    }
}

impl Sdm {
    /// One read at `image` and the number of active locations, from a single scan of the
    /// addresses. Ties (sum 0) keep the current bit; no active location leaves the image as is.
    fn read(&self, image: &Image) -> (Image, usize) {
        let (sums, active) = self.sums(image);
        if active == 0 {
            return (image.clone(), 0);
        }
        let pixels = sums
            .iter()
            .zip(&image.pixels)
            .map(|(&s, &v)| match s.cmp(&0) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Less => 0.0,
                std::cmp::Ordering::Equal => if v >= 0.5 { 1.0 } else { 0.0 },
            })
            .collect();
        (Image::new(self.rows, self.cols, pixels), active)
    }
}

impl AttractorMemory for Sdm {
    /// No energy (docs/capacity.md); its size is locations × N counters (the random addresses come
    /// from a seed and are not counted).
    fn about(&self) -> About {
        About::new(format!("SDM ({} locations, r = {})", self.config.locations, self.radius), "", self.counters.len())
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        if episode.is_empty() {
            return Err(MemoryError::EmptyEpisode);
        }
        check_size(episode, self.rows, self.cols)?;
        let n = self.rows * self.cols;
        self.counters.iter_mut().for_each(|c| *c = 0);
        let mut total_active = 0;
        for image in episode {
            let active = self.active(image);
            total_active += active.len();
            for m in active {
                for (c, &v) in self.counters[m * n..(m + 1) * n].iter_mut().zip(&image.pixels) {
                    *c += if v >= 0.5 { 1 } else { -1 };
                }
            }
        }
        self.stored = episode.to_vec();
        Ok(WriteReport {
            stored: episode.len(),
            terms: vec![Term::new("mean active locations per write", total_active as f64 / episode.len() as f64)],
        })
    }

    fn stored(&self) -> &[Image] {
        &self.stored
    }

    fn forget(&mut self) {
        self.counters.iter_mut().for_each(|c| *c = 0);
        self.stored.clear();
    }

    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError> {
        check_size(std::slice::from_ref(image), self.rows, self.cols)?;
        let (next, active) = self.read(image);
        let moved = image.pixel_error(&next) as f64 * image.pixels.len() as f64;
        // No exact energy (docs/capacity.md): report the distance a read would move and the activity.
        Ok(Evaluation {
            energy: None,
            terms: vec![
                Term::new("Hamming to next read", moved),
                Term::new("active locations", active as f64),
            ],
            weights: None, parts: Vec::new() })
    }

    fn step(&self, image: &Image, _update: ReadUpdate, _seed: u64) -> Result<Image, MemoryError> {
        check_size(std::slice::from_ref(image), self.rows, self.cols)?;
        Ok(self.read(image).0)
    }

    fn inspect(&self) -> Vec<Panel> {
        // Counter totals per pixel over all locations: where the memory has learned ink.
        let n = self.rows * self.cols;
        let mut totals = vec![0f32; n];
        for m in 0..self.addresses.len() {
            totals.iter_mut()
                .zip(&self.counters[m * n..(m + 1) * n])
                .for_each(|(t, &c)| *t += c as f32);
        }
        vec![
            Panel::Heatmap {
                title: "counter sums per pixel".into(),
                rows: self.rows,
                cols: self.cols,
                values: totals,
            },
            Panel::Images {
                title: "stored patterns".into(),
                images: self.stored.clone(),
            },
        ]
    }
}
