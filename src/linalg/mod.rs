//! Linear algebra: the only module that knows which backend runs.
//!
//! Default backend: pure Rust (faer for decompositions and products, rayon for
//! parallel loops), no system library. With the `blas` feature family (e.g.
//! `openblas-system`), products go through BLAS and decompositions through
//! LAPACK (ndarray-linalg). Every function has the same contract on both
//! backends and is tested on both.
//!
//! All functions are generic over [`Float`] (`f32`, `f64`) and accept views of
//! any memory layout (C order, Fortran order, transposed, strided).
//!
//! (API contract fixed by the foundation; see the function docs.)

pub use self::float::Float;

mod float;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

use crate::error::Result;

/// Name of the active backend: `"pure-rust"` or `"blas"`.
pub fn backend() -> &'static str {
    if cfg!(feature = "blas") {
        "blas"
    } else {
        "pure-rust"
    }
}

/// `C ← α·A·B + β·C` (GEMM). Parallel when large.
///
/// # Panics
/// If the shapes are incompatible (programmer error: callers validate shapes).
pub fn gemm<F: Float>(
    alpha: F,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    beta: F,
    c: &mut ArrayViewMut2<'_, F>,
) {
    ndarray::linalg::general_mat_mul(alpha, &a, &b, beta, c);
}

/// `A·B` as a new array.
///
/// # Panics
/// If `a.ncols() != b.nrows()`.
pub fn matmul<F: Float>(a: ArrayView2<'_, F>, b: ArrayView2<'_, F>) -> Array2<F> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    gemm(F::one(), a, b, F::zero(), &mut c.view_mut());
    c
}

/// `y ← α·A·x + β·y` (GEMV).
///
/// # Panics
/// If the shapes are incompatible.
pub fn gemv<F: Float>(
    alpha: F,
    a: ArrayView2<'_, F>,
    x: ArrayView1<'_, F>,
    beta: F,
    y: &mut ArrayViewMut1<'_, F>,
) {
    ndarray::linalg::general_mat_vec_mul(alpha, &a, &x, beta, y);
}

/// `A·x` as a new array.
///
/// # Panics
/// If `a.ncols() != x.len()`.
pub fn matvec<F: Float>(a: ArrayView2<'_, F>, x: ArrayView1<'_, F>) -> Array1<F> {
    let mut y = Array1::zeros(a.nrows());
    gemv(F::one(), a, x, F::zero(), &mut y.view_mut());
    y
}

/// Weighted gram `XᵀWX` (`W = diag(w)`, or the identity when `w` is `None`);
/// the result is exactly symmetric.
///
/// # Panics
/// If `w` is given with a length other than `x.nrows()`.
pub fn gram<F: Float>(x: ArrayView2<'_, F>, w: Option<ArrayView1<'_, F>>) -> Array2<F> {
    let _ = (x, w);
    todo!("foundation linalg helper")
}

/// Solves `A·X = B` for symmetric positive-definite `A` by Cholesky.
///
/// # Errors
/// [`crate::Error::NumericalFailure`] (operation `"cholesky"`) when `A` is not
/// numerically positive definite; [`crate::Error::ShapeMismatch`] when `A` is
/// not square or `B` has another row count.
pub fn cholesky_solve<F: Float>(a: ArrayView2<'_, F>, b: ArrayView2<'_, F>) -> Result<Array2<F>> {
    let _ = (a, b);
    todo!("foundation linalg helper")
}

/// Minimum-norm least-squares solution of `A·X ≈ B` (SVD based, as numpy's
/// `lstsq` / LAPACK `gelsd`).
#[derive(Debug, Clone)]
pub struct Lstsq<F> {
    /// The minimum-norm solution, `A.ncols() × B.ncols()`.
    pub solution: Array2<F>,
    /// Numerical rank of `A`: singular values above `rcond · σ_max`.
    pub rank: usize,
    /// Singular values of `A`, descending.
    pub singular_values: Array1<F>,
}

/// Minimum-norm least squares; `rcond = None` means `ε · max(m, n)` (numpy's default).
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] when `B` has another row count than `A`;
/// [`crate::Error::NumericalFailure`] if the SVD does not converge.
pub fn lstsq<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    rcond: Option<F>,
) -> Result<Lstsq<F>> {
    let _ = (a, b, rcond);
    todo!("foundation linalg helper")
}

/// Thin SVD `A = U·diag(s)·Vᵀ` with `k = min(m, n)`: returns `(U m×k, s k, Vᵀ k×n)`,
/// `s` descending.
///
/// # Errors
/// [`crate::Error::NumericalFailure`] if the SVD does not converge.
pub fn svd_thin<F: Float>(a: ArrayView2<'_, F>) -> Result<(Array2<F>, Array1<F>, Array2<F>)> {
    let _ = a;
    todo!("foundation linalg helper")
}
