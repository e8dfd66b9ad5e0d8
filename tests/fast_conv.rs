//! The fused im2col + GEMM convolutions give burn's outputs and gradients (input, weight,
//! bias), for the encoder/decoder geometries and a few others, alone and with the ReLU that
//! the networks fuse into them.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2dConfig};
use burn::nn::PaddingConfig2d;
use burn::tensor::activation::relu;
use burn::tensor::{Distribution, Tensor};
use kanerva::backend::training_device;
use kanerva::kernels::fast_conv::{FusedForward, conv2d, conv_transpose2d, takes_fused_path, use_fused_convolutions};

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
}

fn assert_close(name: &str, a: Vec<f32>, b: Vec<f32>) {
    assert_eq!(a.len(), b.len(), "{name}: lengths");
    let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-4 * scale, "{name}: max difference {worst} (scale {scale})");
}

/// Forward values and the gradients of Σ out ⊙ r (r random) agree between `generic` and
/// `fast` applied to a random input of shape `input`; `weight` and `bias` are the layer's.
fn check_layer(input: [usize; 4], weight: &Param<Tensor<4>>, bias: &Param<Tensor<1>>, generic: impl Fn(Tensor<4>) -> Tensor<4>, fast: impl Fn(Tensor<4>) -> Tensor<4>) {
    use_fused_convolutions(true);
    let dev = training_device();
    let x = Tensor::<4>::random(input, Distribution::Normal(0.0, 1.0), &dev).require_grad();
    assert!(takes_fused_path(&x), "the test must exercise the fused path");
    let (a, b) = (generic(x.clone()), fast(x.clone()));
    assert_eq!(b.dims(), a.dims());
    let r = Tensor::<4>::random(a.dims(), Distribution::Normal(0.0, 1.0), &dev);
    let g_generic = (a.clone() * r.clone()).sum().backward();
    let g_fast = (b.clone() * r).sum().backward();
    assert_close("forward", values(b), values(a));
    assert_close("d input", values(x.grad(&g_fast).unwrap()), values(x.grad(&g_generic).unwrap()));
    assert_close("d weight", values(weight.grad(&g_fast).unwrap()), values(weight.grad(&g_generic).unwrap()));
    assert_close("d bias", values(bias.grad(&g_fast).unwrap()), values(bias.grad(&g_generic).unwrap()));
}

fn check_conv(conv: Conv2d, input: [usize; 4]) {
    check_layer(input, &conv.weight, conv.bias.as_ref().unwrap(), |x| conv.forward(x), |x| conv2d(&conv, x));
    check_layer(input, &conv.weight, conv.bias.as_ref().unwrap(), |x| relu(conv.forward(x)), |x| conv.forward_fused_relu(x));
}

fn conv(cin: usize, cout: usize, kernel: usize, stride: usize, pad: usize) -> Conv2d {
    Conv2dConfig::new([cin, cout], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .init(&training_device())
}

#[test]
fn strided_and_same_convolutions_match_the_generic_path() {
    check_conv(conv(1, 32, 4, 2, 1), [3, 1, 28, 28]); // encoder conv1
    check_conv(conv(32, 64, 4, 2, 1), [2, 32, 14, 14]); // encoder conv2
    check_conv(conv(32, 64, 4, 2, 1), [16, 32, 14, 14]); // a batch the direct and parity kernels take (AVX-512)
    check_conv(conv(64, 64, 3, 1, 1), [16, 64, 7, 7]); // a 64-channel residual block, likewise
    check_conv(conv(8, 8, 3, 1, 1), [2, 8, 14, 14]); // residual blocks
    check_conv(conv(6, 5, 3, 2, 1), [2, 6, 7, 7]); // resnet conv3 (odd size)
    check_conv(conv(3, 4, 5, 1, 0), [2, 3, 9, 11]); // valid, non-square
}

#[test]
fn upsampling_transposed_convolutions_match_the_generic_path() {
    use_fused_convolutions(true);
    let dev = training_device();
    // A batch of 16 too: there the 64-channel layer's forward takes the parity kernel and its
    // gradients the direct kernel (AVX-512).
    for (cin, cout, side, batch) in [(64, 32, 7, 2), (64, 32, 7, 16), (32, 1, 14, 2), (3, 5, 4, 2)] {
        let deconv = ConvTranspose2dConfig::new([cin, cout], [4, 4]).with_stride([2, 2]).with_padding([1, 1]).init(&dev);
        let up = Tensor::<4>::zeros([1, cin, side, side], &dev);
        assert_eq!(conv_transpose2d(&deconv, up).dims(), [1, cout, 2 * side, 2 * side]);
        check_layer([batch, cin, side, side], &deconv.weight, deconv.bias.as_ref().unwrap(), |x| deconv.forward(x), |x| conv_transpose2d(&deconv, x));
        check_layer([batch, cin, side, side], &deconv.weight, deconv.bias.as_ref().unwrap(), |x| relu(deconv.forward(x)), |x| deconv.forward_fused_relu(x));
    }
    // Stride 1, no padding, a 3x3 kernel: the same kernels.
    let plain = ConvTranspose2dConfig::new([2, 3], [3, 3]).init(&dev);
    check_layer([2, 2, 5, 5], &plain.weight, plain.bias.as_ref().unwrap(), |x| plain.forward(x), |x| conv_transpose2d(&plain, x));
}

/// The first layer's input (images) needs no gradient; the weights still get theirs.
#[test]
fn an_untracked_input_still_gives_weight_gradients() {
    use_fused_convolutions(true);
    let layer = conv(1, 4, 4, 2, 1);
    let x = Tensor::<4>::random([3, 1, 8, 8], Distribution::Normal(0.0, 1.0), &training_device());
    let (a, b) = (relu(layer.forward(x.clone())), layer.forward_fused_relu(x));
    let (g_generic, g_fast) = (a.sum().backward(), b.sum().backward());
    assert_close("d weight", values(layer.weight.grad(&g_fast).unwrap()), values(layer.weight.grad(&g_generic).unwrap()));
}

/// Geometries the kernels do not cover take the module's own forward, also in inference.
#[test]
fn other_geometries_fall_back_to_the_module() {
    use_fused_convolutions(true);
    for device in [training_device(), kanerva::backend::inference_device()] {
        let dilated = Conv2dConfig::new([2, 3], [3, 3]).with_dilation([2, 2]).init(&device);
        let x = Tensor::<4>::random([1, 2, 9, 9], Distribution::Normal(0.0, 1.0), &device);
        assert_eq!(values(conv2d(&dilated, x.clone())), values(dilated.forward(x.clone())));
        assert_eq!(values(dilated.forward_fused_relu(x.clone())), values(relu(dilated.forward(x))));
    }
}

/// Inference tensors (no autodiff) take the fused forward kernels and get the modules'
/// values, for every layer of both architectures' networks.
#[test]
fn inference_takes_the_fused_forward_with_the_modules_values() {
    use_fused_convolutions(true);
    let device = kanerva::backend::inference_device();
    let input = |shape: [usize; 4]| Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
    for (layer, x) in [(conv(1, 32, 4, 2, 1), input([1, 1, 28, 28])), (conv(32, 64, 4, 2, 1), input([3, 32, 14, 14])), (conv(64, 64, 3, 2, 1), input([2, 64, 7, 7])), (conv(32, 32, 3, 1, 1), input([2, 32, 14, 14]))] {
        let layer = layer.valid();
        assert!(takes_fused_path(&x));
        assert_close("conv forward", values(conv2d(&layer, x.clone())), values(layer.forward(x.clone())));
        assert_close("conv + relu forward", values(layer.forward_fused_relu(x.clone())), values(relu(layer.forward(x))));
    }
    for (cin, cout, side) in [(64, 32, 7), (32, 1, 14)] {
        let layer = ConvTranspose2dConfig::new([cin, cout], [4, 4]).with_stride([2, 2]).with_padding([1, 1]).init(&device);
        let x = input([2, cin, side, side]);
        assert_close("conv-transpose forward", values(conv_transpose2d(&layer, x.clone())), values(layer.forward(x.clone())));
        assert_close("conv-transpose + relu forward", values(layer.forward_fused_relu(x.clone())), values(relu(layer.forward(x))));
    }
}
