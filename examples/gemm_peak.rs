//! The machine's fp32 matrix-product ceiling through the `gemm` crate, whose kernels every
//! convolution of the project calls: a 1024-cube product on one thread and on two, best of
//! eight. docs/speed.md sets each layer's GFLOP/s against it.
//! `cargo run --release --example gemm_peak`
use std::time::Instant;

fn main() {
    let n = 1024usize;
    let a = vec![1.0f32; n * n];
    let b = vec![0.5f32; n * n];
    let mut c = vec![0.0f32; n * n];
    for (name, parallelism) in [("one thread", gemm::Parallelism::None), ("two threads", gemm::Parallelism::Rayon(2))] {
        let mut best = f64::MAX;
        for _ in 0..8 {
            let t = Instant::now();
            // SAFETY: a, b and c are n x n row-major, as the strides say; c aliases neither.
            unsafe { gemm::gemm(n, n, n, c.as_mut_ptr(), 1, n as isize, false, a.as_ptr(), 1, n as isize, b.as_ptr(), 1, n as isize, 1.0, 1.0, false, false, false, parallelism) };
            best = best.min(t.elapsed().as_secs_f64());
        }
        assert_eq!(c[0], 0.5 * n as f32, "the product is wrong");
        println!("{name:<12} {:.1} GFLOP/s", 2.0 * (n * n * n) as f64 / best / 1e9);
    }
}
