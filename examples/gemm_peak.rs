//! The machine's fp32 matrix-product ceiling through the `gemm` crate, whose kernels every
//! convolution of the project calls: a 1024-cube product on one thread and on two, best of
//! eight; then the products one chunk of the simple arch's `encoder.conv2` makes (10 images,
//! 490 columns: forward, weight gradient, patch gradient), best of 200, on one thread and on
//! two threads at once each running its own (as the convolution kernels run them).
//! docs/speed.md sets each layer's GFLOP/s against these.
//! `cargo run --release --example gemm_peak`
use std::time::Instant;

/// A product `dst [m, n] = lhs [m, k] · rhs [k, n]`, dst row-major; an operand marked
/// transposed is stored as its transpose (row-major), as the kernels' `MatRef::transposed`.
struct Product {
    name: &'static str,
    m: usize,
    n: usize,
    k: usize,
    lhs_transposed: bool,
    rhs_transposed: bool,
}

const CHUNK_PRODUCTS: [Product; 3] = [
    Product { name: "conv2 forward 64x490x512", m: 64, n: 490, k: 512, lhs_transposed: false, rhs_transposed: false },
    Product { name: "conv2 weight grad 64x512x490", m: 64, n: 512, k: 490, lhs_transposed: false, rhs_transposed: true },
    Product { name: "conv2 patch grad 512x490x64", m: 512, n: 490, k: 64, lhs_transposed: true, rhs_transposed: false },
];

/// Best GFLOP/s of `reps` runs of `p` on this thread.
fn best_gflops(p: &Product, reps: usize) -> f64 {
    let (a, b, mut c) = (vec![1.0f32; p.m * p.k], vec![0.5f32; p.k * p.n], vec![0.0f32; p.m * p.n]);
    let (lhs_cs, lhs_rs) = if p.lhs_transposed { (p.m as isize, 1) } else { (1, p.k as isize) };
    let (rhs_cs, rhs_rs) = if p.rhs_transposed { (p.k as isize, 1) } else { (1, p.n as isize) };
    let mut best = f64::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        // SAFETY: a is m x k, b is k x n and c is m x n, as the strides above say; c aliases
        // neither.
        unsafe { gemm::gemm(p.m, p.n, p.k, c.as_mut_ptr(), 1, p.n as isize, false, a.as_ptr(), lhs_cs, lhs_rs, b.as_ptr(), rhs_cs, rhs_rs, 1.0, 1.0, false, false, false, gemm::Parallelism::None) };
        best = best.min(t.elapsed().as_secs_f64());
    }
    assert_eq!(c[0], 0.5 * p.k as f32, "{}: the product is wrong", p.name);
    2.0 * (p.m * p.n * p.k) as f64 / best / 1e9
}

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
        println!("1024 cube, {name:<12} {:.1} GFLOP/s", 2.0 * (n * n * n) as f64 / best / 1e9);
    }
    for p in &CHUNK_PRODUCTS {
        let alone = best_gflops(p, 200);
        let [first, second] = std::thread::scope(|s| [s.spawn(|| best_gflops(p, 200)), s.spawn(|| best_gflops(p, 200))].map(|h| h.join().expect("a timing thread panicked")));
        println!("{:<30} one thread {alone:.1} GFLOP/s; two at once {first:.1} + {second:.1}", p.name);
    }
}
