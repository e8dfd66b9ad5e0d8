//! The custom-op Cholesky factor and triangular solves give the tensor-op forms' values and
//! gradients, with and without autodiff: the CPU kernels (flex f32) in the default build, the
//! GPU kernels (cubecl) in the `wgpu` build, which also checks them against the CPU kernels.
//! Other dtypes fall back.
//!
//! The GPU run, on a software Vulkan device (lavapipe) where no GPU is present:
//! `cargo test --release --no-default-features --features wgpu --test linalg_kernels`
//! (scripts/gpu_tests.sh).

use burn::tensor::{Distribution, Tensor};
use kanerva::backend::{inference_device, training_device};
use kanerva::kernels as kernel_ops;
use kanerva::memory::linalg::{cholesky_generic, eye_like, mt, solve_lower_generic, solve_lower_transposed_generic};

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
}

fn assert_close(name: &str, a: &[f32], b: &[f32], tolerance: f32) {
    assert_eq!(a.len(), b.len(), "{name}: lengths");
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1.0);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tolerance * scale, "{name}[{i}]: custom {x} vs tensor ops {y} (scale {scale})");
    }
}

/// A batch of 3 SPD matrices M Mᵀ + 0.5 I, n x n, from M [3, n, n + 3].
fn spd(m: Tensor<3>) -> Tensor<3> {
    let n = m.dims()[1];
    let eye = eye_like(n, &m).unsqueeze_dim::<3>(0).mul_scalar(0.5);
    m.clone().matmul(mt(m)) + eye
}

#[test]
fn cholesky_values_and_gradients_match_the_tensor_op_form() {
    let dev = training_device();
    // The shift is added to the diagonal inside the op; the tensor-op form adds shift·I first.
    for (n, shift) in [(1, 0.0), (5, 0.7), (32, 0.0), (32, 2.5)] {
        let m = Tensor::<3>::random([3, n, n + 3], Distribution::Normal(0.0, 0.5), &dev).require_grad();
        let weights = Tensor::<3>::random([3, n, n], Distribution::Normal(0.0, 1.0), &dev);
        let ours = kernel_ops::cholesky(&spd(m.clone()), shift).expect("f32 takes the custom op");
        let shifted = spd(m.clone()) + eye_like(n, &m).mul_scalar(shift).unsqueeze_dim::<3>(0);
        let generic = cholesky_generic(shifted);
        let case = format!("n = {n}, shift = {shift}");
        assert_close(&format!("L, {case}"), &values(ours.clone()), &values(generic.clone()), 1e-5);
        let g_ours = (ours * weights.clone()).sum().backward();
        let g_generic = (generic * weights).sum().backward();
        assert_close(&format!("dM, {case}"), &values(m.grad(&g_ours).unwrap()), &values(m.grad(&g_generic).unwrap()), 1e-4);
    }
}

/// Straight into the factored matrix: both read its lower triangle only, so both gradients
/// are lower triangular and equal.
#[test]
fn cholesky_gradient_on_the_matrix_itself_is_the_lower_triangle_one() {
    let dev = training_device();
    let a = spd(Tensor::<3>::random([3, 6, 9], Distribution::Normal(0.0, 0.5), &dev)).detach().require_grad();
    let weights = Tensor::<3>::random([3, 6, 6], Distribution::Normal(0.0, 1.0), &dev);
    let g_ours = (kernel_ops::cholesky(&a, 0.0).unwrap() * weights.clone()).sum().backward();
    let g_generic = (cholesky_generic(a.clone()) * weights).sum().backward();
    let (ours, generic) = (values(a.grad(&g_ours).unwrap()), values(a.grad(&g_generic).unwrap()));
    assert_close("dA", &ours, &generic, 1e-4);
    assert!(ours.iter().enumerate().filter(|(i, _)| i % 6 > (i / 6) % 6).all(|(_, v)| *v == 0.0), "upper triangle untouched");
}

#[test]
fn solves_values_and_gradients_match_the_tensor_op_forms() {
    let dev = training_device();
    for (n, m) in [(1, 3), (7, 2), (32, 132)] {
        let l = cholesky_generic(spd(Tensor::<3>::random([3, n, n + 3], Distribution::Normal(0.0, 0.5), &dev))).detach().require_grad();
        let rhs = Tensor::<3>::random([3, n, m], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        let weights = Tensor::<3>::random([3, n, m], Distribution::Normal(0.0, 1.0), &dev);
        for transposed in [false, true] {
            let ours = kernel_ops::solve_lower(&l, &rhs, transposed).expect("f32 takes the custom op");
            let generic = if transposed { solve_lower_transposed_generic(l.clone(), rhs.clone()) } else { solve_lower_generic(l.clone(), rhs.clone()) };
            let case = format!("n = {n}, m = {m}, transposed = {transposed}");
            assert_close(&format!("X, {case}"), &values(ours.clone()), &values(generic.clone()), 1e-4);
            let g_ours = (ours * weights.clone()).sum().backward();
            let g_generic = (generic * weights.clone()).sum().backward();
            assert_close(&format!("dL, {case}"), &values(l.grad(&g_ours).unwrap()), &values(l.grad(&g_generic).unwrap()), 1e-4);
            assert_close(&format!("dB, {case}"), &values(rhs.grad(&g_ours).unwrap()), &values(rhs.grad(&g_generic).unwrap()), 1e-4);
        }
    }
}

/// (L Lᵀ) X = B as the memory maths call it: in the GPU build one fused op (both substitutions
/// in one launch, its backward in two), on the CPU the two solve ops; either way the values
/// and gradients of the two tensor-op substitutions.
#[test]
fn cholesky_solve_matches_the_two_tensor_op_substitutions() {
    let dev = training_device();
    for (n, m) in [(1, 3), (7, 2), (32, 32), (32, 132)] {
        let l = cholesky_generic(spd(Tensor::<3>::random([3, n, n + 3], Distribution::Normal(0.0, 0.5), &dev))).detach().require_grad();
        let rhs = Tensor::<3>::random([3, n, m], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        let weights = Tensor::<3>::random([3, n, m], Distribution::Normal(0.0, 1.0), &dev);
        #[cfg(feature = "wgpu")]
        assert!(kernel_ops::cholesky_solve(&l, &rhs).is_some(), "the GPU build takes the fused op");
        let ours = kanerva::memory::linalg::cholesky_solve(l.clone(), rhs.clone());
        let generic = solve_lower_transposed_generic(l.clone(), solve_lower_generic(l.clone(), rhs.clone()));
        let case = format!("n = {n}, m = {m}");
        assert_close(&format!("X, {case}"), &values(ours.clone()), &values(generic.clone()), 1e-4);
        let g_ours = (ours * weights.clone()).sum().backward();
        let g_generic = (generic * weights).sum().backward();
        assert_close(&format!("dL, {case}"), &values(l.grad(&g_ours).unwrap()), &values(l.grad(&g_generic).unwrap()), 1e-4);
        assert_close(&format!("dB, {case}"), &values(rhs.grad(&g_ours).unwrap()), &values(rhs.grad(&g_generic).unwrap()), 1e-4);
    }
}

/// Traces and log-determinants from a factor, as the memory's KL and write take them: one
/// custom op each way in the GPU build, the tensor ops on the CPU; values and gradients of the
/// tensor-op forms either way.
#[test]
fn diagonal_sums_match_the_tensor_op_forms() {
    use kanerva::memory::linalg::{diagonal, logdet_from_cholesky, trace};
    let dev = training_device();
    for n in [1, 5, 32] {
        let a = spd(Tensor::<3>::random([3, n, n + 3], Distribution::Normal(0.0, 0.5), &dev)).detach().require_grad();
        let weights = Tensor::<1>::random([3], Distribution::Normal(0.0, 1.0), &dev);
        #[cfg(feature = "wgpu")]
        assert!(kernel_ops::diagonal_sum(&a, true, 2.0).is_some(), "the GPU build takes the custom op");
        let cases: [(&str, Tensor<1>, Tensor<1>); 2] = [
            ("trace", trace(a.clone()), diagonal(a.clone()).sum_dim(1).squeeze_dim(1)),
            ("logdet", logdet_from_cholesky(a.clone()), diagonal(a.clone()).log().sum_dim(1).squeeze_dim(1).mul_scalar(2.0)),
        ];
        for (name, ours, generic) in cases {
            let case = format!("{name}, n = {n}");
            assert_close(&case, &values(ours.clone()), &values(generic.clone()), 1e-5);
            let g_ours = (ours * weights.clone()).sum().backward();
            let g_generic = (generic * weights.clone()).sum().backward();
            assert_close(&format!("d{case}"), &values(a.grad(&g_ours).unwrap()), &values(a.grad(&g_generic).unwrap()), 1e-5);
        }
    }
}

/// R Rᵀ as the addressing takes it (the GPU: a custom op whose backward is one product), the
/// value and gradient of the plain product.
#[test]
fn gram_matches_the_plain_product() {
    let dev = training_device();
    let r = Tensor::<3>::random([3, 7, 11], Distribution::Normal(0.0, 1.0), &dev).require_grad();
    let weights = Tensor::<3>::random([3, 7, 7], Distribution::Normal(0.0, 1.0), &dev);
    #[cfg(feature = "wgpu")]
    assert!(kernel_ops::gram(&r).is_some(), "the GPU build takes the custom op");
    let ours = kanerva::memory::linalg::gram(r.clone());
    let plain = r.clone().matmul(mt(r.clone()));
    assert_close("G", &values(ours.clone()), &values(plain.clone()), 1e-5);
    let g_ours = (ours * weights.clone()).sum().backward();
    let g_plain = (plain * weights).sum().backward();
    assert_close("dR", &values(r.grad(&g_ours).unwrap()), &values(r.grad(&g_plain).unwrap()), 1e-5);
}

#[test]
fn inference_tensors_take_the_custom_ops() {
    let dev = inference_device();
    let a = spd(Tensor::<3>::random([2, 8, 11], Distribution::Normal(0.0, 0.5), &dev));
    let l = kernel_ops::cholesky(&a, 0.0).expect("plain f32 takes the custom op");
    assert_close("L", &values(l.clone()), &values(cholesky_generic(a.clone())), 1e-5);
    let rhs = Tensor::<3>::random([2, 8, 4], Distribution::Normal(0.0, 1.0), &dev);
    let x = kernel_ops::solve_lower(&l, &rhs, false).unwrap();
    assert_close("X", &values(x), &values(solve_lower_generic(l.clone(), rhs.clone())), 1e-4);
}

#[cfg(not(feature = "wgpu"))]
#[test]
fn f64_falls_back_to_the_tensor_op_form() {
    let a = spd(Tensor::<3>::random([2, 8, 11], Distribution::Normal(0.0, 0.5), &inference_device()));
    assert!(kernel_ops::cholesky(&a.cast(burn::tensor::DType::F64), 0.0).is_none());
}

/// The GPU kernels against the CPU kernels (f64 inside) on the same matrices: values and
/// gradients, through autodiff on both devices.
#[cfg(feature = "wgpu")]
#[test]
fn gpu_kernels_match_the_cpu_kernels() {
    use kanerva::kernels::{cube_linalg, flex_linalg};
    let (gpu, cpu) = (training_device(), burn::tensor::Device::flex().autodiff());
    for (n, m) in [(3, 5), (32, 100), (64, 7)] {
        let host = Tensor::<3>::random([4, n, n + 3], Distribution::Normal(0.0, 0.5), &cpu).into_data();
        let rhs = Tensor::<3>::random([4, n, m], Distribution::Normal(0.0, 1.0), &cpu).into_data();
        let weights = Tensor::<3>::random([4, n, m], Distribution::Normal(0.0, 1.0), &cpu).into_data();
        let run = |dev: &burn::tensor::Device, on_gpu: bool| {
            let m_in = Tensor::<3>::from_data(host.clone(), dev).require_grad();
            let b_in = Tensor::<3>::from_data(rhs.clone(), dev).require_grad();
            let w = Tensor::<3>::from_data(weights.clone(), dev);
            let a = spd(m_in.clone());
            let shift = if n == 32 { 0.3 } else { 0.0 };
            let l = if on_gpu { cube_linalg::cholesky(&a, shift) } else { flex_linalg::cholesky(&a, shift) }.expect("f32 takes the kernel");
            // The GPU's fused two-substitution solve against the CPU's two solves.
            let x = if on_gpu {
                cube_linalg::cholesky_solve(&l, &b_in).unwrap()
            } else {
                flex_linalg::solve_lower(&l, &flex_linalg::solve_lower(&l, &b_in, false).unwrap(), true).unwrap()
            };
            let grads = (x.clone() * w).sum().backward();
            (values(l), values(x), values(m_in.grad(&grads).unwrap()), values(b_in.grad(&grads).unwrap()))
        };
        let (g, c) = (run(&gpu, true), run(&cpu, false));
        let case = format!("n = {n}, m = {m}");
        assert_close(&format!("L, {case}"), &g.0, &c.0, 1e-5);
        assert_close(&format!("X, {case}"), &g.1, &c.1, 1e-4);
        assert_close(&format!("dM, {case}"), &g.2, &c.2, 1e-3);
        assert_close(&format!("dB, {case}"), &g.3, &c.3, 1e-4);
    }
}
