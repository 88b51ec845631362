//! BLAS/LAPACK backend (feature `blas`, e.g. `openblas-system`).
//!
//! Products: ndarray's `general_mat_mul`/`general_mat_vec_mul`, which call
//! BLAS `gemm`/`gemv` for contiguous layouts (and fall back to matrixmultiply
//! for exotic strides). Gram: BLAS `syrk` (or `syr2k` for signed weights).
//! Decompositions: LAPACK through ndarray-linalg (`potrf`/`trtrs`, `gesdd`,
//! `syevd`). LAPACK wants contiguous column-major data, so decompositions work
//! on a Fortran-ordered copy (they are O(n³), the copy is O(n²)).

use cblas_sys::{
    CBLAS_LAYOUT, CBLAS_TRANSPOSE, CBLAS_UPLO, cblas_dsyr2k, cblas_dsyrk, cblas_ssyr2k, cblas_ssyrk,
};
use ndarray::{
    Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, ShapeBuilder, Zip,
    s,
};
use ndarray_linalg::error::LinalgError;
use ndarray_linalg::{
    CholeskyInplace, Diag, EighInplace, JobSvd, Lapack, SVDDCInto, Scalar, SolveTriangularInplace,
    UPLO,
};

use super::{Float, cholesky_error, no_convergence};
use crate::error::{Error, Result};

/// Rows per block when the gram needs a scaled copy of `X`.
const BLOCK_ELEMS: usize = 1 << 18;

/// The element types this backend runs on (`f32`, `f64`), with the two BLAS-3
/// routines ndarray does not wrap.
pub(super) trait Elem: Float + Lapack + Scalar<Real = Self> {
    /// `C ← α·AᵀA + C` on one triangle (`cblas_?syrk`, `trans = T`, `β = 1`).
    ///
    /// # Safety
    /// The BLAS contract: `a` holds a `k×n` matrix (in `layout`) with leading
    /// dimension `lda`, `c` an `n×n` one with leading dimension `ldc`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn syrk_t(
        layout: CBLAS_LAYOUT,
        uplo: CBLAS_UPLO,
        n: i32,
        k: i32,
        alpha: Self,
        a: *const Self,
        lda: i32,
        c: *mut Self,
        ldc: i32,
    );
    /// `C ← α·(AᵀB + BᵀA) + C` on one triangle (`cblas_?syr2k`, `trans = T`, `β = 1`).
    ///
    /// # Safety
    /// As [`Elem::syrk_t`], with `b` shaped like `a` (same `lda`).
    #[allow(clippy::too_many_arguments)]
    unsafe fn syr2k_t(
        layout: CBLAS_LAYOUT,
        uplo: CBLAS_UPLO,
        n: i32,
        k: i32,
        alpha: Self,
        a: *const Self,
        b: *const Self,
        lda: i32,
        c: *mut Self,
        ldc: i32,
    );
}

macro_rules! impl_elem {
    ($t:ty, $syrk:ident, $syr2k:ident) => {
        impl Elem for $t {
            unsafe fn syrk_t(
                layout: CBLAS_LAYOUT,
                uplo: CBLAS_UPLO,
                n: i32,
                k: i32,
                alpha: Self,
                a: *const Self,
                lda: i32,
                c: *mut Self,
                ldc: i32,
            ) {
                // SAFETY: forwarded contract.
                unsafe {
                    $syrk(
                        layout,
                        uplo,
                        CBLAS_TRANSPOSE::CblasTrans,
                        n,
                        k,
                        alpha,
                        a,
                        lda,
                        1.0,
                        c,
                        ldc,
                    )
                }
            }
            unsafe fn syr2k_t(
                layout: CBLAS_LAYOUT,
                uplo: CBLAS_UPLO,
                n: i32,
                k: i32,
                alpha: Self,
                a: *const Self,
                b: *const Self,
                lda: i32,
                c: *mut Self,
                ldc: i32,
            ) {
                // SAFETY: forwarded contract.
                unsafe {
                    $syr2k(
                        layout,
                        uplo,
                        CBLAS_TRANSPOSE::CblasTrans,
                        n,
                        k,
                        alpha,
                        a,
                        lda,
                        b,
                        lda,
                        1.0,
                        c,
                        ldc,
                    )
                }
            }
        }
    };
}

impl_elem!(f32, cblas_ssyrk, cblas_ssyr2k);
impl_elem!(f64, cblas_dsyrk, cblas_dsyr2k);

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

/// Accumulates the lower triangle (row-major sense) of `α·XᵀX` into the
/// C-ordered `g` for a C-ordered `x` block.
fn syrk_rows<T: Elem>(alpha: T, x: ArrayView2<'_, T>, g: &mut Array2<T>) {
    let (r, d) = x.dim();
    debug_assert!(x.is_standard_layout() && g.is_standard_layout());
    // SAFETY: x is r×d row-major with leading dimension d; g is d×d row-major.
    unsafe {
        T::syrk_t(
            CBLAS_LAYOUT::CblasRowMajor,
            CBLAS_UPLO::CblasLower,
            i32_dim(d),
            i32_dim(r),
            alpha,
            x.as_ptr(),
            i32_dim(d.max(1)),
            g.as_mut_ptr(),
            i32_dim(d.max(1)),
        )
    }
}

fn i32_dim(v: usize) -> i32 {
    i32::try_from(v).expect("matrix dimension exceeds the BLAS integer range")
}

pub(super) fn gram<T: Elem>(x: ArrayView2<'_, T>, w: Option<ArrayView1<'_, T>>) -> Array2<T> {
    let (n, d) = x.dim();
    let mut g = Array2::<T>::zeros((d, d));
    if n == 0 || d == 0 {
        return g;
    }
    let fits = n <= i32::MAX as usize && d <= i32::MAX as usize;
    match w {
        None if fits && x.is_standard_layout() => syrk_rows(T::one(), x, &mut g),
        None if fits && x.t().is_standard_layout() => {
            // Column-major X (n×d, leading dimension n): in column-major terms
            // the upper triangle of XᵀX is the row-major lower one of `g`.
            // SAFETY: x is n×d column-major with leading dimension n.
            unsafe {
                T::syrk_t(
                    CBLAS_LAYOUT::CblasColMajor,
                    CBLAS_UPLO::CblasUpper,
                    i32_dim(d),
                    i32_dim(n),
                    T::one(),
                    x.as_ptr(),
                    i32_dim(n),
                    g.as_mut_ptr(),
                    i32_dim(d),
                )
            }
        }
        _ => {
            let signed = w.is_some_and(|w| w.iter().any(|&v| v < T::zero()));
            let rows = (BLOCK_ELEMS / d).max(64).min(n);
            let mut z = Array2::<T>::zeros((rows, d));
            let mut xc = Array2::<T>::zeros((if signed { rows } else { 0 }, d));
            for (i, xb) in x.axis_chunks_iter(Axis(0), rows).enumerate() {
                let r = xb.nrows();
                let mut zb = z.slice_mut(s![..r, ..]);
                match &w {
                    None => zb.assign(&xb),
                    Some(w) if !signed => {
                        // XᵀWX = (√W·X)ᵀ(√W·X) for non-negative weights.
                        let wb = w.slice(s![i * rows..i * rows + r]);
                        Zip::from(&mut zb)
                            .and(&xb)
                            .and_broadcast(&wb.insert_axis(Axis(1)))
                            .for_each(|z, &xv, &wv| *z = xv * num_traits::Float::sqrt(wv));
                    }
                    Some(w) => {
                        // XᵀWX = ½·(XᵀZ + ZᵀX) with Z = W·X.
                        let wb = w.slice(s![i * rows..i * rows + r]);
                        Zip::from(&mut zb)
                            .and(&xb)
                            .and_broadcast(&wb.insert_axis(Axis(1)))
                            .for_each(|z, &xv, &wv| *z = xv * wv);
                        let mut xcb = xc.slice_mut(s![..r, ..]);
                        xcb.assign(&xb);
                        let half = T::from_f64_lossy(0.5);
                        // SAFETY: xc and z blocks are r×d row-major (leading
                        // dimension d, they are row prefixes of C-ordered
                        // arrays); g is d×d row-major.
                        unsafe {
                            T::syr2k_t(
                                CBLAS_LAYOUT::CblasRowMajor,
                                CBLAS_UPLO::CblasLower,
                                i32_dim(d),
                                i32_dim(r),
                                half,
                                xcb.as_ptr(),
                                zb.as_ptr(),
                                i32_dim(d),
                                g.as_mut_ptr(),
                                i32_dim(d),
                            )
                        }
                        continue;
                    }
                }
                syrk_rows(T::one(), zb.view(), &mut g);
            }
        }
    }
    super::mirror_lower(&mut g);
    g
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
