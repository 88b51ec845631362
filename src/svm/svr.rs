//! ε-support vector regression.

use std::sync::Arc;

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::cache::SampleRows;
use super::kernel::{self, Kernel, KernelFn, RowEval, SupportVectors};
use super::solver::{self, Problem};
use super::{Progress, ProgressHook, SolverOptions};
use crate::error::{Error, Result};
use crate::linalg::Float;
use crate::sparse::Records;
use crate::traits::{Fit, Predict};
use crate::validation;

/// Hyperparameters of [`Svr`] (what a model file records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SvrHyper {
    pub c: f64,
    pub epsilon: f64,
    pub kernel: Kernel,
    pub opts: SolverOptions,
    /// `Some(ν)` for ν-SVR ([`NuSvr`](super::NuSvr)); `epsilon` is then
    /// unused (the solver finds the tube width).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nu: Option<f64>,
}

impl SvrHyper {
    /// The checks of the hyperparameters alone (fit and loaders make them).
    pub(crate) fn validate(&self) -> Result<()> {
        validation::check_positive("C", self.c)?;
        match self.nu {
            Some(nu) => super::svc::check_nu(nu)?,
            None => validation::check_non_negative("epsilon", self.epsilon)?,
        }
        self.kernel.validate()?;
        self.opts.validate()
    }
}

/// ε-support vector regression (scikit-learn's `SVR`, libsvm's ε-SVR).
///
/// Minimises `½‖w‖² + C·Σ max(0, |yᵢ − f(xᵢ)| − ε)` in the kernel's feature
/// space. The dual has two variables per sample (`αᵢ`, `αᵢ*`) and is solved by
/// the same solver as [`Svc`](super::Svc).
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{Kernel, Svr};
///
/// let x = array![[0.0], [1.0], [2.0], [3.0], [4.0]];
/// let y = array![0.0, 2.0, 4.0, 6.0, 8.0];
/// let model = Svr::new().kernel(Kernel::Linear).c(100.0).epsilon(0.01).fit(x.view(), y.view())?;
/// let p = model.predict(array![[5.0]].view())?;
/// assert!((p[0] - 10.0f64).abs() < 0.05);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Svr {
    h: SvrHyper,
    progress: Option<ProgressHook>,
}

impl Default for Svr {
    fn default() -> Self {
        Svr {
            h: SvrHyper {
                c: 1.0,
                epsilon: 0.1,
                kernel: Kernel::default(),
                opts: SolverOptions::default(),
                nu: None,
            },
            progress: None,
        }
    }
}

impl Svr {
    /// Default hyperparameters (those of scikit-learn's `SVR()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The hyperparameters (for `compose`'s `params()` and batch fitting).
    pub(crate) fn hyper(&self) -> &SvrHyper {
        &self.h
    }

    /// Regularisation `C > 0`; default `1.0`.
    pub fn c(mut self, c: f64) -> Self {
        self.h.c = c;
        self
    }

    /// Half-width `ε ≥ 0` of the loss-free tube; default `0.1`.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.h.epsilon = epsilon;
        self
    }

    /// Kernel; default `Kernel::Rbf { gamma: Gamma::Scale }`.
    pub fn kernel(mut self, kernel: Kernel) -> Self {
        self.h.kernel = kernel;
        self
    }

    /// Stopping tolerance on the maximal KKT violation; default `1e-3`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.h.opts.tol = tol;
        self
    }

    /// Shrinking heuristic; default `true`.
    pub fn shrinking(mut self, on: bool) -> Self {
        self.h.opts.shrinking = on;
        self
    }

    /// Iteration cap; default `None` (run to convergence).
    pub fn max_iter(mut self, max_iter: Option<usize>) -> Self {
        self.h.opts.max_iter = max_iter;
        self
    }

    /// Kernel-row cache budget in MB; default `200`.
    pub fn cache_size(mut self, mb: f64) -> Self {
        self.h.opts.cache_size_mb = mb;
        self
    }

    /// Calls `f` with [`Progress`] every 1000 solver iterations and at the
    /// end; default none.
    pub fn progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressHook(Arc::new(f)));
        self
    }

    /// Fits on records `x` (`n×d`, or the `n×n` kernel for
    /// [`Kernel::Precomputed`]) and targets `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`C ≤ 0`, `epsilon < 0`, `gamma ≤ 0` …),
    /// [`Error::EmptyInput`], [`Error::NonFinite`], [`Error::ShapeMismatch`].
    pub fn fit<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, F>,
    ) -> Result<FittedSvr<F>> {
        self.fit_impl(x.into(), y, None)
    }

    /// As [`Svr::fit`] with one weight `≥ 0` per sample (multiplies `C`).
    ///
    /// # Errors
    /// As [`Svr::fit`]; also invalid weights.
    pub fn fit_weighted<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedSvr<F>> {
        self.fit_impl(x.into(), y, Some(sample_weight))
    }

    /// Mutable hyperparameters (for [`NuSvr`](super::NuSvr)'s builder).
    pub(crate) fn hyper_mut(&mut self) -> &mut SvrHyper {
        &mut self.h
    }

    pub(crate) fn fit_impl<F: Float>(
        &self,
        x: Records<'_, F>,
        y: ArrayView1<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedSvr<F>> {
        let h = &self.h;
        h.validate()?;
        let x = kernel::check_train(x, &h.kernel)?;
        let n = x.nrows();
        validation::check_n_targets(n, y.len())?;
        validation::check_finite1(y, "y")?;
        let w: Vec<f64> = validation::sample_weights(sample_weight, n)?
            .iter()
            .map(|v| v.to_f64_exact())
            .collect();
        let kf = h.kernel.resolve_on(x)?;
        kernel::check_numeric_range(&kf, x)?;
        let eval = RowEval::for_records(x, kf);
        let z: Vec<f64> = y.iter().map(|v| v.to_f64_exact()).collect();
        let diag1: Vec<f64> = (0..n).map(|s| eval.diag(s)).collect();
        let prob = Problem {
            y: (0..2 * n).map(|t| if t < n { 1.0 } else { -1.0 }).collect(),
            p: (0..2 * n)
                .map(|t| {
                    // ν-SVR: no ε in the linear term (the solver finds it).
                    let eps = if h.nu.is_some() { 0.0 } else { h.epsilon };
                    if t < n { eps - z[t] } else { eps + z[t - n] }
                })
                .collect(),
            c: (0..2 * n).map(|t| h.c * w[t % n]).collect(),
            diag: diag1.iter().chain(&diag1).copied().collect(),
            sample: (0..n).chain(0..n).collect(),
        };
        let mut rows = SampleRows::new(&eval, (0..n).collect(), 2 * n, h.opts.cache_bytes());
        let hook = self.progress.clone();
        let report = |iteration, violation, active, done| {
            if let Some(hk) = &hook {
                (hk.0)(&Progress {
                    task: 0,
                    n_tasks: 1,
                    iteration,
                    violation,
                    active,
                    done,
                });
            }
        };
        let mut on_progress = |i, g, a| report(i, g, a, false);
        let sol = match h.nu {
            None => solver::solve(&mut rows, prob, h.opts.settings(), &mut on_progress),
            Some(nu) => {
                // ν-SVR (libsvm): αₜ = αₜ* from the greedy start with
                // Σαₜ = Σαₜ* = ν·ΣCₜ/2, two equality constraints.
                let mut left = nu * prob.c[..n].iter().sum::<f64>() / 2.0;
                let mut alpha0 = vec![0.0; 2 * n];
                for t in 0..n {
                    let a = prob.c[t].min(left.max(0.0));
                    left -= a;
                    alpha0[t] = a;
                    alpha0[t + n] = a;
                }
                solver::solve_from(
                    &mut rows,
                    prob,
                    alpha0,
                    true,
                    h.opts.settings(),
                    &mut on_progress,
                )
            }
        };
        if !sol.objective.is_finite() || !sol.rho.is_finite() {
            return Err(Error::NumericalFailure {
                operation: "SVR",
                reason: "non-finite objective or intercept (kernel values overflow)".into(),
            });
        }
        report(sol.n_iter, 0.0, 0, true);
        super::svc::check_solution(&sol.alpha, sol.rho, sol.objective)?;
        let coef: Vec<f64> = (0..n).map(|t| sol.alpha[t] - sol.alpha[t + n]).collect();
        let support: Vec<usize> = (0..n).filter(|&t| coef[t] != 0.0).collect();
        let dual_coef: Array1<F> = support
            .iter()
            .map(|&t| F::from_f64_lossy(coef[t]))
            .collect();
        let support_vectors = SupportVectors::select(x, &support, h.kernel == Kernel::Precomputed);
        Ok(FittedSvr {
            hyper: h.clone(),
            kernel: kf,
            n_features: x.ncols(),
            support,
            support_vectors,
            dual_coef,
            intercept: F::from_f64_lossy(-sol.rho),
            n_iter: sol.n_iter,
            objective: sol.objective,
            converged: sol.converged,
            sv_prep: Default::default(),
        })
    }
}

/// A fitted [`Svr`]: `f(x) = Σᵢ dual_coefᵢ·K(svᵢ, x) + intercept`.
///
/// # Example
/// ```
/// use oxilearn::svm::FittedSvr;
/// use oxilearn::prelude::*;
/// use oxilearn::svm::Svr;
///
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let y = array![0.0, 1.0, 0.0, 1.0];
/// let model = Svr::new().fit(x.view(), y.view())?;
/// assert_eq!(model.dual_coef().len(), model.support().len());
/// assert_eq!(model.predict(x.view())?.len(), 4);
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-svr-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// let back = FittedSvr::<f64>::load(&path)?;
/// assert_eq!(back.predict(x.view())?, model.predict(x.view())?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedSvr<F: Float> {
    pub(crate) hyper: SvrHyper,
    pub(crate) kernel: KernelFn,
    pub(crate) n_features: usize,
    pub(crate) support: Vec<usize>,
    pub(crate) support_vectors: SupportVectors<F>,
    pub(crate) dual_coef: Array1<F>,
    pub(crate) intercept: F,
    pub(crate) n_iter: usize,
    pub(crate) objective: f64,
    pub(crate) converged: bool,
    /// Prediction data derived from the support vectors, built once.
    pub(crate) sv_prep: kernel::SvPrepCache,
}

impl<F: Float> FittedSvr<F> {
    /// Features seen at fit (training samples for a precomputed kernel).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Training-set indices of the support vectors (ascending).
    pub fn support(&self) -> &[usize] {
        &self.support
    }

    /// The support vectors (`n_SV × d`: dense, or CSR when fitted on sparse
    /// records; `0 × n_train` for a precomputed kernel).
    pub fn support_vectors(&self) -> Records<'_, F> {
        self.support_vectors.records()
    }

    /// `αᵢ − αᵢ*` per support vector (scikit-learn's `dual_coef_[0]`).
    pub fn dual_coef(&self) -> ArrayView1<'_, F> {
        self.dual_coef.view()
    }

    /// The intercept (scikit-learn's `intercept_[0]`).
    pub fn intercept(&self) -> F {
        self.intercept
    }

    /// Dual objective value at the solution.
    pub fn objective(&self) -> f64 {
        self.objective
    }

    /// Solver iterations.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the solver reached `tol`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The resolved `γ`.
    pub fn gamma(&self) -> f64 {
        self.kernel.gamma()
    }

    /// Predictions, one per row of `x`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] (wrong feature count), [`Error::NonFinite`].
    pub fn predict<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array1<F>> {
        let x = x.into().check_predict(self.n_features)?;
        let b = self.intercept.to_f64_exact();
        let coef: Vec<f64> = self.dual_coef.iter().map(|v| v.to_f64_exact()).collect();
        let sv = &self.support_vectors;
        let prep = self.sv_prep.get(self.kernel, sv);
        let sk = kernel::SvKernel::new(self.kernel, sv, &self.support, prep);
        let out = sk.map_rows(x, |krow| {
            F::from_f64_lossy(super::svc::dual_dot(&coef, krow) + b)
        });
        Ok(Array1::from(out))
    }
}

impl<F: Float> FittedSvr<F> {
    /// Coefficient of determination R² of [`predict`](Self::predict) on
    /// `(x, y)` (scikit-learn's `score`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] (`y` not one per row, wrong feature count),
    /// [`Error::EmptyInput`], [`Error::NonFinite`].
    ///
    /// # Example
    /// ```
    /// use oxilearn::prelude::*;
    /// use oxilearn::svm::{Kernel, Svr};
    /// let x = array![[0.0], [1.0], [2.0], [3.0]];
    /// let y = array![0.0, 1.0, 2.0, 3.0];
    /// let model = Svr::new().kernel(Kernel::Linear).c(10.0).epsilon(0.01).fit(x.view(), y.view())?;
    /// assert!(model.score(x.view(), y.view())? > 0.99);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn score<'a>(&self, x: impl Into<Records<'a, F>>, y: ArrayView1<'_, F>) -> Result<f64> {
        let x = x.into();
        validation::check_n_targets(x.nrows(), y.len())?;
        let pred = self.predict(x)?;
        crate::metrics::r2_score(y, pred.view())
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ArrayView1<'a, F>> for Svr {
    type Fitted = FittedSvr<F>;
    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, F>) -> Result<FittedSvr<F>> {
        Svr::fit(self, x, y)
    }
}

impl<'a, F: Float> Predict<ArrayView2<'a, F>> for FittedSvr<F> {
    type Output = Array1<F>;
    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<F>> {
        FittedSvr::predict(self, x)
    }
}

/// ν-support vector regression (scikit-learn's `NuSVR`, libsvm's ν-SVR).
///
/// Instead of the tube half-width `ε` of [`Svr`], `ν ∈ (0, 1]` bounds the
/// fraction of samples outside the tube from above and the fraction of
/// support vectors from below; the width is found by the solver. The dual
/// (Schölkopf et al. 2000) keeps `Σ(αᵢ − αᵢ*) = 0` and
/// `Σ(αᵢ + αᵢ*) = ν·Σ Cᵢ` (`Cᵢ = C·wᵢ`), solved by the shared SMO solver in
/// its two-constraint mode from libsvm's greedy start. Defaults as
/// scikit-learn: `nu = 0.5`, `C = 1`, RBF kernel with `gamma = "scale"`.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{Kernel, NuSvr};
///
/// let x = array![[0.0], [1.0], [2.0], [3.0], [4.0]];
/// let y = array![0.0, 2.0, 4.0, 6.0, 8.0];
/// let model = NuSvr::new().nu(0.5).c(100.0).kernel(Kernel::Linear).fit(x.view(), y.view())?;
/// let p = model.predict(array![[5.0]].view())?;
/// assert!((p[0] - 10.0f64).abs() < 0.1);
/// assert!(model.score(x.view(), y.view())? > 0.99);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NuSvr {
    inner: Svr,
}

impl Default for NuSvr {
    fn default() -> Self {
        let mut inner = Svr::default();
        inner.hyper_mut().nu = Some(0.5);
        NuSvr { inner }
    }
}

impl NuSvr {
    /// Default hyperparameters (those of scikit-learn's `NuSVR()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The underlying hyperparameters (for `compose`'s `params()`).
    pub(crate) fn hyper(&self) -> &SvrHyper {
        self.inner.hyper()
    }

    /// `ν ∈ (0, 1]`; default `0.5`.
    pub fn nu(mut self, nu: f64) -> Self {
        self.inner.hyper_mut().nu = Some(nu);
        self
    }

    /// Regularisation `C > 0`; default `1.0`.
    pub fn c(mut self, c: f64) -> Self {
        self.inner = self.inner.c(c);
        self
    }

    /// Kernel; default `Kernel::Rbf { gamma: Gamma::Scale }`.
    pub fn kernel(mut self, kernel: Kernel) -> Self {
        self.inner = self.inner.kernel(kernel);
        self
    }

    /// Stopping tolerance on the maximal KKT violation; default `1e-3`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.inner = self.inner.tol(tol);
        self
    }

    /// Shrinking heuristic; default `true`.
    pub fn shrinking(mut self, on: bool) -> Self {
        self.inner = self.inner.shrinking(on);
        self
    }

    /// Iteration cap; default `None` (run to convergence).
    pub fn max_iter(mut self, max_iter: Option<usize>) -> Self {
        self.inner = self.inner.max_iter(max_iter);
        self
    }

    /// Kernel-row cache budget in MB; default `200`.
    pub fn cache_size(mut self, mb: f64) -> Self {
        self.inner = self.inner.cache_size(mb);
        self
    }

    /// Calls `f` with [`Progress`] every 1000 solver iterations and at the
    /// end; default none.
    pub fn progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.inner = self.inner.progress(f);
        self
    }

    /// Fits on records `x` (`n×d`, or the `n×n` kernel for
    /// [`Kernel::Precomputed`]) and targets `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`nu` outside `(0, 1]`, `C ≤ 0`,
    /// `gamma ≤ 0` …), [`Error::EmptyInput`], [`Error::NonFinite`],
    /// [`Error::ShapeMismatch`].
    pub fn fit<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, F>,
    ) -> Result<FittedNuSvr<F>> {
        self.inner.fit_impl(x.into(), y, None).map(FittedNuSvr)
    }

    /// As [`NuSvr::fit`] with one weight `≥ 0` per sample (multiplies `C`).
    ///
    /// # Errors
    /// As [`NuSvr::fit`]; also invalid weights.
    pub fn fit_weighted<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedNuSvr<F>> {
        self.inner
            .fit_impl(x.into(), y, Some(sample_weight))
            .map(FittedNuSvr)
    }
}

/// A fitted [`NuSvr`]: every method of [`FittedSvr`] (`predict`, `score`,
/// `support`, `dual_coef`, `intercept` …) through `Deref`; saved and loaded
/// as kind `"NuSvr"`.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::persist::Persist;
/// use oxilearn::svm::{FittedNuSvr, NuSvr};
///
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let y = array![0.0, 1.0, 0.5, 1.5];
/// let model = NuSvr::new().fit(x.view(), y.view())?;
/// let path = std::env::temp_dir().join("oxilearn_doc_nusvr.safetensors");
/// model.save(&path)?;
/// let back = FittedNuSvr::<f64>::load(&path)?;
/// assert_eq!(back.predict(x.view())?, model.predict(x.view())?);
/// assert_eq!(back.nu(), 0.5);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedNuSvr<F: Float>(pub(crate) FittedSvr<F>);

impl<F: Float> FittedNuSvr<F> {
    /// The `ν` the model was fitted with.
    pub fn nu(&self) -> f64 {
        self.0.hyper.nu.unwrap_or(0.5)
    }

    /// The fitted regressor.
    pub fn into_inner(self) -> FittedSvr<F> {
        self.0
    }
}

impl<F: Float> std::ops::Deref for FittedNuSvr<F> {
    type Target = FittedSvr<F>;
    fn deref(&self) -> &FittedSvr<F> {
        &self.0
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ArrayView1<'a, F>> for NuSvr {
    type Fitted = FittedNuSvr<F>;
    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, F>) -> Result<FittedNuSvr<F>> {
        NuSvr::fit(self, x, y)
    }
}

impl<'a, F: Float> Predict<ArrayView2<'a, F>> for FittedNuSvr<F> {
    type Output = Array1<F>;
    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<F>> {
        self.0.predict(x)
    }
}
