//! The float trait shared by every model: [`Float`] (`f32`, `f64`).
//!
//! It lives at the crate root, below every other module: input checks
//! (`validation`), linear algebra (`linalg`) and the models all depend on it,
//! and it depends on nothing of theirs. Its hidden supertrait [`Kernels`] is
//! declared here and implemented per type in `linalg` (the backend dispatch),
//! so `linalg` depends on this module, never the other way round.

#![forbid(unsafe_code)]

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

use crate::error::Result;

/// `f32` or `f64`: the element types every model and linalg routine accepts.
///
/// Sealed: implemented for `f32` and `f64` only. (Its hidden supertrait
/// routes each type to the active linear-algebra backend; it is not part of the
/// public API.)
///
/// # Example
/// ```
/// use oxilearn::Float;
/// fn half<F: Float>(x: F) -> F { x / F::from_f64(2.0).unwrap() }
/// assert_eq!(half(3.0f32), 1.5);
/// ```
pub trait Float:
    num_traits::Float
    + num_traits::FromPrimitive
    + num_traits::ToPrimitive
    + num_traits::NumAssign
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + std::iter::Sum
    + std::fmt::Debug
    + std::fmt::Display
    + Default
    + Send
    + Sync
    + 'static
    + private::Sealed
    + Kernels
{
    /// `"f32"` or `"f64"` (the safetensors dtype name used in model files).
    const NAME: &'static str;
    /// Converts from `f64` (rounding for `f32`).
    fn from_f64_lossy(x: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64_exact(self) -> f64;
}

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    fn from_f64_lossy(x: f64) -> Self {
        x as f32
    }
    fn to_f64_exact(self) -> f64 {
        self as f64
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    fn from_f64_lossy(x: f64) -> Self {
        x
    }
    fn to_f64_exact(self) -> f64 {
        self
    }
}

/// The backend kernels for one element type. Hidden implementation detail of
/// [`Float`]: `linalg` implements it for `f32` and `f64`, forwarding each
/// method to the active backend.
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
