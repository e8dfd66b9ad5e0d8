//! `kanerva bench`: every encoder and decoder layer of an arch timed alone, forward + backward
//! on a training batch's images, with its achieved GFLOP/s (FLOPs counted from the shapes in
//! `model::layer_shapes`), so the gap to the hardware shows layer by layer.

use burn::tensor::{Distribution, Tensor};
use kanerva::kernels::fast_conv::FusedForward;
use kanerva::model::layer_shapes::{Layer, LayerShape, decoder_layers, encoder_layers};
use kanerva::model::Arch;

use super::bench::median_ms;

/// One layer's timing.
#[derive(Debug, serde::Serialize)]
pub struct LayerTiming {
    pub layer: String,
    /// Forward + backward on `images` images, median, ms.
    pub fwd_bwd_ms: f64,
    /// Floating-point operations of that forward + backward.
    pub gflop: f64,
    /// gflop / seconds.
    pub gflops: f64,
}

/// Times each layer of `arch` on `images` images with the training device's fused kernels (the
/// training step's path), `reps` times after two warm-ups.
pub fn time_layers(arch: Arch, code_size: usize, images: usize, reps: usize) -> Vec<LayerTiming> {
    let device = kanerva::backend::training_device();
    encoder_layers(arch, code_size)
        .into_iter()
        .chain(decoder_layers(arch, code_size))
        .map(|shape| {
            let layer = shape.init(&device);
            let input = layer_input(&shape, images, &device);
            let ms = median_ms(reps, 2, || {
                let output_sum = match &layer {
                    Layer::Conv(conv) => conv.forward_fused(input.clone()).sum(),
                    Layer::ConvTranspose(deconv) => deconv.forward_fused(input.clone()).sum(),
                    Layer::Linear(linear) => linear.forward(input.clone().flatten::<2>(1, 3)).sum(),
                };
                let _ = output_sum.backward();
                // On a GPU `backward` only queues the work: wait for it.
                device.sync().expect("the device runs the backward");
            });
            let gflop = images as f64 * (shape.forward_flops() + shape.backward_flops()) as f64 / 1e9;
            LayerTiming { layer: shape.name, fwd_bwd_ms: ms, gflop, gflops: gflop / (ms / 1e3) }
        })
        .collect()
}

/// A random input for `shape` on `images` images, [N, C, side, side] (a dense layer's as
/// [N, inputs, 1, 1]); it takes a gradient where the layer's input does in training.
///
/// # Shapes
/// - -> [images, in_channels, in_side, in_side]
fn layer_input(shape: &LayerShape, images: usize, device: &burn::tensor::Device) -> Tensor<4> {
    let x = Tensor::<4>::random([images, shape.in_channels, shape.in_side, shape.in_side], Distribution::Normal(0.0, 1.0), device);
    if shape.needs_input_gradient { x.require_grad() } else { x }
}
