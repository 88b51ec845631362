//! BLAS/LAPACK backend (feature `blas`, e.g. `openblas-system`).
//!
//! Products: ndarray's `general_mat_mul`/`general_mat_vec_mul`, which call
//! BLAS `gemm`/`gemv` for contiguous layouts (and fall back to matrixmultiply
//! for exotic strides). The gram `XᵀWX` is not here: both backends share
//! the row-leaf tree in `local` (measured faster than OpenBLAS `syrk` on tall
//! matrices: 80 000 × 100 f64, 12 ms vs 20.8 ms).
//! Decompositions: LAPACK through ndarray-linalg (`potrf`/`trtrs`, `gesdd`,
//! `syevd`). LAPACK wants contiguous column-major data, so decompositions work
//! on a Fortran-ordered copy (they are O(n³), the copy is O(n²)).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, ShapeBuilder};
use ndarray_linalg::error::LinalgError;
use ndarray_linalg::{
    CholeskyInplace, Diag, EighInplace, JobSvd, Lapack, SVDDCInto, Scalar, SolveTriangularInplace,
    UPLO,
};

use super::{cholesky_error, no_convergence};
use crate::Float;
use crate::error::{Error, Result};

/// The element types this backend runs on (`f32`, `f64`).
pub(super) trait Elem: Float + Lapack + Scalar<Real = Self> {}
impl<T: Float + Lapack + Scalar<Real = T>> Elem for T {}

pub(super) fn gemm<T: Elem>(
    alpha: T,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) {
    if a.ncols() == 0 || alpha == T::zero() {
        // BLAS semantics: A and B are not read; C = β·C (C not read if β = 0).
        if beta == T::zero() {
            c.fill(T::zero());
        } else {
            c.mapv_inplace(|v| v * beta);
        }
        return;
    }
    ndarray::linalg::general_mat_mul(alpha, &a, &b, beta, c);
}

pub(super) fn gemv<T: Elem>(
    alpha: T,
    a: ArrayView2<'_, T>,
    x: ArrayView1<'_, T>,
    beta: T,
    y: &mut ArrayViewMut1<'_, T>,
) {
    ndarray::linalg::general_mat_vec_mul(alpha, &a, &x, beta, y);
}

/// A column-major copy of the lower triangle of `a` (zeros above).
fn lower_copy_f<T: Elem>(a: ArrayView2<'_, T>) -> Array2<T> {
    let n = a.nrows();
    let mut l = Array2::<T>::zeros((n, n).f());
    for j in 0..n {
        for i in j..n {
            l[[i, j]] = a[[i, j]];
        }
    }
    l
}

fn lapack_failure(operation: &'static str, e: LinalgError) -> Error {
    Error::NumericalFailure {
        operation,
        reason: e.to_string(),
    }
}

pub(super) fn cholesky<T: Elem>(a: ArrayView2<'_, T>) -> Result<Array2<T>> {
    let mut l = lower_copy_f(a);
    match l.cholesky_inplace(UPLO::Lower) {
        Ok(_) => {}
        Err(LinalgError::Lapack(lax_err)) => {
            return Err(match lax_err {
                // potrf's info = i: the leading minor of order i (1-based) is
                // not positive definite.
                lax::error::Error::LapackComputationalFailure { return_code } => {
                    cholesky_error(return_code as usize - 1)
                }
                other => lapack_failure("cholesky", LinalgError::Lapack(other)),
            });
        }
        Err(e) => return Err(lapack_failure("cholesky", e)),
    }
    // potrf leaves the strict upper triangle untouched: it holds our zeros.
    Ok(l)
}

pub(super) fn cholesky_solve<T: Elem>(l: ArrayView2<'_, T>, b: &mut ArrayViewMut2<'_, T>) {
    let mut x = Array2::<T>::zeros(b.raw_dim().f());
    x.assign(b);
    // L has a positive diagonal (it comes from a successful factorization), so
    // the triangular solves cannot fail on singularity; only a misuse of
    // internal layouts could make them fail.
    l.solve_triangular_inplace(UPLO::Lower, Diag::NonUnit, &mut x)
        .and_then(|x| {
            l.t()
                .solve_triangular_inplace(UPLO::Upper, Diag::NonUnit, x)
        })
        .expect("triangular solve with a Cholesky factor");
    b.assign(&x);
}

pub(super) fn svd_thin<T: Elem>(a: ArrayView2<'_, T>) -> Result<(Array2<T>, Array1<T>, Array2<T>)> {
    let mut af = Array2::<T>::zeros(a.raw_dim().f());
    af.assign(&a);
    match af.svddc_into(JobSvd::Some) {
        Ok((Some(u), sv, Some(vt))) => Ok((u, sv, vt)),
        Ok(_) => unreachable!("gesdd with JOBZ = 'S' returns U and Vᵀ"),
        Err(LinalgError::Lapack(lax::error::Error::LapackComputationalFailure { .. })) => {
            Err(no_convergence("svd"))
        }
        Err(e) => Err(lapack_failure("svd", e)),
    }
}

pub(super) fn eigh<T: Elem>(a: ArrayView2<'_, T>) -> Result<(Array1<T>, Array2<T>)> {
    let n = a.nrows();
    let mut sym = Array2::<T>::zeros((n, n).f());
    for j in 0..n {
        for i in j..n {
            sym[[i, j]] = a[[i, j]];
            sym[[j, i]] = a[[i, j]];
        }
    }
    match sym.eigh_inplace(UPLO::Lower) {
        Ok((vals, _)) => Ok((vals, sym)),
        Err(LinalgError::Lapack(lax::error::Error::LapackComputationalFailure { .. })) => {
            Err(no_convergence("eigh"))
        }
        Err(e) => Err(lapack_failure("eigh", e)),
    }
}
