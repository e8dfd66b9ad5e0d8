//! Times the tensor ops the im2col convolutions (src/model/fast_conv.rs) are made of, forward +
//! backward on the autodiff device, at the sizes of the encoder's second layer (B·T = 512):
//! why that path is slower than burn's generic convolution backward here.
//! `cargo run --release --example op_timing`
use std::time::Instant;

use burn::tensor::ops::PadMode;
use burn::tensor::{Distribution, Tensor};
use kanerva::backend::training_device;

fn time(name: &str, mut f: impl FnMut()) {
    f();
    let t = Instant::now();
    for _ in 0..5 {
        f();
    }
    eprintln!("{name:<40} {:>8.2} ms", t.elapsed().as_secs_f64() * 1e3 / 5.0);
}

fn main() {
    let dev = training_device();
    let x = Tensor::<4>::random([512, 32, 14, 14], Distribution::Normal(0.0, 1.0), &dev).require_grad();
    time("pad fwd+bwd", || { let _ = x.clone().pad([(1, 1), (1, 1)], PadMode::Constant(0.0)).sum().backward(); });
    let p = x.clone().pad([(1, 1), (1, 1)], PadMode::Constant(0.0));
    time("slice contiguous window fwd+bwd", || { let _ = x.clone().slice([0..512, 0..32, 1..13, 1..13]).sum().backward(); });
    time("4 windows stack fwd+bwd", || {
        let w: Vec<_> = (0..4).map(|i| x.clone().slice([0..512, 0..32, i / 2..i / 2 + 12, i % 2..i % 2 + 12])).collect();
        let _ = Tensor::stack::<5>(w, 2).sum().backward();
    });
    time("swap+reshape fwd+bwd", || { let _ = x.clone().reshape([512, 32, 196]).swap_dims(1, 2).reshape([512 * 196, 32]).sum().backward(); });
    let m = Tensor::<2>::random([512 * 196, 128], Distribution::Normal(0.0, 1.0), &dev).require_grad();
    let w1 = Tensor::<2>::random([128, 1], Distribution::Normal(0.0, 1.0), &dev).require_grad();
    let w32 = Tensor::<2>::random([128, 32], Distribution::Normal(0.0, 1.0), &dev).require_grad();
    time("matmul [100352,128]x[128,1] fwd+bwd", || { let _ = m.clone().matmul(w1.clone()).sum().backward(); });
    time("matmul [100352,128]x[128,32] fwd+bwd", || { let _ = m.clone().matmul(w32.clone()).sum().backward(); });
    time("matmul fwd only x32", || { let _ = m.clone().matmul(w32.clone()).sum().into_data(); });
    let _ = p;
}
