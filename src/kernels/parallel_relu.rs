//! ReLU on the rayon threads (and, in training, one custom autodiff op whose backward masks the
//! incoming gradient with the output's sign).
//!
//! Why: burn-flex 0.22.1 runs `relu` and its backward on the calling thread alone, and a
//! training step applies it to millions of activations, which left the second core idle. The
//! ReLU that follows a convolution runs inside the convolution's kernels instead
//! ([`super::fast_conv::FusedForward::forward_fused_relu`]); this one serves the others (after
//! a dense layer, after a residual sum, and burn's convolution path).
//!
//! Only f32 tensors on the flex backend take this path, as in [`super::fast_conv`]; anything
//! else goes to burn's `relu`, which tests/parallel_relu.rs checks this against.

use burn::tensor::{Tensor, TensorData, activation};
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_flex::{Flex, FlexTensor};

use super::dispatch::{FlexInput, custom_op, f32s};
use super::thread_buffers::filled_by_threads;

/// Whether [`relu`] of `x` runs on the threads (f32 on the flex device, with or without
/// autodiff); tests use it to make sure they test what they claim.
pub fn is_threaded<const D: usize>(x: &Tensor<D>) -> bool {
    FlexInput::of(x).is_some()
}

/// Same as `burn::tensor::activation::relu(x)`.
pub fn relu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    match FlexInput::of(&x) {
        Some(input) => custom_op(ReluBackward, [input], |[x]| forward(x), |_, y| y.clone()).expect("one input is on one device"),
        None => activation::relu(x),
    }
}

/// max(x, 0), elementwise, in parallel.
fn forward(x: &FlexTensor) -> FlexTensor {
    let input = f32s(x);
    // SAFETY: each part is as long as the input's elements from `start` on (same total length),
    // so the zip writes every element of it.
    let out = unsafe {
        filled_by_threads(input.len(), |start, part| {
            part.iter_mut().zip(&input[start..]).for_each(|(o, &v)| _ = o.write(v.max(0.0)));
        })
    };
    FlexTensor::from_data(TensorData::new(out, x.layout().shape().to_vec()))
}

/// A ReLU's gradient at one element from the gradient reaching its output and that output:
/// it passes where the output is positive, else it is 0 (burn's convention at exactly 0 too).
/// Also the mask the convolutions apply to their fused ReLU (`chunked_passes.rs`).
#[inline]
pub(super) fn relu_gradient(upstream: f32, output: f32) -> f32 {
    if output > 0.0 { upstream } else { 0.0 }
}

#[derive(Debug)]
struct ReluBackward;

impl Backward<Flex, 1> for ReluBackward {
    /// The (contiguous) output: where it is positive the gradient passes, elsewhere it is 0
    /// (burn's convention at exactly 0 too).
    type State = FlexTensor;

    fn backward(self, ops: Ops<FlexTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let upstream = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (g, y) = (f32s(&upstream), f32s(&ops.state));
        assert_eq!(g.len(), y.len(), "relu backward: gradient and output sizes");
        // SAFETY: g and y have the buffer's length, so the zip writes every element of a part.
        let grad = unsafe {
            filled_by_threads(g.len(), |start, part| {
                part.iter_mut().zip(g[start..].iter().zip(&y[start..])).for_each(|(o, (&g, &y))| _ = o.write(relu_gradient(g, y)));
            })
        };
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(grad, ops.state.layout().shape().to_vec())));
    }
}
