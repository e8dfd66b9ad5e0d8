//! The one place that chooses where tensors live. Everything else asks for a device here, so
//! moving the whole crate to the GPU is the `wgpu` cargo feature and nothing more.
//!
//! Default: burn's `flex` CPU backend (burn-ndarray is deprecated in burn 0.22), with the
//! custom ops of `crate::kernels` on top; its speed against the PyTorch reference is in
//! docs/speed.md.

pub use burn::tensor::{DType, Device, Tensor, TensorData};

/// Device for inference and interactive work (no autodiff: a graph that is never consumed
/// made forward passes slow, perf-notes.md).
pub fn inference_device() -> Device {
    #[cfg(feature = "wgpu")]
    {
        Device::wgpu(burn::tensor::DeviceKind::default())
    }
    #[cfg(not(feature = "wgpu"))]
    {
        Device::flex()
    }
}

/// The same device with automatic differentiation, for training.
pub fn training_device() -> Device {
    inference_device().autodiff()
}
