//! A meta-trained EBMM as an explorable [`AttractorMemory`]: a write runs the learned gradient
//! steps on the fast weights; a read step is one projected gradient step on the energy, which
//! is the EBMM's own Lyapunov function (it never rises: docs/ebmm.md).

use burn::tensor::{Device, Tensor};

use crate::data::{Image, PIXELS, SIDE};
use crate::memory::attractor::{AttractorMemory, Evaluation, Iterate, MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size};

use super::ebmm::{energy, energy_gradient};
use super::reading::{check_episode, images_tensor, to_f32};
use super::{Ebmm, EbmmConfig};

pub struct EbmmAttractor {
    pub name: String,
    model: Ebmm,
    device: Device,
    written: Option<Written>,
}

struct Written {
    /// W_T. [1, H, D]
    w: Tensor<3>,
    /// γ of this memory's reads. [1, 1, 1]
    gamma: Tensor<3>,
    stored: Vec<Image>,
}

impl EbmmAttractor {
    pub fn new(name: &str, model: Ebmm, _config: EbmmConfig, device: Device) -> Self {
        Self { name: name.to_string(), model, device, written: None }
    }

    fn written(&self) -> Result<&Written, MemoryError> {
        self.written.as_ref().ok_or(MemoryError::Empty)
    }

    /// # Shapes
    /// - returns [1, M, 784]
    fn tensor(&self, images: &[Image]) -> Tensor<3> {
        images_tensor(images, &self.device).reshape([1, images.len(), PIXELS])
    }

    /// Mean energy and mean ‖∇_x E‖ of `images` under fast weights `w`.
    fn energy_and_gradient_norm(&self, images: &[Image], w: Tensor<3>) -> (f64, f64) {
        let x = self.tensor(images);
        let slow = self.model.slow();
        let e = to_f32(energy(x.clone(), w.clone(), &slow));
        let (g, _) = energy_gradient(x, w, &slow);
        let norms = to_f32(g.square().sum_dim(2).sqrt());
        let mean = |v: Vec<f32>| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64;
        (mean(e), mean(norms))
    }
}

impl AttractorMemory for EbmmAttractor {
    fn name(&self) -> String {
        self.name.clone()
    }

    /// The energy has no unit (it is not a likelihood).
    fn energy_unit(&self) -> &'static str {
        ""
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        check_episode(episode)?;
        let (w, losses) = self.model.write(self.tensor(episode), true);
        let w_bar = self.model.w_init.val().unsqueeze_dim::<3>(0);
        let (e_before, g_before) = self.energy_and_gradient_norm(episode, w_bar);
        let (e_after, g_after) = self.energy_and_gradient_norm(episode, w.clone());
        let gamma = self.model.read_step_size(w.clone()).reshape([1, 1, 1]);
        let mut terms: Vec<Term> = losses.into_iter().enumerate().map(|(tau, l)| Term::new(&format!("writing loss, step {tau}"), f64::from(to_f32(l)[0]))).collect();
        terms.insert(0, Term::new("stored energy after write", e_after));
        terms.extend([
            Term::new("stored energy before write", e_before),
            Term::new("stored |grad E| before write", g_before),
            Term::new("stored |grad E| after write", g_after),
            Term::new("read step γ", f64::from(to_f32(gamma.clone())[0])),
        ]);
        self.written = Some(Written { w, gamma, stored: episode.to_vec() });
        Ok(WriteReport { stored: episode.len(), terms })
    }

    fn stored(&self) -> &[Image] {
        self.written.as_ref().map_or(&[], |w| &w.stored)
    }

    /// The learned initial fast weights W̄, as before any write step.
    fn forget(&mut self) {
        let w = self.model.w_init.val().unsqueeze_dim::<3>(0);
        let gamma = self.model.read_step_size(w.clone()).reshape([1, 1, 1]);
        self.written = Some(Written { w, gamma, stored: Vec::new() });
    }

    /// The fast weights W, H × 784.
    fn memory_floats(&self) -> usize {
        self.model.w_init.dims().iter().product()
    }

    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError> {
        check_size(std::slice::from_ref(image), SIDE, SIDE)?;
        let written = self.written()?;
        let x = self.tensor(std::slice::from_ref(image));
        let slow = self.model.slow();
        let e = f64::from(to_f32(energy(x.clone(), written.w.clone(), &slow))[0]);
        let (g, s) = energy_gradient(x, written.w.clone(), &slow);
        let norm = f64::from(to_f32(g.square().sum().sqrt())[0]);
        Ok(Evaluation { energy: Some(e), terms: vec![Term::new("|grad E|", norm)], weights: Some(to_f32(s)), parts: Vec::new() })
    }

    /// One projected gradient step, x ← clamp(x − γ∇E, 0, 1). The state is continuous; `update`
    /// and `seed` do not change it (mode and mean are the same step, and the error a read is
    /// scored with thresholds at ½).
    fn step(&self, image: &Image, _update: ReadUpdate, _seed: u64) -> Result<Image, MemoryError> {
        check_size(std::slice::from_ref(image), SIDE, SIDE)?;
        let written = self.written()?;
        let x = self.tensor(std::slice::from_ref(image));
        let (g, _) = energy_gradient(x.clone(), written.w.clone(), &self.model.slow());
        let next = (x - g * written.gamma.clone()).clamp(0.0, 1.0);
        Ok(Image::new(SIDE, SIDE, to_f32(next)))
    }

    fn weights_label(&self) -> (&'static str, &'static str) {
        ("hidden units' activations σ(Wx + b)", "hidden unit")
    }

    fn has_landscape(&self) -> bool {
        true
    }

    /// The iterate's pixels: the EBMM's state is the image itself.
    fn landscape_point(&self, iterate: &Iterate) -> Option<Vec<f64>> {
        Some(iterate.image.pixels.iter().map(|&p| f64::from(p)).collect())
    }

    /// E(x) at the point clipped to [0, 1] (the read's projection), and that image.
    fn landscape_energy(&self, point: &[f64]) -> Option<Result<(f64, Image), MemoryError>> {
        Some((|| {
            let written = self.written()?;
            if point.len() != PIXELS {
                return Err(MemoryError::Model(format!("a landscape point of {} values for {PIXELS} pixels", point.len())));
            }
            let image = Image::new(SIDE, SIDE, point.iter().map(|&p| p.clamp(0.0, 1.0) as f32).collect());
            let e = energy(self.tensor(std::slice::from_ref(&image)), written.w.clone(), &self.model.slow());
            Ok((f64::from(to_f32(e)[0]), image))
        })())
    }

    fn inspect(&self) -> Vec<Panel> {
        let Some(written) = &self.written else { return Vec::new() };
        let h = self.model.hidden();
        let delta = to_f32(written.w.clone().reshape([h, PIXELS]) - self.model.w_init.val());
        // Each shown unit's change, scaled to [0, 1] around 0.5 (grey = unchanged).
        let shown = h.min(16);
        let images = (0..shown)
            .map(|j| {
                let row = &delta[j * PIXELS..(j + 1) * PIXELS];
                let scale = row.iter().fold(1e-12f32, |m, v| m.max(v.abs()));
                Image::new(SIDE, SIDE, row.iter().map(|v| 0.5 + 0.5 * v / scale).collect())
            })
            .collect();
        vec![
            Panel::Images { title: format!("what the write changed: W_T - W0 of hidden units 1-{shown} (grey = 0)"), images },
            Panel::Heatmap { title: format!("fast weights W_T (H = {h} × 784)"), rows: h, cols: PIXELS, values: to_f32(written.w.clone().reshape([h, PIXELS])) },
        ]
    }
}
