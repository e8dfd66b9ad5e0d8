//! Dense ("modern") Hopfield network (Ramsauer et al. 2020; docs/capacity.md): ξ <- X softmax(β Xᵀξ),
//! energy E(ξ) = −β⁻¹ ln Σ exp(β xᵢᵀξ) + ½ξᵀξ + β⁻¹ ln P + ½M².
//!
//! Patterns are centred (2x − 1) and scaled to unit norm (÷√N), so xᵢᵀξ ∈ [−1, 1] and β in
//! roughly [1, 200] moves from metastable averages to one-step retrieval.

use crate::data::{Image, SIDE};

use super::attractor::{About, AttractorMemory, Evaluation, Iterate, LandscapeSpace, MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size};

#[derive(Debug, Clone)]
pub struct ModernHopfield {
    /// Inverse temperature β.
    pub beta: f64,
    rows: usize,
    cols: usize,
    /// Unit-norm centred patterns, one per row.
    patterns: Vec<Vec<f64>>,
    stored: Vec<Image>,
}

impl ModernHopfield {
    pub fn new(beta: f64) -> Self {
        Self {
            beta,
            rows: SIDE,
            cols: SIDE,
            patterns: Vec::new(),
            stored: Vec::new(),
        }
    }

    fn encode(&self, image: &Image) -> Vec<f64> {
        let scale = 1.0 / (image.pixels.len() as f64).sqrt();
        image.pixels.iter().map(|&v| (2.0 * v as f64 - 1.0) * scale).collect()
    }

    fn decode(&self, state: &[f64]) -> Image {
        let scale = (state.len() as f64).sqrt();
        Image::new(
            self.rows,
            self.cols,
            state.iter().map(|&v| ((v * scale + 1.0) / 2.0).clamp(0.0, 1.0) as f32).collect(),
        )
    }

    /// softmax(β Xᵀξ) and the log-sum-exp ln Σ exp(β xᵢᵀξ), computed stably.
    pub fn attention(&self, state: &[f64]) -> (Vec<f64>, f64) {
        let logits: Vec<f64> = self
            .patterns
            .iter()
            .map(|p| self.beta * p.iter().zip(state).map(|(a, b)| a * b).sum::<f64>())
            .collect();
        let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = exps.iter().sum();
        (exps.iter().map(|e| e / total).collect(), max + total.ln())
    }

    /// E(ξ) on an encoded state.
    pub fn energy_of_state(&self, state: &[f64]) -> f64 {
        let (_, lse) = self.attention(state);
        let p = self.patterns.len() as f64;
        let max_norm_sq = self
            .patterns
            .iter()
            .map(|x| x.iter().map(|v| v * v).sum::<f64>())
            .fold(0.0, f64::max);
        -lse / self.beta + 0.5 * state.iter().map(|v| v * v).sum::<f64>() + p.ln() / self.beta + 0.5 * max_norm_sq
    }

    /// One update ξ <- X softmax(β Xᵀξ) on an encoded state.
    pub fn update_state(&self, state: &[f64]) -> Vec<f64> {
        let (attention, _) = self.attention(state);
        let mut next = vec![0.0; state.len()];
        for (a, p) in attention.iter().zip(&self.patterns) {
            next.iter_mut().zip(p).for_each(|(n, x)| *n += a * x);
        }
        next
    }

    pub fn encode_image(&self, image: &Image) -> Vec<f64> {
        self.encode(image)
    }
}

impl AttractorMemory for ModernHopfield {
    /// Its size: the stored patterns, N numbers each.
    fn about(&self) -> About {
        About::new(format!("Modern Hopfield (β = {})", self.beta), "", self.patterns.len() * self.rows * self.cols).weights("attention over the stored patterns", "pattern")
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        if episode.is_empty() {
            return Err(MemoryError::EmptyEpisode);
        }
        check_size(episode, self.rows, self.cols)?;
        self.patterns = episode.iter().map(|im| self.encode(im)).collect();
        self.stored = episode.to_vec();
        Ok(WriteReport {
            stored: episode.len(),
            terms: vec![],
        })
    }

    fn stored(&self) -> &[Image] {
        &self.stored
    }

    fn landscape(&self) -> Option<&dyn LandscapeSpace> {
        Some(self)
    }

    fn forget(&mut self) {
        self.patterns.clear();
        self.stored.clear();
    }

    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError> {
        if self.patterns.is_empty() {
            return Err(MemoryError::Empty);
        }
        check_size(std::slice::from_ref(image), self.rows, self.cols)?;
        let state = self.encode(image);
        let (attention, _) = self.attention(&state);
        let energy = self.energy_of_state(&state);
        let entropy: f64 = -attention.iter().filter(|&&a| a > 0.0).map(|a| a * a.ln()).sum::<f64>();
        Ok(Evaluation {
            energy: Some(energy),
            terms: vec![Term::new("attention entropy (nats)", entropy)],
            weights: Some(attention.iter().map(|&a| a as f32).collect()), parts: Vec::new() })
    }

    fn step(&self, image: &Image, _update: ReadUpdate, _seed: u64) -> Result<Image, MemoryError> {
        if self.patterns.is_empty() {
            return Err(MemoryError::Empty);
        }
        check_size(std::slice::from_ref(image), self.rows, self.cols)?;
        Ok(self.decode(&self.update_state(&self.encode(image))))
    }

    fn inspect(&self) -> Vec<Panel> {
        vec![Panel::Images {
            title: "stored patterns (columns of X)".into(),
            images: self.stored.clone(),
        }]
    }
}

impl LandscapeSpace for ModernHopfield {
    /// The encoded (centred, unit-norm) state of the iterate's image.
    fn point(&self, iterate: &Iterate) -> Option<Vec<f64>> {
        Some(self.encode(&iterate.image))
    }

    /// E(ξ) at a continuous state, and the image it decodes to.
    fn energy_at(&self, point: &[f64]) -> Result<(f64, Image), MemoryError> {
        if point.len() != self.rows * self.cols {
            return Err(MemoryError::Model(format!("a landscape point of {} values for {} pixels", point.len(), self.rows * self.cols)));
        }
        Ok((self.energy_of_state(point), self.decode(point)))
    }
}
