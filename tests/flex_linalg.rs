//! The custom-op Cholesky factor and triangular solves (flex f32) give the tensor-op forms'
//! values and gradients, with and without autodiff; other dtypes fall back.

use burn::tensor::{DType, Distribution, Tensor};
use kanerva::backend::{inference_device, training_device};
use kanerva::kernels::flex_linalg;
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
    for n in [1, 5, 32] {
        let m = Tensor::<3>::random([3, n, n + 3], Distribution::Normal(0.0, 0.5), &dev).require_grad();
        let weights = Tensor::<3>::random([3, n, n], Distribution::Normal(0.0, 1.0), &dev);
        let ours = flex_linalg::cholesky(&spd(m.clone())).expect("f32 flex takes the custom op");
        let generic = cholesky_generic(spd(m.clone()));
        assert_close(&format!("L, n = {n}"), &values(ours.clone()), &values(generic.clone()), 1e-5);
        let g_ours = (ours * weights.clone()).sum().backward();
        let g_generic = (generic * weights).sum().backward();
        assert_close(&format!("dM, n = {n}"), &values(m.grad(&g_ours).unwrap()), &values(m.grad(&g_generic).unwrap()), 1e-4);
    }
}

/// Straight into the factored matrix: both read its lower triangle only, so both gradients
/// are lower triangular and equal.
#[test]
fn cholesky_gradient_on_the_matrix_itself_is_the_lower_triangle_one() {
    let dev = training_device();
    let a = spd(Tensor::<3>::random([3, 6, 9], Distribution::Normal(0.0, 0.5), &dev)).detach().require_grad();
    let weights = Tensor::<3>::random([3, 6, 6], Distribution::Normal(0.0, 1.0), &dev);
    let g_ours = (flex_linalg::cholesky(&a).unwrap() * weights.clone()).sum().backward();
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
            let ours = flex_linalg::solve_lower(&l, &rhs, transposed).expect("f32 flex takes the custom op");
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

#[test]
fn inference_tensors_take_the_custom_ops_and_f64_falls_back() {
    let dev = inference_device();
    let a = spd(Tensor::<3>::random([2, 8, 11], Distribution::Normal(0.0, 0.5), &dev));
    let l = flex_linalg::cholesky(&a).expect("plain flex f32 takes the custom op");
    assert_close("L", &values(l.clone()), &values(cholesky_generic(a.clone())), 1e-5);
    let rhs = Tensor::<3>::random([2, 8, 4], Distribution::Normal(0.0, 1.0), &dev);
    let x = flex_linalg::solve_lower(&l, &rhs, false).unwrap();
    assert_close("X", &values(x), &values(solve_lower_generic(l.clone(), rhs.clone())), 1e-4);
    assert!(flex_linalg::cholesky(&a.cast(DType::F64)).is_none(), "f64 takes the tensor-op form");
}
