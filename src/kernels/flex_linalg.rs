//! The Cholesky factor and the triangular solves as single custom ops on flex f32 tensors
//! (and, in training, custom autodiff steps with their closed-form backward).
//!
//! Why: written with tensor primitives (`crate::memory::linalg`) a 32 x 32 factor is a column loop
//! of ~250 tiny ops forward and as many backward, each with its autodiff bookkeeping; a
//! training step's memory maths (two factors, three solves) took ~19 ms that way, all of it on
//! one thread, against torch's ~5 ms with LAPACK. Here each is one pass over B small matrices
//! in f64.
//!
//! Gradients match the tensor-op forms, which read only the lower triangle of their inputs:
//! the gradient w.r.t. a factored matrix or a triangular factor is lower triangular too.
//! (One difference: where a pivot is clamped at 1e-10, the tensor-op form passes no gradient
//! through the clamp and this one treats the pivot as unclamped; pivots are clamped only for
//! semidefinite inputs.) tests/flex_linalg.rs compares values and gradients.

use burn::tensor::{Tensor, TensorData};
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_flex::{Flex, FlexTensor};

use super::dispatch::{FlexInput, custom_op, f32s};

/// Pivots are clamped to this before the square root, as in `crate::memory::linalg::cholesky`.
const MIN_PIVOT: f64 = 1e-10;

/// Lower Cholesky factor of a + shift·I, or None where this path does not apply (not f32 on
/// flex). The gradient is that of the factor with respect to a.
///
/// # Shapes
/// - a: [B, n, n] -> [B, n, n]
pub fn cholesky(a: &Tensor<3>, shift: f64) -> Option<Tensor<3>> {
    let [b, n, _] = a.dims();
    let factors = |[a]: &[FlexTensor; 1]| {
        // The shift is added in f32 before widening, as the tensor-op form adds shift·I to the
        // f32 matrix: the same factor to the last bit, so recorded scenes replay exactly.
        let mut shifted = f32s(a).to_vec();
        if shift != 0.0 {
            shifted.iter_mut().enumerate().filter(|(i, _)| i % (n * n) % (n + 1) == 0).for_each(|(_, v)| *v += shift as f32);
        }
        flex(batched(&shifted, b, n * n, |m| factor(m, n)), [b, n, n])
    };
    custom_op(CholeskyBackward, [FlexInput::of(a)?], factors, |_, l| l.clone())
}

/// Solves L X = B (`transposed`: Lᵀ X = B) for lower-triangular L, or None where this path
/// does not apply (not f32 on flex, or the two on different backends).
///
/// # Shapes
/// - l: [B, n, n]; rhs: [B, n, m] -> X [B, n, m]
pub fn solve_lower(l: &Tensor<3>, rhs: &Tensor<3>, transposed: bool) -> Option<Tensor<3>> {
    let [b, n, _] = l.dims();
    let m = rhs.dims()[2];
    let solve = |[l, r]: &[FlexTensor; 2]| {
        let (l, r) = (f32s(l), f32s(r));
        let x = (0..b).flat_map(|i| substitute(&widen(&l[i * n * n..(i + 1) * n * n]), &widen(&r[i * n * m..(i + 1) * n * m]), n, m, transposed)).map(|v| v as f32).collect();
        flex(x, [b, n, m])
    };
    custom_op(SolveBackward { transposed }, [FlexInput::of(l)?, FlexInput::of(rhs)?], solve, |[l, _], x| SolveState { l, x: x.clone() })
}

fn flex(values: Vec<f32>, shape: [usize; 3]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// `per_matrix` applied to each of the `b` matrices of `len` floats in `values`, back to f32.
fn batched(values: &[f32], b: usize, len: usize, per_matrix: impl Fn(&[f64]) -> Vec<f64>) -> Vec<f32> {
    (0..b).flat_map(|i| per_matrix(&widen(&values[i * len..(i + 1) * len]))).map(|v| v as f32).collect()
}

/// Left-looking Cholesky of one row-major n x n matrix, reading its lower triangle only.
fn factor(a: &[f64], n: usize) -> Vec<f64> {
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        for i in j..n {
            l[i * n + j] = a[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
        }
        let pivot = l[j * n + j].max(MIN_PIVOT).sqrt();
        for i in j..n {
            l[i * n + j] /= pivot;
        }
    }
    l
}

/// X with L X = B (forward substitution) or, `transposed`, Lᵀ X = B (back substitution).
///
/// # Shapes
/// - l: [n, n] row-major, lower triangular (its upper part is not read); b: [n, m] -> [n, m]
fn substitute(l: &[f64], b: &[f64], n: usize, m: usize, transposed: bool) -> Vec<f64> {
    let mut x = b.to_vec();
    for step in 0..n {
        let i = if transposed { n - 1 - step } else { step };
        // Row i of L (or of Lᵀ: column i of L) off the diagonal, against the rows solved so far.
        let solved = if transposed { i + 1..n } else { 0..i };
        for k in solved {
            let coeff = if transposed { l[k * n + i] } else { l[i * n + k] };
            for c in 0..m {
                x[i * m + c] -= coeff * x[k * m + c];
            }
        }
        let d = l[i * n + i];
        x[i * m..(i + 1) * m].iter_mut().for_each(|v| *v /= d);
    }
    x
}

/// Row-major transpose of an r x c matrix.
fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    (0..c * r).map(|idx| a[(idx % r) * c + idx / r]).collect()
}

#[derive(Debug)]
struct CholeskyBackward;

impl Backward<Flex, 1> for CholeskyBackward {
    /// The factor L.
    type State = FlexTensor;

    /// Ā = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹ symmetrised (Φ: the lower triangle with the diagonal halved;
    /// Murray 2016, as torch's), then folded onto the lower triangle the forward read.
    fn backward(self, ops: Ops<FlexTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let upstream = grads.consume::<Flex>(&ops.node).to_contiguous();
        let [b, n, _] = ops.state.layout().shape().dims();
        let (g, l) = (f32s(&upstream), f32s(&ops.state));
        let mut out = Vec::with_capacity(b * n * n);
        for i in 0..b {
            let (l, g) = (widen(&l[i * n * n..(i + 1) * n * n]), widen(&g[i * n * n..(i + 1) * n * n]));
            // P = Φ(Lᵀ tril(L̄))
            let mut p = vec![0.0; n * n];
            for r in 0..n {
                for c in 0..=r {
                    let v: f64 = (c.max(r)..n).map(|k| l[k * n + r] * g[k * n + c]).sum();
                    p[r * n + c] = if r == c { 0.5 * v } else { v };
                }
            }
            // G = L⁻ᵀ P L⁻¹: Y = L⁻ᵀ P, then Gᵀ = L⁻ᵀ Yᵀ.
            let y = substitute(&l, &p, n, n, true);
            let gt = substitute(&l, &transpose(&y, n, n), n, n, true);
            // Symmetric part ½(G + Gᵀ), folded: the lower entry carries both halves.
            for r in 0..n {
                for c in 0..n {
                    let v = match r.cmp(&c) {
                        std::cmp::Ordering::Less => 0.0,
                        std::cmp::Ordering::Equal => gt[r * n + r],
                        std::cmp::Ordering::Greater => gt[r * n + c] + gt[c * n + r],
                    };
                    out.push(v as f32);
                }
            }
        }
        grads.register::<Flex>(node.id, flex(out, [b, n, n]));
    }
}

#[derive(Debug)]
struct SolveBackward {
    transposed: bool,
}

/// What the solve's backward keeps: the factor and the solution.
#[derive(Debug, Clone)]
struct SolveState {
    l: FlexTensor,
    x: FlexTensor,
}

impl Backward<Flex, 2> for SolveBackward {
    type State = SolveState;

    /// X = L⁻¹B: B̄ = L⁻ᵀX̄, L̄ = −tril(B̄ Xᵀ). X = L⁻ᵀB: B̄ = L⁻¹X̄, L̄ = −tril(X B̄ᵀ).
    fn backward(self, ops: Ops<SolveState, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [l_node, rhs_node] = ops.parents;
        let upstream = grads.consume::<Flex>(&ops.node).to_contiguous();
        let [b, n, m] = ops.state.x.layout().shape().dims();
        let (g, l, x) = (f32s(&upstream), f32s(&ops.state.l), f32s(&ops.state.x));
        let (mut l_grad, mut rhs_grad) = (Vec::with_capacity(b * n * n), Vec::with_capacity(b * n * m));
        for i in 0..b {
            let l = widen(&l[i * n * n..(i + 1) * n * n]);
            let x = widen(&x[i * n * m..(i + 1) * n * m]);
            let rb = substitute(&l, &widen(&g[i * n * m..(i + 1) * n * m]), n, m, !self.transposed);
            let (first, second) = if self.transposed { (&x, &rb) } else { (&rb, &x) };
            for r in 0..n {
                for c in 0..n {
                    let v = if c > r { 0.0 } else { -(0..m).map(|k| first[r * m + k] * second[c * m + k]).sum::<f64>() };
                    l_grad.push(v as f32);
                }
            }
            rhs_grad.extend(rb.iter().map(|&v| v as f32));
        }
        if let Some(node) = l_node {
            grads.register::<Flex>(node.id, flex(l_grad, [b, n, n]));
        }
        if let Some(node) = rhs_node {
            grads.register::<Flex>(node.id, flex(rhs_grad, [b, n, m]));
        }
    }
}
