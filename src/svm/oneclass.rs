//! One-class SVM: novelty and outlier detection.
//!
//! Schölkopf, Platt, Shawe-Taylor, Smola & Williamson (2001), "Estimating
//! the support of a high-dimensional distribution": the dual
//!
//! ```text
//! min_α ½·αᵀKα   s.t.  0 ≤ αₜ ≤ wₜ,  Σ αₜ = ν·Σ wₜ
//! ```
//!
//! (`wₜ` the sample weights, 1 by default; libsvm's scaling, as
//! scikit-learn's `OneClassSVM`), solved by the shared SMO solver from the
//! greedy feasible start `α = (w₁, w₂, …, remainder, 0, …)`. The score of a
//! point is `s(x) = Σ αₜ·K(xₜ, x)`, the offset `ρ` the solver's threshold;
//! `decision_function = s(x) − ρ` is positive inside the estimated support
//! (inliers, `+1`) and negative outside (outliers, `−1`). ν is an upper
//! bound on the fraction of training outliers and a lower bound on the
//! fraction of support vectors.

use std::sync::Arc;

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::cache::SampleRows;
use super::kernel::{self, Kernel, KernelFn, RowEval, SupportVectors};
use super::solver::{self, Problem};
use super::svc::check_nu;
use super::{Progress, ProgressHook, SolverOptions};
use crate::error::{Error, Result};
use crate::linalg::Float;
use crate::persist::{ModelFile, Persist};
use crate::sparse::Records;
use crate::traits::{Fit, Predict};
use crate::validation;

/// Hyperparameters of [`OneClassSvm`] (what a model file records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OneClassHyper {
    pub nu: f64,
    pub kernel: Kernel,
    pub opts: SolverOptions,
}

impl OneClassHyper {
    /// The checks of the hyperparameters alone (fit and the loader).
    pub(crate) fn validate(&self) -> Result<()> {
        check_nu(self.nu)?;
        self.kernel.validate()?;
        self.opts.validate()
    }
}

/// One-class SVM (scikit-learn's `OneClassSVM`, libsvm's one-class SVM):
/// learns the support of the training data; new points outside it are
/// outliers.
///
/// Defaults as scikit-learn: `nu = 0.5`, RBF kernel with `gamma = "scale"`,
/// `tol = 1e-3`, shrinking on.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{Gamma, Kernel, OneClassSvm};
///
/// let x = array![[0.0, 0.0], [0.1, 0.2], [0.2, 0.0], [-0.1, 0.1], [0.0, -0.2], [0.1, 0.1]];
/// let model = OneClassSvm::new()
///     .nu(0.2)
///     .kernel(Kernel::Rbf { gamma: Gamma::Value(1.0) })
///     .fit(x.view())?;
/// // near the data: inlier (+1); far away: outlier (−1)
/// assert_eq!(model.predict(array![[0.05, 0.05], [4.0, 4.0]].view())?, array![1, -1]);
/// let d = model.decision_function(array![[4.0, 4.0]].view())?;
/// assert!(d[0] < 0.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OneClassSvm {
    h: OneClassHyper,
    progress: Option<ProgressHook>,
}

impl Default for OneClassSvm {
    fn default() -> Self {
        OneClassSvm {
            h: OneClassHyper {
                nu: 0.5,
                kernel: Kernel::default(),
                opts: SolverOptions::default(),
            },
            progress: None,
        }
    }
}

impl OneClassSvm {
    /// Default hyperparameters (those of scikit-learn's `OneClassSVM()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The hyperparameters (for `compose`'s `params()`).
    pub(crate) fn hyper(&self) -> &OneClassHyper {
        &self.h
    }

    /// `ν ∈ (0, 1]`: an upper bound on the fraction of training outliers
    /// and a lower bound on the fraction of support vectors; default `0.5`.
    pub fn nu(mut self, nu: f64) -> Self {
        self.h.nu = nu;
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
    /// [`Kernel::Precomputed`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`nu` outside `(0, 1]`, `gamma ≤ 0`,
    /// `tol ≤ 0` …), [`Error::EmptyInput`], [`Error::NonFinite`],
    /// [`Error::ShapeMismatch`].
    pub fn fit<'a, F: Float>(&self, x: impl Into<Records<'a, F>>) -> Result<FittedOneClassSvm<F>> {
        self.fit_impl(x.into(), None)
    }

    /// As [`OneClassSvm::fit`] with one weight `≥ 0` per sample (each
    /// `αₜ ≤ wₜ`, `Σα = ν·Σw`, as scikit-learn).
    ///
    /// # Errors
    /// As [`OneClassSvm::fit`]; also invalid weights (negative, non-finite,
    /// all zero, wrong length).
    pub fn fit_weighted<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedOneClassSvm<F>> {
        self.fit_impl(x.into(), Some(sample_weight))
    }

    fn fit_impl<F: Float>(
        &self,
        x: Records<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedOneClassSvm<F>> {
        let h = &self.h;
        h.validate()?;
        let x = kernel::check_train(x, &h.kernel)?;
        let n = x.nrows();
        let w: Vec<f64> = validation::sample_weights(sample_weight, n)?
            .iter()
            .map(|v| v.to_f64_exact())
            .collect();
        let total: f64 = w.iter().sum();
        if total <= 0.0 {
            return Err(Error::invalid(
                "sample_weight",
                "at least one sample must have a positive weight",
            ));
        }
        let kf = h.kernel.resolve_on(x)?;
        kernel::check_numeric_range(&kf, x)?;
        let eval = RowEval::for_records(x, kf);
        let mut left = h.nu * total;
        let alpha0: Vec<f64> = w
            .iter()
            .map(|&c| {
                let a = c.min(left.max(0.0));
                left -= a;
                a
            })
            .collect();
        let prob = Problem {
            y: vec![1.0; n],
            p: vec![0.0; n],
            c: w,
            diag: (0..n).map(|s| eval.diag(s)).collect(),
            sample: (0..n).collect(),
        };
        let mut rows = SampleRows::new(&eval, (0..n).collect(), n, h.opts.cache_bytes());
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
        let sol = solver::solve_from(
            &mut rows,
            prob,
            alpha0,
            false,
            h.opts.settings(),
            &mut |i, g, a| report(i, g, a, false),
        );
        report(sol.n_iter, 0.0, 0, true);
        super::svc::check_solution(&sol.alpha, sol.rho, sol.objective)?;
        let support: Vec<usize> = (0..n).filter(|&t| sol.alpha[t] > 0.0).collect();
        let dual_coef: Array1<F> = support
            .iter()
            .map(|&t| F::from_f64_lossy(sol.alpha[t]))
            .collect();
        let support_vectors = SupportVectors::select(x, &support, h.kernel == Kernel::Precomputed);
        Ok(FittedOneClassSvm {
            hyper: h.clone(),
            kernel: kf,
            n_features: x.ncols(),
            support,
            support_vectors,
            dual_coef,
            offset: F::from_f64_lossy(sol.rho),
            n_iter: sol.n_iter,
            objective: sol.objective,
            converged: sol.converged,
            sv_prep: Default::default(),
        })
    }
}

/// A fitted [`OneClassSvm`]: `score_samples(x) = Σ αₜ·K(svₜ, x)`,
/// `decision_function(x) = score_samples(x) − offset`, `predict` `±1`.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::persist::Persist;
/// use oxilearn::svm::{FittedOneClassSvm, OneClassSvm};
///
/// let x: oxilearn::ndarray::Array2<f64> = array![[0.0], [0.1], [0.2], [0.3], [5.0]];
/// let model = OneClassSvm::new().nu(0.3).fit(x.view())?;
/// let s = model.score_samples(x.view())?;
/// let d = model.decision_function(x.view())?;
/// assert!((s[0] - d[0] - model.offset()).abs() < 1e-12);
/// let path = std::env::temp_dir().join("oxilearn_doc_ocsvm.safetensors");
/// model.save(&path)?;
/// let back = FittedOneClassSvm::<f64>::load(&path)?;
/// assert_eq!(back.predict(x.view())?, model.predict(x.view())?);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedOneClassSvm<F: Float> {
    pub(crate) hyper: OneClassHyper,
    pub(crate) kernel: KernelFn,
    pub(crate) n_features: usize,
    pub(crate) support: Vec<usize>,
    pub(crate) support_vectors: SupportVectors<F>,
    pub(crate) dual_coef: Array1<F>,
    pub(crate) offset: F,
    pub(crate) n_iter: usize,
    pub(crate) objective: f64,
    pub(crate) converged: bool,
    /// Prediction data of the support vectors, built on the first call.
    pub(crate) sv_prep: kernel::SvPrepCache,
}

impl<F: Float> FittedOneClassSvm<F> {
    /// Features seen at fit (training samples for a precomputed kernel).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The `ν` the model was fitted with.
    pub fn nu(&self) -> f64 {
        self.hyper.nu
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

    /// `αₜ` per support vector (scikit-learn's `dual_coef_[0]`).
    pub fn dual_coef(&self) -> ArrayView1<'_, F> {
        self.dual_coef.view()
    }

    /// The offset `ρ` (scikit-learn's `offset_`; its `intercept_` is `−ρ`).
    pub fn offset(&self) -> F {
        self.offset
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

    /// `Σ αₜ·K(svₜ, x)` per row of `x` (scikit-learn's `score_samples`:
    /// higher is more normal).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] (wrong feature count), [`Error::NonFinite`].
    pub fn score_samples<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array1<F>> {
        let x = x.into().check_predict(self.n_features)?;
        let coef: Vec<f64> = self.dual_coef.iter().map(|v| v.to_f64_exact()).collect();
        let sv = &self.support_vectors;
        let prep = self.sv_prep.get(self.kernel, sv);
        let sk = kernel::SvKernel::new(self.kernel, sv, &self.support, prep);
        let out = sk.map_rows(x, |krow| {
            F::from_f64_lossy(super::svc::dual_dot(&coef, krow))
        });
        Ok(Array1::from(out))
    }

    /// `score_samples(x) − offset`: positive for inliers, negative for
    /// outliers.
    ///
    /// # Errors
    /// As [`FittedOneClassSvm::score_samples`].
    pub fn decision_function<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array1<F>> {
        let rho = self.offset.to_f64_exact();
        Ok(self
            .score_samples(x)?
            .mapv(|s| F::from_f64_lossy(s.to_f64_exact() - rho)))
    }

    /// `+1` (inlier: decision `> 0`) or `−1` (outlier) per row of `x`.
    ///
    /// # Errors
    /// As [`FittedOneClassSvm::score_samples`].
    pub fn predict<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array1<i64>> {
        Ok(self
            .decision_function(x)?
            .mapv(|d| if d.to_f64_exact() > 0.0 { 1 } else { -1 }))
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ()> for OneClassSvm {
    type Fitted = FittedOneClassSvm<F>;
    fn fit(&self, x: ArrayView2<'a, F>, _y: ()) -> Result<FittedOneClassSvm<F>> {
        OneClassSvm::fit(self, x)
    }
}

impl<'a, F: Float> Predict<ArrayView2<'a, F>> for FittedOneClassSvm<F> {
    type Output = Array1<i64>;
    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<i64>> {
        FittedOneClassSvm::predict(self, x)
    }
}

/// What a model file records besides the tensors.
#[derive(Serialize, Deserialize)]
struct OneClassFileMeta {
    hyper: OneClassHyper,
    kernel: KernelFn,
    converged: bool,
    n_iter: usize,
    objective: f64,
}

/// The labels of [`FittedOneClassSvm::predict`] (outliers, inliers), as the
/// model file's `classes` (so registries load it as an `i64` classifier).
pub(crate) const OUTLIER_CLASSES: [i64; 2] = [-1, 1];

impl<F: Float> Persist for FittedOneClassSvm<F> {
    const KIND: &'static str = "OneClassSvm";

    fn to_model_file(&self) -> Result<ModelFile> {
        let meta = OneClassFileMeta {
            hyper: self.hyper.clone(),
            kernel: self.kernel,
            converged: self.converged,
            n_iter: self.n_iter,
            objective: self.objective,
        };
        let mut f = ModelFile::new(Self::KIND, F::NAME)
            .with_n_features(self.n_features)
            .with_classes(&OUTLIER_CLASSES)?
            .with_hyperparameters(&meta)?;
        f.push_i64(
            "support",
            Array1::from_iter(self.support.iter().map(|&u| u as i64)).into_dyn(),
        );
        self.support_vectors.push_to(&mut f);
        f.push_float("dual_coef", self.dual_coef.clone().into_dyn());
        f.push_float("offset", Array1::from_elem(1, self.offset).into_dyn());
        Ok(f)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        file.expect_dtype(F::NAME)?;
        let meta: OneClassFileMeta = file.hyperparameters()?;
        file.expect_classes(&OUTLIER_CLASSES)?;
        super::persist::check_kernel(
            &file,
            meta.hyper.validate(),
            &meta.kernel,
            &meta.hyper.kernel,
        )?;
        let n_features = file.n_features()?;
        let support = file.take_i64("support")?;
        let support = super::persist::to_usize(&file, support, "support")?;
        let n_sv = support.len();
        let precomputed = meta.kernel == KernelFn::Precomputed;
        if precomputed && support.iter().any(|&s| s >= n_features) {
            return Err(file.format_error("support index beyond the training kernel"));
        }
        if support.windows(2).any(|w| w[0] >= w[1]) {
            return Err(file.format_error("support indices must be ascending and distinct"));
        }
        let support_vectors =
            SupportVectors::take_from(&mut file, if precomputed { 0 } else { n_sv }, n_features)?;
        let dual_coef: Array1<F> = file.take_array1("dual_coef", Some(n_sv))?;
        let offset: Array1<F> = file.take_array1("offset", Some(1))?;
        Ok(FittedOneClassSvm {
            hyper: meta.hyper,
            kernel: meta.kernel,
            n_features,
            support,
            support_vectors,
            dual_coef,
            offset: offset[0],
            n_iter: meta.n_iter,
            objective: meta.objective,
            converged: meta.converged,
            sv_prep: Default::default(),
        })
    }
}
