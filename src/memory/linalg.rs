//! Small batched dense linear algebra written with tensor primitives, so that autodiff flows
//! through it (burn 0.22 has no differentiable Cholesky or triangular solve). Sizes here are
//! K, T <= 64. On f32 tensors the factor and the solves go to single custom ops instead
//! ([`crate::kernels::flex_linalg`] on the CPU, [`crate::kernels::cube_linalg`] on the GPU);
//! the `_generic` forms are what other dtypes run (the f64 invariant tests) and what the
//! custom ops are tested against.
//!
//! Every function keeps the dtype and device of its inputs, so the same code runs in f32 for
//! training and in f64 for the invariant tests.

use burn::tensor::{Tensor, TensorData};

/// Pivots are clamped to this before the square root (docs/model.md).
const MIN_PIVOT: f64 = 1e-10;

/// Identity with the dtype and device of `like`.
///
/// # Shapes
/// - returns: [n, n]
pub fn eye_like<const D: usize>(n: usize, like: &Tensor<D>) -> Tensor<2> {
    diagonal_matrix_like(n, 1.0, 0.0, like)
}

/// An n x n matrix of `on_diagonal` on its diagonal and `off_diagonal` elsewhere, with the
/// dtype and device of `like`.
///
/// # Shapes
/// - returns: [n, n]
pub fn diagonal_matrix_like<const D: usize>(n: usize, on_diagonal: f64, off_diagonal: f64, like: &Tensor<D>) -> Tensor<2> {
    let values: Vec<f64> = (0..n * n).map(|i| if i % (n + 1) == 0 { on_diagonal } else { off_diagonal }).collect();
    Tensor::from_data(TensorData::new(values, [n, n]), (&like.device(), like.dtype()))
}

/// The diagonals of a batch of square matrices.
///
/// # Shapes
/// - a: [B, n, n]
/// - returns: [B, n]
pub fn diagonal(a: Tensor<3>) -> Tensor<2> {
    let n = a.dims()[1];
    let eye = eye_like(n, &a).unsqueeze_dim::<3>(0);
    (a * eye).sum_dim(2).squeeze_dim(2)
}

/// Batch of diagonal matrices from their diagonals.
///
/// # Shapes
/// - d: [B, n]
/// - returns: [B, n, n]
pub fn diag_embed(d: Tensor<2>) -> Tensor<3> {
    let n = d.dims()[1];
    let eye = eye_like(n, &d).unsqueeze_dim::<3>(0);
    d.unsqueeze_dim::<3>(2) * eye
}

/// Transpose of the last two axes.
pub fn mt(a: Tensor<3>) -> Tensor<3> {
    a.swap_dims(1, 2)
}

/// The Gram matrices R Rᵀ.
///
/// # Shapes
/// - r: [B, n, m]; returns: [B, n, n]
pub fn gram(r: Tensor<3>) -> Tensor<3> {
    crate::kernels::gram(&r).unwrap_or_else(|| r.clone().matmul(mt(r)))
}

/// Symmetric part ½(A + Aᵀ).
pub fn symmetrize(a: Tensor<3>) -> Tensor<3> {
    (a.clone() + mt(a)).mul_scalar(0.5)
}

/// Lower Cholesky factor of a batch of symmetric positive definite matrices (left-looking,
/// one column at a time). Pivots are clamped to 1e-10 so a semidefinite input gives a
/// finite (if inexact) factor instead of NaN.
///
/// # Shapes
/// - a: [B, n, n]
/// - returns: L [B, n, n], lower triangular, with L Lᵀ = a
pub fn cholesky(a: Tensor<3>) -> Tensor<3> {
    cholesky_shifted(a, 0.0)
}

/// The Cholesky factor of A + shift·I (a ridge, a noise variance or a jitter on the
/// diagonal). The custom ops add the shift as they read the diagonal, so the identity, its
/// scaling and the sum cost no tensor ops (each a kernel launch on a GPU).
///
/// # Shapes
/// - a: [B, n, n]
/// - returns: L [B, n, n], lower triangular, with L Lᵀ = a + shift·I
pub fn cholesky_shifted(a: Tensor<3>, shift: f64) -> Tensor<3> {
    crate::kernels::cholesky(&a, shift).unwrap_or_else(|| {
        let n = a.dims()[1];
        let shifted = if shift == 0.0 { a } else { a.clone() + eye_like(n, &a).mul_scalar(shift).unsqueeze_dim::<3>(0) };
        cholesky_generic(shifted)
    })
}

/// [`cholesky`] as tensor ops.
pub fn cholesky_generic(a: Tensor<3>) -> Tensor<3> {
    let [b, n, _] = a.dims();
    let mut factor: Option<Tensor<3>> = None; // columns 0..j of L: [B, n, j]
    for j in 0..n {
        let mut column = a.clone().slice([0..b, j..n, j..j + 1]); // [B, n-j, 1]
        if let Some(left) = &factor {
            let below = left.clone().slice([0..b, j..n, 0..j]); // [B, n-j, j]
            let row = left.clone().slice([0..b, j..j + 1, 0..j]); // [B, 1, j]
            column = column - below.matmul(mt(row));
        }
        let pivot = column.clone().slice([0..b, 0..1, 0..1]).clamp_min(MIN_PIVOT).sqrt();
        let mut column = column / pivot;
        if j > 0 {
            let zeros = Tensor::zeros([b, j, 1], (&a.device(), a.dtype()));
            column = Tensor::cat(vec![zeros, column], 1);
        }
        factor = Some(match factor {
            None => column,
            Some(left) => Tensor::cat(vec![left, column], 2),
        });
    }
    factor.expect("cholesky of a 0x0 matrix")
}

/// Solves L X = B for lower-triangular L (forward substitution).
///
/// # Shapes
/// - l: [B, n, n] lower triangular
/// - rhs: [B, n, m]
/// - returns: X [B, n, m]
pub fn solve_lower(l: Tensor<3>, rhs: Tensor<3>) -> Tensor<3> {
    crate::kernels::solve_lower(&l, &rhs, false).unwrap_or_else(|| solve_lower_generic(l, rhs))
}

/// [`solve_lower`] as tensor ops.
pub fn solve_lower_generic(l: Tensor<3>, rhs: Tensor<3>) -> Tensor<3> {
    let [b, n, _] = l.dims();
    let m = rhs.dims()[2];
    let mut solved: Option<Tensor<3>> = None; // rows 0..i of X: [B, i, m]
    for i in 0..n {
        let mut row = rhs.clone().slice([0..b, i..i + 1, 0..m]);
        if let Some(prev) = &solved {
            let coeffs = l.clone().slice([0..b, i..i + 1, 0..i]); // [B, 1, i]
            row = row - coeffs.matmul(prev.clone());
        }
        let row = row / l.clone().slice([0..b, i..i + 1, i..i + 1]);
        solved = Some(match solved {
            None => row,
            Some(prev) => Tensor::cat(vec![prev, row], 1),
        });
    }
    solved.expect("solve with a 0x0 matrix")
}

/// Solves Lᵀ X = B for lower-triangular L (back substitution).
///
/// # Shapes
/// - l: [B, n, n] lower triangular
/// - rhs: [B, n, m]
/// - returns: X [B, n, m]
pub fn solve_lower_transposed(l: Tensor<3>, rhs: Tensor<3>) -> Tensor<3> {
    crate::kernels::solve_lower(&l, &rhs, true).unwrap_or_else(|| solve_lower_transposed_generic(l, rhs))
}

/// [`solve_lower_transposed`] as tensor ops.
pub fn solve_lower_transposed_generic(l: Tensor<3>, rhs: Tensor<3>) -> Tensor<3> {
    let [b, n, _] = l.dims();
    let m = rhs.dims()[2];
    let mut solved: Option<Tensor<3>> = None; // rows i+1..n of X: [B, n-i-1, m]
    for i in (0..n).rev() {
        let mut row = rhs.clone().slice([0..b, i..i + 1, 0..m]);
        if let Some(next) = &solved {
            // Row i of Lᵀ beyond the diagonal is column i of L below it.
            let coeffs = mt(l.clone().slice([0..b, i + 1..n, i..i + 1])); // [B, 1, n-i-1]
            row = row - coeffs.matmul(next.clone());
        }
        let row = row / l.clone().slice([0..b, i..i + 1, i..i + 1]);
        solved = Some(match solved {
            None => row,
            Some(next) => Tensor::cat(vec![row, next], 1),
        });
    }
    solved.expect("solve with a 0x0 matrix")
}

/// Solves A X = B given the Cholesky factor L of A.
///
/// # Shapes
/// - l: [B, n, n]; rhs: [B, n, m]; returns: [B, n, m]
pub fn cholesky_solve(l: Tensor<3>, rhs: Tensor<3>) -> Tensor<3> {
    if let Some(x) = crate::kernels::cholesky_solve(&l, &rhs) {
        return x;
    }
    let y = solve_lower(l.clone(), rhs);
    solve_lower_transposed(l, y)
}

/// ln det A = 2 Σ ln diag(L), from the Cholesky factor.
///
/// # Shapes
/// - l: [B, n, n]; returns: [B]
pub fn logdet_from_cholesky(l: Tensor<3>) -> Tensor<1> {
    crate::kernels::diagonal_sum(&l, true, 2.0).unwrap_or_else(|| diagonal(l).log().sum_dim(1).squeeze_dim(1).mul_scalar(2.0))
}

/// The traces of a batch of square matrices.
///
/// # Shapes
/// - a: [B, n, n]; returns: [B]
pub fn trace(a: Tensor<3>) -> Tensor<1> {
    crate::kernels::diagonal_sum(&a, false, 1.0).unwrap_or_else(|| diagonal(a).sum_dim(1).squeeze_dim(1))
}
