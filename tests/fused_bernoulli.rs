//! The fused Bernoulli log-likelihood gives the tensor-op form's values and logit gradients,
//! with and without autodiff, on logits far into both tails and on fractional targets (the
//! Mean update reads fractional images).

use burn::tensor::{Distribution, Tensor, TensorData};
use kanerva::backend::{inference_device, training_device};
use kanerva::kernels::fused_bernoulli;
use kanerva::model::{bernoulli_log_likelihood, bernoulli_log_likelihood_generic};

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
}

fn assert_close(name: &str, a: &[f32], b: &[f32], tolerance: f32) {
    assert_eq!(a.len(), b.len(), "{name}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tolerance * y.abs().max(1.0), "{name}[{i}]: fused {x} vs generic {y}");
    }
}

/// 70 rows of 784: logits from −40 to 40 (softplus and σ saturate), never exactly 0 (there the
/// tensor-op form's gradient is wrong, see below), targets binary and fractional.
fn inputs(device: &burn::tensor::Device) -> (Tensor<2>, Tensor<2>) {
    let (n, d) = (70, 784);
    let logits: Vec<f32> = (0..n * d).map(|i| ((i * 7919) % 8001) as f32 / 100.0 - 40.005).collect();
    let targets: Vec<f32> = (0..n * d).map(|i| if i % 3 == 0 { ((i * 31) % 101) as f32 / 100.0 } else { (i % 2) as f32 }).collect();
    (Tensor::from_data(TensorData::new(targets, [n, d]), device), Tensor::from_data(TensorData::new(logits, [n, d]), device))
}

#[test]
fn fused_values_and_gradients_match_the_tensor_op_form() {
    let dev = training_device();
    let (targets, logits) = inputs(&dev);
    let logits = logits.require_grad();
    let fused = fused_bernoulli::bernoulli_log_likelihood(&targets, &logits).expect("f32 flex tensors take the fused path");
    let generic = bernoulli_log_likelihood_generic(targets.clone(), logits.clone());
    assert_close("values", &values(fused.clone()), &values(generic.clone()), 1e-5);
    // Weight the rows differently so a per-row mix-up in the backward shows.
    let r = Tensor::<1>::random([70], Distribution::Normal(0.0, 1.0), &dev);
    let g_fused = (fused * r.clone()).sum().backward();
    let g_generic = (generic * r).sum().backward();
    assert_close("d logits", &values(logits.grad(&g_fused).unwrap()), &values(logits.grad(&g_generic).unwrap()), 1e-5);
}

#[test]
fn inference_tensors_take_the_fused_forward_and_tracked_targets_the_generic_path() {
    let dev = inference_device();
    let (targets, logits) = inputs(&dev);
    let fused = fused_bernoulli::bernoulli_log_likelihood(&targets, &logits);
    assert!(fused.is_some(), "plain flex tensors are fused too");
    assert_close("values", &values(fused.unwrap()), &values(bernoulli_log_likelihood_generic(targets, logits)), 1e-5);

    // Gradients that must flow into the targets are not the fused op's: the public function
    // falls back, and the gradient w.r.t. x is the logit itself.
    let dev = training_device();
    let (targets, logits) = inputs(&dev);
    let targets = targets.require_grad();
    assert!(fused_bernoulli::bernoulli_log_likelihood(&targets, &logits).is_none());
    let grads = bernoulli_log_likelihood(targets.clone(), logits.clone()).sum().backward();
    assert_close("d targets", &values(targets.grad(&grads).unwrap()), &values(logits), 1e-6);
}

/// At l = 0 the tensor-op form takes max(l, 0)'s derivative as 1 and |l|'s as 0 and gets
/// x − 1 instead of x − 1/2 (measured: [0, −1, −0.75] for these targets); the fused backward
/// has the true derivative x − σ(0).
#[test]
fn the_fused_gradient_at_a_zero_logit_is_x_minus_one_half() {
    let dev = training_device();
    let targets = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 0.0, 0.25], [1, 3]), &dev);
    let logits = Tensor::<2>::zeros([1, 3], &dev).require_grad();
    let grads = bernoulli_log_likelihood(targets, logits.clone()).sum().backward();
    assert_close("d logits", &values(logits.grad(&grads).unwrap()), &[0.5, -0.5, -0.25], 1e-6);
}

