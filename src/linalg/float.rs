//! The float trait shared by every model.

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
    + super::kernels::Kernels
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
