//! Ordinary least squares: [`LinearRegression`] → [`FittedLinearRegression`]
//! (one target) or [`FittedLinearRegressionMulti`] (several targets).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::fitted::{Core, Many, One, fitted_linear_api};
use super::input::{check_fit, r2_multi, r2_one, single_target};
use super::solve::{self, Design, Solved};
use super::stats::SufficientStats;
use crate::Float;
use crate::error::Result;
use crate::traits::{Fit, Predict};
use crate::validation;

/// Ordinary least squares (scikit-learn's `LinearRegression`): minimises
/// `Σᵢ wᵢ‖yᵢ − b − Cxᵢ‖²`.
///
/// The fit solves the normal equations of the centred, weighted data by
/// Cholesky; when that gram is not safely positive definite (collinear or
/// nearly collinear features, more features than samples) it falls back to
/// an SVD-based least-squares solve, so the coefficients are always the
/// **minimum-norm** least-squares solution (what `numpy.linalg.lstsq` and
/// scikit-learn return) and [`FittedLinearRegression::rank`] reports the
/// numerical rank of the centred design.
///
/// # Example
/// ```
/// use oxilearn::linear::LinearRegression;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0f64, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]];
/// let y = array![3.0, 3.0, 9.0, 9.0]; // y = 1 + 2·x0 + 2·x1
/// let model = LinearRegression::new().fit(x.view(), y.view())?;
/// assert!((model.intercept() - 1.0).abs() < 1e-10);
/// assert!((model.coef()[0] - 2.0).abs() < 1e-10);
/// assert_eq!(model.rank(), 2);
/// let pred = model.predict(array![[1.0, 1.0]].view())?;
/// assert!((pred[0] - 5.0).abs() < 1e-10);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearRegression {
    fit_intercept: bool,
}

impl Default for LinearRegression {
    fn default() -> Self {
        Self {
            fit_intercept: true,
        }
    }
}

impl LinearRegression {
    /// Default parameters (`fit_intercept = true`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to fit an (unpenalised) intercept by centring the data.
    /// Default: `true` (as scikit-learn). With `false` the model passes
    /// through the origin.
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }

    /// The `fit_intercept` setting.
    pub fn get_fit_intercept(&self) -> bool {
        self.fit_intercept
    }

    /// Fits one target.
    ///
    /// # Errors
    /// [`crate::Error::EmptyInput`] (no rows or no features),
    /// [`crate::Error::ShapeMismatch`] (`y.len() != x.nrows()`),
    /// [`crate::Error::NonFinite`] (NaN/inf in `x` or `y`),
    /// [`crate::Error::NumericalFailure`] if the SVD fallback does not converge.
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
    ) -> Result<FittedLinearRegression<F>> {
        self.fit_impl(x, y, None)
    }

    /// Fits one target with per-sample weights (`wᵢ ≥ 0`, not all zero):
    /// integer weights give the same model as repeating rows.
    ///
    /// # Errors
    /// As [`LinearRegression::fit`], plus [`crate::Error::InvalidParameter`]
    /// (`sample_weight` negative or all zero), [`crate::Error::ShapeMismatch`]
    /// (wrong length) and [`crate::Error::NonFinite`] for the weights.
    pub fn fit_weighted<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedLinearRegression<F>> {
        self.fit_impl(x, y, Some(sample_weight))
    }

    fn fit_impl<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
        w: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedLinearRegression<F>> {
        validation::check_n_targets(x.nrows(), y.len())?;
        validation::check_finite1(y, "y")?;
        let y2 = y.insert_axis(Axis(1));
        let multi = self.fit_multi_impl(x, y2, w)?;
        Ok(multi.into_single())
    }

    /// Fits several targets at once: `y` is `n_samples × n_targets` and
    /// `coef()` is `n_targets × n_features` (as scikit-learn). Each target's
    /// model equals the single-target fit on that column; the gram is formed
    /// and factorised once.
    ///
    /// # Errors
    /// As [`LinearRegression::fit`]; [`crate::Error::EmptyInput`] when `y` has
    /// no columns.
    pub fn fit_multi<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
    ) -> Result<FittedLinearRegressionMulti<F>> {
        self.fit_multi_impl(x, y, None)
    }

    /// [`LinearRegression::fit_multi`] with per-sample weights.
    ///
    /// # Errors
    /// As [`LinearRegression::fit_multi`] and [`LinearRegression::fit_weighted`].
    pub fn fit_multi_weighted<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedLinearRegressionMulti<F>> {
        self.fit_multi_impl(x, y, Some(sample_weight))
    }

    fn fit_multi_impl<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        w: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedLinearRegressionMulti<F>> {
        let w = check_fit(x, y, w)?;
        let solved = solve::ols(Design {
            x,
            y,
            w: w.as_ref().map(|w| w.view()),
            fit_intercept: self.fit_intercept,
        })?;
        Ok(FittedLinearRegressionMulti::from_solved(*self, solved))
    }

    /// Fits one target from accumulated [`SufficientStats`] (out-of-core or
    /// distributed data): the same model as the in-memory fit of all the rows
    /// ingested.
    ///
    /// When the gram is not safely positive definite, the minimum-norm
    /// solution is taken from an eigen-decomposition of the gram (the data
    /// itself is not available): eigenvalues below `ε·d·λ_max` are dropped,
    /// i.e. the design's rank is resolved to `√(ε·d)` instead of `lstsq`'s
    /// `ε·max(n, d)`.
    ///
    /// # Errors
    /// [`crate::Error::EmptyInput`] if nothing (or only zero weight) was
    /// ingested, [`crate::Error::ShapeMismatch`] if the statistics hold more than
    /// one target.
    pub fn fit_stats<F: Float>(
        &self,
        stats: &SufficientStats<F>,
    ) -> Result<FittedLinearRegression<F>> {
        single_target(stats.n_targets())?;
        Ok(self.fit_stats_multi(stats)?.into_single())
    }

    /// [`LinearRegression::fit_stats`] for any number of targets.
    ///
    /// # Errors
    /// [`crate::Error::EmptyInput`] if nothing (or only zero weight) was
    /// ingested.
    pub fn fit_stats_multi<F: Float>(
        &self,
        stats: &SufficientStats<F>,
    ) -> Result<FittedLinearRegressionMulti<F>> {
        let normal = stats.normal(self.fit_intercept)?;
        let solved = solve::ols_from_normal(&normal)?;
        Ok(FittedLinearRegressionMulti::from_solved(*self, solved))
    }
}

/// A fitted single-target [`LinearRegression`].
///
/// # Example
/// ```
/// use oxilearn::linear::FittedLinearRegression;
/// use oxilearn::persist::Persist;
/// use oxilearn::linear::LinearRegression;
/// use oxilearn::ndarray::array;
///
/// let x = array![[1.0f32], [2.0], [3.0]];
/// let y = array![2.0f32, 4.0, 6.0];
/// let model = LinearRegression::new().fit(x.view(), y.view())?;
/// assert!((model.coef()[0] - 2.0).abs() < 1e-5);
/// assert!(model.score(x.view(), y.view())? > 0.999);
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-ols-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// let back = FittedLinearRegression::<f32>::load(&path)?;
/// assert_eq!(back, model);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedLinearRegression<F: Float> {
    pub(crate) params: LinearRegression,
    pub(crate) core: Core<F, One>,
    pub(crate) rank: usize,
}

fitted_linear_api!(
    FittedLinearRegression, LinearRegression,
    coef: ArrayView1<'_, F>,
    intercept: F = |core| core.intercept,
    pred: Array1<F>,
    score: ArrayView1<'_, F> => r2_one
);

impl<F: Float> FittedLinearRegression<F> {
    /// Numerical rank of the (centred, weighted) design: `n_features` when
    /// the Cholesky path was used, the `lstsq` rank otherwise.
    pub fn rank(&self) -> usize {
        self.rank
    }
}

/// A fitted multi-target [`LinearRegression`]: `coef()` is
/// `n_targets × n_features`.
///
/// # Example
/// ```
/// use oxilearn::linear::FittedLinearRegressionMulti;
/// use oxilearn::persist::Persist;
/// use oxilearn::linear::LinearRegression;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0f64], [1.0], [2.0]];
/// let y = array![[1.0, 0.0], [3.0, -1.0], [5.0, -2.0]];
/// let model = LinearRegression::new().fit_multi(x.view(), y.view())?;
/// assert_eq!(model.coef().dim(), (2, 1));
/// assert!((model.coef()[[0, 0]] - 2.0).abs() < 1e-10);
/// assert!((model.intercept()[0] - 1.0).abs() < 1e-10);
/// assert_eq!(model.predict(x.view())?.dim(), (3, 2));
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-ols-multi-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// let back = FittedLinearRegressionMulti::<f64>::load(&path)?;
/// assert_eq!(back, model);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedLinearRegressionMulti<F: Float> {
    pub(crate) params: LinearRegression,
    pub(crate) core: Core<F, Many>,
    pub(crate) rank: usize,
}

fitted_linear_api!(
    FittedLinearRegressionMulti, LinearRegression,
    coef: ArrayView2<'_, F>,
    intercept: ArrayView1<'_, F> = |core| core.intercept.view(),
    pred: Array2<F>,
    score: ArrayView2<'_, F> => r2_multi
);

impl<F: Float> FittedLinearRegressionMulti<F> {
    fn from_solved(params: LinearRegression, solved: Solved<F>) -> Self {
        Self {
            params,
            rank: solved.rank,
            core: Core::from_solved(solved),
        }
    }

    fn into_single(self) -> FittedLinearRegression<F> {
        FittedLinearRegression {
            params: self.params,
            core: self.core.into_first(),
            rank: self.rank,
        }
    }

    /// Numerical rank of the (centred, weighted) design.
    pub fn rank(&self) -> usize {
        self.rank
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ArrayView1<'a, F>> for LinearRegression {
    type Fitted = FittedLinearRegression<F>;
    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, F>) -> Result<Self::Fitted> {
        LinearRegression::fit(self, x, y)
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ArrayView2<'a, F>> for LinearRegression {
    type Fitted = FittedLinearRegressionMulti<F>;
    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView2<'a, F>) -> Result<Self::Fitted> {
        self.fit_multi(x, y)
    }
}
