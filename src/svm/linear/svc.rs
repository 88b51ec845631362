//! [`LinearSvc`] → [`FittedLinearSvc`].

use std::hash::Hash;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::crammer_singer;
use super::design::{self, Design};
use super::dual_cd::{self, DualLoss, Outcome, Rows};
use super::primal_l1::{self, Columns};
use super::tron;
use crate::class_weight::ClassWeight;
use crate::error::{Error, Result};
use crate::linalg::Float;
use crate::sparse::Records;
use crate::traits::{Fit, Predict};
use crate::validation;

/// The loss of a [`LinearSvc`].
///
/// # Example
/// ```
/// use oxilearn::svm::{LinearSvc, LinearSvcLoss};
/// let m = LinearSvc::<u8>::new().loss(LinearSvcLoss::Hinge);
/// assert_eq!(m.get_loss(), LinearSvcLoss::Hinge);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinearSvcLoss {
    /// `max(0, 1 − y·f(x))` (scikit-learn's `loss="hinge"`).
    Hinge,
    /// `max(0, 1 − y·f(x))²` (`loss="squared_hinge"`, the default).
    #[default]
    SquaredHinge,
}

/// The penalty of a [`LinearSvc`] (on every weight, the intercept's
/// included — see the [module docs](crate::svm#linear-svms)).
///
/// # Example
/// ```
/// use oxilearn::svm::{LinearSvc, LinearSvmPenalty};
/// let m = LinearSvc::<u8>::new().penalty(LinearSvmPenalty::L1);
/// assert_eq!(m.get_penalty(), LinearSvmPenalty::L1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinearSvmPenalty {
    /// `½‖w‖²` (the default), solved in the dual.
    #[default]
    L2,
    /// `‖w‖₁` (sparse weights), solved in the primal; squared hinge only.
    L1,
}

/// How a [`LinearSvc`] handles more than two classes: scikit-learn's
/// `multi_class`.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{LinearSvc, LinearSvcMultiClass};
///
/// let x = array![[0.0, 0.0], [0.2, 0.1], [3.0, 0.0], [3.1, 0.2], [0.0, 3.0], [0.1, 3.2]];
/// let y = array![0, 0, 1, 1, 2, 2];
/// let model = LinearSvc::new()
///     .multi_class(LinearSvcMultiClass::CrammerSinger)
///     .fit(x.view(), y.view())?;
/// assert_eq!(model.coef().dim(), (3, 2)); // one weight vector per class
/// assert_eq!(model.predict(x.view())?, y);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinearSvcMultiClass {
    /// One binary problem per class against the rest (the default; one
    /// problem for two classes).
    #[default]
    OneVsRest,
    /// One joint problem over all classes (Crammer & Singer 2001): the
    /// multiclass hinge `maxₘ (1 − δ_{m,yᵢ} + wₘᵀxᵢ) − w_{yᵢ}ᵀxᵢ`, `½Σₘ‖wₘ‖²`,
    /// solved by the sequential dual method of Keerthi et al. (2008). The
    /// loss, penalty and solver settings do not apply (as in scikit-learn).
    /// With two classes the model keeps one row, `w₁ − w₀`, as scikit-learn.
    CrammerSinger,
}

/// Which problem a [`LinearSvc`] solves: scikit-learn's `dual` parameter.
/// Both reach the same minimiser of the primal objective; their speed
/// differs.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{LinearSvc, LinearSvcSolver};
///
/// let x = array![[-2.0, -1.0], [-1.0, -1.5], [-1.5, -0.5], [1.0, 1.0], [2.0, 1.5], [1.5, 0.5]];
/// let y = array![0, 0, 0, 1, 1, 1];
/// let primal = LinearSvc::new().solver(LinearSvcSolver::Primal).tol(1e-10).fit(x.view(), y.view())?;
/// let dual = LinearSvc::new().solver(LinearSvcSolver::Dual).tol(1e-10).fit(x.view(), y.view())?;
/// assert!((primal.objective()[0] - dual.objective()[0]).abs() < 1e-9);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinearSvcSolver {
    /// scikit-learn's `dual="auto"` (the default): the primal when there are
    /// at least as many samples as features and the primal takes the loss
    /// and penalty (not the hinge loss), else the dual; L1 is always primal.
    #[default]
    Auto,
    /// `dual=True`: dual coordinate descent with shrinking (L2 penalty).
    Dual,
    /// `dual=False`: the primal — a trust-region Newton method for the L2
    /// squared hinge, coordinate descent for L1 (not for the hinge loss).
    Primal,
}

/// Linear support vector classifier (scikit-learn's `LinearSVC`, liblinear).
///
/// Minimises, for each one-vs-rest problem (a single one for two classes),
///
/// ```text
/// ½‖w‖² + Σᵢ Cᵢ·max(0, 1 − yᵢ·wᵀxᵢ)ᵖ      (L2 penalty; ‖w‖₁ for L1)
/// ```
///
/// with `p = 1` (hinge) or `2` (squared hinge), `yᵢ = ±1`, and `Cᵢ = C ×`
/// sample weight `×` class weight. As in liblinear, in a one-vs-rest problem
/// the class weight multiplies the costs of the positive class's samples
/// only; with two classes each class has its own. With `fit_intercept` the
/// weights include the intercept's, on a constant feature
/// `intercept_scaling`, **regularised** like the others.
///
/// Defaults as scikit-learn: `C = 1`, squared hinge, L2, `tol = 1e-4`,
/// `max_iter = 1000`, intercept with `intercept_scaling = 1`, no class
/// weights, [`LinearSvcSolver::Auto`]. The L2 squared hinge is solved in the
/// primal by a trust-region Newton method (Lin, Weng & Keerthi 2008) when
/// there are at least as many samples as features, else (and always for the
/// hinge loss) in the dual by coordinate descent with shrinking (Hsieh et
/// al. 2008), as scikit-learn's `dual="auto"` does; the L1 problem by primal
/// coordinate descent (Yuan et al. 2010). The dual and L1 solvers visit
/// samples / features in a random order, from [`seed`](Self::seed). With
/// [`LinearSvcMultiClass::CrammerSinger`] all classes share one joint
/// problem instead of one-vs-rest ones.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{LinearSvc, LinearSvcLoss};
///
/// let x = array![[-2.0, -1.0], [-1.0, -1.5], [-1.5, -0.5], [1.0, 1.0], [2.0, 1.5], [1.5, 0.5]];
/// let y = array!["no", "no", "no", "yes", "yes", "yes"];
/// let model = LinearSvc::new().c(10.0).loss(LinearSvcLoss::Hinge).fit(x.view(), y.view())?;
/// assert!(model.converged());
/// assert_eq!(model.coef().dim(), (1, 2)); // one row: the decision for "yes"
/// assert_eq!(model.predict(array![[-3.0, -2.0], [3.0, 2.0]].view())?, array!["no", "yes"]);
/// assert_eq!(model.score(x.view(), y.view())?, 1.0);
/// // C must be positive
/// assert!(LinearSvc::new().c(0.0).fit(x.view(), y.view()).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LinearSvc<L = usize> {
    hyper: LinearSvcHyper,
    class_weight: ClassWeight<L>,
}

/// The serialisable hyperparameters (model files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LinearSvcHyper {
    pub c: f64,
    pub loss: LinearSvcLoss,
    pub penalty: LinearSvmPenalty,
    /// Absent from files written before the solver choice existed: `Auto`.
    #[serde(default)]
    pub solver: LinearSvcSolver,
    /// Absent from files written before the multiclass choice existed:
    /// one-vs-rest.
    #[serde(default)]
    pub multi_class: LinearSvcMultiClass,
    pub tol: f64,
    pub max_iter: usize,
    pub fit_intercept: bool,
    pub intercept_scaling: f64,
    /// `"none"`, `"balanced"` or `"explicit"`.
    pub class_weight: String,
    pub seed: u64,
}

impl Default for LinearSvcHyper {
    fn default() -> Self {
        LinearSvcHyper {
            c: 1.0,
            loss: LinearSvcLoss::SquaredHinge,
            penalty: LinearSvmPenalty::L2,
            solver: LinearSvcSolver::Auto,
            multi_class: LinearSvcMultiClass::OneVsRest,
            tol: 1e-4,
            max_iter: 1000,
            fit_intercept: true,
            intercept_scaling: 1.0,
            class_weight: "none".into(),
            seed: 0,
        }
    }
}

impl LinearSvcHyper {
    /// The checks `fit` makes; loaders make them too.
    pub(crate) fn validate(&self) -> Result<()> {
        validation::check_positive("C", self.c)?;
        validation::check_positive("tol", self.tol)?;
        if self.max_iter == 0 {
            return Err(Error::invalid("max_iter", "must be >= 1"));
        }
        if self.fit_intercept {
            validation::check_positive("intercept_scaling", self.intercept_scaling)?;
        }
        if self.penalty == LinearSvmPenalty::L1 && self.loss == LinearSvcLoss::Hinge {
            return Err(Error::invalid(
                "penalty",
                "the L1 penalty takes the squared hinge loss only (as scikit-learn's LinearSVC)",
            ));
        }
        if self.solver == LinearSvcSolver::Primal && self.loss == LinearSvcLoss::Hinge {
            return Err(Error::invalid(
                "solver",
                "the hinge loss is solved in the dual only (as scikit-learn's LinearSVC)",
            ));
        }
        if self.solver == LinearSvcSolver::Dual && self.penalty == LinearSvmPenalty::L1 {
            return Err(Error::invalid(
                "solver",
                "the L1 penalty is solved in the primal only (as scikit-learn's LinearSVC)",
            ));
        }
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

impl<L> Default for LinearSvc<L> {
    fn default() -> Self {
        LinearSvc {
            hyper: LinearSvcHyper::default(),
            class_weight: ClassWeight::None,
        }
    }
}

impl<L> LinearSvc<L> {
    /// Default hyperparameters (scikit-learn's `LinearSVC()`); `L` is the
    /// label type.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cost `C > 0` of the losses (inverse regularisation strength); default
    /// `1.0`.
    pub fn c(mut self, c: f64) -> Self {
        self.hyper.c = c;
        self
    }

    /// The loss; default [`LinearSvcLoss::SquaredHinge`].
    pub fn loss(mut self, loss: LinearSvcLoss) -> Self {
        self.hyper.loss = loss;
        self
    }

    /// The penalty; default [`LinearSvmPenalty::L2`]. L1 takes the squared
    /// hinge only.
    pub fn penalty(mut self, penalty: LinearSvmPenalty) -> Self {
        self.hyper.penalty = penalty;
        self
    }

    /// Which problem is solved; default [`LinearSvcSolver::Auto`].
    pub fn solver(mut self, solver: LinearSvcSolver) -> Self {
        self.hyper.solver = solver;
        self
    }

    /// How more than two classes are handled; default
    /// [`LinearSvcMultiClass::OneVsRest`].
    pub fn multi_class(mut self, multi_class: LinearSvcMultiClass) -> Self {
        self.hyper.multi_class = multi_class;
        self
    }

    /// Stopping tolerance `> 0`; default `1e-4`, with scikit-learn's
    /// meaning for each solver. Dual: on the spread of the projected
    /// gradients (`max − min ≤ tol`); primal Newton (L2): `‖∇f(w)‖ ≤ tol ·
    /// max(min(n₊, n₋), 1)/n · ‖∇f(0)‖`; L1: on the minimum-norm subgradient
    /// relative to its starting value, with the same `min(n₊, n₋)/n` factor.
    pub fn tol(mut self, tol: f64) -> Self {
        self.hyper.tol = tol;
        self
    }

    /// Maximal iterations per one-vs-rest problem, `≥ 1`; default `1000`:
    /// passes over the data (dual, L1) or Newton iterations (primal L2).
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
    /// intercept; default `1.0`. Larger values regularise the intercept less.
    pub fn intercept_scaling(mut self, s: f64) -> Self {
        self.hyper.intercept_scaling = s;
        self
    }

    /// Class weights (multiplying `C`); default [`ClassWeight::None`].
    pub fn class_weight(mut self, class_weight: ClassWeight<L>) -> Self {
        self.hyper.class_weight = class_weight.name().into();
        self.class_weight = class_weight;
        self
    }

    /// Seed of the random visiting order; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.hyper.seed = seed;
        self
    }

    /// `C`.
    pub fn get_c(&self) -> f64 {
        self.hyper.c
    }

    /// The loss.
    pub fn get_loss(&self) -> LinearSvcLoss {
        self.hyper.loss
    }

    /// The penalty.
    pub fn get_penalty(&self) -> LinearSvmPenalty {
        self.hyper.penalty
    }

    /// The solver setting.
    pub fn get_solver(&self) -> LinearSvcSolver {
        self.hyper.solver
    }

    /// The class weights.
    pub fn get_class_weight(&self) -> &ClassWeight<L> {
        &self.class_weight
    }

    pub(crate) fn hyper(&self) -> &LinearSvcHyper {
        &self.hyper
    }
}

/// A fitted [`LinearSvc`].
///
/// Two classes: one coefficient row, positive for `classes()[1]` (as
/// scikit-learn's `coef_`); more: one row per class (one-vs-rest), and
/// `predict` takes the largest decision value.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{FittedLinearSvc, LinearSvc};
///
/// let iris = oxilearn::datasets::iris();
/// let model = LinearSvc::new().fit(iris.records.view(), iris.targets.view())?;
/// assert_eq!(model.coef().dim(), (3, 4));
/// assert_eq!(model.decision_function(iris.records.view())?.dim(), (150, 3));
/// assert!(model.score(iris.records.view(), iris.targets.view())? > 0.9);
///
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-linsvc-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// let back = FittedLinearSvc::<f64, usize>::load(&path)?;
/// assert_eq!(back.predict(iris.records.view())?, model.predict(iris.records.view())?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedLinearSvc<F, L> {
    pub(crate) hyper: LinearSvcHyper,
    pub(crate) classes: Vec<L>,
    pub(crate) coef: Array2<F>,
    pub(crate) intercept: Array1<F>,
    pub(crate) n_iter: Vec<usize>,
    pub(crate) converged: bool,
    pub(crate) objective: Vec<f64>,
}

impl<L: Clone + Eq + Hash + Ord> LinearSvc<L> {
    /// Fits on records `x` (`n × d`, dense or a CSR matrix: anything that converts
    /// into [`Records`]) and labels `y`. Dense and sparse records give the same model, to
    /// rounding; sparse ones cost their stored entries, not `n × d`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `C ≤ 0`, `tol ≤ 0`, `max_iter = 0`,
    /// `intercept_scaling ≤ 0` with an intercept, the L1 penalty with the
    /// hinge loss or the dual solver, the hinge loss with the primal solver,
    /// or bad class weights; [`Error::EmptyInput`],
    /// [`Error::NonFinite`], [`Error::ShapeMismatch`] for bad data;
    /// [`Error::SingleClass`] when `y` holds one label.
    pub fn fit<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, L>,
    ) -> Result<FittedLinearSvc<F, L>> {
        self.fit_impl(x.into(), y, None)
    }

    /// Fits with per-sample weights (non-negative, not all zero) that
    /// multiply each sample's `C`, as scikit-learn's `fit(X, y,
    /// sample_weight)`.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), plus [`Error::ShapeMismatch`] /
    /// [`Error::InvalidParameter`] / [`Error::NonFinite`] for bad weights.
    pub fn fit_weighted<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, L>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedLinearSvc<F, L>> {
        self.fit_impl(x.into(), y, Some(sample_weight))
    }

    fn fit_impl<F: Float>(
        &self,
        x: Records<'_, F>,
        y: ArrayView1<'_, L>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedLinearSvc<F, L>> {
        let h = &self.hyper;
        h.validate()?;
        let x = Design::new(x)?;
        let (n, d) = x.dim();
        validation::check_n_targets(n, y.len())?;
        let sw: Vec<f64> = validation::sample_weights(sample_weight, n)?
            .iter()
            .map(|v| v.to_f64_exact())
            .collect();
        let (classes, codes) = validation::encode_labels(y, 2)?;
        let cw = self.class_weight.resolve(&classes, &codes, Some(&sw))?;
        let bias = h.fit_intercept.then_some(h.intercept_scaling);
        let p = d + usize::from(bias.is_some());
        let k = classes.len();
        if h.multi_class == LinearSvcMultiClass::CrammerSinger {
            // Cᵢ = C · class weight of yᵢ · sample weight
            let costs: Vec<f64> = codes
                .iter()
                .zip(&sw)
                .map(|(&c, &s)| h.c * cw[c] * s)
                .collect();
            let mut buf = Vec::new();
            let rows = x.rows(bias, &mut buf);
            let o = crammer_singer::solve(&rows, &codes, k, &costs, h.tol, h.max_iter, h.seed);
            let f = crammer_singer::primal_objective(&rows, &codes, k, &costs, &o.w);
            // two classes: one row, w₁ − w₀ (scikit-learn's layout)
            let weight = |r: usize, j: usize| {
                if k == 2 {
                    o.w[p + j] - o.w[j]
                } else {
                    o.w[r * p + j]
                }
            };
            let rows_out = if k == 2 { 1 } else { k };
            let coef =
                Array2::from_shape_fn((rows_out, d), |(r, j)| F::from_f64_lossy(weight(r, j)));
            let intercept = Array1::from_shape_fn(rows_out, |r| {
                bias.map_or(F::zero(), |s| F::from_f64_lossy(s * weight(r, d)))
            });
            return Ok(FittedLinearSvc {
                hyper: h.clone(),
                classes,
                coef,
                intercept,
                n_iter: vec![o.n_iter; rows_out],
                converged: o.converged,
                objective: vec![f; rows_out],
            });
        }
        // one problem per coefficient row: (labels ±1, costs)
        let problems: Vec<(Vec<f64>, Vec<f64>)> = if k == 2 {
            let yy = codes
                .iter()
                .map(|&c| if c == 1 { 1.0 } else { -1.0 })
                .collect();
            let cc = codes
                .iter()
                .zip(&sw)
                .map(|(&c, &s)| h.c * cw[c] * s)
                .collect();
            vec![(yy, cc)]
        } else {
            (0..k)
                .map(|j| {
                    let yy = codes
                        .iter()
                        .map(|&c| if c == j { 1.0 } else { -1.0 })
                        .collect();
                    let cc = codes
                        .iter()
                        .zip(&sw)
                        .map(|(&c, &s)| h.c * s * if c == j { cw[j] } else { 1.0 })
                        .collect();
                    (yy, cc)
                })
                .collect()
        };
        let outcomes: Vec<(Outcome, f64)> = match h.penalty {
            LinearSvmPenalty::L2 => {
                let mut buf = Vec::new();
                let rows = x.rows(bias, &mut buf);
                let loss = match h.loss {
                    LinearSvcLoss::Hinge => DualLoss::L1,
                    LinearSvcLoss::SquaredHinge => DualLoss::L2,
                };
                let primal = match h.solver {
                    LinearSvcSolver::Primal => true,
                    LinearSvcSolver::Dual => false,
                    LinearSvcSolver::Auto => loss == DualLoss::L2 && n >= d,
                };
                problems
                    .par_iter()
                    .map(|(yy, cc)| {
                        let o = if primal {
                            tron::solve_svc(&rows, yy, cc, h.tol, h.max_iter)
                        } else {
                            dual_cd::solve_svc(&rows, yy, cc, loss, h.tol, h.max_iter, h.seed)
                        };
                        let f = primal_objective(&rows, yy, cc, &o.w, loss, false);
                        (o, f)
                    })
                    .collect()
            }
            LinearSvmPenalty::L1 => {
                let (col_data, csc);
                let cols = match &x {
                    Design::Dense(xd) => {
                        col_data = design::columns(*xd, bias);
                        Columns::dense(&col_data, n, p)
                    }
                    Design::Sparse(xs) => {
                        csc = xs.to_columns(bias);
                        Columns::Sparse(&csc)
                    }
                };
                let mut buf = Vec::new();
                let rows = x.rows(bias, &mut buf);
                problems
                    .par_iter()
                    .map(|(yy, cc)| {
                        let o = primal_l1::solve(&cols, yy, cc, h.tol, h.max_iter, h.seed);
                        let f = primal_objective(&rows, yy, cc, &o.w, DualLoss::L2, true);
                        (o, f)
                    })
                    .collect()
            }
        };
        let rows_out = outcomes.len();
        let mut coef = Array2::<F>::zeros((rows_out, d));
        let mut intercept = Array1::<F>::zeros(rows_out);
        for (r, (o, _)) in outcomes.iter().enumerate() {
            for j in 0..d {
                coef[[r, j]] = F::from_f64_lossy(o.w[j]);
            }
            if let Some(s) = bias {
                intercept[r] = F::from_f64_lossy(s * o.w[d]);
            }
        }
        Ok(FittedLinearSvc {
            hyper: h.clone(),
            classes,
            coef,
            intercept,
            n_iter: outcomes.iter().map(|(o, _)| o.n_iter).collect(),
            converged: outcomes.iter().all(|(o, _)| o.converged),
            objective: outcomes.iter().map(|(_, f)| *f).collect(),
        })
    }
}

/// `R(w) + Σ Cᵢ·max(0, 1 − yᵢwᵀxᵢ)ᵖ`, `R` = `½‖w‖²` or `‖w‖₁` (`l1`).
fn primal_objective(
    x: &Rows<'_>,
    y: &[f64],
    c: &[f64],
    w: &[f64],
    loss: DualLoss,
    l1: bool,
) -> f64 {
    let mut f = if l1 {
        w.iter().map(|v| v.abs()).sum()
    } else {
        0.5 * dual_cd::dot(w, w)
    };
    for i in 0..x.n() {
        if c[i] > 0.0 {
            let m = (1.0 - y[i] * x.dot(i, w)).max(0.0);
            f += c[i]
                * match loss {
                    DualLoss::L1 => m,
                    DualLoss::L2 => m * m,
                };
        }
    }
    f
}

impl<F: Float, L> FittedLinearSvc<F, L> {
    /// Coefficients: `1 × n_features` (two classes) or `n_classes ×
    /// n_features`.
    pub fn coef(&self) -> &Array2<F> {
        &self.coef
    }

    /// Intercepts, one per coefficient row (zeros without intercept).
    pub fn intercept(&self) -> &Array1<F> {
        &self.intercept
    }

    /// The class labels, sorted.
    pub fn classes(&self) -> &[L] {
        &self.classes
    }

    /// Number of features the model was fitted with.
    pub fn n_features(&self) -> usize {
        self.coef.ncols()
    }

    /// The value of the constant feature that carried the intercept (its
    /// weight is `intercept / intercept_scaling`); `1.0` without intercept.
    pub fn intercept_scaling(&self) -> f64 {
        if self.hyper.fit_intercept {
            self.hyper.intercept_scaling
        } else {
            1.0
        }
    }

    /// Passes over the data of the longest one-vs-rest problem
    /// (scikit-learn's `n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter.iter().copied().max().unwrap_or(0)
    }

    /// Passes over the data per coefficient row.
    pub fn n_iter_per_problem(&self) -> &[usize] {
        &self.n_iter
    }

    /// Whether every problem met the stopping criterion within `max_iter`
    /// (scikit-learn warns with a `ConvergenceWarning` otherwise).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The primal objective of each coefficient row's problem at the
    /// solution, `½‖w‖² + Σ Cᵢ·lossᵢ` (`‖w‖₁` for L1), `w` including the
    /// intercept's weight.
    pub fn objective(&self) -> &[f64] {
        &self.objective
    }

    /// Decision values `x·coefᵀ + intercept`: `n × 1` for two classes
    /// (positive for `classes()[1]`), `n × n_classes` otherwise. `x` is dense or a CSR
    /// matrix, whichever the model was fitted on.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on a wrong feature count,
    /// [`Error::NonFinite`] on NaN/inf.
    pub fn decision_function<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array2<F>> {
        crate::sparse::linear_decision(x.into(), self.coef.view(), self.intercept.view())
    }
}

impl<F: Float, L: Clone> FittedLinearSvc<F, L> {
    /// The predicted class of each row: `classes()[1]` where the decision is
    /// positive (two classes), else the class of the largest decision value
    /// (the first on ties).
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

impl<F: Float, L: Clone + PartialEq> FittedLinearSvc<F, L> {
    /// Accuracy of [`predict`](Self::predict) on `(x, y)`.
    ///
    /// # Errors
    /// As [`decision_function`](Self::decision_function), plus
    /// [`Error::ShapeMismatch`] when `y` has another length.
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

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> Fit<ArrayView2<'a, F>, ArrayView1<'a, L>>
    for LinearSvc<L>
{
    type Fitted = FittedLinearSvc<F, L>;

    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, L>) -> Result<Self::Fitted> {
        LinearSvc::fit(self, x, y)
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> Predict<ArrayView2<'a, F>>
    for FittedLinearSvc<F, L>
{
    type Output = Array1<L>;

    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<L>> {
        FittedLinearSvc::predict(self, x)
    }
}
