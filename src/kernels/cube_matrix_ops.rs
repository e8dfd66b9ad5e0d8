//! Two small GPU ops of the memory maths beside the factor and the solves: the diagonal sums
//! (a trace, the log-determinant from a Cholesky factor) and the Gram product R Rᵀ, each a
//! custom autodiff op so that its backward is one launch (the diagonal sums) or one product
//! (the Gram) instead of autodiff's chain of tensor ops, each a kernel launch. The `wgpu`
//! build's counterpart of tensor ops that cost nothing on the CPU, where these return None.

use burn::tensor::Tensor;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_backend::TensorMetadata;
use burn_cubecl::Cube;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::cube_linalg::{dims3, empty_like, primitive, tensor};
use super::dispatch::{Input, KernelBackend, custom_op};

/// The Gram matrices R Rᵀ, by burn's matmul, with a backward of one product instead of
/// two: R̄ = (Ḡ + Ḡᵀ) R. None where this path does not apply.
///
/// # Shapes
/// - r: [B, n, m] -> [B, n, n]
pub fn gram(r: &Tensor<3>) -> Option<Tensor<3>> {
    custom_op(GramBackward, [Input::<Cube>::of(r)?], |[r]| primitive(tensor(r.clone()).matmul(tensor(r.clone()).swap_dims(1, 2))), |[r], _| r)
}

/// scale · Σᵢ aᵢᵢ (`log`: scale · Σᵢ ln aᵢᵢ) of each matrix, one launch forward and one
/// backward (the tensor-op form is a mask, a reduction, a log, a sum and a scaling, each with
/// its backward), or None where this path does not apply.
///
/// # Shapes
/// - a: [B, n, n] -> [B]
pub fn diagonal_sum(a: &Tensor<3>, log: bool, scale: f64) -> Option<Tensor<1>> {
    let op = DiagonalSumBackward { log, scale: scale as f32 };
    custom_op(op, [Input::<Cube>::of(a)?], |[a]| sum_diagonals(a, log, scale as f32), |[a], _| a)
}

/// out[b] = scale · Σᵢ f(a[b]ᵢᵢ), f the identity or ln: one unit a matrix.
#[cube(launch)]
fn diagonal_sum_kernel(a: &[f32], out: &mut [f32], batch: u32, scale: f32, #[comptime] n: usize, #[comptime] log: bool) {
    let b = ABSOLUTE_POS_X as usize;
    if b < batch as usize {
        let mut sum = 0.0f32;
        for i in 0..n {
            let v = a[b * n * n + i * (n + 1)];
            if log {
                sum += f32::ln(v);
            } else {
                sum += v;
            }
        }
        out[b] = sum * scale;
    }
}

/// The diagonal sum's backward: grad[b]ᵢⱼ = δᵢⱼ · scale · ḡ[b] (`log`: divided by a[b]ᵢᵢ).
#[cube(launch)]
fn diagonal_sum_backward_kernel(a: &[f32], upstream: &[f32], grad: &mut [f32], len: u32, scale: f32, #[comptime] n: usize, #[comptime] log: bool) {
    let idx = ABSOLUTE_POS_X as usize;
    if idx < len as usize {
        let within = idx % (n * n);
        let mut v = 0.0f32;
        if within % (n + 1) == 0 {
            v = upstream[idx / (n * n)] * scale;
            if log {
                v = v / a[idx];
            }
        }
        grad[idx] = v;
    }
}

/// Units a workgroup of the elementwise kernels.
const ELEMENTWISE_UNITS: usize = 256;

/// Workgroups for `len` units, [`ELEMENTWISE_UNITS`] a workgroup.
fn linear_grid(len: usize) -> CubeCount {
    CubeCount::Static(len.div_ceil(ELEMENTWISE_UNITS) as u32, 1, 1)
}

/// # Shapes
/// - a: [B, n, n] contiguous -> [B]
fn sum_diagonals(a: &CubeTensor, log: bool, scale: f32) -> CubeTensor {
    let [b, n, _] = dims3(a);
    let out = empty_like(a, burn_backend::Shape::new([b]));
    if b > 0 {
        diagonal_sum_kernel::launch(
            &a.client,
            linear_grid(b),
            CubeDim::new_1d(b.min(ELEMENTWISE_UNITS) as u32),
            a.clone().into_buffer_arg(),
            out.clone().into_buffer_arg(),
            b as u32,
            scale,
            n,
            log,
        );
    }
    out
}

/// # Shapes
/// - a: [B, n, n], upstream: [B], both contiguous -> [B, n, n]
fn sum_diagonals_backward(a: &CubeTensor, upstream: &CubeTensor, log: bool, scale: f32) -> CubeTensor {
    let [b, n, _] = dims3(a);
    let out = empty_like(a, a.shape());
    let len = b * n * n;
    if len > 0 {
        diagonal_sum_backward_kernel::launch(
            &a.client,
            linear_grid(len),
            CubeDim::new_1d(len.min(ELEMENTWISE_UNITS) as u32),
            a.clone().into_buffer_arg(),
            upstream.clone().into_buffer_arg(),
            out.clone().into_buffer_arg(),
            len as u32,
            scale,
            n,
            log,
        );
    }
    out
}

#[derive(Debug)]
struct DiagonalSumBackward {
    log: bool,
    scale: f32,
}

impl Backward<Cube, 1> for DiagonalSumBackward {
    /// The matrices (their diagonals divide the upstream gradient for the log form).
    type State = CubeTensor;

    fn backward(self, ops: Ops<CubeTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let upstream = Cube::contiguous(&grads.consume::<Cube>(&ops.node));
        grads.register::<Cube>(node.id, sum_diagonals_backward(&ops.state, &upstream, self.log, self.scale));
    }
}

#[derive(Debug)]
struct GramBackward;

impl Backward<Cube, 1> for GramBackward {
    /// R.
    type State = CubeTensor;

    fn backward(self, ops: Ops<CubeTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let upstream = tensor(grads.consume::<Cube>(&ops.node));
        let symmetric = upstream.clone() + upstream.swap_dims(1, 2);
        grads.register::<Cube>(node.id, primitive(symmetric.matmul(tensor(ops.state))));
    }
}
