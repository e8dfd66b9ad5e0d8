//! Helpers shared by the integration tests: f64 tensors and a small dense f64 reference.
#![allow(dead_code)]

pub use kanerva::memory::dense;

pub mod checkpoint_bytes;
pub mod training;

use burn::tensor::{DType, Device, Tensor, TensorData};
use kanerva::rng::SplitMix64;

/// The device's random stream is one per process: tests that seed it and then draw (model
/// initialisation, sampled latents, importance samples) take turns, so each sees the stream it
/// seeded and its numbers do not depend on what runs beside it.
static DEVICE_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn device_rng() -> std::sync::MutexGuard<'static, ()> {
    DEVICE_RNG.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn device() -> Device {
    kanerva::backend::inference_device()
}

/// An f64 tensor from row-major values.
pub fn t64<const D: usize>(values: Vec<f64>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), (device, DType::F64))
}

/// Standard normal f64 tensor, seeded.
pub fn randn<const D: usize>(shape: [usize; D], rng: &mut SplitMix64, device: &Device) -> Tensor<D> {
    let n = shape.iter().product();
    t64((0..n).map(|_| rng.normal()).collect(), shape, device)
}

pub fn values<const D: usize>(t: &Tensor<D>) -> Vec<f64> {
    t.to_data().convert::<f64>().try_into_vec::<f64>().unwrap()
}

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Matrix `i` of a batch [B, n, m] as a dense matrix.
pub fn batch_item(t: &Tensor<3>, i: usize) -> dense::Mat {
    let [_, n, m] = t.dims();
    let v = values(t);
    dense::Mat::new(n, m, v[i * n * m..(i + 1) * n * m].to_vec())
}
