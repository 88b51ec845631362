//! L2-penalised least squares: [`Ridge`] → [`FittedRidge`] (one target) or
//! [`FittedRidgeMulti`] (several targets).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::fitted::{Core, Many, One, fitted_linear_api};
use super::input::{check_fit, r2_multi, r2_one, single_target};
use super::solve::{self, Design, RidgeRun, RidgeSolver, Solved};
use super::stats::SufficientStats;
use crate::Float;
use crate::error::{Error, Result};
use crate::traits::{Fit, Predict};
use crate::validation;

/// The ridge penalty: one value for every target, or one per target.
///
/// # Example
/// ```
/// use oxilearn::linear::Alpha;
/// assert_eq!(Alpha::from(0.5), Alpha::Scalar(0.5));
/// assert_eq!(Alpha::from(vec![0.1, 2.0]), Alpha::PerTarget(vec![0.1, 2.0]));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Alpha {
    /// The same penalty for every target.
    Scalar(f64),
    /// One penalty per target (length = number of targets at fit).
    PerTarget(Vec<f64>),
}

impl From<f64> for Alpha {
    fn from(a: f64) -> Self {
        Alpha::Scalar(a)
    }
}

impl From<Vec<f64>> for Alpha {
    fn from(a: Vec<f64>) -> Self {
        Alpha::PerTarget(a)
    }
}

impl From<&[f64]> for Alpha {
    fn from(a: &[f64]) -> Self {
        Alpha::PerTarget(a.to_vec())
    }
}

impl Alpha {
    /// The penalties for `k` targets, validated (finite, `≥ 0`, right count).
    pub(super) fn resolve<F: Float>(&self, k: usize) -> Result<Vec<F>> {
        let values = match self {
            Alpha::Scalar(a) => vec![*a; k],
            Alpha::PerTarget(v) => {
                if v.len() != k {
                    return Err(Error::ShapeMismatch {
                        what: "alpha (one penalty per target)",
                        expected: vec![k],
                        got: vec![v.len()],
                    });
                }
                v.clone()
            }
        };
        for a in &values {
            validation::check_non_negative("alpha", *a)?;
        }
        Ok(values.into_iter().map(F::from_f64_lossy).collect())
    }
}

/// Ridge regression (scikit-learn's `Ridge`): minimises
/// `Σᵢ wᵢ‖yᵢ − b − Cxᵢ‖² + α‖C‖²`, the intercept `b` unpenalised (the data
/// are centred).
///
/// With more features than samples, the Cholesky solver works on the
/// `n × n` dual system `(XXᵀ + αI)·a = y`, `C = Xᵀa`, as scikit-learn does.
///
/// # Example
/// ```
/// use oxilearn::linear::Ridge;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0f64, 0.0], [1.0, 1.0], [2.0, 2.0]];
/// let y = array![0.0, 1.0, 2.0];
/// let model = Ridge::new().alpha(1.0).fit(x.view(), y.view())?;
/// // Penalty 1 shrinks the two (identical) coefficients from 0.5 to 0.4.
/// assert!((model.coef()[0] - 0.4).abs() < 1e-12);
/// assert!((model.coef()[1] - 0.4).abs() < 1e-12);
/// assert!((model.intercept() - 0.2).abs() < 1e-12);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ridge {
    alpha: Alpha,
    fit_intercept: bool,
    solver: RidgeSolver,
}

impl Default for Ridge {
    fn default() -> Self {
        Self {
            alpha: Alpha::Scalar(1.0),
            fit_intercept: true,
            solver: RidgeSolver::Auto,
        }
    }
}

impl Ridge {
    /// Default parameters (`alpha = 1.0`, `fit_intercept = true`,
    /// `solver = Auto`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The penalty: an `f64` for all targets or a `Vec<f64>` with one per
    /// target; each must be finite and `≥ 0`. Default: `1.0` (as
    /// scikit-learn).
    pub fn alpha(mut self, alpha: impl Into<Alpha>) -> Self {
        self.alpha = alpha.into();
        self
    }

    /// Whether to fit an unpenalised intercept by centring. Default: `true`.
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }

    /// The solver. Default: [`RidgeSolver::Auto`].
    pub fn solver(mut self, solver: RidgeSolver) -> Self {
        self.solver = solver;
        self
    }

    /// The penalty setting.
    pub fn get_alpha(&self) -> &Alpha {
        &self.alpha
    }

    /// The `fit_intercept` setting.
    pub fn get_fit_intercept(&self) -> bool {
        self.fit_intercept
    }

    /// The solver setting.
    pub fn get_solver(&self) -> RidgeSolver {
        self.solver
    }

    /// Fits one target.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] (`alpha` negative or not finite),
    /// [`crate::Error::ShapeMismatch`] (`y.len() != x.nrows()`, or a
    /// per-target `alpha` of length ≠ 1), [`crate::Error::EmptyInput`],
    /// [`crate::Error::NonFinite`], and [`crate::Error::NumericalFailure`]
    /// when [`RidgeSolver::Cholesky`] meets a singular system (`alpha = 0`).
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
    ) -> Result<FittedRidge<F>> {
        self.fit_impl(x, y, None)
    }

    /// Fits one target with per-sample weights (`wᵢ ≥ 0`, not all zero).
    ///
    /// # Errors
    /// As [`Ridge::fit`], plus [`crate::Error::InvalidParameter`]
    /// (`sample_weight` negative or all zero).
    pub fn fit_weighted<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedRidge<F>> {
        self.fit_impl(x, y, Some(sample_weight))
    }

    fn fit_impl<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
        w: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedRidge<F>> {
        validation::check_n_targets(x.nrows(), y.len())?;
        validation::check_finite1(y, "y")?;
        Ok(self
            .fit_multi_impl(x, y.insert_axis(Axis(1)), w)?
            .into_single())
    }

    /// Fits several targets (`y` is `n_samples × n_targets`); `coef()` is
    /// `n_targets × n_features`.
    ///
    /// # Errors
    /// As [`Ridge::fit`]; a per-target `alpha` must have `n_targets` entries.
    pub fn fit_multi<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
    ) -> Result<FittedRidgeMulti<F>> {
        self.fit_multi_impl(x, y, None)
    }

    /// [`Ridge::fit_multi`] with per-sample weights.
    ///
    /// # Errors
    /// As [`Ridge::fit_multi`] and [`Ridge::fit_weighted`].
    pub fn fit_multi_weighted<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedRidgeMulti<F>> {
        self.fit_multi_impl(x, y, Some(sample_weight))
    }

    fn fit_multi_impl<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        w: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedRidgeMulti<F>> {
        let alphas = self.alpha.resolve::<F>(y.ncols())?;
        let w = check_fit(x, y, w)?;
        let design = Design {
            x,
            y,
            w: w.as_ref().map(|w| w.view()),
            fit_intercept: self.fit_intercept,
        };
        let (solved, run) = solve::ridge(design, &alphas, self.solver)?;
        Ok(FittedRidgeMulti::from_solved(self.clone(), solved, run))
    }

    /// Fits one target from accumulated [`SufficientStats`] (primal form):
    /// the same model as the in-memory fit of all rows ingested.
    ///
    /// # Errors
    /// As [`Ridge::fit`]; [`crate::Error::EmptyInput`] if nothing was
    /// ingested; [`crate::Error::ShapeMismatch`] if the statistics hold more
    /// than one target.
    pub fn fit_stats<F: Float>(&self, stats: &SufficientStats<F>) -> Result<FittedRidge<F>> {
        single_target(stats.n_targets())?;
        Ok(self.fit_stats_multi(stats)?.into_single())
    }

    /// [`Ridge::fit_stats`] for any number of targets.
    ///
    /// # Errors
    /// As [`Ridge::fit_multi`]; [`crate::Error::EmptyInput`] if nothing was
    /// ingested.
    pub fn fit_stats_multi<F: Float>(
        &self,
        stats: &SufficientStats<F>,
    ) -> Result<FittedRidgeMulti<F>> {
        let alphas = self.alpha.resolve::<F>(stats.n_targets())?;
        let normal = stats.normal(self.fit_intercept)?;
        let (solved, run) = solve::ridge_from_normal(&normal, &alphas, self.solver)?;
        Ok(FittedRidgeMulti::from_solved(self.clone(), solved, run))
    }
}

/// A fitted single-target [`Ridge`].
///
/// # Example
/// ```
/// use oxilearn::linear::FittedRidge;
/// use oxilearn::persist::Persist;
/// use oxilearn::linear::{Ridge, RidgeSolver};
/// use oxilearn::ndarray::array;
///
/// let x = array![[1.0f64], [2.0], [3.0], [4.0]];
/// let y = array![1.0, 2.0, 3.0, 4.0];
/// let model = Ridge::new().alpha(0.0).fit(x.view(), y.view())?;
/// assert!((model.coef()[0] - 1.0).abs() < 1e-12);
/// assert_eq!(model.solver_used(), RidgeSolver::Cholesky);
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-ridge-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// let back = FittedRidge::<f64>::load(&path)?;
/// assert_eq!(back, model);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedRidge<F: Float> {
    pub(crate) params: Ridge,
    pub(crate) core: Core<F, One>,
    pub(crate) solver_used: RidgeSolver,
}

fitted_linear_api!(
    FittedRidge, Ridge,
    coef: ArrayView1<'_, F>,
    intercept: F = |core| core.intercept,
    pred: Array1<F>,
    score: ArrayView1<'_, F> => r2_one
);

impl<F: Float> FittedRidge<F> {
    /// The solver that produced the coefficients: [`RidgeSolver::Cholesky`]
    /// or [`RidgeSolver::Svd`] (never `Auto`).
    pub fn solver_used(&self) -> RidgeSolver {
        self.solver_used
    }
}

/// A fitted multi-target [`Ridge`]: `coef()` is `n_targets × n_features`.
///
/// # Example
/// ```
/// use oxilearn::linear::FittedRidgeMulti;
/// use oxilearn::persist::Persist;
/// use oxilearn::linear::Ridge;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0f64], [1.0], [2.0], [3.0]];
/// let y = array![[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]];
/// // A small penalty for the first target, a large one for the second.
/// let model = Ridge::new().alpha(vec![1e-9, 1e9]).fit_multi(x.view(), y.view())?;
/// assert!((model.coef()[[0, 0]] - 1.0).abs() < 1e-6);
/// assert!(model.coef()[[1, 0]].abs() < 1e-6);
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-ridge-multi-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// let back = FittedRidgeMulti::<f64>::load(&path)?;
/// assert_eq!(back, model);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedRidgeMulti<F: Float> {
    pub(crate) params: Ridge,
    pub(crate) core: Core<F, Many>,
    pub(crate) solver_used: RidgeSolver,
}

fitted_linear_api!(
    FittedRidgeMulti, Ridge,
    coef: ArrayView2<'_, F>,
    intercept: ArrayView1<'_, F> = |core| core.intercept.view(),
    pred: Array2<F>,
    score: ArrayView2<'_, F> => r2_multi
);

impl<F: Float> FittedRidgeMulti<F> {
    fn from_solved(params: Ridge, solved: Solved<F>, run: RidgeRun) -> Self {
        Self {
            params,
            core: Core::from_solved(solved),
            solver_used: run.solver,
        }
    }

    fn into_single(self) -> FittedRidge<F> {
        FittedRidge {
            params: self.params,
            core: self.core.into_first(),
            solver_used: self.solver_used,
        }
    }

    /// The solver that produced the coefficients (never `Auto`).
    pub fn solver_used(&self) -> RidgeSolver {
        self.solver_used
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ArrayView1<'a, F>> for Ridge {
    type Fitted = FittedRidge<F>;
    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, F>) -> Result<Self::Fitted> {
        Ridge::fit(self, x, y)
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ArrayView2<'a, F>> for Ridge {
    type Fitted = FittedRidgeMulti<F>;
    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView2<'a, F>) -> Result<Self::Fitted> {
        self.fit_multi(x, y)
    }
}
