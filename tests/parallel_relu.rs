//! The threaded ReLU gives burn's `relu` values and gradients exactly: across task boundaries
//! (more elements than one task holds, a count that is no multiple of it), at exactly ±0, on
//! non-contiguous inputs, with and without autodiff.

use burn::tensor::{Distribution, Tensor, TensorData, activation};
use kanerva::backend::{inference_device, training_device};
use kanerva::kernels::parallel_relu::{is_threaded, relu};

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
}

/// [2, 3, 150, 151] (135 900 elements, about two tasks): negatives, positives, +0 and -0.
fn input(device: &burn::tensor::Device) -> Tensor<4> {
    let shape = [2, 3, 150, 151];
    let len = shape.iter().product::<usize>();
    let v: Vec<f32> = (0..len)
        .map(|i| match i % 11 {
            0 => 0.0,
            1 => -0.0,
            _ => ((i * 7919) % 2001) as f32 / 1000.0 - 1.0,
        })
        .collect();
    Tensor::from_data(TensorData::new(v, shape), device)
}

fn assert_same_values_and_gradients(x: Tensor<4>) {
    assert!(is_threaded(&x), "f32 flex tensors take the threaded path");
    let dev = x.device();
    let upstream = Tensor::<4>::random(x.dims(), Distribution::Normal(0.0, 1.0), &dev);
    let x = x.require_grad();
    let ours = relu(x.clone());
    let burns = activation::relu(x.clone());
    assert_eq!(values(ours.clone()), values(burns.clone()), "forward");
    let g_ours = (ours * upstream.clone()).sum().backward();
    let g_burns = (burns * upstream).sum().backward();
    assert_eq!(values(x.grad(&g_ours).unwrap()), values(x.grad(&g_burns).unwrap()), "backward");
}

#[test]
fn training_values_and_gradients_equal_burns() {
    assert_same_values_and_gradients(input(&training_device()));
}

#[test]
fn a_non_contiguous_input_gives_burns_values_and_gradients() {
    assert_same_values_and_gradients(input(&training_device()).swap_dims(1, 3));
}

#[test]
fn inference_values_equal_burns() {
    let x = input(&inference_device());
    assert!(is_threaded(&x));
    assert_eq!(values(relu(x.clone())), values(activation::relu(x)));
}
