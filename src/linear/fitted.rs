//! The fitted-linear core shared by every fitted model of this module:
//! coefficients + intercepts, prediction, R² and the persisted layout, for one
//! target ([`One`]) or several ([`Many`]). The four public fitted types
//! (`FittedLinearRegression[Multi]`, `FittedRidge[Multi]`) hold a [`Core`]
//! plus their own extras and expose it through [`fitted_linear_api!`].

use std::fmt::Debug;

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::solve::{self, Solved};
use crate::Float;
use crate::error::Result;
use crate::validation;

/// How a model stores its parameters: one target or several.
pub(crate) trait Targets<F: Float> {
    /// Coefficients: `d` (one target) or `k × d`.
    type Coef: Debug + Clone + PartialEq;
    /// Intercept: a scalar (one target) or `k` values.
    type Intercept: Debug + Clone + PartialEq;
    /// Predictions: `n` or `n × k`.
    type Pred;
    fn n_features(coef: &Self::Coef) -> usize;
    fn n_targets(coef: &Self::Coef) -> usize;
    fn predict(x: ArrayView2<'_, F>, coef: &Self::Coef, intercept: &Self::Intercept) -> Self::Pred;
    /// From `k × d` coefficients and `k` intercepts; `None` when `k` is not
    /// a count this storage can hold (one target needs `k = 1`).
    fn from_rows(coef: Array2<F>, intercept: Array1<F>) -> Option<(Self::Coef, Self::Intercept)>;
    /// To `k × d` coefficients and `k` intercepts (the file layout).
    fn to_rows(coef: &Self::Coef, intercept: &Self::Intercept) -> (Array2<F>, Array1<F>);
}

/// One target: `coef` has `d` entries, the intercept is a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct One;

/// Several targets: `coef` is `k × d`, `k` intercepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Many;

impl<F: Float> Targets<F> for One {
    type Coef = Array1<F>;
    type Intercept = F;
    type Pred = Array1<F>;

    fn n_features(coef: &Array1<F>) -> usize {
        coef.len()
    }
    fn n_targets(_: &Array1<F>) -> usize {
        1
    }
    fn predict(x: ArrayView2<'_, F>, coef: &Array1<F>, intercept: &F) -> Array1<F> {
        solve::predict_one(x, coef.view(), *intercept)
    }
    fn from_rows(coef: Array2<F>, intercept: Array1<F>) -> Option<(Array1<F>, F)> {
        (coef.nrows() == 1 && intercept.len() == 1)
            .then(|| (coef.index_axis_move(Axis(0), 0), intercept[0]))
    }
    fn to_rows(coef: &Array1<F>, intercept: &F) -> (Array2<F>, Array1<F>) {
        (
            coef.clone().insert_axis(Axis(0)),
            Array1::from_elem(1, *intercept),
        )
    }
}

impl<F: Float> Targets<F> for Many {
    type Coef = Array2<F>;
    type Intercept = Array1<F>;
    type Pred = Array2<F>;

    fn n_features(coef: &Array2<F>) -> usize {
        coef.ncols()
    }
    fn n_targets(coef: &Array2<F>) -> usize {
        coef.nrows()
    }
    fn predict(x: ArrayView2<'_, F>, coef: &Array2<F>, intercept: &Array1<F>) -> Array2<F> {
        solve::predict_multi(x, coef.view(), intercept.view())
    }
    fn from_rows(coef: Array2<F>, intercept: Array1<F>) -> Option<(Array2<F>, Array1<F>)> {
        (coef.nrows() == intercept.len()).then_some((coef, intercept))
    }
    fn to_rows(coef: &Array2<F>, intercept: &Array1<F>) -> (Array2<F>, Array1<F>) {
        (coef.clone(), intercept.clone())
    }
}

/// Coefficients and intercepts of a fitted linear model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Core<F: Float, T: Targets<F>> {
    pub coef: T::Coef,
    pub intercept: T::Intercept,
}

impl<F: Float, T: Targets<F>> Core<F, T> {
    /// From the solver's `k × d` / `k` layout; `None` on a target count `T`
    /// cannot hold.
    pub fn from_rows(coef: Array2<F>, intercept: Array1<F>) -> Option<Self> {
        T::from_rows(coef, intercept).map(|(coef, intercept)| Self { coef, intercept })
    }

    pub fn n_features(&self) -> usize {
        T::n_features(&self.coef)
    }

    pub fn n_targets(&self) -> usize {
        T::n_targets(&self.coef)
    }

    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<T::Pred> {
        validation::check_predict_input(x, self.n_features())?;
        Ok(T::predict(x, &self.coef, &self.intercept))
    }
}

impl<F: Float> Core<F, Many> {
    /// From a solve: `coef` `k × d`, `k` intercepts.
    pub fn from_solved(solved: Solved<F>) -> Self {
        Self {
            coef: solved.coef,
            intercept: solved.intercept,
        }
    }

    /// The first target's model (the single-target fits run the
    /// multi-target solver on one column).
    pub fn into_first(self) -> Core<F, One> {
        Core {
            coef: self.coef.index_axis_move(Axis(0), 0),
            intercept: self.intercept[0],
        }
    }
}

/// The public accessors, `predict`, `score` and the `Predict` trait impl of a
/// fitted linear model holding `core: Core<F, One | Many>` and
/// `params: $params`; all delegate to [`Core`]. The public types are spelled
/// out (`coef`, `intercept`, `pred`, `y`) so the docs show plain ndarray types.
macro_rules! fitted_linear_api {
    (
        $ty:ident, $params:ty,
        coef: $coef:ty,
        intercept: $intercept:ty = |$c:ident| $intercept_of:expr,
        pred: $pred:ty,
        score: $y:ty => $r2:path
    ) => {
        impl<F: Float> $ty<F> {
            /// Coefficients: one per feature (single target), or
            /// `n_targets × n_features` (multi-target).
            pub fn coef(&self) -> $coef {
                self.core.coef.view()
            }

            /// The intercept (one per target for a multi-target model; zero
            /// when fitted with `fit_intercept(false)`).
            pub fn intercept(&self) -> $intercept {
                let $c = &self.core;
                $intercept_of
            }

            /// Number of features seen at fit.
            pub fn n_features(&self) -> usize {
                self.core.n_features()
            }

            /// Number of targets (1 for a single-target model).
            pub fn n_targets(&self) -> usize {
                self.core.n_targets()
            }

            /// The hyperparameters the model was fitted with.
            pub fn params(&self) -> &$params {
                &self.params
            }

            /// Predicts `x · coefᵀ + intercept`: `n_samples` values, or
            /// `n_samples × n_targets` for a multi-target model.
            ///
            /// # Errors
            /// [`crate::Error::ShapeMismatch`] on a wrong feature count,
            /// [`crate::Error::NonFinite`] on NaN/inf input.
            pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<$pred> {
                self.core.predict(x)
            }

            /// Coefficient of determination R² of the predictions on `x`
            /// against `y` (averaged uniformly over the targets of a
            /// multi-target model, as scikit-learn).
            ///
            /// # Errors
            /// As `predict`; [`crate::Error::ShapeMismatch`] if `y` does not
            /// have `x.nrows()` rows (and `n_targets` columns);
            /// [`crate::Error::EmptyInput`] on no rows.
            pub fn score(&self, x: ArrayView2<'_, F>, y: $y) -> Result<F> {
                let pred = self.core.predict(x)?;
                $r2(y, pred.view())
            }
        }

        impl<'a, F: Float> Predict<ArrayView2<'a, F>> for $ty<F> {
            type Output = $pred;
            fn predict(&self, x: ArrayView2<'a, F>) -> Result<$pred> {
                self.core.predict(x)
            }
        }
    };
}

pub(crate) use fitted_linear_api;
