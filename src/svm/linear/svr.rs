//! [`LinearSvr`] → [`FittedLinearSvr`].

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::design::Design;
use super::dual_cd::{self, DualLoss};
use crate::error::{Error, Result};
use crate::linalg::{self, Float};
use crate::sparse::Records;
use crate::traits::{Fit, Predict};
use crate::validation;

/// The loss of a [`LinearSvr`].
///
/// # Example
/// ```
/// use oxilearn::svm::{LinearSvr, LinearSvrLoss};
/// let m = LinearSvr::new().loss(LinearSvrLoss::SquaredEpsilonInsensitive);
/// assert_eq!(m.get_loss(), LinearSvrLoss::SquaredEpsilonInsensitive);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinearSvrLoss {
    /// `max(0, |y − f(x)| − ε)` (scikit-learn's
    /// `loss="epsilon_insensitive"`, the default).
    #[default]
    EpsilonInsensitive,
    /// `max(0, |y − f(x)| − ε)²` (`loss="squared_epsilon_insensitive"`).
    SquaredEpsilonInsensitive,
}

/// Linear support vector regression (scikit-learn's `LinearSVR`,
/// liblinear).
///
/// Minimises
///
/// ```text
/// ½‖w‖² + Σᵢ Cᵢ·max(0, |yᵢ − wᵀxᵢ| − ε)ᵖ
/// ```
///
/// with `p = 1` (ε-insensitive) or `2` (squared ε-insensitive) and `Cᵢ = C
/// ×` sample weight, by dual coordinate descent with shrinking (Ho & Lin
/// 2012). With `fit_intercept` the weights include the intercept's, on a
/// constant feature `intercept_scaling`, **regularised** like the others (as
/// liblinear). Defaults as scikit-learn: `C = 1`, `epsilon = 0`,
/// ε-insensitive loss, `tol = 1e-4`, `max_iter = 1000`, intercept with
/// `intercept_scaling = 1`. The stopping rule is on the ℓ₁ norm of the dual
/// minimum-norm subgradient, relative to its value after the first pass.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{FittedLinearSvr, LinearSvr};
///
/// let x: Array2<f64> = array![[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0]];
/// let y = array![1.0, 2.9, 5.1, 7.0, 9.0];
/// let model = LinearSvr::new().c(100.0).epsilon(0.1).fit(x.view(), y.view())?;
/// assert!(model.converged());
/// assert!((model.coef()[0] - 2.0).abs() < 0.1);
/// assert!(model.score(x.view(), y.view())? > 0.99);
///
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-linsvr-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// assert_eq!(FittedLinearSvr::<f64>::load(&path)?.predict(x.view())?, model.predict(x.view())?);
/// # std::fs::remove_file(&path)?;
/// // epsilon must be ≥ 0
/// assert!(LinearSvr::new().epsilon(-1.0).fit(x.view(), y.view()).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LinearSvr {
    hyper: LinearSvrHyper,
}

/// The serialisable hyperparameters (model files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LinearSvrHyper {
    pub c: f64,
    pub epsilon: f64,
    pub loss: LinearSvrLoss,
    pub tol: f64,
    pub max_iter: usize,
    pub fit_intercept: bool,
    pub intercept_scaling: f64,
    pub seed: u64,
}

impl Default for LinearSvrHyper {
    fn default() -> Self {
        LinearSvrHyper {
            c: 1.0,
            epsilon: 0.0,
            loss: LinearSvrLoss::EpsilonInsensitive,
            tol: 1e-4,
            max_iter: 1000,
            fit_intercept: true,
            intercept_scaling: 1.0,
            seed: 0,
        }
    }
}

impl LinearSvrHyper {
    /// The checks `fit` makes; loaders make them too.
    pub(crate) fn validate(&self) -> Result<()> {
        validation::check_positive("C", self.c)?;
        validation::check_non_negative("epsilon", self.epsilon)?;
        validation::check_positive("tol", self.tol)?;
        if self.max_iter == 0 {
            return Err(Error::invalid("max_iter", "must be >= 1"));
        }
        if self.fit_intercept {
            validation::check_positive("intercept_scaling", self.intercept_scaling)?;
        }
        Ok(())
    }
}

impl LinearSvr {
    /// Default hyperparameters (scikit-learn's `LinearSVR()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Cost `C > 0` of the losses; default `1.0`.
    pub fn c(mut self, c: f64) -> Self {
        self.hyper.c = c;
        self
    }

    /// Half-width `ε ≥ 0` of the insensitive tube; default `0.0`.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.hyper.epsilon = epsilon;
        self
    }

    /// The loss; default [`LinearSvrLoss::EpsilonInsensitive`].
    pub fn loss(mut self, loss: LinearSvrLoss) -> Self {
        self.hyper.loss = loss;
        self
    }

    /// Stopping tolerance `> 0` (relative, see the type's docs); default
    /// `1e-4`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.hyper.tol = tol;
        self
    }

    /// Maximal passes over the data, `≥ 1`; default `1000`.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.hyper.max_iter = max_iter;
        self
    }

    /// Whether to fit an intercept; default `true`.
    pub fn fit_intercept(mut self, on: bool) -> Self {
        self.hyper.fit_intercept = on;
        self
    }

    /// Value `> 0` of the constant feature that carries the (regularised)
    /// intercept; default `1.0`.
    pub fn intercept_scaling(mut self, s: f64) -> Self {
        self.hyper.intercept_scaling = s;
        self
    }

    /// Seed of the random visiting order; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.hyper.seed = seed;
        self
    }

    /// The loss.
    pub fn get_loss(&self) -> LinearSvrLoss {
        self.hyper.loss
    }

    pub(crate) fn hyper(&self) -> &LinearSvrHyper {
        &self.hyper
    }

    /// Fits on records `x` (`n × d`, dense or a CSR matrix: anything that converts
    /// into [`Records`]) and targets `y`. Dense and sparse records give the same model, to
    /// rounding.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `C ≤ 0`, `epsilon < 0`, `tol ≤ 0`,
    /// `max_iter = 0` or `intercept_scaling ≤ 0` with an intercept;
    /// [`Error::EmptyInput`], [`Error::NonFinite`], [`Error::ShapeMismatch`]
    /// for bad data.
    pub fn fit<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, F>,
    ) -> Result<FittedLinearSvr<F>> {
        self.fit_impl(x.into(), y, None)
    }

    /// Fits with per-sample weights (non-negative, not all zero) that
    /// multiply each sample's `C`.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), plus [`Error::ShapeMismatch`] /
    /// [`Error::InvalidParameter`] / [`Error::NonFinite`] for bad weights.
    pub fn fit_weighted<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedLinearSvr<F>> {
        self.fit_impl(x.into(), y, Some(sample_weight))
    }

    fn fit_impl<F: Float>(
        &self,
        x: Records<'_, F>,
        y: ArrayView1<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedLinearSvr<F>> {
        let h = &self.hyper;
        h.validate()?;
        let x = Design::new(x)?;
        let (n, d) = x.dim();
        validation::check_n_targets(n, y.len())?;
        validation::check_finite1(y, "y")?;
        let c: Vec<f64> = validation::sample_weights(sample_weight, n)?
            .iter()
            .map(|v| h.c * v.to_f64_exact())
            .collect();
        let bias = h.fit_intercept.then_some(h.intercept_scaling);
        let mut buf = Vec::new();
        let rows = x.rows(bias, &mut buf);
        let yy: Vec<f64> = y.iter().map(|v| v.to_f64_exact()).collect();
        let loss = match h.loss {
            LinearSvrLoss::EpsilonInsensitive => DualLoss::L1,
            LinearSvrLoss::SquaredEpsilonInsensitive => DualLoss::L2,
        };
        let o = dual_cd::solve_svr(&rows, &yy, &c, h.epsilon, loss, h.tol, h.max_iter, h.seed);
        let mut objective = 0.5 * dual_cd::dot(&o.w, &o.w);
        for i in 0..n {
            let m = ((yy[i] - rows.dot(i, &o.w)).abs() - h.epsilon).max(0.0);
            objective += c[i]
                * match loss {
                    DualLoss::L1 => m,
                    DualLoss::L2 => m * m,
                };
        }
        Ok(FittedLinearSvr {
            hyper: h.clone(),
            coef: o.w[..d].iter().map(|&v| F::from_f64_lossy(v)).collect(),
            intercept: bias.map_or(F::zero(), |s| F::from_f64_lossy(s * o.w[d])),
            n_iter: o.n_iter,
            converged: o.converged,
            objective,
        })
    }
}

/// A fitted [`LinearSvr`]: `predict(x) = x·coef + intercept`.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::LinearSvr;
///
/// let d = oxilearn::datasets::diabetes();
/// let model = LinearSvr::new().c(10.0).fit(d.records.view(), d.targets.view())?;
/// assert_eq!(model.coef().len(), 10);
/// assert_eq!(model.predict(d.records.view())?.len(), d.records.nrows());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedLinearSvr<F> {
    pub(crate) hyper: LinearSvrHyper,
    pub(crate) coef: Array1<F>,
    pub(crate) intercept: F,
    pub(crate) n_iter: usize,
    pub(crate) converged: bool,
    pub(crate) objective: f64,
}

impl<F: Float> FittedLinearSvr<F> {
    /// Coefficients, one per feature.
    pub fn coef(&self) -> &Array1<F> {
        &self.coef
    }

    /// The intercept (zero without one).
    pub fn intercept(&self) -> F {
        self.intercept
    }

    /// Number of features the model was fitted with.
    pub fn n_features(&self) -> usize {
        self.coef.len()
    }

    /// Passes over the data (scikit-learn's `n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the stopping criterion was met within `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The primal objective at the solution, `½‖w‖² + Σ Cᵢ·lossᵢ`, `w`
    /// including the intercept's weight.
    pub fn objective(&self) -> f64 {
        self.objective
    }

    /// Predictions `x·coef + intercept`, `x` dense or a CSR matrix.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on a wrong feature count,
    /// [`Error::NonFinite`] on NaN/inf.
    pub fn predict<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array1<F>> {
        let x = x.into();
        if let Records::Dense(x) = x {
            validation::check_predict_input(x, self.n_features())?;
            let mut z = linalg::matvec(x, self.coef.view());
            z += self.intercept;
            return Ok(z);
        }
        let coef = self.coef.view().insert_axis(Axis(0));
        let intercept = Array1::from_elem(1, self.intercept);
        let z = crate::sparse::linear_decision(x, coef, intercept.view())?;
        Ok(z.column(0).to_owned())
    }

    /// R² of [`predict`](Self::predict) on `(x, y)`.
    ///
    /// # Errors
    /// As [`predict`](Self::predict), plus [`Error::ShapeMismatch`] when `y`
    /// has another length.
    pub fn score<'a>(&self, x: impl Into<Records<'a, F>>, y: ArrayView1<'_, F>) -> Result<f64> {
        let x = x.into();
        validation::check_n_targets(x.nrows(), y.len())?;
        let pred = self.predict(x)?;
        crate::metrics::r2_score(y, pred.view())
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ArrayView1<'a, F>> for LinearSvr {
    type Fitted = FittedLinearSvr<F>;

    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, F>) -> Result<FittedLinearSvr<F>> {
        LinearSvr::fit(self, x, y)
    }
}

impl<'a, F: Float> Predict<ArrayView2<'a, F>> for FittedLinearSvr<F> {
    type Output = Array1<F>;

    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<F>> {
        FittedLinearSvr::predict(self, x)
    }
}
