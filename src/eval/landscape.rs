//! The energy landscape: a memory's energy on a 2-D slice of its own state space (a Hopfield
//! network's relaxed spins, the modern Hopfield network's continuous state, the DKM's and the
//! KM's addresses, K++'s keys, the EBMM's pixels), the plane through the points of two or
//! three stored items, with a read's trajectory projected onto it.
//!
//! With three items a, b, c the plane is p = p_a + u (p_b − p_a) + v (p_c − p_a), so the items
//! sit at (0, 0), (1, 0) and (0, 1); with two it is p = u p_a + v p_b through the origin, the
//! items at (1, 0) and (0, 1). The grid covers [−extent, 1 + extent] on both axes.

use crate::data::Image;
use crate::memory::{AttractorMemory, Iterate, MemoryError, ReadPlan};

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct LandscapeRequest {
    /// Two or three stored items.
    pub items: Vec<usize>,
    /// Cells per axis.
    pub resolution: usize,
    /// How far the grid reaches beyond the items, in plane units.
    pub extent: f64,
}

/// A computed landscape.
#[derive(Debug, Clone, PartialEq)]
pub struct Landscape {
    pub items: Vec<usize>,
    /// The grid's coordinates on either axis.
    pub axis: Vec<f64>,
    /// Energy per cell, row-major: row j is v = axis[j], column i is u = axis[i].
    pub energies: Vec<f64>,
    /// The image at each cell (what the read would see there).
    pub images: Vec<Image>,
    /// Where the items sit on the plane.
    pub item_coords: Vec<[f64; 2]>,
    /// The read's iterates projected onto the plane.
    pub trajectory: Vec<[f64; 2]>,
    origin: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
}

impl Landscape {
    /// Least-squares coordinates of `point` on the plane.
    pub fn project(&self, point: &[f64]) -> [f64; 2] {
        let d: Vec<f64> = point.iter().zip(&self.origin).map(|(p, o)| p - o).collect();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let (uu, uv, vv) = (dot(&self.u, &self.u), dot(&self.u, &self.v), dot(&self.v, &self.v));
        let (du, dv) = (dot(&d, &self.u), dot(&d, &self.v));
        let det = uu * vv - uv * uv;
        if det.abs() < 1e-12 {
            return [du / uu.max(1e-12), 0.0];
        }
        [(du * vv - dv * uv) / det, (dv * uu - du * uv) / det]
    }

    /// The cell nearest to plane coordinates `(u, v)`.
    pub fn cell(&self, [u, v]: [f64; 2]) -> (usize, usize) {
        let step = self.axis[1] - self.axis[0];
        let index = |x: f64| (((x - self.axis[0]) / step).round().max(0.0) as usize).min(self.axis.len() - 1);
        (index(u), index(v))
    }
}

/// Computes the landscape of `memory` (written) through `request.items`, projecting `read`
/// onto it. `progress(done, total)` is called per row; returning false cancels (Ok(None)).
pub fn landscape(memory: &dyn AttractorMemory, request: &LandscapeRequest, read: &[Iterate], progress: &mut dyn FnMut(usize, usize) -> bool) -> Result<Option<Landscape>, MemoryError> {
    let stored = memory.stored();
    if !(2..=3).contains(&request.items.len()) || request.items.iter().any(|&i| i >= stored.len()) {
        return Err(MemoryError::Model(format!("a landscape needs two or three of the {} stored items, got {:?}", stored.len(), request.items)));
    }
    if !(2..=200).contains(&request.resolution) || !(request.extent.is_finite() && (0.0..=10.0).contains(&request.extent)) {
        return Err(MemoryError::Model(format!("resolution {} (2 to 200) and extent {} (0 to 10)", request.resolution, request.extent)));
    }
    let space = memory.landscape().ok_or_else(|| MemoryError::Model(format!("{} has no state space to draw a landscape in", memory.about().name)))?;
    let point_of = |image: &Image| -> Result<Vec<f64>, MemoryError> {
        let start = crate::memory::start_read(memory, image, &ReadPlan::default())?;
        space.point(&start).ok_or_else(|| MemoryError::Model(format!("no landscape point for {}'s read", memory.about().name)))
    };
    let points: Vec<Vec<f64>> = request.items.iter().map(|&i| point_of(&stored[i])).collect::<Result<_, _>>()?;
    let zero = vec![0.0; points[0].len()];
    let sub = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x - y).collect::<Vec<f64>>();
    let (origin, u, v, item_coords) = match points.as_slice() {
        [a, b] => (zero, a.clone(), b.clone(), vec![[1.0, 0.0], [0.0, 1.0]]),
        [a, b, c] => (a.clone(), sub(b, a), sub(c, a), vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
        _ => unreachable!("checked above"),
    };
    let n = request.resolution;
    let (lo, hi) = (-request.extent, 1.0 + request.extent);
    let axis: Vec<f64> = (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect();
    let (mut energies, mut images) = (Vec::with_capacity(n * n), Vec::with_capacity(n * n));
    for (row, &b) in axis.iter().enumerate() {
        for &a in &axis {
            let point: Vec<f64> = (0..origin.len()).map(|k| origin[k] + a * u[k] + b * v[k]).collect();
            let (energy, image) = space.energy_at(&point)?;
            energies.push(energy);
            images.push(image);
        }
        if !progress(row + 1, n) {
            return Ok(None);
        }
    }
    let mut landscape = Landscape { items: request.items.clone(), axis, energies, images, item_coords, trajectory: Vec::new(), origin, u, v };
    landscape.trajectory = read.iter().filter_map(|it| space.point(it)).map(|p| landscape.project(&p)).collect();
    Ok(Some(landscape))
}
