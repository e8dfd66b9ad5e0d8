//! The Bernoulli log-likelihood Σ_d x·l − softplus(l) as one fused pass (and, in training, one
//! custom autodiff op whose backward is g·(x − σ(l))).
//!
//! Why: written with tensor ops it is nine elementwise passes forward and more backward, each
//! allocating a [N, 784] tensor: 9 ms forward + backward on 512 images, single-threaded
//! whatever the thread count, and a training step runs it twice (`examples/op_costs.rs`, docs/speed.md). Fused, it reads logits and targets once each way.
//!
//! Only f32 tensors on the flex backend take this path: with autodiff when the targets are
//! not tracked (they are data; a caller differentiating through its targets gets the generic
//! path), or plain flex for inference. Everything else returns None and the caller uses the
//! tensor-op form, which tests/fused_bernoulli.rs checks this against.

use burn::tensor::{Tensor, TensorData};
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_flex::{Flex, FlexTensor};
use rayon::prelude::*;

use super::dispatch::{FlexInput, custom_op, f32s};

/// Rows handled per rayon task: a few dozen images of 784 pixels keep the task overhead small.
const ROWS_PER_TASK: usize = 32;

/// Σ_d x·l − softplus(l) per row, or None where the fused path does not apply.
///
/// # Shapes
/// - targets, logits: [N, D] -> [N]
pub fn bernoulli_log_likelihood(targets: &Tensor<2>, logits: &Tensor<2>) -> Option<Tensor<1>> {
    if targets.dims() != logits.dims() {
        return None;
    }
    let [n, d] = logits.dims();
    let (x, l) = (FlexInput::of(targets)?, FlexInput::of(logits)?);
    // The targets are data: a caller differentiating through them gets the generic path.
    if x.is_tracked() {
        return None;
    }
    custom_op(
        BernoulliBackward,
        [x, l],
        |[x, l]: &[FlexTensor; 2]| FlexTensor::from_data(TensorData::new(row_sums(f32s(x), f32s(l), d), [n])),
        |[targets, logits], _| BernoulliState { targets, logits, dims: [n, d] },
    )
}

/// ln(1 + e^l) and σ(l), computed from e^{−|l|} so neither overflows.
#[inline]
fn softplus_and_sigmoid(l: f32) -> (f32, f32) {
    let e = (-l.abs()).exp();
    let sigmoid = if l >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
    (l.max(0.0) + e.ln_1p(), sigmoid)
}

/// # Shapes
/// - targets, logits: [N·D] (row-major) -> [N]
fn row_sums(targets: &[f32], logits: &[f32], d: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; targets.len() / d.max(1)];
    if d == 0 {
        return out;
    }
    out.par_chunks_mut(ROWS_PER_TASK).enumerate().for_each(|(task, sums)| {
        let first = task * ROWS_PER_TASK;
        for (r, sum) in sums.iter_mut().enumerate() {
            let row = (first + r) * d..(first + r + 1) * d;
            // f64 accumulation: 784 terms of up to ~30 nats each.
            *sum = targets[row.clone()].iter().zip(&logits[row]).map(|(&x, &l)| f64::from(x * l - softplus_and_sigmoid(l).0)).sum::<f64>() as f32;
        }
    });
    out
}

#[derive(Debug)]
struct BernoulliBackward;

/// What the backward step keeps: the (contiguous) targets and logits.
#[derive(Debug, Clone)]
struct BernoulliState {
    targets: FlexTensor,
    logits: FlexTensor,
    dims: [usize; 2],
}

impl Backward<Flex, 2> for BernoulliBackward {
    type State = BernoulliState;

    /// d/dl [x·l − softplus(l)] = x − σ(l), times the row's output gradient (the targets,
    /// the first parent, are never tracked).
    fn backward(self, ops: Ops<BernoulliState, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [_, Some(node)] = ops.parents else { return };
        let upstream = grads.consume::<Flex>(&ops.node).to_contiguous();
        let BernoulliState { targets, logits, dims: [n, d] } = ops.state;
        let (g, x, l) = (f32s(&upstream), f32s(&targets), f32s(&logits));
        let mut grad = vec![0.0f32; n * d];
        if d > 0 {
            grad.par_chunks_mut(ROWS_PER_TASK * d).enumerate().for_each(|(task, rows)| {
                let first = task * ROWS_PER_TASK * d;
                for (k, out) in rows.iter_mut().enumerate() {
                    let i = first + k;
                    *out = g[i / d] * (x[i] - softplus_and_sigmoid(l[i]).1);
                }
            });
        }
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(grad, [n, d])));
    }
}
