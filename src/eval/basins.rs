//! Attractor basins: where do nearby queries flow? A grid of start points between two stored
//! items (x: mixing weight α, y: bit-flip noise) is read to convergence and each cell is labelled
//! with the stored item it ends closest to. Plus a 2-D PCA projection to draw trajectories.

use serde::Serialize;

use crate::data::{Corruption, Image};
use crate::memory::{AttractorMemory, MemoryError, ReadPlan, read_iterations};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BasinCell {
    /// Mixing weight: 0 = item a, 1 = item b.
    pub alpha: f32,
    /// Bit-flip probability applied to the mixed start.
    pub noise: f32,
    /// Index of the stored item the read ends nearest to.
    pub attractor: usize,
    /// Fraction of pixels by which the end point differs from that item.
    pub distance: f32,
}

/// (1 − α)·a + α·b, pixelwise.
pub fn mix(a: &Image, b: &Image, alpha: f32) -> Image {
    Image::new(a.rows, a.cols, a.pixels.iter().zip(&b.pixels).map(|(x, y)| (1.0 - alpha) * x + alpha * y).collect())
}

/// Index and distance of the stored image nearest to `image`.
pub fn nearest(stored: &[Image], image: &Image) -> Option<(usize, f32)> {
    stored
        .iter()
        .map(|s| image.pixel_error(s))
        .enumerate()
        .min_by(|x, y| x.1.total_cmp(&y.1))
}

/// Reads every start point of the grid `alphas` x `noises` (row-major: one row per noise level).
/// Each cell's read follows `plan`, its seed moved by the cell's index.
pub fn basin_map(memory: &dyn AttractorMemory, a: usize, b: usize, alphas: &[f32], noises: &[f32], plan: &ReadPlan) -> Result<Vec<BasinCell>, MemoryError> {
    let stored = memory.stored();
    if stored.is_empty() {
        return Err(MemoryError::Empty);
    }
    let (ia, ib) = (stored.get(a).ok_or(MemoryError::Empty)?, stored.get(b).ok_or(MemoryError::Empty)?);
    let mut cells = Vec::with_capacity(alphas.len() * noises.len());
    for (row, &noise) in noises.iter().enumerate() {
        for (col, &alpha) in alphas.iter().enumerate() {
            let cell_seed = plan.seed.wrapping_add((row * alphas.len() + col) as u64 * 104_729);
            let start = Corruption::BitFlip { p: noise }.apply(&mix(ia, ib, alpha), cell_seed);
            let end = read_iterations(memory, &start, &plan.with_seed(cell_seed))?.pop().expect("the query at least").image;
            let (attractor, distance) = nearest(stored, &end).expect("stored is not empty");
            cells.push(BasinCell { alpha, noise, attractor, distance });
        }
    }
    Ok(cells)
}

/// The top two principal axes of `images` (pixel space, centred), for a 2-D map of the memory.
pub struct Projection {
    mean: Vec<f32>,
    axes: [Vec<f32>; 2],
}

impl Projection {
    /// PCA of images in pixel space.
    pub fn fit(images: &[Image]) -> Option<Projection> {
        let vectors: Vec<&[f32]> = images.iter().map(|im| im.pixels.as_slice()).collect();
        Self::fit_vectors(&vectors)
    }

    /// PCA by power iteration on the small S x S Gram matrix (S = number of vectors).
    pub fn fit_vectors(vectors: &[&[f32]]) -> Option<Projection> {
        let n = vectors.len();
        let d = vectors.first()?.len();
        if n < 2 || vectors.iter().any(|v| v.len() != d) {
            return None;
        }
        let mut mean = vec![0.0f32; d];
        for v in vectors {
            mean.iter_mut().zip(v.iter()).for_each(|(m, x)| *m += x / n as f32);
        }
        let centred: Vec<Vec<f32>> = vectors.iter().map(|v| v.iter().zip(&mean).map(|(x, m)| x - m).collect()).collect();
        let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f32>();
        let mut gram: Vec<Vec<f32>> = (0..n).map(|i| (0..n).map(|j| dot(&centred[i], &centred[j])).collect()).collect();
        let mut axes: Vec<Vec<f32>> = Vec::new();
        for k in 0..2 {
            let mut v: Vec<f32> = (0..n).map(|i| 1.0 + ((i * 7 + k * 3) % 5) as f32 * 0.1).collect();
            let mut eigen = 0.0;
            for _ in 0..200 {
                let w: Vec<f32> = (0..n).map(|i| dot(&gram[i], &v)).collect();
                let norm = dot(&w, &w).sqrt();
                if norm < 1e-12 {
                    break;
                }
                eigen = norm;
                v = w.iter().map(|x| x / norm).collect();
            }
            // Pixel-space axis = Xᵀ v / ‖Xᵀ v‖; deflate the Gram matrix for the next one.
            let mut axis = vec![0.0f32; d];
            for (i, c) in centred.iter().enumerate() {
                axis.iter_mut().zip(c).for_each(|(a, x)| *a += v[i] * x);
            }
            let norm = dot(&axis, &axis).sqrt().max(1e-12);
            axis.iter_mut().for_each(|a| *a /= norm);
            for i in 0..n {
                for j in 0..n {
                    gram[i][j] -= eigen * v[i] * v[j];
                }
            }
            axes.push(axis);
        }
        let second = axes.pop()?;
        let first = axes.pop()?;
        Some(Projection { mean, axes: [first, second] })
    }

    pub fn project(&self, image: &Image) -> [f64; 2] {
        self.project_vector(&image.pixels)
    }

    pub fn project_vector(&self, vector: &[f32]) -> [f64; 2] {
        let c: Vec<f32> = vector.iter().zip(&self.mean).map(|(v, m)| v - m).collect();
        let p = |axis: &[f32]| axis.iter().zip(&c).map(|(a, x)| a * x).sum::<f32>() as f64;
        [p(&self.axes[0]), p(&self.axes[1])]
    }
}
