//! The classical Hopfield network (Hopfield 1982; docs/capacity.md): ±1 units over the pixels,
//! symmetric weights with zero diagonal, energy E(s) = −½ sᵀWs.

use serde::{Deserialize, Serialize};

use crate::data::{Image, SIDE};
use crate::rng::SplitMix64;

use super::attractor::{About, AttractorMemory, Evaluation, Iterate, LandscapeSpace, MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size, from_spins, to_spins};
use super::dense::Mat;

/// How patterns become weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LearningRule {
    /// W = (1/N) Σ ξξᵀ, diag 0. Capacity ≈ 0.138 N for random patterns.
    #[default]
    Hebbian,
    /// Storkey (1997): incremental, local, higher capacity than Hebbian.
    Storkey,
    /// Projection (pseudo-inverse) rule: W = Ξ(ΞᵀΞ)⁻¹Ξᵀ, diag 0. Stores up to ~N/2 correlated patterns.
    PseudoInverse,
    /// The covariance rule for biased patterns (Tsodyks & Feigel'man 1988; Amit, Gutfreund &
    /// Sompolinsky 1987): with V = (s + 1)/2 ∈ {0, 1}, each unit's mean activity a_i over the
    /// patterns and the overall mean a, J_ij = Σ (V_i − a_i)(V_j − a_j) / (N a (1 − a)), and
    /// the threshold θ_i = ½ − a_i halfway between the field of an active unit (1 − a_i) and
    /// of a silent one (−a_i). On sparse images (ink ≈ 8%)
    /// the ±1 Hebbian rule's fields are dominated by the shared background and it answers
    /// with the blank page; this rule subtracts the mean and does not.
    Covariance,
}

/// How one iteration updates the units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum UpdateOrder {
    /// One sweep of single-unit updates in a random (seeded) order: E never increases.
    #[default]
    Asynchronous,
    /// All units at once, s <- sign(Ws): may fall into 2-cycles.
    Synchronous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HopfieldConfig {
    pub rule: LearningRule,
    pub order: UpdateOrder,
}

/// A Hopfield network over `n` units.
#[derive(Debug, Clone)]
pub struct Hopfield {
    pub config: HopfieldConfig,
    rows: usize,
    cols: usize,
    /// W, n x n, row-major, symmetric, zero diagonal.
    weights: Vec<f32>,
    /// b, the field every unit gets whatever the state (0 but for the covariance rule's
    /// threshold); the energy is E(s) = −½ sᵀWs − bᵀs.
    bias: Vec<f32>,
    patterns: Vec<Image>,
}

impl Hopfield {
    pub fn new(config: HopfieldConfig) -> Self {
        Self::with_size(config, SIDE, SIDE)
    }

    pub fn with_size(config: HopfieldConfig, rows: usize, cols: usize) -> Self {
        let n = rows * cols;
        Self {
            config,
            rows,
            cols,
            weights: vec![0.0; n * n],
            bias: vec![0.0; n],
            patterns: Vec::new(),
        }
    }

    pub fn units(&self) -> usize {
        self.rows * self.cols
    }

    pub fn weight(&self, i: usize, j: usize) -> f32 {
        self.weights[i * self.units() + j]
    }

    /// Local field h_i = Σ_j W_ij s_j + b_i.
    fn field(&self, spins: &[f32], i: usize) -> f32 {
        let n = self.units();
        self.weights[i * n..(i + 1) * n].iter().zip(spins).map(|(w, s)| w * s).sum::<f32>() + self.bias[i]
    }

    /// E(s) = −½ sᵀWs − bᵀs, accumulated in f64: with f32 fields the rounding (~1e-6 at
    /// |E| ≈ 20) was as large as the energy steps the descent tests compare.
    pub fn energy_of_spins(&self, spins: &[f32]) -> f64 {
        let n = self.units();
        let field = |i: usize| self.weights[i * n..(i + 1) * n].iter().zip(spins).map(|(w, s)| f64::from(*w) * f64::from(*s)).sum::<f64>();
        let bias: f64 = self.bias.iter().zip(spins).map(|(b, s)| f64::from(*b) * f64::from(*s)).sum();
        (0..n).map(|i| f64::from(spins[i]) * field(i)).sum::<f64>() * -0.5 - bias
    }

    /// One asynchronous sweep (random order) or one synchronous update, on spins.
    pub fn update_spins(&self, spins: &mut [f32], seed: u64) {
        let n = self.units();
        match self.config.order {
            UpdateOrder::Asynchronous => {
                let mut order: Vec<usize> = (0..n).collect();
                SplitMix64::new(seed).shuffle(&mut order);
                for i in order {
                    let h = self.field(spins, i);
                    // Ties keep the current state (docs/capacity.md).
                    if h != 0.0 {
                        spins[i] = h.signum();
                    }
                }
            }
            UpdateOrder::Synchronous => {
                let fields: Vec<f32> = (0..n).map(|i| self.field(spins, i)).collect();
                for (s, h) in spins.iter_mut().zip(fields) {
                    if h != 0.0 {
                        *s = h.signum();
                    }
                }
            }
        }
    }

    fn learn(&mut self, patterns: &[Vec<f32>]) {
        let n = self.units();
        self.weights.iter_mut().for_each(|w| *w = 0.0);
        self.bias.iter_mut().for_each(|b| *b = 0.0);
        match self.config.rule {
            LearningRule::Covariance => self.learn_covariance(patterns),
            LearningRule::Hebbian => {
                for xi in patterns {
                    for i in 0..n {
                        let row = &mut self.weights[i * n..(i + 1) * n];
                        let a = xi[i] / n as f32;
                        row.iter_mut().zip(xi).for_each(|(w, x)| *w += a * x);
                    }
                }
            }
            LearningRule::Storkey => {
                for xi in patterns {
                    // h_i = Σ_k W_ik ξ_k (diag is 0), so h_ij = h_i − W_ij ξ_j.
                    let h: Vec<f32> = (0..n).map(|i| self.field(xi, i)).collect();
                    let old = self.weights.clone();
                    for i in 0..n {
                        for j in 0..n {
                            let hij = h[i] - old[i * n + j] * xi[j];
                            let hji = h[j] - old[j * n + i] * xi[i];
                            self.weights[i * n + j] += (xi[i] * xi[j] - xi[i] * hji - hij * xi[j]) / n as f32;
                        }
                    }
                }
            }
            LearningRule::PseudoInverse => {
                let p = patterns.len();
                // Q = ΞᵀΞ / n (P x P); W = Ξ Q⁻¹ Ξᵀ / n.
                let mut q = Mat::zeros(p, p);
                for a in 0..p {
                    for b in 0..p {
                        let dot: f32 = patterns[a].iter().zip(&patterns[b]).map(|(x, y)| x * y).sum();
                        q.set(a, b, dot as f64 / n as f64);
                    }
                }
                // A little ridge keeps duplicate patterns from making Q singular.
                let q_inv = q.add(&Mat::eye(p).scale(1e-6)).inv();
                for i in 0..n {
                    // c_i = Q⁻¹ ξ_{·i}: the coefficient vector of unit i.
                    let coeffs: Vec<f64> = (0..p)
                        .map(|a| (0..p).map(|b| q_inv.at(a, b) * patterns[b][i] as f64).sum())
                        .collect();
                    for j in 0..n {
                        let w: f64 = (0..p).map(|a| patterns[a][j] as f64 * coeffs[a]).sum();
                        self.weights[i * n + j] = (w / n as f64) as f32;
                    }
                }
            }
        }
        for i in 0..n {
            self.weights[i * n + i] = 0.0;
        }
    }
}

impl Hopfield {
    /// The covariance rule ([`LearningRule::Covariance`]) in spin form: with V = (s + 1)/2 the
    /// 0/1 update Θ(Σ_j J_ij V_j − θ) is sign(Σ_j W_ij s_j + b_i) for W = J/2 and
    /// b_i = ½ Σ_{j≠i} J_ij − θ, so the asynchronous descent of E = −½ sᵀWs − bᵀs holds.
    fn learn_covariance(&mut self, patterns: &[Vec<f32>]) {
        let n = self.units();
        let p = patterns.len().max(1) as f64;
        let active: Vec<Vec<f64>> = patterns.iter().map(|s| s.iter().map(|&x| f64::from(x + 1.0) / 2.0).collect()).collect();
        // Each unit's mean activity a_i over the patterns, and the overall mean a (clamped so
        // that all-blank or all-ink patterns do not divide by zero).
        let unit_mean: Vec<f64> = (0..n).map(|i| active.iter().map(|v| v[i]).sum::<f64>() / p).collect();
        let a = (unit_mean.iter().sum::<f64>() / n as f64).clamp(0.01, 0.99);
        let scale = 1.0 / (n as f64 * a * (1.0 - a));
        let centred: Vec<Vec<f32>> = active.iter().map(|v| v.iter().zip(&unit_mean).map(|(&x, &m)| (x - m) as f32).collect()).collect();
        for xi in &centred {
            for i in 0..n {
                let c = (f64::from(xi[i]) * scale * 0.5) as f32; // W = J/2
                let row = &mut self.weights[i * n..(i + 1) * n];
                row.iter_mut().zip(xi).for_each(|(w, x)| *w += c * x);
            }
        }
        for i in 0..n {
            self.weights[i * n + i] = 0.0;
        }
        for i in 0..n {
            // Σ_{j≠i} J_ij = 2 Σ_{j≠i} W_ij.
            let coupling: f64 = self.weights[i * n..(i + 1) * n].iter().map(|&w| f64::from(w)).sum();
            self.bias[i] = (coupling - self.matching_threshold(i, &active, 0.5 - unit_mean[i])) as f32;
        }
    }

    /// θ_i fitted to the stored patterns (ours): the textbook threshold ½ − a_i assumes
    /// uncorrelated patterns of equal activity, and with characters (correlated strokes, 30 to
    /// 100 ink pixels each) it let stored patterns grow ink and drift. Here θ_i is the cut
    /// between the fields Σ_j J_ij V_j that unit i gets in the stored patterns where it is
    /// active and where it is silent that gets the most of them right (the midpoint of the
    /// widest such gap), `textbook` when the unit is always or never active.
    fn matching_threshold(&self, i: usize, active: &[Vec<f64>], textbook: f64) -> f64 {
        let n = self.units();
        let row = &self.weights[i * n..(i + 1) * n];
        // (field, active?) for each stored pattern; J = 2W.
        let mut fields: Vec<(f64, bool)> = active.iter().map(|v| (2.0 * row.iter().zip(v).map(|(&w, &x)| f64::from(w) * x).sum::<f64>(), v[i] > 0.5)).collect();
        if fields.iter().all(|f| f.1) || fields.iter().all(|f| !f.1) {
            return textbook;
        }
        fields.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Cut after position k: units below are silent, above active.
        let mut wrong = fields.iter().filter(|f| !f.1).count(); // cut before all: every silent one wrong
        let (mut best, mut best_wrong, mut best_gap) = (fields[0].0 - 0.5, wrong, f64::NEG_INFINITY);
        for k in 0..fields.len() {
            wrong = if fields[k].1 { wrong + 1 } else { wrong - 1 };
            let (low, high) = (fields[k].0, fields.get(k + 1).map_or(fields[k].0 + 1.0, |f| f.0));
            let gap = high - low;
            if wrong < best_wrong || (wrong == best_wrong && gap > best_gap) {
                (best, best_wrong, best_gap) = ((low + high) / 2.0, wrong, gap);
            }
        }
        best
    }
}

impl AttractorMemory for Hopfield {
    /// N² couplings (the covariance rule adds its N thresholds).
    fn about(&self) -> About {
        let n = self.units();
        let floats = n * n + if self.config.rule == LearningRule::Covariance { n } else { 0 };
        About::new(format!("Hopfield ({:?}, {:?})", self.config.rule, self.config.order), "", floats).weights("overlap m with each stored pattern", "pattern")
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        if episode.is_empty() {
            return Err(MemoryError::EmptyEpisode);
        }
        check_size(episode, self.rows, self.cols)?;
        let spins: Vec<Vec<f32>> = episode.iter().map(to_spins).collect();
        self.learn(&spins);
        self.patterns = spins.iter().map(|s| from_spins(s, self.rows, self.cols)).collect();
        let load = episode.len() as f64 / self.units() as f64;
        Ok(WriteReport {
            stored: episode.len(),
            terms: vec![Term::new("load P/N", load)],
        })
    }

    fn stored(&self) -> &[Image] {
        &self.patterns
    }

    fn forget(&mut self) {
        self.weights.iter_mut().for_each(|w| *w = 0.0);
        self.bias.iter_mut().for_each(|b| *b = 0.0);
        self.patterns.clear();
    }

    fn landscape(&self) -> Option<&dyn LandscapeSpace> {
        Some(self)
    }

    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError> {
        check_size(std::slice::from_ref(image), self.rows, self.cols)?;
        let spins = to_spins(image);
        let n = self.units() as f64;
        let overlaps: Vec<f32> = self
            .patterns
            .iter()
            .map(|p| to_spins(p).iter().zip(&spins).map(|(a, b)| a * b).sum::<f32>() / n as f32)
            .collect();
        let best = overlaps.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let energy = self.energy_of_spins(&spins);
        Ok(Evaluation {
            energy: Some(energy),
            // The energy itself is plotted as `energy`; the terms add what it does not say.
            terms: vec![Term::new("best overlap m", best.max(-1.0) as f64)],
            weights: Some(overlaps), parts: Vec::new() })
    }

    fn step(&self, image: &Image, _update: ReadUpdate, seed: u64) -> Result<Image, MemoryError> {
        check_size(std::slice::from_ref(image), self.rows, self.cols)?;
        let mut spins = to_spins(image);
        self.update_spins(&mut spins, seed);
        Ok(from_spins(&spins, self.rows, self.cols))
    }

    fn inspect(&self) -> Vec<Panel> {
        // The full N x N matrix is 614k cells; show the block of the centre row's couplings
        // as an image (what unit (14,14) is wired to) and the stored patterns.
        let n = self.units();
        let centre = (self.rows / 2) * self.cols + self.cols / 2;
        vec![
            Panel::Heatmap {
                title: "couplings W of the centre pixel".into(),
                rows: self.rows,
                cols: self.cols,
                values: self.weights[centre * n..(centre + 1) * n].to_vec(),
            },
            Panel::Images {
                title: "stored patterns".into(),
                images: self.patterns.clone(),
            },
        ]
    }
}

impl LandscapeSpace for Hopfield {
    fn point(&self, iterate: &Iterate) -> Option<Vec<f64>> {
        Some(to_spins(&iterate.image).into_iter().map(f64::from).collect())
    }

    /// The continuous relaxation: E(s) = −½ sᵀWs at s clipped to [−1, 1].
    fn energy_at(&self, point: &[f64]) -> Result<(f64, Image), MemoryError> {
        if point.len() != self.units() {
            return Err(MemoryError::Model(format!("a landscape point of {} values for {} units", point.len(), self.units())));
        }
        let spins: Vec<f32> = point.iter().map(|&s| s.clamp(-1.0, 1.0) as f32).collect();
        Ok((self.energy_of_spins(&spins), from_spins(&spins, self.rows, self.cols)))
    }
}
