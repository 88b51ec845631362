//! Per-type dispatch to the active backend.
//!
//! faer needs `faer::traits::RealField` and ndarray-linalg needs `Lapack` on the
//! concrete element type, bounds that the public, generic [`Float`] cannot carry
//! without leaking backend types (and method-name clashes) into every model.
//! Instead `Float` has a sealed supertrait, `Kernels` (declared beside `Float`
//! in the private `crate::float` module, so it cannot be named or implemented
//! outside the crate); here each of `f32`/`f64` implements it by forwarding to
//! the generic backend function instantiated at its own type.
//!
//! All inputs are validated by the public wrappers in `mod.rs` (shapes, finite
//! values); kernels may assume them.
//!
//! [`Float`]: crate::Float

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

use crate::error::Result;
use crate::float::Kernels;

#[cfg(feature = "blas")]
use super::lapack as backend;
#[cfg(not(feature = "blas"))]
use super::pure as backend;

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
