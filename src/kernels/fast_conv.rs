//! Convolutions as fused im2col + GEMM custom autodiff ops.
//!
//! Why: burn-flex 0.22.1 has its own forward convolutions, but their backward pass falls back
//! to burn's generic path (the weight gradient as a convolution over swapped batch and
//! channel dims), which made the encoder/decoder backward ~3x slower than torch
//! (docs/speed.md). Here forward and backward are [`super::conv_kernels`]: one
//! GEMM per chunk of images and pass, registered with burn's autodiff graph as a custom
//! `Backward` step on `Autodiff<Flex>` ([`super::dispatch::custom_op`]).
//!
//! The networks call [`FusedForward::forward_fused`] on burn's own `Conv2d` and
//! `ConvTranspose2d` modules. (A wrapper module would have been neater, but it would nest the
//! parameters one level deeper in the record and so break every saved checkpoint.)
//!
//! Only f32 tensors on the flex device take this path: on the autodiff device (training) as
//! custom ops with their backward, on the plain one (inference) the forward kernel alone;
//! everything else (the wgpu backend, dilation, groups, output padding, `Same` padding, a
//! missing bias) goes to the module's own `forward`. Both functions return what `module.forward(x)`
//! returns (same weights, same layout, equal up to float rounding), so checkpoints are
//! unchanged; tests/fast_conv.rs compares values and gradients with burn's path, and
//! [`use_fused_convolutions`] switches it off to measure the difference (`kanerva bench
//! --breakdown`).

use std::sync::atomic::{AtomicBool, Ordering};

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::{Tensor, TensorData};
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_flex::{Flex, FlexTensor};

use super::conv_kernels::{LayerGrads, Patches, conv_transpose2d_backward, conv_transpose2d_forward, conv2d_backward, conv2d_forward};
use super::dispatch::{FlexInput, custom_op, f32s};

/// A convolution layer's forward through the fused kernels where they apply (else the layer's
/// own `forward`; the result is the same up to float rounding).
pub trait FusedForward {
    /// # Shapes
    /// - x: [N, C_in, H, W] -> [N, C_out, H_out, W_out]
    fn forward_fused(&self, x: Tensor<4>) -> Tensor<4>;

    /// `relu(self.forward_fused(x))`, the ReLU inside the layer's kernels (one op, no passes of
    /// its own over the activations).
    ///
    /// # Shapes
    /// - x: [N, C_in, H, W] -> [N, C_out, H_out, W_out]
    fn forward_fused_relu(&self, x: Tensor<4>) -> Tensor<4>;
}

impl FusedForward for Conv2d {
    fn forward_fused(&self, x: Tensor<4>) -> Tensor<4> {
        conv2d(self, x)
    }

    fn forward_fused_relu(&self, x: Tensor<4>) -> Tensor<4> {
        conv2d_then(self, x, true)
    }
}

impl FusedForward for ConvTranspose2d {
    fn forward_fused(&self, x: Tensor<4>) -> Tensor<4> {
        conv_transpose2d(self, x)
    }

    fn forward_fused_relu(&self, x: Tensor<4>) -> Tensor<4> {
        conv_transpose2d_then(self, x, true)
    }
}

/// The layer's own `forward` (burn's path), then the ReLU if asked for.
fn unfused(y: Tensor<4>, relu: bool) -> Tensor<4> {
    if relu { super::parallel_relu::relu(y) } else { y }
}

/// On by default: the train step 363.5 -> 192.6 ms against burn's path (docs/speed.md).
static FUSED: AtomicBool = AtomicBool::new(true);

/// Routes flex convolutions through the fused kernels while `on` (else the modules' own
/// `forward`: flex's forward kernels and, in training, burn's generic backward).
pub fn use_fused_convolutions(on: bool) {
    FUSED.store(on, Ordering::Relaxed);
}

/// Whether a convolution of `x` would take the fused path (f32 on the flex device, with or
/// without autodiff, and the path switched on). Tests use it to make sure they test what
/// they claim.
pub fn takes_fused_path(x: &Tensor<4>) -> bool {
    FUSED.load(Ordering::Relaxed) && FlexInput::of(x).is_some()
}

/// Same as `conv.forward(x)`.
///
/// # Shapes
/// - x: [N, C_in, H, W] -> [N, C_out, H_out, W_out]
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    conv2d_then(conv, x, false)
}

/// [`conv2d`], then the ReLU if `relu`.
fn conv2d_then(conv: &Conv2d, x: Tensor<4>, relu: bool) -> Tensor<4> {
    let [n, c_in, h, w] = x.dims();
    let [c_out, _, kh, kw] = conv.weight.dims();
    let padding = explicit_padding(&conv.padding).filter(|&(top, left, bottom, right)| h + top + bottom >= kh && w + left + right >= kw);
    let supported = conv.dilation == [1, 1] && conv.groups == 1 && padding.is_some() && takes_fused_path(&x);
    // Anything else (including a kernel larger than the padded input: burn's error) is burn's.
    let (Some(bias), Some((top, left, bottom, right))) = (conv.bias.as_ref().filter(|_| supported), padding) else { return unfused(conv.forward(x), relu) };
    let out = [(h + top + bottom - kh) / conv.stride[0] + 1, (w + left + right - kw) / conv.stride[1] + 1];
    let patches = Patches { channels: c_in, size: [h, w], kernel: conv.kernel_size, stride: conv.stride, padding: [top, left], out };
    // The forward is ours too: flex's took 9 ms for the 1-channel layer and ran its GEMMs
    // slower than ours (docs/speed.md).
    let forward = |x: &[f32], weight: &[f32], bias: &[f32]| conv2d_forward(x, weight, bias, n, patches, c_out, relu);
    fused(Conv2dBackward, [x, conv.weight.val()], bias.val(), forward, [n, c_out, out[0], out[1]], patches, c_out, relu)
}

/// Same as `deconv.forward(x)`.
///
/// # Shapes
/// - x: [N, C_in, H, W] -> [N, C_out, H_out, W_out]
pub fn conv_transpose2d(deconv: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    conv_transpose2d_then(deconv, x, false)
}

/// [`conv_transpose2d`], then the ReLU if `relu`.
fn conv_transpose2d_then(deconv: &ConvTranspose2d, x: Tensor<4>, relu: bool) -> Tensor<4> {
    let [n, c_in, h, w] = x.dims();
    let c_out = deconv.weight.dims()[1];
    let side = |input: usize, axis: usize| ((input.max(1) - 1) * deconv.stride[axis] + deconv.kernel_size[axis]).checked_sub(2 * deconv.padding[axis]).filter(|&s| s > 0);
    let out = side(h, 0).zip(side(w, 1)).map(|(oh, ow)| [oh, ow]);
    let supported = deconv.dilation == [1, 1] && deconv.groups == 1 && deconv.padding_out == [0, 0] && h * w > 0 && out.is_some() && takes_fused_path(&x);
    let (Some(bias), Some(out)) = (deconv.bias.as_ref().filter(|_| supported), out) else { return unfused(deconv.forward(x), relu) };
    // Both passes read the output (or its gradient) with the layer's own stride and padding.
    let patches = Patches { channels: c_out, size: out, kernel: deconv.kernel_size, stride: deconv.stride, padding: deconv.padding, out: [h, w] };
    let forward = |x: &[f32], weight: &[f32], bias: &[f32]| conv_transpose2d_forward(x, weight, bias, n, patches, c_in, relu);
    fused(ConvTranspose2dBackward, [x, deconv.weight.val()], bias.val(), forward, [n, c_out, out[0], out[1]], patches, c_in, relu)
}

/// `(top, left, bottom, right)` of an explicit or valid padding (`Same` is left to burn).
fn explicit_padding(padding: &PaddingConfig2d) -> Option<(usize, usize, usize, usize)> {
    match *padding {
        PaddingConfig2d::Valid => Some((0, 0, 0, 0)),
        PaddingConfig2d::Explicit(top, left, bottom, right) => Some((top, left, bottom, right)),
        _ => None,
    }
}

/// What a layer's backward step keeps from its forward pass.
#[derive(Debug, Clone)]
struct LayerState {
    /// The layer's input and weight, contiguous (as the forward kernel read them).
    x: FlexTensor,
    weight: FlexTensor,
    patches: Patches,
    /// C_out for a convolution (its patches read the input), C_in for a transposed one.
    other_channels: usize,
    /// The layer's output when a ReLU belongs to it (the gradient passes where it is positive).
    relu_output: Option<FlexTensor>,
}

#[derive(Debug)]
struct Conv2dBackward;

#[derive(Debug)]
struct ConvTranspose2dBackward;

/// The kernels behind each layer kind's backward step.
trait LayerKernels: Backward<Flex, 3, State = LayerState> {
    fn gradients(state: &LayerState, x: &[f32], weight: &[f32], grad_out: &[f32], want_input: bool) -> LayerGrads;
}

impl LayerKernels for Conv2dBackward {
    fn gradients(s: &LayerState, x: &[f32], weight: &[f32], grad_out: &[f32], want_input: bool) -> LayerGrads {
        conv2d_backward(x, weight, grad_out, s.relu_output.as_ref().map(f32s), dims(&s.x)[0], s.patches, s.other_channels, want_input)
    }
}

impl LayerKernels for ConvTranspose2dBackward {
    fn gradients(s: &LayerState, x: &[f32], weight: &[f32], grad_out: &[f32], want_input: bool) -> LayerGrads {
        conv_transpose2d_backward(x, weight, grad_out, s.relu_output.as_ref().map(f32s), dims(&s.x)[0], s.patches, s.other_channels, want_input)
    }
}

impl Backward<Flex, 3> for Conv2dBackward {
    type State = LayerState;
    fn backward(self, ops: Ops<LayerState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        layer_backward::<Self>(ops, grads);
    }
}

impl Backward<Flex, 3> for ConvTranspose2dBackward {
    type State = LayerState;
    fn backward(self, ops: Ops<LayerState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        layer_backward::<Self>(ops, grads);
    }
}

/// Consumes the output gradient, runs the kernels, registers the gradients of the parents
/// that need one (input, weight, bias).
fn layer_backward<K: LayerKernels>(ops: Ops<LayerState, 3>, grads: &mut Gradients) {
    let [node_x, node_weight, node_bias] = ops.parents;
    let grad_out = grads.consume::<Flex>(&ops.node).to_contiguous();
    let state = ops.state;
    let (x, weight) = (&state.x, &state.weight);
    let g = K::gradients(&state, f32s(x), f32s(weight), f32s(&grad_out), node_x.is_some());
    if let (Some(node), Some(input)) = (node_x, g.input) {
        grads.register::<Flex>(node.id, flex_like(input, x));
    }
    if let Some(node) = node_weight {
        grads.register::<Flex>(node.id, flex_like(g.weight, weight));
    }
    if let Some(node) = node_bias {
        let len = g.bias.len();
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(g.bias, [len])));
    }
}

/// Runs the `forward` kernel on the (contiguous) inner flex tensors of `x`, `weight` and
/// `bias`, giving an output of shape `out`; in training it records `K`'s backward step with
/// what it needs. On the plain flex device (inference: reading, writing, evaluation, where
/// flex's own convolution took 0.16 ms to encode one query) the forward is all there is.
fn fused<K: LayerKernels>(
    kernels: K,
    [x, weight]: [Tensor<4>; 2],
    bias: Tensor<1>,
    forward: impl FnOnce(&[f32], &[f32], &[f32]) -> Vec<f32>,
    out: [usize; 4],
    patches: Patches,
    other_channels: usize,
    relu: bool,
) -> Tensor<4> {
    let inputs = [FlexInput::of(&x), FlexInput::of(&weight), FlexInput::of(&bias)].map(|i| i.expect("checked by takes_fused_path"));
    custom_op(
        kernels,
        inputs,
        |[x, weight, bias]: &[FlexTensor; 3]| FlexTensor::from_data(TensorData::new(forward(f32s(x), f32s(weight), f32s(bias)), out)),
        |[x, weight, _], y| LayerState { x, weight, patches, other_channels, relu_output: relu.then(|| y.clone()) },
    )
    .expect("the layer lives on its input's device")
}

fn dims(t: &FlexTensor) -> [usize; 4] {
    t.layout().shape().dims()
}


/// A flex tensor of `values` shaped like `like`.
fn flex_like(values: Vec<f32>, like: &FlexTensor) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, like.layout().shape().to_vec()))
}
