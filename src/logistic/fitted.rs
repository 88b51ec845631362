//! The fitted model: predictions, probabilities, getters.

use std::hash::Hash;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::loss::sigmoid;
use super::params::Hyperparameters;
use crate::Float;
use crate::error::Result;
use crate::sparse::Records;
use crate::traits::{Predict, PredictProba};
use crate::validation;

/// A fitted logistic regression (from [`LogisticRegression::fit`](super::LogisticRegression::fit)).
///
/// Binary models hold one coefficient row (for the positive class
/// `classes()[1]`); multinomial models hold one row per class.
///
/// # Example
/// ```
/// use oxilearn::logistic::FittedLogisticRegression;
/// use oxilearn::persist::Persist;
/// use oxilearn::logistic::LogisticRegression;
/// use oxilearn::ndarray::array;
///
/// let x = array![[-2.0f64], [-1.0], [-0.5], [0.5], [1.0], [2.0]];
/// let y = array![false, false, true, false, true, true];
/// let model = LogisticRegression::new().fit(x.view(), y.view())?;
/// assert_eq!(model.classes(), [false, true]);
/// assert_eq!(model.coef().dim(), (1, 1));
/// assert!(model.coef()[[0, 0]] > 0.0); // larger x → `true` more likely
/// let proba = model.predict_proba(x.view())?;
/// assert!((proba.row(0).sum() - 1.0).abs() < 1e-12);
/// assert!(model.score(x.view(), y.view())? >= 4.0 / 6.0);
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type, and label type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-logistic-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// let back = FittedLogisticRegression::<f64, bool>::load(&path)?;
/// assert_eq!(back.predict(x.view())?, model.predict(x.view())?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedLogisticRegression<F, L> {
    pub(crate) classes: Vec<L>,
    pub(crate) coef: Array2<F>,
    pub(crate) intercept: Array1<F>,
    pub(crate) n_iter: usize,
    pub(crate) converged: bool,
    pub(crate) objective: f64,
    pub(crate) hyper: Hyperparameters,
}

impl<F: Float, L> FittedLogisticRegression<F, L> {
    /// Coefficients: `1 × n_features` (binary) or `n_classes × n_features`.
    pub fn coef(&self) -> &Array2<F> {
        &self.coef
    }

    /// Intercepts, one per coefficient row (zeros without intercept).
    pub fn intercept(&self) -> &Array1<F> {
        &self.intercept
    }

    /// The class labels, sorted; probability columns follow this order.
    pub fn classes(&self) -> &[L] {
        &self.classes
    }

    /// Number of features the model was fitted with.
    pub fn n_features(&self) -> usize {
        self.coef.ncols()
    }

    /// Solver iterations performed.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the solver met its stopping criterion within `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The final value of scikit-learn's objective `C·Σ sᵢ·ℓᵢ + ½‖W‖²`
    /// on the training data (`sᵢ` including class weights).
    pub fn objective(&self) -> f64 {
        self.objective
    }

    /// Raw scores `x·Wᵀ + b`: `n × 1` for two classes (positive class
    /// `classes()[1]`, as scikit-learn's 1-D `decision_function`), `n ×
    /// n_classes` otherwise.
    ///
    /// # Errors
    /// [`crate::Error::ShapeMismatch`] on a wrong feature count,
    /// [`crate::Error::NonFinite`] on NaN/inf.
    pub fn decision_function<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array2<F>> {
        crate::sparse::linear_decision(x.into(), self.coef.view(), self.intercept.view())
    }

    /// Log-probabilities, `n × n_classes`, by a stable log-sum-exp.
    ///
    /// # Errors
    /// As [`decision_function`](Self::decision_function).
    pub fn predict_log_proba<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array2<F>> {
        let z = self.decision_function(x)?;
        if self.coef.nrows() == 1 {
            let mut out = Array2::zeros((z.nrows(), 2));
            for (mut row, &t) in out.rows_mut().into_iter().zip(z.column(0)) {
                row[0] = -softplus(t);
                row[1] = -softplus(-t);
            }
            return Ok(out);
        }
        let mut z = z;
        for mut row in z.rows_mut() {
            let m = row.fold(F::neg_infinity(), |a, &b| a.max(b));
            let lse = m + row.iter().map(|&v| (v - m).exp()).sum::<F>().ln();
            row -= lse;
        }
        Ok(z)
    }

    /// Class probabilities, `n × n_classes`; each row sums to 1.
    ///
    /// # Errors
    /// As [`decision_function`](Self::decision_function).
    pub fn predict_proba<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array2<F>> {
        let z = self.decision_function(x)?;
        if self.coef.nrows() == 1 {
            let mut out = Array2::zeros((z.nrows(), 2));
            for (mut row, &t) in out.rows_mut().into_iter().zip(z.column(0)) {
                let p = sigmoid(t);
                row[0] = F::one() - p;
                row[1] = p;
            }
            return Ok(out);
        }
        let mut z = z;
        for mut row in z.rows_mut() {
            let m = row.fold(F::neg_infinity(), |a, &b| a.max(b));
            row.mapv_inplace(|v| (v - m).exp());
            let sum = row.sum();
            row /= sum;
        }
        Ok(z)
    }
}

impl<F: Float, L: Clone> FittedLogisticRegression<F, L> {
    /// The most probable class of each row (binary: `classes()[1]` when the
    /// score is positive).
    ///
    /// # Errors
    /// As [`decision_function`](Self::decision_function).
    pub fn predict<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array1<L>> {
        let z = self.decision_function(x)?;
        if self.coef.nrows() == 1 {
            return Ok(z
                .column(0)
                .mapv(|t| self.classes[usize::from(t > F::zero())].clone()));
        }
        Ok(z.rows()
            .into_iter()
            .map(|row| {
                let mut best = 0;
                for (j, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = j;
                    }
                }
                self.classes[best].clone()
            })
            .collect())
    }
}

impl<F: Float, L: Clone + PartialEq> FittedLogisticRegression<F, L> {
    /// Accuracy of [`predict`](Self::predict) on `(x, y)`.
    ///
    /// # Errors
    /// As [`decision_function`](Self::decision_function), plus
    /// [`crate::Error::ShapeMismatch`] when `y` has another length.
    pub fn score<'a>(&self, x: impl Into<Records<'a, F>>, y: ArrayView1<'_, L>) -> Result<f64> {
        let x = x.into();
        validation::check_n_targets(x.nrows(), y.len())?;
        let pred = self.predict(x)?;
        if y.is_empty() {
            return Ok(0.0);
        }
        let hits = pred.iter().zip(y.iter()).filter(|(a, b)| a == b).count();
        Ok(hits as f64 / y.len() as f64)
    }
}

/// `log(1 + eᵗ)`, stable.
fn softplus<F: Float>(t: F) -> F {
    t.max(F::zero()) + (-t.abs()).exp().ln_1p()
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> Predict<ArrayView2<'a, F>>
    for FittedLogisticRegression<F, L>
{
    type Output = Array1<L>;

    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<L>> {
        FittedLogisticRegression::predict(self, x)
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> PredictProba<ArrayView2<'a, F>>
    for FittedLogisticRegression<F, L>
{
    type Output = Array2<F>;

    fn predict_proba(&self, x: ArrayView2<'a, F>) -> Result<Array2<F>> {
        FittedLogisticRegression::predict_proba(self, x)
    }
}
