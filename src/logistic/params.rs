//! Hyperparameters and `fit`.

use std::hash::Hash;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, s};
use serde::{Deserialize, Serialize};

use super::fitted::FittedLogisticRegression;
use super::loss::Problem;
use super::{lbfgs, newton};
use crate::Float;
pub use crate::class_weight::ClassWeight;
use crate::error::{Error, Result};
use crate::sparse::{Checked, Csr, Records};
use crate::traits::Fit;
use crate::{numerics, validation};

/// The penalty on the coefficients (never on the intercept).
///
/// # Example
/// ```
/// use oxilearn::logistic::{LogisticRegression, Penalty};
/// let params = LogisticRegression::<u8>::new().penalty(Penalty::None);
/// assert_eq!(params.get_penalty(), Penalty::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Penalty {
    /// `½‖W‖²` (scikit-learn's `penalty="l2"`, the default).
    #[default]
    L2,
    /// No penalty (`penalty=None`); the multinomial solution is then
    /// symmetrised like scikit-learn's.
    None,
}

/// The optimisation algorithm.
///
/// # Example
/// ```
/// use oxilearn::logistic::{LogisticRegression, Solver};
/// let params = LogisticRegression::<u8>::new().solver(Solver::Lbfgs);
/// assert_eq!(params.get_solver(), Solver::Lbfgs);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Solver {
    /// Two classes: Newton–Cholesky when the Hessian is small
    /// (`n_features + 1 ≤ 1000`) and there are at least as many samples as
    /// Hessian rows. Three or more classes: Newton–Cholesky only when
    /// `(n_features + 1)·(n_classes + 1) ≤ 80`: its Hessian costs
    /// `k(k+1)/2·p²` multiply-adds per sample and iteration (`k` classes,
    /// `p = n_features + 1`) against `2·k·p` for an L-BFGS evaluation, so it
    /// only pays off when that ratio, `(k+1)·p/4`, is well below the
    /// iteration-count advantage. L-BFGS otherwise.
    #[default]
    Auto,
    /// Newton's method with a Cholesky-solved full Hessian and Armijo
    /// backtracking (scikit-learn's `newton-cholesky`).
    NewtonCholesky,
    /// Limited-memory BFGS with a strong-Wolfe line search (`lbfgs`), run in
    /// centred and scaled coordinates (the same minimiser; far fewer
    /// iterations on raw features).
    Lbfgs,
}

/// Unfitted logistic regression: hyperparameters (scikit-learn's defaults)
/// and [`fit`](LogisticRegression::fit). `L` is the label type.
///
/// # Example
/// ```
/// use oxilearn::logistic::{LogisticRegression, Solver};
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0]];
/// let y = array![0, 0, 0, 1, 1, 1, 2, 2, 2];
/// let model = LogisticRegression::new()
///     .c(100.0)
///     .solver(Solver::NewtonCholesky)
///     .fit(x.view(), y.view())?;
/// assert_eq!(model.coef().dim(), (3, 1)); // one row per class
/// assert!(model.converged());
/// assert_eq!(model.predict(array![[0.5], [4.0], [7.5]].view())?, array![0, 1, 2]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogisticRegression<L = usize> {
    c: f64,
    tol: f64,
    max_iter: usize,
    penalty: Penalty,
    fit_intercept: bool,
    class_weight: ClassWeight<L>,
    solver: Solver,
    warm_start: Option<(Array2<f64>, Array1<f64>)>,
    strict: bool,
}

impl<L> Default for LogisticRegression<L> {
    fn default() -> Self {
        LogisticRegression {
            c: 1.0,
            tol: 1e-4,
            max_iter: 100,
            penalty: Penalty::L2,
            fit_intercept: true,
            class_weight: ClassWeight::None,
            solver: Solver::Auto,
            warm_start: None,
            strict: false,
        }
    }
}

/// The serialisable hyperparameters stored in model files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Hyperparameters {
    pub c: f64,
    pub tol: f64,
    pub max_iter: usize,
    pub penalty: Penalty,
    pub fit_intercept: bool,
    pub solver: Solver,
    /// `"none"`, `"balanced"` or `"explicit"`.
    pub class_weight: String,
}

impl Hyperparameters {
    /// The checks `fit` makes of the hyperparameters; loaders make them too.
    pub(crate) fn validate(&self) -> Result<()> {
        validation::check_positive("C", self.c)?;
        validation::check_positive("tol", self.tol)?;
        if !matches!(self.class_weight.as_str(), "none" | "balanced" | "explicit") {
            return Err(Error::invalid(
                "class_weight",
                format!(
                    "must be \"none\", \"balanced\" or \"explicit\", got {:?}",
                    self.class_weight
                ),
            ));
        }
        Ok(())
    }
}

impl<L> LogisticRegression<L> {
    /// Default hyperparameters (scikit-learn's).
    pub fn new() -> Self {
        Self::default()
    }

    /// Inverse regularisation strength `C > 0`. Default `1.0`.
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// Stopping tolerance on the mean-scaled objective's gradient, `> 0`.
    /// Default `1e-4`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Maximal number of solver iterations. Default `100`.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Penalty on the coefficients. Default [`Penalty::L2`].
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// Whether to fit an (unpenalised) intercept. Default `true`.
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }

    /// Class weights. Default [`ClassWeight::None`].
    pub fn class_weight(mut self, class_weight: ClassWeight<L>) -> Self {
        self.class_weight = class_weight;
        self
    }

    /// The solver. Default [`Solver::Auto`].
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }

    /// Starts from these coefficients (`1 × n_features` for two classes,
    /// `n_classes × n_features` otherwise) and intercepts (one per row;
    /// ignored without intercept) instead of zeros. Default: zeros.
    pub fn warm_start(mut self, coef: Array2<f64>, intercept: Array1<f64>) -> Self {
        self.warm_start = Some((coef, intercept));
        self
    }

    /// Starts from a fitted model's coefficients (see
    /// [`warm_start`](Self::warm_start)).
    pub fn warm_start_from<F: Float, M>(self, model: &FittedLogisticRegression<F, M>) -> Self {
        self.warm_start(
            model.coef().mapv(|v| v.to_f64_exact()),
            model.intercept().mapv(|v| v.to_f64_exact()),
        )
    }

    /// When `true`, `fit` fails with [`Error::NotConverged`] if the solver
    /// does not converge. Default `false` (the fitted model reports
    /// [`converged`](FittedLogisticRegression::converged)).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// `C`.
    pub fn get_c(&self) -> f64 {
        self.c
    }

    /// The tolerance.
    pub fn get_tol(&self) -> f64 {
        self.tol
    }

    /// The iteration limit.
    pub fn get_max_iter(&self) -> usize {
        self.max_iter
    }

    /// The penalty.
    pub fn get_penalty(&self) -> Penalty {
        self.penalty
    }

    /// Whether an intercept is fitted.
    pub fn get_fit_intercept(&self) -> bool {
        self.fit_intercept
    }

    /// The class weights.
    pub fn get_class_weight(&self) -> &ClassWeight<L> {
        &self.class_weight
    }

    /// The solver.
    pub fn get_solver(&self) -> Solver {
        self.solver
    }

    pub(crate) fn hyperparameters(&self) -> Hyperparameters {
        Hyperparameters {
            c: self.c,
            tol: self.tol,
            max_iter: self.max_iter,
            penalty: self.penalty,
            fit_intercept: self.fit_intercept,
            solver: self.solver,
            class_weight: self.class_weight.name().to_string(),
        }
    }
}

impl<L: Clone + Eq + Hash + Ord> LogisticRegression<L> {
    /// Fits on records `x` (`n_samples × n_features`): a dense array or a
    /// sparse CSR matrix ([`crate::sparse`]; a sparse fit costs the stored
    /// entries per evaluation, and gives the dense fit's model to rounding),
    /// and labels `y`.
    ///
    /// # Example
    /// ```
    /// use oxilearn::logistic::LogisticRegression;
    /// use oxilearn::ndarray::array;
    /// use oxilearn::sparse::TriMat;
    ///
    /// // 4 samples, 10 000 features, 2 stored entries each
    /// let mut t = TriMat::new((4, 10_000));
    /// for (i, j) in [(0, 5), (1, 5), (2, 9_000), (3, 9_000)] {
    ///     t.add_triplet(i, j, 1.0);
    ///     t.add_triplet(i, 42, 0.5);
    /// }
    /// let x = t.to_csr::<usize>();
    /// let y = array![0, 0, 1, 1];
    /// let model = LogisticRegression::new().fit(&x, y.view())?;
    /// assert_eq!(model.predict(&x)?, y);
    /// assert_eq!(model.coef().dim(), (1, 10_000));
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `C ≤ 0`, `tol ≤ 0`, negative or
    /// non-finite class weights, or a class-weight label absent from `y`;
    /// [`Error::EmptyInput`], [`Error::NonFinite`], [`Error::ShapeMismatch`]
    /// for bad data or warm-start shapes; [`Error::SingleClass`] when `y`
    /// holds one label; [`Error::NotConverged`] in strict mode;
    /// [`Error::NumericalFailure`] if the objective becomes non-finite.
    ///
    /// Records of extreme magnitude (beyond `⁴√MAX`: ~1e77 in `f64`, ~4e9 in
    /// `f32`) are divided internally by a power of two, exactly, with the
    /// penalty scaled to match: the fit solves the same problem and returns
    /// coefficients in the records' units (on records near 1e300 the L2
    /// penalty becomes negligible, as it mathematically is).
    pub fn fit<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, L>,
    ) -> Result<FittedLogisticRegression<F, L>> {
        self.fit_impl(x.into(), y, None)
    }

    /// Fits with per-sample weights (non-negative, not all zero), as
    /// scikit-learn's `fit(X, y, sample_weight)`.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), plus [`Error::ShapeMismatch`] /
    /// [`Error::InvalidParameter`] / [`Error::NonFinite`] for bad weights.
    ///
    /// # Example
    /// ```
    /// use oxilearn::logistic::LogisticRegression;
    /// use oxilearn::ndarray::array;
    /// let x = array![[0.0f64], [1.0], [2.0], [3.0]];
    /// let y = array![0, 1, 0, 1];
    /// // Weight 0 drops a row: the same model as fitting without it.
    /// let w = array![1.0, 1.0, 0.0, 1.0];
    /// let a = LogisticRegression::new().fit_weighted(x.view(), y.view(), w.view())?;
    /// let b = LogisticRegression::new()
    ///     .fit(array![[0.0f64], [1.0], [3.0]].view(), array![0, 1, 1].view())?;
    /// assert!((a.coef()[[0, 0]] - b.coef()[[0, 0]]).abs() < 1e-6);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn fit_weighted<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, L>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedLogisticRegression<F, L>> {
        self.fit_impl(x.into(), y, Some(sample_weight))
    }

    fn fit_impl<F: Float>(
        &self,
        x: Records<'_, F>,
        y: ArrayView1<'_, L>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedLogisticRegression<F, L>> {
        self.hyperparameters().validate()?;
        let x = x.check_fit()?;
        validation::check_n_targets(x.nrows(), y.len())?;
        let mut sw = validation::sample_weights(sample_weight, x.nrows())?;
        let (classes, codes) = validation::encode_labels(y, 2)?;
        let n_classes = classes.len();
        if !matches!(self.class_weight, ClassWeight::None) {
            let sw64: Vec<f64> = sw.iter().map(|v| v.to_f64_exact()).collect();
            let cw = self.class_weight.resolve(&classes, &codes, Some(&sw64))?;
            for (s, &c) in sw.iter_mut().zip(&codes) {
                *s *= F::from_f64_lossy(cw[c]);
            }
        }
        let sw_sum: f64 = sw.iter().map(|v| v.to_f64_exact()).sum();
        if !(sw_sum > 0.0 && sw_sum.is_finite()) {
            return Err(Error::invalid(
                "class_weight",
                "sample weights times class weights sum to zero",
            ));
        }
        let inv_sum = F::from_f64_lossy(1.0 / sw_sum);
        sw.mapv_inplace(|v| v * inv_sum);

        let k = if n_classes == 2 { 1 } else { n_classes };
        let d = x.ncols();
        let p = d + usize::from(self.fit_intercept);
        // Records of extreme magnitude are divided by a power of two `s`
        // (exact): with `x = s·x̃` and `v = s·w`, `x·w = x̃·v` and the penalty
        // `½λ‖w‖² = ½(λ/s²)‖v‖²`, so solving for `v` on `x̃` with `λ/s²` is the
        // same problem, and `w = v/s`. Without it, products and Hessian
        // entries of records near 1e300 overflow and the solvers stop on
        // zeros.
        let amax = match x {
            Checked::Dense(x) => numerics::max_abs(x.iter().map(|v| v.to_f64_exact())),
            Checked::Sparse(x) => numerics::max_abs(
                (0..x.nrows()).flat_map(|i| x.row(i).1.iter().map(|v| v.to_f64_exact())),
            ),
        };
        let limit = F::max_value().to_f64_exact().sqrt().sqrt();
        let sx = if amax > limit {
            numerics::pow2_scale(amax)
        } else {
            1.0
        };
        let (dense_rescaled, sparse_rescaled);
        let x: Checked<'_, F> = match x {
            _ if sx == 1.0 => x,
            Checked::Dense(x) => {
                dense_rescaled = x.mapv(|v| F::from_f64_lossy(v.to_f64_exact() / sx));
                Checked::Dense(dense_rescaled.view())
            }
            Checked::Sparse(x) => {
                sparse_rescaled = x.map_values(|v| F::from_f64_lossy(v.to_f64_exact() / sx));
                Checked::Sparse(Csr::new_unchecked(sparse_rescaled.view()))
            }
        };
        let mut theta0 = self.initial_theta::<F>(k, d, p)?;
        if sx != 1.0 {
            theta0
                .slice_mut(s![.., ..d])
                .mapv_inplace(|w| F::from_f64_lossy(w.to_f64_exact() * sx).min(F::max_value()));
        }
        let l2 = match self.penalty {
            Penalty::L2 => 1.0 / (self.c * sw_sum) / sx / sx,
            Penalty::None => 0.0,
        };
        let problem = Problem {
            x,
            codes: &codes,
            sw,
            k,
            fit_intercept: self.fit_intercept,
            l2: F::from_f64_lossy(l2),
        };
        let outcome = match self.resolve_solver(x.nrows(), k, p) {
            Solver::Lbfgs => lbfgs::solve(&problem, theta0, self.tol, self.max_iter)?,
            _ => newton::solve(&problem, theta0, self.tol, self.max_iter)?,
        };
        if self.strict && !outcome.converged {
            return Err(Error::NotConverged {
                n_iter: outcome.n_iter,
            });
        }
        let coef = outcome
            .theta
            .slice(s![.., ..d])
            .mapv(|v| F::from_f64_lossy(v.to_f64_exact() / sx));
        let intercept = if self.fit_intercept {
            outcome.theta.column(d).to_owned()
        } else {
            Array1::zeros(k)
        };
        Ok(FittedLogisticRegression {
            classes,
            coef,
            intercept,
            n_iter: outcome.n_iter,
            converged: outcome.converged,
            // scikit-learn's scale: C·Σs times the mean-scaled objective.
            objective: outcome.loss * self.c * sw_sum,
            hyper: self.hyperparameters(),
        })
    }

    /// The solver `Auto` resolves to for `n` samples and a `k × p` θ.
    fn resolve_solver(&self, n: usize, k: usize, p: usize) -> Solver {
        match self.solver {
            Solver::Auto => {
                let dim = k * p;
                let small = if k == 1 {
                    dim <= 1000
                } else {
                    p * (k + 1) <= 80
                };
                if small && n >= dim {
                    Solver::NewtonCholesky
                } else {
                    Solver::Lbfgs
                }
            }
            s => s,
        }
    }

    /// Zeros, or the validated warm start, as a `k × p` θ.
    fn initial_theta<F: Float>(&self, k: usize, d: usize, p: usize) -> Result<Array2<F>> {
        let mut theta = Array2::<F>::zeros((k, p));
        if let Some((coef, intercept)) = &self.warm_start {
            if coef.dim() != (k, d) {
                return Err(Error::ShapeMismatch {
                    what: "warm-start coef (rows of coef × n_features)",
                    expected: vec![k, d],
                    got: coef.shape().to_vec(),
                });
            }
            validation::check_finite2(coef.view(), "warm-start coef")?;
            theta
                .slice_mut(s![.., ..d])
                .assign(&coef.mapv(F::from_f64_lossy));
            if self.fit_intercept {
                if intercept.len() != k {
                    return Err(Error::ShapeMismatch {
                        what: "warm-start intercept (one per row of coef)",
                        expected: vec![k],
                        got: vec![intercept.len()],
                    });
                }
                validation::check_finite1(intercept.view(), "warm-start intercept")?;
                theta
                    .column_mut(d)
                    .assign(&intercept.mapv(F::from_f64_lossy));
            }
        }
        Ok(theta)
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> Fit<ArrayView2<'a, F>, ArrayView1<'a, L>>
    for LogisticRegression<L>
{
    type Fitted = FittedLogisticRegression<F, L>;

    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, L>) -> Result<Self::Fitted> {
        LogisticRegression::fit(self, x, y)
    }
}
