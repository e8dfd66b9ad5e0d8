//! Where one query's reading step goes (the explorer's step: encode, address, read, decode),
//! layer by layer, each timed over many repetitions on the inference device; then all the
//! layers in turn per repetition, as a read runs them (every layer's weights competing for the
//! cache). `cargo run --release --example read_timing`
use std::time::Instant;

use burn::tensor::{Distribution, Tensor};
use kanerva::backend::inference_device;
use kanerva::model::layer_shapes::{Layer, decoder_layers, encoder_layers};
use kanerva::model::Arch;
use kanerva::kernels::fast_conv::FusedForward;

fn main() {
    let dev = inference_device();
    let reps = 20_000;
    let mut total = 0.0;
    let shapes: Vec<_> = encoder_layers(Arch::Simple, 100).into_iter().chain(decoder_layers(Arch::Simple, 100)).collect();
    let layers: Vec<_> = shapes.iter().map(|shape| (shape.init(&dev), Tensor::<4>::random([1, shape.in_channels, shape.in_side, shape.in_side], Distribution::Normal(0.0, 1.0), &dev))).collect();
    let forward = |(layer, x): &(Layer, Tensor<4>)| {
        let y = match layer {
            Layer::Conv(c) => c.forward_fused(x.clone()),
            Layer::ConvTranspose(c) => c.forward_fused(x.clone()),
            Layer::Linear(l) => kanerva::kernels::dense_rows::linear(l, x.clone().flatten::<2>(1, 3)).unsqueeze_dim::<3>(2).unsqueeze_dim::<4>(3),
        };
        let _ = y.slice([0..1, 0..1, 0..1, 0..1]).into_data();
    };
    for (shape, layer) in shapes.iter().zip(&layers) {
        let run = || forward(layer);
        for _ in 0..100 {
            run();
        }
        let t = Instant::now();
        for _ in 0..reps {
            run();
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / reps as f64;
        total += us;
        eprintln!("{:<22} {us:>7.2} us  ({:.1} GFLOP/s)", shape.name, shape.forward_flops() as f64 / us / 1e3);
    }
    eprintln!("{:<22} {total:>7.2} us", "sum");
    for _ in 0..100 {
        layers.iter().for_each(forward);
    }
    let t = Instant::now();
    for _ in 0..reps {
        layers.iter().for_each(forward);
    }
    eprintln!("{:<22} {:>7.2} us", "all in turn", t.elapsed().as_secs_f64() * 1e6 / reps as f64);
}
