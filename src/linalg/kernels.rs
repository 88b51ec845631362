//! Per-type dispatch to the active backend.
//!
//! faer needs `faer::traits::RealField` and ndarray-linalg needs `Lapack` on the
//! concrete element type, bounds that the public, generic [`Float`] cannot carry
//! without leaking backend types (and method-name clashes) into every model.
//! Instead `Float` has this sealed supertrait: each of `f32`/`f64` forwards to
//! the generic backend function instantiated at its own type. The trait lives in
//! a private module, so it cannot be named (or implemented) outside the crate.
//!
//! All inputs are validated by the public wrappers in `mod.rs` (shapes, finite
//! values); kernels may assume them.
//!
//! [`Float`]: super::Float

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

use crate::error::Result;

#[cfg(feature = "blas")]
use super::lapack as backend;
#[cfg(not(feature = "blas"))]
use super::pure as backend;

/// The backend kernels for one element type. Hidden implementation detail of
/// [`Float`](super::Float).
#[doc(hidden)]
pub trait Kernels: Sized {
    /// `C ← α·A·B + β·C`; shapes already checked.
    fn kernel_gemm(
        alpha: Self,
        a: ArrayView2<'_, Self>,
        b: ArrayView2<'_, Self>,
        beta: Self,
        c: &mut ArrayViewMut2<'_, Self>,
    );
    /// `y ← α·A·x + β·y`; shapes already checked.
    fn kernel_gemv(
        alpha: Self,
        a: ArrayView2<'_, Self>,
        x: ArrayView1<'_, Self>,
        beta: Self,
        y: &mut ArrayViewMut1<'_, Self>,
    );
    /// `XᵀWX`, exactly symmetric; shapes already checked.
    fn kernel_gram(x: ArrayView2<'_, Self>, w: Option<ArrayView1<'_, Self>>) -> Array2<Self>;
    /// `XᵀWX`, exactly symmetric, on the calling thread (both backends).
    fn kernel_gram_local(x: ArrayView2<'_, Self>, w: Option<ArrayView1<'_, Self>>) -> Array2<Self>;
    /// `C ← α·A·B + β·C` on the calling thread (both backends).
    fn kernel_gemm_local(
        alpha: Self,
        a: ArrayView2<'_, Self>,
        b: ArrayView2<'_, Self>,
        beta: Self,
        c: &mut ArrayViewMut2<'_, Self>,
    );
    /// Lower Cholesky factor `L` (`A = L·Lᵀ`, upper triangle zero) of a square,
    /// finite `A` (only its lower triangle is read).
    fn kernel_cholesky(a: ArrayView2<'_, Self>) -> Result<Array2<Self>>;
    /// Solves `L·Lᵀ·X = B` in place (`b` holds `B` on entry, `X` on exit).
    fn kernel_cholesky_solve(l: ArrayView2<'_, Self>, b: &mut ArrayViewMut2<'_, Self>);
    /// Thin SVD of a finite, non-empty `A`: `(U m×k, s, Vᵀ k×n)`, `s` descending.
    fn kernel_svd_thin(
        a: ArrayView2<'_, Self>,
    ) -> Result<(Array2<Self>, Array1<Self>, Array2<Self>)>;
    /// Eigendecomposition of a finite, non-empty symmetric `A` (lower triangle
    /// read): eigenvalues ascending, eigenvectors as columns.
    fn kernel_eigh(a: ArrayView2<'_, Self>) -> Result<(Array1<Self>, Array2<Self>)>;
}

macro_rules! impl_kernels {
    ($t:ty) => {
        impl Kernels for $t {
            fn kernel_gemm(
                alpha: Self,
                a: ArrayView2<'_, Self>,
                b: ArrayView2<'_, Self>,
                beta: Self,
                c: &mut ArrayViewMut2<'_, Self>,
            ) {
                backend::gemm::<$t>(alpha, a, b, beta, c)
            }
            fn kernel_gemv(
                alpha: Self,
                a: ArrayView2<'_, Self>,
                x: ArrayView1<'_, Self>,
                beta: Self,
                y: &mut ArrayViewMut1<'_, Self>,
            ) {
                backend::gemv::<$t>(alpha, a, x, beta, y)
            }
            fn kernel_gram(
                x: ArrayView2<'_, Self>,
                w: Option<ArrayView1<'_, Self>>,
            ) -> Array2<Self> {
                super::local::gram_tree::<$t>(x, w)
            }
            fn kernel_gram_local(
                x: ArrayView2<'_, Self>,
                w: Option<ArrayView1<'_, Self>>,
            ) -> Array2<Self> {
                let mut g = super::local::gram_lower::<$t>(x, w);
                super::mirror_lower(&mut g);
                g
            }
            fn kernel_gemm_local(
                alpha: Self,
                a: ArrayView2<'_, Self>,
                b: ArrayView2<'_, Self>,
                beta: Self,
                c: &mut ArrayViewMut2<'_, Self>,
            ) {
                super::local::gemm_par::<$t>(alpha, a, b, beta, c, faer::Par::Seq)
            }
            fn kernel_cholesky(a: ArrayView2<'_, Self>) -> Result<Array2<Self>> {
                backend::cholesky::<$t>(a)
            }
            fn kernel_cholesky_solve(l: ArrayView2<'_, Self>, b: &mut ArrayViewMut2<'_, Self>) {
                backend::cholesky_solve::<$t>(l, b)
            }
            fn kernel_svd_thin(
                a: ArrayView2<'_, Self>,
            ) -> Result<(Array2<Self>, Array1<Self>, Array2<Self>)> {
                backend::svd_thin::<$t>(a)
            }
            fn kernel_eigh(a: ArrayView2<'_, Self>) -> Result<(Array1<Self>, Array2<Self>)> {
                backend::eigh::<$t>(a)
            }
        }
    };
}

impl_kernels!(f32);
impl_kernels!(f64);
