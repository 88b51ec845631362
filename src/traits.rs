//! The estimator traits: [`Fit`], [`Predict`], [`PredictProba`], [`Transform`].
//!
//! Every model has inherent `fit` / `predict` methods; these traits expose the
//! same methods to generic code (pipelines, the common test-suite). There is
//! no blanket implementation, so any type may implement any of them.
//!
//! Unfitted parameters and fitted models are different types: `Fit::fit`
//! consumes data and returns the fitted type, and only fitted types implement
//! [`Predict`].

#![forbid(unsafe_code)]

use crate::error::Result;

/// Learns a fitted model from records `X` and targets `Y`.
///
/// # Example
/// ```
/// use oxilearn::ndarray::{array, ArrayView1, ArrayView2};
/// use oxilearn::traits::{Fit, Predict};
/// use oxilearn::Result;
///
/// /// Predicts the mean target, whatever the records.
/// struct MeanRegressor;
/// struct FittedMean(f64);
///
/// impl<'a> Fit<ArrayView2<'a, f64>, ArrayView1<'a, f64>> for MeanRegressor {
///     type Fitted = FittedMean;
///     fn fit(&self, _x: ArrayView2<'a, f64>, y: ArrayView1<'a, f64>) -> Result<FittedMean> {
///         Ok(FittedMean(y.mean().ok_or(oxilearn::Error::EmptyInput { what: "y" })?))
///     }
/// }
/// impl<'a> Predict<ArrayView2<'a, f64>> for FittedMean {
///     type Output = Vec<f64>;
///     fn predict(&self, x: ArrayView2<'a, f64>) -> Result<Vec<f64>> {
///         Ok(vec![self.0; x.nrows()])
///     }
/// }
///
/// let x = array![[1.0], [2.0]];
/// let y = array![3.0, 5.0];
/// let model = MeanRegressor.fit(x.view(), y.view()).unwrap();
/// assert_eq!(model.predict(x.view()).unwrap(), vec![4.0, 4.0]);
/// ```
pub trait Fit<X, Y> {
    /// The fitted model.
    type Fitted;
    /// Validates hyperparameters and data, then fits.
    ///
    /// # Errors
    /// Typed [`crate::Error`]s for invalid hyperparameters or data.
    fn fit(&self, x: X, y: Y) -> Result<Self::Fitted>;
}

/// Predicts targets for records `X`.
pub trait Predict<X> {
    /// What is predicted (one entry per row of `X`).
    type Output;
    /// Predicts one target per row of `x`.
    ///
    /// # Errors
    /// [`crate::Error::ShapeMismatch`] on a wrong feature count,
    /// [`crate::Error::NonFinite`] on NaN/inf input.
    fn predict(&self, x: X) -> Result<Self::Output>;
}

/// Predicts class probabilities for records `X`.
pub trait PredictProba<X> {
    /// Probabilities, one row per record and one column per class.
    type Output;
    /// Class probabilities of each row of `x`; columns follow `classes()`.
    ///
    /// # Errors
    /// As [`Predict::predict`].
    fn predict_proba(&self, x: X) -> Result<Self::Output>;
}

/// Transforms records (scalers, encoders).
pub trait Transform<X> {
    /// The transformed data.
    type Output;
    /// Applies the fitted transformation to `x`.
    ///
    /// # Errors
    /// As [`Predict::predict`].
    fn transform(&self, x: X) -> Result<Self::Output>;
}
