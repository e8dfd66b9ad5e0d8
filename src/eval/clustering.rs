//! Does a model's allocation cluster the data? Each test image's dominant memory part (the
//! PKM's machine with the largest gate) against its class label, as normalized mutual
//! information, beside the same with the labels shuffled (what chance gives).

use burn::tensor::Device;
use serde::Serialize;

use crate::data::{ImageSet, PIXELS};
use crate::rng::SplitMix64;
use crate::train::TrainedModel;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClusteringReport {
    /// NMI between dominant part and label, in [0, 1].
    pub nmi: f64,
    /// The same with the labels shuffled (seed 0).
    pub nmi_shuffled_labels: f64,
    pub images: usize,
    /// The parts (machines) an image may go to.
    pub parts: usize,
    /// The parts that are some image's dominant one (fewer than `parts`: some are unused).
    pub used_parts: usize,
}

/// Normalized mutual information 2 I(a; b) / (H(a) + H(b)) of two labelings (0 when both are
/// constant).
pub fn normalized_mutual_information(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len());
    let n = a.len() as f64;
    if a.is_empty() {
        return 0.0;
    }
    let mut joint = std::collections::HashMap::new();
    let (mut pa, mut pb) = (std::collections::HashMap::new(), std::collections::HashMap::new());
    for (&x, &y) in a.iter().zip(b) {
        *joint.entry((x, y)).or_insert(0.0) += 1.0 / n;
        *pa.entry(x).or_insert(0.0) += 1.0 / n;
        *pb.entry(y).or_insert(0.0) += 1.0 / n;
    }
    let entropy = |p: &std::collections::HashMap<usize, f64>| -p.values().map(|&v| v * f64::ln(v)).sum::<f64>();
    let mi: f64 = joint.iter().map(|(&(x, y), &p)| p * (p / (pa[&x] * pb[&y])).ln()).sum();
    let (ha, hb) = (entropy(&pa), entropy(&pb));
    if ha + hb <= 0.0 { 0.0 } else { (2.0 * mi / (ha + hb)).clamp(0.0, 1.0) }
}

/// The clustering of the first `count` images of `set` (which needs labels), or None when the
/// model does not allocate or the set has no labels.
pub fn allocation_clustering(model: &dyn TrainedModel, set: &ImageSet, count: usize, device: &Device) -> Option<ClusteringReport> {
    let labels = set.labels.as_ref()?;
    let n = count.min(set.len());
    let mut dominant = Vec::with_capacity(n);
    let mut parts = 0;
    for start in (0..n).step_by(256) {
        let end = (start + 256).min(n);
        let pixels: Vec<f32> = (start..end).flat_map(|i| set.binary_image(i).pixels).collect();
        let images = burn::tensor::Tensor::<2>::from_data(burn::tensor::TensorData::new(pixels, [end - start, PIXELS]), device);
        let weights = model.allocation(images)?;
        parts = weights.dims()[1];
        let values = weights.into_data().convert::<f32>().try_into_vec::<f32>().ok()?;
        dominant.extend(values.chunks(parts).map(|row| row.iter().enumerate().max_by(|x, y| x.1.total_cmp(y.1)).map_or(0, |(k, _)| k)));
    }
    let labels: Vec<usize> = labels[..n].iter().map(|&l| l as usize).collect();
    let mut shuffled = labels.clone();
    let mut rng = SplitMix64::new(0);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i + 1));
    }
    let used_parts = dominant.iter().collect::<std::collections::BTreeSet<_>>().len();
    Some(ClusteringReport { nmi: normalized_mutual_information(&dominant, &labels), nmi_shuffled_labels: normalized_mutual_information(&dominant, &shuffled), images: n, parts, used_parts })
}

#[cfg(test)]
mod tests {
    use super::normalized_mutual_information as nmi;

    #[test]
    fn nmi_is_one_for_a_relabeling_and_zero_for_independent_labelings() {
        assert!((nmi(&[0, 0, 1, 1, 2, 2], &[5, 5, 3, 3, 9, 9]) - 1.0).abs() < 1e-12);
        assert!(nmi(&[0, 0, 1, 1], &[0, 1, 0, 1]).abs() < 1e-12);
        assert_eq!(nmi(&[0, 0, 0], &[0, 0, 0]), 0.0);
        let partial = nmi(&[0, 0, 1, 1], &[0, 0, 0, 1]);
        assert!(partial > 0.0 && partial < 1.0);
    }
}
