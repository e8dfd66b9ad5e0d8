//! A meta-trained EBMM as an explorable [`AttractorMemory`]: a write runs the learned gradient
//! steps on the fast weights; a read step is one projected gradient step on the energy, which
//! is the EBMM's own Lyapunov function (it never rises: docs/ebmm.md).

use burn::tensor::{Device, Tensor};

use crate::data::{Image, PIXELS, SIDE};
use crate::memory::attractor::{About, Evaluation, Iterate, LandscapeSpace, MemoryError, Panel, ReadUpdate, Term, WriteReport};

use super::ebmm::{Fast, energy, energy_gradient, writing_loss};
use super::explorable::{Explorable, Facets, TrainedAttractor};
use super::reading::{images_tensor, to_f32};
use super::Ebmm;

pub struct EbmmAttractor {
    model: Ebmm,
    device: Device,
    written: Option<Written>,
}

struct Written {
    /// W and b after the write. [1, H, D] and [1, H]
    fast: Fast,
    /// The stored items' energies along the write (none after `forget`).
    write_curves: Option<Panel>,
}

/// The write panel draws at most this many items' curves (more would be a blur).
const MAX_CURVES: usize = 16;

impl EbmmAttractor {
    pub fn new(model: Ebmm, device: Device) -> Self {
        Self { model, device, written: None }
    }

    /// The explorable memory called `name`.
    pub fn explorable(name: &str, model: Ebmm, device: Device) -> Explorable<Self> {
        Explorable::new(name, Self::new(model, device))
    }

    fn written(&self) -> Result<&Written, MemoryError> {
        self.written.as_ref().ok_or(MemoryError::Empty)
    }

    /// # Shapes
    /// - returns [1, M, 784]
    fn tensor(&self, images: &[Image]) -> Tensor<3> {
        images_tensor(images, &self.device).reshape([1, images.len(), PIXELS])
    }

    /// Mean ‖∇_x E‖ of `images` under fast weights `w`.
    fn gradient_norm(&self, images: &[Image], fast: &Fast) -> f64 {
        let (g, _) = energy_gradient(self.tensor(images), fast, &self.model.slow());
        let norms = to_f32(g.square().sum_dim(2).sqrt());
        norms.iter().map(|&x| f64::from(x)).sum::<f64>() / norms.len().max(1) as f64
    }
}

impl TrainedAttractor for EbmmAttractor {
    /// No unit (the energy is not a likelihood); its size: the fast weights W (H × 784) and b (H).
    fn about(&self, name: String) -> About {
        About::new(name, "", self.model.hidden() * (PIXELS + 1)).weights("responsibilities p: how much each row of W pulls the image", "row of W")
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        let x = self.tensor(episode);
        let ws = self.model.write_steps(x.clone());
        let slow = self.model.slow();
        let w_bar = ws.first().expect("W̄ first").w.clone();
        // Each stored item's energy after each write step: the write as it happens.
        let energies: Vec<Vec<f32>> = ws.iter().map(|fast| to_f32(energy(x.clone(), fast, &slow))).collect();
        let item_energy = |i: usize| energies.iter().map(|e| f64::from(e[i])).collect::<Vec<f64>>();
        let losses: Vec<f64> = ws.iter().map(|fast| f64::from(to_f32(writing_loss(x.clone(), fast, w_bar.clone(), &slow))[0])).collect();
        let (g_before, g_after) = (self.gradient_norm(episode, ws.first().expect("W̄ first")), self.gradient_norm(episode, ws.last().expect("W̄ at least")));
        let fast = ws.last().expect("W̄ at least").clone();
        let mean_energy = |e: &[f32]| e.iter().map(|&v| f64::from(v)).sum::<f64>() / e.len() as f64;
        let mut terms: Vec<Term> = vec![Term::new("stored energy after write", mean_energy(energies.last().expect("one"))), Term::new("stored energy before write", mean_energy(&energies[0]))];
        terms.extend(losses.iter().enumerate().map(|(tau, &l)| Term::new(&format!("writing loss, step {tau}"), l)));
        terms.extend([
            Term::new("stored |grad E| before write", g_before),
            Term::new("stored |grad E| after write", g_after),
            Term::new("read step γ", f64::from(to_f32(self.model.read_step_size())[0])),
        ]);
        let shown = episode.len().min(MAX_CURVES);
        let write_curves = Panel::Curves {
            title: format!("the write: energy of each stored item after each step (items 0-{} of {})", shown - 1, episode.len()),
            x_label: "write step (0: before writing)".into(),
            y_label: "energy E(x_i; W)".into(),
            lines: (0..shown).map(|i| (format!("item {i}"), item_energy(i))).collect(),
            stored_items: true,
        };
        self.written = Some(Written { fast, write_curves: Some(write_curves) });
        Ok(WriteReport { stored: episode.len(), terms })
    }

    /// The learned initial fast weights W̄, as before any write step.
    fn forget(&mut self) {
        self.written = Some(Written { fast: self.model.initial_fast(1), write_curves: None });
    }

    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError> {
        Ok((self.evaluate(image)?, self.step(image, update, seed)?))
    }

    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError> {
        let written = self.written()?;
        let x = self.tensor(std::slice::from_ref(image));
        let slow = self.model.slow();
        let e = f64::from(to_f32(energy(x.clone(), &written.fast, &slow))[0]);
        let (g, s) = energy_gradient(x, &written.fast, &slow);
        let norm = f64::from(to_f32(g.square().sum().sqrt())[0]);
        Ok(Evaluation { energy: Some(e), terms: vec![Term::new("|grad E|", norm)], weights: Some(to_f32(s)), parts: Vec::new() })
    }

    /// One projected gradient step, x ← clamp(x − γ∇E, 0, 1), γ ≤ 1/(1 + λ) (never uphill). The state is continuous; `update`
    /// and `seed` do not change it (mode and mean are the same step, and the error a read is
    /// scored with thresholds at ½).
    fn step(&self, image: &Image, _update: ReadUpdate, _seed: u64) -> Result<Image, MemoryError> {
        let written = self.written()?;
        let x = self.tensor(std::slice::from_ref(image));
        let (g, _) = energy_gradient(x.clone(), &written.fast, &self.model.slow());
        let next = (x - g * self.model.read_step_size().reshape([1, 1, 1])).clamp(0.0, 1.0);
        Ok(Image::new(SIDE, SIDE, to_f32(next)))
    }

    fn inspect(&self, _stored: &[Image]) -> Vec<Panel> {
        let Some(written) = &self.written else { return Vec::new() };
        let h = self.model.hidden();
        let w = to_f32(written.fast.w.clone().reshape([h, PIXELS]));
        let w_bar = to_f32(self.model.w_init.val());
        // The rows the write moved furthest from W̄: where the stored items now live.
        let moved = |j: usize| w[j * PIXELS..(j + 1) * PIXELS].iter().zip(&w_bar[j * PIXELS..(j + 1) * PIXELS]).map(|(a, b)| f64::from(a - b).powi(2)).sum::<f64>();
        let mut order: Vec<(usize, f64)> = (0..h).map(|j| (j, moved(j))).collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        // Rows that moved a tenth as far as the furthest are left out (a write's side effects).
        let furthest = order.first().map_or(0.0, |(_, d)| *d);
        let shown: Vec<usize> = order.iter().take(16).filter(|(_, d)| *d > 1e-6 && *d >= 0.1 * furthest).map(|(j, _)| *j).collect();
        let images = shown.iter().map(|&j| Image::new(SIDE, SIDE, w[j * PIXELS..(j + 1) * PIXELS].iter().map(|v| v.clamp(0.0, 1.0)).collect())).collect();
        let mut panels: Vec<Panel> = written.write_curves.iter().cloned().collect();
        panels.push(Panel::Images { title: "the rows of W the write moved most, as images (the energy's valleys)".into(), images });
        panels.push(Panel::Heatmap { title: format!("fast weights W (H = {h} rows × 784 pixels)"), rows: h, cols: PIXELS, values: w });
        panels
    }

    fn facets(&self) -> Facets<'_> {
        Facets { landscape: Some(self), ..Facets::default() }
    }
}

impl LandscapeSpace for EbmmAttractor {
    /// The iterate's pixels: the EBMM's state is the image itself.
    fn point(&self, iterate: &Iterate) -> Option<Vec<f64>> {
        Some(iterate.image.pixels.iter().map(|&p| f64::from(p)).collect())
    }

    /// E(x) at the point clipped to [0, 1] (the read's projection), and that image.
    fn energy_at(&self, point: &[f64]) -> Result<(f64, Image), MemoryError> {
        let written = self.written()?;
        if point.len() != PIXELS {
            return Err(MemoryError::Model(format!("a landscape point of {} values for {PIXELS} pixels", point.len())));
        }
        let image = Image::new(SIDE, SIDE, point.iter().map(|&p| p.clamp(0.0, 1.0) as f32).collect());
        let e = energy(self.tensor(std::slice::from_ref(&image)), &written.fast, &self.model.slow());
        Ok((f64::from(to_f32(e)[0]), image))
    }
}
