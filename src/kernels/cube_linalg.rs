//! The Cholesky factor and the triangular solves as cubecl kernels on the GPU (the `wgpu`
//! build), with their closed-form backward as custom autodiff steps: the GPU counterpart of
//! [`super::flex_linalg`].
//!
//! Why: written with tensor primitives (`crate::memory::linalg`) a 32 x 32 factor is a column
//! loop of ~250 tiny ops forward and as many backward; on a GPU each is a kernel launch and an
//! autodiff node, and an H200 spent 166 of a 227 ms training step on them. Here the factor of B
//! matrices is one launch (one workgroup a matrix, its rows shared among the units, the matrix
//! in workgroup memory) and a solve is one launch (one unit a right-hand-side column).
//!
//! Arithmetic is f32, as in the tensor-op forms (WGSL has no portable f64); the CPU kernels
//! compute in f64. Gradients are those of [`super::flex_linalg`]: the same formulas, written
//! with burn tensor ops and these kernels, folded onto the lower triangle that the forward
//! reads. Sizes up to [`MAX_ORDER`] take this path (the matrix must fit in 16 KiB of workgroup
//! memory, WebGPU's guaranteed minimum); larger ones fall back to the tensor-op forms.

use burn::tensor::{Tensor, TensorData};
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_backend::TensorMetadata;
use burn_cubecl::Cube;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::dispatch::{Input, KernelBackend, custom_op};

/// Largest matrix order the kernels take: 64 x 64 f32 is 16 KiB of workgroup memory.
pub const MAX_ORDER: usize = 64;

/// Most units in one workgroup of the solve (one right-hand-side column each).
const SOLVE_UNITS: usize = 128;

/// Lower Cholesky factor of a + shift·I, or None where this path does not apply (not f32 on
/// the GPU, or larger than [`MAX_ORDER`]). The gradient is that of the factor with respect to a.
///
/// # Shapes
/// - a: [B, n, n] -> [B, n, n]
pub fn cholesky(a: &Tensor<3>, shift: f64) -> Option<Tensor<3>> {
    if a.dims()[1] > MAX_ORDER {
        return None;
    }
    custom_op(CholeskyBackward, [Input::<Cube>::of(a)?], |[a]| factor(a, shift as f32), |_, l| l.clone())
}

/// Solves L X = B (`transposed`: Lᵀ X = B) for lower-triangular L, or None where this path
/// does not apply (not f32 on the GPU, the two on different devices, or n > [`MAX_ORDER`]).
///
/// # Shapes
/// - l: [B, n, n]; rhs: [B, n, m] -> X [B, n, m]
pub fn solve_lower(l: &Tensor<3>, rhs: &Tensor<3>, transposed: bool) -> Option<Tensor<3>> {
    if l.dims()[1] > MAX_ORDER {
        return None;
    }
    custom_op(
        SolveBackward { transposed },
        [Input::<Cube>::of(l)?, Input::<Cube>::of(rhs)?],
        |[l, r]| substitute(l, r, transposed),
        |[l, _], x| SolveState { l, x: x.clone() },
    )
}

/// Solves (L Lᵀ) X = B for lower-triangular L, both substitutions in one launch (and the
/// backward in two), or None where this path does not apply.
///
/// # Shapes
/// - l: [B, n, n]; rhs: [B, n, m] -> X [B, n, m]
pub fn cholesky_solve(l: &Tensor<3>, rhs: &Tensor<3>) -> Option<Tensor<3>> {
    if l.dims()[1] > MAX_ORDER {
        return None;
    }
    // The forward's intermediate Y = L⁻¹B, handed from the forward to the backward's state.
    let intermediate = std::cell::Cell::new(None);
    custom_op(
        CholeskySolveBackward,
        [Input::<Cube>::of(l)?, Input::<Cube>::of(rhs)?],
        |[l, r]| {
            let (y, x) = substitute_both(l, r);
            intermediate.set(Some(y));
            x
        },
        |[l, _], x| CholeskySolveState { l, y: intermediate.take().expect("the forward ran"), x: x.clone() },
    )
}

/// One workgroup factors one matrix: for each column j, every unit takes rows i >= j (strided
/// by the workgroup size), subtracts the dot product of rows i and j over the finished columns,
/// then all divide by the pivot. Reads the lower triangle of `a` only; writes zeros above.
#[cube(launch)]
fn cholesky_kernel(a: &[f32], l: &mut [f32], shift: f32, #[comptime] n: usize) {
    let base = CUBE_POS_X as usize * n * n;
    let unit = UNIT_POS_X as usize;
    let units = CUBE_DIM_X as usize;
    let mut work = Shared::<[f32]>::new_slice(n * n);
    let mut idx = unit;
    while idx < n * n {
        let mut v = a[base + idx];
        if idx % (n + 1) == 0 {
            v += shift;
        }
        work[idx] = v;
        idx += units;
    }
    sync_cube();
    for j in 0..n {
        let mut i = j + unit;
        while i < n {
            let mut s = work[i * n + j];
            for k in 0..j {
                s -= work[i * n + k] * work[j * n + k];
            }
            work[i * n + j] = s;
            i += units;
        }
        sync_cube();
        // Clamped as crate::memory::linalg::cholesky clamps (1e-10).
        let mut pivot = work[j * n + j];
        if pivot < 1e-10f32 {
            pivot = 1e-10f32;
        }
        pivot = f32::sqrt(pivot);
        // Every unit has read the pivot before its owner overwrites it.
        sync_cube();
        let mut i = j + unit;
        while i < n {
            if i == j {
                work[i * n + j] = pivot;
            } else {
                work[i * n + j] = work[i * n + j] / pivot;
            }
            i += units;
        }
        sync_cube();
    }
    let mut idx = unit;
    while idx < n * n {
        if idx % n <= idx / n {
            l[base + idx] = work[idx];
        } else {
            l[base + idx] = 0.0f32;
        }
        idx += units;
    }
}

/// One unit solves one right-hand-side column (N adjacent columns as one vector) by
/// substitution; the workgroup shares the factor in workgroup memory. Reads the lower
/// triangle of `l` only. `m` counts vectors.
#[cube(launch)]
fn solve_kernel<N: Size>(l: &[f32], rhs: &[Vector<f32, N>], x: &mut [Vector<f32, N>], m: u32, #[comptime] n: usize, #[comptime] transposed: bool) {
    let batch = CUBE_POS_X as usize;
    let cols = m as usize;
    let col = CUBE_POS_Y as usize * CUBE_DIM_X as usize + UNIT_POS_X as usize;
    let factor = load_factor(l, batch, n);
    if col < cols {
        let base = batch * n * cols + col;
        let mut column = load_column::<N>(rhs, base, cols, n);
        substitute_column::<N>(&factor, &mut column, n, transposed);
        store_column::<N>(x, &column, base, cols, n);
    }
}

/// (L Lᵀ) X = B in one launch: each unit takes its column (N of them as one vector) through
/// L Y = B, writes Y (the backward needs it), then through Lᵀ X = Y.
#[cube(launch)]
fn cholesky_solve_kernel<N: Size>(l: &[f32], rhs: &[Vector<f32, N>], y: &mut [Vector<f32, N>], x: &mut [Vector<f32, N>], m: u32, #[comptime] n: usize) {
    let batch = CUBE_POS_X as usize;
    let cols = m as usize;
    let col = CUBE_POS_Y as usize * CUBE_DIM_X as usize + UNIT_POS_X as usize;
    let factor = load_factor(l, batch, n);
    if col < cols {
        let base = batch * n * cols + col;
        let mut column = load_column::<N>(rhs, base, cols, n);
        substitute_column::<N>(&factor, &mut column, n, false);
        store_column::<N>(y, &column, base, cols, n);
        substitute_column::<N>(&factor, &mut column, n, true);
        store_column::<N>(x, &column, base, cols, n);
    }
}

/// Matrix `batch` of `l` into workgroup memory, the units sharing the copy.
#[cube]
fn load_factor(l: &[f32], batch: usize, #[comptime] n: usize) -> Shared<[f32]> {
    let unit = UNIT_POS_X as usize;
    let mut factor = Shared::<[f32]>::new_slice(n * n);
    let mut idx = unit;
    while idx < n * n {
        factor[idx] = l[batch * n * n + idx];
        idx += CUBE_DIM_X as usize;
    }
    sync_cube();
    factor
}

/// The n entries of one column (stride `cols` from `base`), one variable each: a Sequence is
/// unrolled when the kernel is expanded, so they stay in registers and every index below is a
/// constant.
#[cube]
fn load_column<N: Size>(values: &[Vector<f32, N>], base: usize, cols: usize, #[comptime] n: usize) -> Sequence<Vector<f32, N>> {
    let mut column = Sequence::<Vector<f32, N>>::new();
    #[unroll]
    for i in 0..n {
        column.push(values[base + i * cols]);
    }
    column
}

#[cube]
fn store_column<N: Size>(out: &mut [Vector<f32, N>], column: &Sequence<Vector<f32, N>>, base: usize, cols: usize, #[comptime] n: usize) {
    #[unroll]
    for i in 0..n {
        out[base + i * cols] = *column.index(i);
    }
}

/// L x = b (`transposed`: Lᵀ x = b) in place, column-oriented: once x_i is known it is taken
/// out of the rows still to come, each factor entry one load shared by the workgroup.
#[cube]
fn substitute_column<N: Size>(factor: &Shared<[f32]>, column: &mut Sequence<Vector<f32, N>>, #[comptime] n: usize, #[comptime] transposed: bool) {
    #[unroll]
    for step in 0..n {
        if transposed {
            // Lᵀ is upper triangular: rows k < i lose Lᵀ[k][i] x_i = L[i][k] x_i.
            let i = n - 1 - step;
            let xi = *column.index(i) / Vector::<f32, N>::new(factor[i * n + i]);
            *column.index_mut(i) = xi;
            #[unroll]
            for k in 0..i {
                *column.index_mut(k) -= Vector::<f32, N>::new(factor[i * n + k]) * xi;
            }
        } else {
            let i = step;
            let xi = *column.index(i) / Vector::<f32, N>::new(factor[i * n + i]);
            *column.index_mut(i) = xi;
            #[unroll]
            for k in i + 1..n {
                *column.index_mut(k) -= Vector::<f32, N>::new(factor[k * n + i]) * xi;
            }
        }
    }
}

/// The factor's backward for one matrix a workgroup, unit u owning column u in registers:
/// P = Φ(Lᵀ tril(L̄)) (column u: rows r >= u, halved on the diagonal), Y = L⁻ᵀ P by back
/// substitution, then row u of Y (through workgroup memory) gives column u of Gᵀ = L⁻ᵀ Yᵀ,
/// and the fold onto the lower triangle: Gᵀ[r][c] + Gᵀ[c][r] below the diagonal, Gᵀ[r][r]
/// on it, 0 above. The loops are unrolled at the comptime n (constant indices, as in the
/// solves); N is 1 (the kernel shares the solves' vector-generic helpers).
#[cube(launch)]
fn cholesky_backward_kernel<N: Size>(l: &[f32], upstream: &[Vector<f32, N>], grad: &mut [Vector<f32, N>], #[comptime] n: usize) {
    let batch = CUBE_POS_X as usize;
    let base = batch * n * n;
    let u = UNIT_POS_X as usize;
    let factor = load_factor(l, batch, n);
    let upstream_column = load_column::<N>(upstream, base + u, n, n);
    let zero = Vector::<f32, N>::new(0.0f32);
    // P[r][u] = Σ_{k >= r} L[k][r] L̄[k][u] for r >= u, halved on the diagonal; 0 above.
    let mut column = Sequence::<Vector<f32, N>>::new();
    #[unroll]
    for r in 0..n {
        let mut sum = zero;
        #[unroll]
        for k in r..n {
            sum += Vector::<f32, N>::new(factor[k * n + r]) * *upstream_column.index(k);
        }
        let mut value = zero;
        if r > u {
            value = sum;
        } else if r == u {
            value = sum * Vector::<f32, N>::new(0.5f32);
        }
        column.push(value);
    }
    // Column u of Y = L⁻ᵀ P.
    substitute_column::<N>(&factor, &mut column, n, true);
    let mut exchange = Shared::<[Vector<f32, N>]>::new_slice(n * n);
    #[unroll]
    for i in 0..n {
        exchange[i * n + u] = *column.index(i);
    }
    sync_cube();
    // Column u of Gᵀ = L⁻ᵀ Yᵀ: its right-hand side is row u of Y.
    let mut transposed = load_row(&exchange, u * n, n);
    substitute_column::<N>(&factor, &mut transposed, n, true);
    sync_cube();
    #[unroll]
    for i in 0..n {
        exchange[i * n + u] = *transposed.index(i);
    }
    sync_cube();
    #[unroll]
    for r in 0..n {
        let mut value = zero;
        if r > u {
            value = *transposed.index(r) + exchange[u * n + r];
        } else if r == u {
            value = *transposed.index(r);
        }
        grad[base + r * n + u] = value;
    }
}

/// Entries `start..start + n` of workgroup memory into registers.
#[cube]
fn load_row<N: Size>(values: &Shared<[Vector<f32, N>]>, start: usize, #[comptime] n: usize) -> Sequence<Vector<f32, N>> {
    let mut row = Sequence::<Vector<f32, N>>::new();
    #[unroll]
    for i in 0..n {
        row.push(values[start + i]);
    }
    row
}

/// −tril(A Bᵀ) (`pair`: −tril(A Bᵀ + C Dᵀ)) for a batch of [n, m] matrices: workgroup (b, r)
/// computes row r, unit c its entry c (dot products of length m, read N entries at a time as
/// one vector; `m` counts vectors); zeros above the diagonal.
#[cube(launch)]
fn negative_lower_product_kernel<N: Size>(
    a: &[Vector<f32, N>],
    b: &[Vector<f32, N>],
    c: &[Vector<f32, N>],
    d: &[Vector<f32, N>],
    out: &mut [f32],
    m: u32,
    #[comptime] n: usize,
    #[comptime] pair: bool,
) {
    let batch = CUBE_POS_X as usize;
    let r = CUBE_POS_Y as usize;
    let col = UNIT_POS_X as usize;
    let cols = m as usize;
    let mut v = 0.0f32;
    if col <= r {
        let (row, other) = (batch * n * cols + r * cols, batch * n * cols + col * cols);
        let mut sums = Vector::<f32, N>::new(0.0f32);
        for k in 0..cols {
            sums += a[row + k] * b[other + k];
            if pair {
                sums += c[row + k] * d[other + k];
            }
        }
        #[unroll]
        for i in 0..N::value() {
            v -= sums.extract(i);
        }
    }
    out[batch * n * n + r * n + col] = v;
}

/// How the kernels read rows of m entries (a solve's right-hand sides, a product's inner
/// dimension): 4 adjacent ones as one vector where m allows (a software device runs them as
/// four SIMD operations a load, and a solve's factor entry then serves four columns), else one
/// at a time. Returns the vector width and the number of vectors a row.
fn column_vectors(m: usize) -> (usize, usize) {
    let width = if m % 4 == 0 { 4 } else { 1 };
    (width, m / width)
}

/// A solve's launch over B matrices with m right-hand-side columns: the vector width, the
/// vectors a row, and the grid (one unit a vector, at most [`SOLVE_UNITS`] a workgroup).
fn solve_grid(b: usize, m: usize) -> (usize, usize, CubeCount, CubeDim) {
    let (width, vectors) = column_vectors(m);
    let units = vectors.min(SOLVE_UNITS);
    (width, vectors, CubeCount::Static(b as u32, vectors.div_ceil(units) as u32, 1), CubeDim::new_1d(units as u32))
}

pub(super) fn dims3(t: &CubeTensor) -> [usize; 3] {
    t.shape().dims::<3>()
}

/// A new contiguous tensor of `shape` on `like`'s device, with its dtype (contents unset).
pub(super) fn empty_like(like: &CubeTensor, shape: burn_backend::Shape) -> CubeTensor {
    empty_device_contiguous_dtype(like.client.clone(), like.device.clone(), shape, like.dtype)
}

/// The factor of a + shift·I.
///
/// # Shapes
/// - a: [B, n, n] contiguous -> [B, n, n]
fn factor(a: &CubeTensor, shift: f32) -> CubeTensor {
    let [b, n, _] = dims3(a);
    let out = empty_like(a, a.shape());
    if b > 0 && n > 0 {
        cholesky_kernel::launch(
            &a.client,
            CubeCount::Static(b as u32, 1, 1),
            CubeDim::new_1d(n.min(MAX_ORDER) as u32),
            a.clone().into_buffer_arg(),
            out.clone().into_buffer_arg(),
            shift,
            n,
        );
    }
    out
}

/// # Shapes
/// - l: [B, n, n], rhs: [B, n, m], both contiguous -> [B, n, m]
fn substitute(l: &CubeTensor, rhs: &CubeTensor, transposed: bool) -> CubeTensor {
    let [b, n, m] = dims3(rhs);
    let out = empty_like(rhs, rhs.shape());
    if b > 0 && n > 0 && m > 0 {
        let (width, vectors, count, dim) = solve_grid(b, m);
        solve_kernel::launch(
            &rhs.client,
            count,
            dim,
            width,
            l.clone().into_buffer_arg(),
            rhs.clone().into_buffer_arg(),
            out.clone().into_buffer_arg(),
            vectors as u32,
            n,
            transposed,
        );
    }
    out
}

/// Y = L⁻¹B and X = L⁻ᵀY in one launch.
///
/// # Shapes
/// - l: [B, n, n], rhs: [B, n, m], both contiguous -> (Y, X), each [B, n, m]
fn substitute_both(l: &CubeTensor, rhs: &CubeTensor) -> (CubeTensor, CubeTensor) {
    let [b, n, m] = dims3(rhs);
    let (y, x) = (empty_like(rhs, rhs.shape()), empty_like(rhs, rhs.shape()));
    if b > 0 && n > 0 && m > 0 {
        let (width, vectors, count, dim) = solve_grid(b, m);
        cholesky_solve_kernel::launch(
            &rhs.client,
            count,
            dim,
            width,
            l.clone().into_buffer_arg(),
            rhs.clone().into_buffer_arg(),
            y.clone().into_buffer_arg(),
            x.clone().into_buffer_arg(),
            vectors as u32,
            n,
        );
    }
    (y, x)
}

/// Largest order the factor's fused backward takes (two n x n f32 matrices in workgroup memory
/// and a few n-entry columns in registers a unit; kept where the first version, with three
/// matrices, had to stop). Larger factors take the backward as tensor ops and solves.
const MAX_FUSED_BACKWARD_ORDER: usize = 36;

/// # Shapes
/// - l, upstream: [B, n, n] contiguous -> [B, n, n]
fn factor_backward(l: &CubeTensor, upstream: &CubeTensor) -> CubeTensor {
    let [b, n, _] = dims3(l);
    let out = empty_like(l, l.shape());
    if b > 0 && n > 0 {
        cholesky_backward_kernel::launch(
            &l.client,
            CubeCount::Static(b as u32, 1, 1),
            CubeDim::new_1d(n as u32),
            1,
            l.clone().into_buffer_arg(),
            upstream.clone().into_buffer_arg(),
            out.clone().into_buffer_arg(),
            n,
        );
    }
    out
}

/// # Shapes
/// - a, b (and c, d): [B, n, m] contiguous -> −tril(A Bᵀ) (+ −tril(C Dᵀ)) [B, n, n]
fn negative_lower_product(a: &CubeTensor, b: &CubeTensor, pair: Option<(&CubeTensor, &CubeTensor)>) -> CubeTensor {
    let [batch, n, m] = dims3(a);
    let out = empty_like(a, burn_backend::Shape::new([batch, n, n]));
    // Without a second pair the kernel is compiled without reading it; A and B stand in.
    let (c, d) = pair.unwrap_or((a, b));
    let (width, vectors) = column_vectors(m);
    if batch > 0 && n > 0 {
        negative_lower_product_kernel::launch(
            &a.client,
            CubeCount::Static(batch as u32, n as u32, 1),
            CubeDim::new_1d(n as u32),
            width,
            a.clone().into_buffer_arg(),
            b.clone().into_buffer_arg(),
            c.clone().into_buffer_arg(),
            d.clone().into_buffer_arg(),
            out.clone().into_buffer_arg(),
            vectors as u32,
            n,
            pair.is_some(),
        );
    }
    out
}

/// A plain GPU tensor as a burn tensor, for the backward's tensor ops.
pub(super) fn tensor(p: CubeTensor) -> Tensor<3> {
    <Cube as KernelBackend>::wrap_plain(p)
}

pub(super) fn primitive(t: Tensor<3>) -> CubeTensor {
    <Cube as KernelBackend>::plain(&t).expect("the backward computes on the plain GPU device")
}

/// The solve on plain GPU tensors (either may be a non-contiguous view).
fn solve(l: &Tensor<3>, rhs: Tensor<3>, transposed: bool) -> Tensor<3> {
    let (l, rhs) = (primitive(l.clone()), primitive(rhs));
    tensor(substitute(&Cube::contiguous(&l), &Cube::contiguous(&rhs), transposed))
}

/// Weights of the lower triangle: 1 below the diagonal, `diagonal` on it, 0 above.
///
/// # Shapes
/// - returns: [1, n, n]
fn lower_mask(n: usize, diagonal: f32, like: &Tensor<3>) -> Tensor<3> {
    let values: Vec<f32> = (0..n * n)
        .map(|idx| match (idx / n).cmp(&(idx % n)) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Equal => diagonal,
            std::cmp::Ordering::Less => 0.0,
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [1, n, n]), (&like.device(), like.dtype()))
}

#[derive(Debug)]
struct CholeskyBackward;

impl Backward<Cube, 1> for CholeskyBackward {
    /// The factor L.
    type State = CubeTensor;

    /// Ā = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹ symmetrised (Φ: the lower triangle with the diagonal halved),
    /// folded onto the lower triangle the forward read: the flex op's formula in tensor ops.
    fn backward(self, ops: Ops<CubeTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let upstream = grads.consume::<Cube>(&ops.node);
        if dims3(&ops.state)[1] <= MAX_FUSED_BACKWARD_ORDER {
            grads.register::<Cube>(node.id, factor_backward(&ops.state, &Cube::contiguous(&upstream)));
            return;
        }
        let (upstream, l) = (tensor(upstream), tensor(ops.state));
        let n = l.dims()[1];
        let halved = lower_mask(n, 0.5, &l);
        let p = l.clone().swap_dims(1, 2).matmul(upstream * lower_mask(n, 1.0, &l)) * halved.clone();
        let y = solve(&l, p, true);
        let gt = solve(&l, y.swap_dims(1, 2), true);
        let folded = (gt.clone() + gt.swap_dims(1, 2)) * halved;
        grads.register::<Cube>(node.id, primitive(folded));
    }
}

#[derive(Debug)]
struct SolveBackward {
    transposed: bool,
}

/// What the solve's backward keeps: the factor and the solution.
#[derive(Debug, Clone)]
struct SolveState {
    l: CubeTensor,
    x: CubeTensor,
}

impl Backward<Cube, 2> for SolveBackward {
    type State = SolveState;

    /// X = L⁻¹B: B̄ = L⁻ᵀX̄, L̄ = −tril(B̄ Xᵀ). X = L⁻ᵀB: B̄ = L⁻¹X̄, L̄ = −tril(X B̄ᵀ).
    fn backward(self, ops: Ops<SolveState, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [l_node, rhs_node] = ops.parents;
        let upstream = tensor(grads.consume::<Cube>(&ops.node));
        let (l, x) = (tensor(ops.state.l), tensor(ops.state.x));
        let rhs_grad = solve(&l, upstream, !self.transposed);
        if let Some(node) = l_node {
            let (first, second) = if self.transposed { (x, rhs_grad.clone()) } else { (rhs_grad.clone(), x) };
            let (first, second) = (primitive(first), primitive(second));
            grads.register::<Cube>(node.id, negative_lower_product(&Cube::contiguous(&first), &Cube::contiguous(&second), None));
        }
        if let Some(node) = rhs_node {
            grads.register::<Cube>(node.id, primitive(rhs_grad));
        }
    }
}

#[derive(Debug)]
struct CholeskySolveBackward;

/// What the two-substitution solve's backward keeps: the factor, Y = L⁻¹B and X = L⁻ᵀY.
#[derive(Debug, Clone)]
struct CholeskySolveState {
    l: CubeTensor,
    y: CubeTensor,
    x: CubeTensor,
}

impl Backward<Cube, 2> for CholeskySolveBackward {
    type State = CholeskySolveState;

    /// The two solves' backward composed: Ȳ = L⁻¹X̄ and B̄ = G = L⁻ᵀȲ (one launch of the same
    /// kernel), L̄ = −tril(X Ȳᵀ) − tril(G Yᵀ) (one launch).
    fn backward(self, ops: Ops<CholeskySolveState, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [l_node, rhs_node] = ops.parents;
        let upstream = Cube::contiguous(&grads.consume::<Cube>(&ops.node));
        let CholeskySolveState { l, y, x } = ops.state;
        let (y_grad, rhs_grad) = substitute_both(&l, &upstream);
        if let Some(node) = l_node {
            grads.register::<Cube>(node.id, negative_lower_product(&x, &y_grad, Some((&rhs_grad, &y))));
        }
        if let Some(node) = rhs_node {
            grads.register::<Cube>(node.id, rhs_grad);
        }
    }
}
