//! C-support vector classification: binary and one-vs-one multiclass.

use std::hash::Hash;
use std::sync::Arc;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::cache::SampleRows;
use super::kernel::{self, Kernel, KernelFn, RowEval, SupportVectors};
use super::probability;
use super::solver::{self, Problem};
use super::{Progress, ProgressHook, SolverOptions};
use crate::class_weight::ClassWeight;
use crate::error::{Error, Result};
use crate::linalg::Float;
use crate::sparse::Records;
use crate::traits::{Fit, Predict, PredictProba};
use crate::validation;

/// How class weights are recorded in a model file: what was asked for, with
/// explicit weights in the order of the sorted classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub(crate) enum FileClassWeight {
    /// Every class weighs 1.
    #[default]
    Uniform,
    /// [`ClassWeight::Balanced`].
    Balanced,
    /// One weight per class, in the order of the sorted classes.
    PerClass(Vec<f64>),
}

/// Layout of [`FittedSvc::decision_function`] for more than two classes.
///
/// # Example
/// ```
/// use oxilearn::svm::{DecisionShape, Svc};
/// let svc = Svc::<usize>::new().decision_shape(DecisionShape::Ovo);
/// # let _ = svc;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DecisionShape {
    /// One column per class pair `(i, j)`, `i < j` in order; positive favours `i`.
    Ovo,
    /// One column per class: votes plus a bounded confidence term, as
    /// scikit-learn's `decision_function_shape="ovr"` (the default).
    #[default]
    Ovr,
}

/// Hyperparameters of [`Svc`] (what a model file records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SvcHyper {
    pub c: f64,
    pub kernel: Kernel,
    pub opts: SolverOptions,
    pub class_weight: FileClassWeight,
    pub probability: bool,
    pub seed: u64,
    pub decision_shape: DecisionShape,
    /// `Some(ν)` for ν-SVC ([`NuSvc`](super::NuSvc)); `C` and the class
    /// weights are then unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nu: Option<f64>,
}

/// `ν ∈ (0, 1]`.
pub(crate) fn check_nu(nu: f64) -> Result<()> {
    if nu.is_finite() && nu > 0.0 && nu <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid("nu", "must be in (0, 1]"))
    }
}

impl SvcHyper {
    /// The checks of the hyperparameters alone (fit and loaders make them;
    /// `fit` then checks the class weights against the classes).
    pub(crate) fn validate(&self) -> Result<()> {
        match self.nu {
            Some(nu) => check_nu(nu)?,
            None => validation::check_positive("C", self.c)?,
        }
        self.kernel.validate()?;
        if let FileClassWeight::PerClass(w) = &self.class_weight {
            for &v in w {
                validation::check_non_negative("class_weight", v)?;
            }
        }
        self.opts.validate()
    }
}

/// C-support vector classifier (scikit-learn's `SVC`, libsvm's C-SVC).
///
/// Binary problems solve one dual QP; `k > 2` classes train `k(k−1)/2`
/// one-vs-one classifiers and predict by voting (ties go to the class that
/// sorts first, as libsvm). Labels are any `Clone + Eq + Hash + Ord` type.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{Kernel, Svc};
///
/// let x = array![[-2.0, -1.0], [-1.0, -1.5], [1.0, 1.0], [2.0, 1.5]];
/// let y = array![0, 0, 1, 1];
/// let model = Svc::new().kernel(Kernel::Linear).fit(x.view(), y.view())?;
/// assert_eq!(model.predict(array![[-3.0, -2.0], [3.0, 2.0]].view())?, array![0, 1]);
/// assert_eq!(model.n_support().iter().sum::<usize>(), model.support().len());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Svc<L = usize> {
    h: SvcHyper,
    class_weight: ClassWeight<L>,
    progress: Option<ProgressHook>,
}

impl<L> Default for Svc<L> {
    fn default() -> Self {
        Svc {
            h: SvcHyper {
                c: 1.0,
                kernel: Kernel::default(),
                opts: SolverOptions::default(),
                class_weight: FileClassWeight::Uniform,
                probability: false,
                seed: 0,
                decision_shape: DecisionShape::Ovr,
                nu: None,
            },
            class_weight: ClassWeight::None,
            progress: None,
        }
    }
}

impl<L> Svc<L> {
    /// Default hyperparameters (those of scikit-learn's `SVC()`); `L` is the
    /// label type.
    pub fn new() -> Self {
        Self::default()
    }

    /// The hyperparameters (for `compose`'s `params()` and batch fitting).
    pub(crate) fn hyper(&self) -> &SvcHyper {
        &self.h
    }

    /// Mutable hyperparameters (for [`NuSvc`](super::NuSvc)'s builder).
    pub(crate) fn hyper_mut(&mut self) -> &mut SvcHyper {
        &mut self.h
    }

    /// Regularisation `C > 0`; default `1.0`.
    pub fn c(mut self, c: f64) -> Self {
        self.h.c = c;
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

    /// Iteration cap per sub-problem; default `None` (run to convergence, as
    /// scikit-learn's `max_iter=-1`). A capped, unconverged fit is returned
    /// with [`FittedSvc::converged`] `false`.
    pub fn max_iter(mut self, max_iter: Option<usize>) -> Self {
        self.h.opts.max_iter = max_iter;
        self
    }

    /// Kernel-row cache budget in MB (`f32` rows); default `200`.
    pub fn cache_size(mut self, mb: f64) -> Self {
        self.h.opts.cache_size_mb = mb;
        self
    }

    /// Per-class multipliers of `C`; default [`ClassWeight::None`].
    /// `Balanced` is `n_samples / (n_classes · count(class))` (see
    /// [`ClassWeight`]); as scikit-learn's `SVC`, it counts samples, also
    /// when fitted with [`Svc::fit_weighted`].
    pub fn class_weight(mut self, w: ClassWeight<L>) -> Self {
        self.class_weight = w;
        self
    }

    /// The class weights set with [`Svc::class_weight`].
    pub fn get_class_weight(&self) -> &ClassWeight<L> {
        &self.class_weight
    }

    /// Fit Platt probabilities (5-fold cross-validation per class pair, about
    /// 5× the fit time) to enable [`FittedSvc::predict_proba`]; default `false`.
    pub fn probability(mut self, on: bool) -> Self {
        self.h.probability = on;
        self
    }

    /// Seed of the cross-validation folds of `probability`; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.h.seed = seed;
        self
    }

    /// Shape of `decision_function` for multiclass; default [`DecisionShape::Ovr`].
    pub fn decision_shape(mut self, shape: DecisionShape) -> Self {
        self.h.decision_shape = shape;
        self
    }

    /// Calls `f` with [`Progress`] every 1000 solver iterations and when each
    /// sub-problem finishes; default none.
    pub fn progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressHook(Arc::new(f)));
        self
    }
}

impl<L: Clone + Eq + Hash + Ord> Svc<L> {
    /// Fits on records `x` (`n×d`; for [`Kernel::Precomputed`], the `n×n`
    /// training kernel) and labels `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`C ≤ 0`, `gamma ≤ 0`, `tol ≤ 0`, bad class
    /// weights …), [`Error::EmptyInput`], [`Error::NonFinite`],
    /// [`Error::ShapeMismatch`], [`Error::SingleClass`].
    pub fn fit<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, L>,
    ) -> Result<FittedSvc<F, L>> {
        self.fit_impl(x.into(), y, None)
    }

    /// As [`Svc::fit`] with one weight `≥ 0` per sample (multiplies `C`).
    ///
    /// # Errors
    /// As [`Svc::fit`]; also invalid weights.
    pub fn fit_weighted<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, L>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedSvc<F, L>> {
        self.fit_impl(x.into(), y, Some(sample_weight))
    }

    pub(crate) fn fit_impl<F: Float>(
        &self,
        x: Records<'_, F>,
        y: ArrayView1<'_, L>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<FittedSvc<F, L>> {
        self.fit_seeded(x, y, sample_weight, None).map(|(m, _)| m)
    }

    /// [`Svc::fit_impl`], with the C-SVC solver of class pair `p` started
    /// from the feasible `start[p]` (`0 ≤ α ≤ C·weights`, `yᵀα = 0`; ignored
    /// for ν-SVC or when its length is not the pair's sample count) instead
    /// of `α = 0`; also returns every pair's final `α` (in the pair's sample
    /// order: the class that sorts first, then the second, each in row order).
    pub(crate) fn fit_seeded<F: Float>(
        &self,
        x: Records<'_, F>,
        y: ArrayView1<'_, L>,
        sample_weight: Option<ArrayView1<'_, F>>,
        start: Option<&[Vec<f64>]>,
    ) -> Result<(FittedSvc<F, L>, PairAlphas)> {
        let h = &self.h;
        h.validate()?;
        let x = kernel::check_train(x, &h.kernel)?;
        let n = x.nrows();
        let precomputed = h.kernel == Kernel::Precomputed;
        validation::check_n_targets(n, y.len())?;
        let (classes, codes) = validation::encode_labels(y, 2)?;
        let k = classes.len();
        let sw: Vec<f64> = validation::sample_weights(sample_weight, n)?
            .iter()
            .map(|v| v.to_f64_exact())
            .collect();
        let mut by_class = vec![Vec::new(); k];
        for (t, &c) in codes.iter().enumerate() {
            by_class[c].push(t);
        }
        // scikit-learn's SVC counts samples for "balanced" (its
        // `compute_class_weight` gets no sample weights there).
        let cw = self.class_weight.resolve(&classes, &codes, None)?;
        if let Some(nu) = h.nu {
            // libsvm's feasibility test per class pair, on weight sums.
            let mass: Vec<f64> = by_class
                .iter()
                .map(|v| v.iter().map(|&t| sw[t]).sum())
                .collect();
            for a in 0..k {
                for b in a + 1..k {
                    if nu * (mass[a] + mass[b]) / 2.0 > mass[a].min(mass[b]) {
                        return Err(Error::invalid(
                            "nu",
                            format!(
                                "specified nu is infeasible: nu · (n_a + n_b) / 2 > min(n_a, n_b) \
                                 for the classes at positions {a} and {b} of the sorted labels (weights {} and {}); use nu <= {}",
                                mass[a],
                                mass[b],
                                2.0 * mass[a].min(mass[b]) / (mass[a] + mass[b])
                            ),
                        ));
                    }
                }
            }
        }
        let mut h = h.clone();
        h.class_weight = match &self.class_weight {
            ClassWeight::None => FileClassWeight::Uniform,
            ClassWeight::Balanced => FileClassWeight::Balanced,
            ClassWeight::Explicit(_) => FileClassWeight::PerClass(cw.clone()),
        };
        let h = &h;
        let kf = h.kernel.resolve_on(x)?;
        kernel::check_numeric_range(&kf, x)?;
        let eval = RowEval::for_records(x, kf);

        let pairs: Vec<(usize, usize)> = (0..k)
            .flat_map(|a| (a + 1..k).map(move |b| (a, b)))
            .collect();
        let per_pair = if h.probability {
            probability::FOLDS + 1
        } else {
            1
        };
        let n_tasks = pairs.len() * per_pair;
        let hook = self.progress.clone();
        let report = |task: usize, iteration: usize, violation: f64, active: usize, done| {
            if let Some(hk) = &hook {
                (hk.0)(&Progress {
                    task,
                    n_tasks,
                    iteration,
                    violation,
                    active,
                    done,
                });
            }
        };

        let mut models = Vec::with_capacity(pairs.len());
        let mut prob_a = Vec::new();
        let mut prob_b = Vec::new();
        // Each class must carry weight: a pair whose class has zero total
        // C·class_weight·sample_weight has no feasible non-zero dual (as
        // logistic regression, an `InvalidParameter`, not 0 support vectors).
        for (c, members) in by_class.iter().enumerate() {
            if members.iter().all(|&t| cw[c] * sw[t] == 0.0) {
                return Err(Error::invalid(
                    "class_weight",
                    format!(
                        "class weight times sample weights of class {c} (in sorted order) \
                         sum to zero"
                    ),
                ));
            }
        }
        for (p, &(a, b)) in pairs.iter().enumerate() {
            // Progress task: the pair's cross-validation folds, then its fit.
            let mut task = p * per_pair;
            let samples: Vec<usize> = by_class[a].iter().chain(&by_class[b]).copied().collect();
            let yv: Vec<f64> = samples
                .iter()
                .map(|&t| if codes[t] == a { 1.0 } else { -1.0 })
                .collect();
            let cv: Vec<f64> = samples
                .iter()
                .map(|&t| match h.nu {
                    Some(_) => sw[t],
                    None => h.c * cw[codes[t]] * sw[t],
                })
                .collect();
            if h.probability {
                let seed = h.seed ^ (p as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let (pa, pb) = probability::cross_validated_platt(
                    &eval,
                    &samples,
                    &yv,
                    seed,
                    &mut |sub, sy, train, progress| {
                        let sc: Vec<f64> = train.iter().map(|&i| cv[i]).collect();
                        train_pair(&eval, sub, sy, &sc, &h.opts, h.nu, None, progress)
                    },
                    &mut |it, g, ac, done| {
                        report(task, it, g, ac, done);
                        task += usize::from(done);
                    },
                );
                prob_a.push(pa);
                prob_b.push(pb);
            }
            let pair_start = start
                .and_then(|s| s.get(p))
                .filter(|a| a.len() == samples.len())
                .map(Vec::as_slice);
            let model = train_pair(
                &eval,
                &samples,
                &yv,
                &cv,
                &h.opts,
                h.nu,
                pair_start,
                &mut |it, g, ac| report(task, it, g, ac, false),
            );
            if !model.scale_ok {
                return Err(Error::NumericalFailure {
                    operation: "nu-SVC",
                    reason: format!(
                        "the margin scale r = {} of class pair ({a}, {b}) is not positive",
                        model.r
                    ),
                });
            }
            report(task, model.n_iter, 0.0, 0, true);
            model.check_finite()?;
            models.push((samples, yv, model));
        }

        // Support vectors grouped by class, each class in sample order.
        let mut is_sv = vec![false; n];
        for (samples, _, m) in &models {
            for (&t, &a) in samples.iter().zip(&m.alpha) {
                if a > 0.0 {
                    is_sv[t] = true;
                }
            }
        }
        let mut support = Vec::new();
        let mut n_support = vec![0; k];
        for c in 0..k {
            for &t in &by_class[c] {
                if is_sv[t] {
                    support.push(t);
                    n_support[c] += 1;
                }
            }
        }
        let mut col_of = vec![usize::MAX; n];
        for (col, &t) in support.iter().enumerate() {
            col_of[t] = col;
        }
        let mut dual = Array2::<F>::zeros((k - 1, support.len()));
        let mut intercept = Array1::<F>::zeros(pairs.len());
        let mut n_iter = Vec::with_capacity(pairs.len());
        let mut objective = Vec::with_capacity(pairs.len());
        let mut converged = true;
        for (p, ((a, b), (samples, yv, m))) in pairs.iter().zip(&models).enumerate() {
            for ((&t, &al), &yt) in samples.iter().zip(&m.alpha).zip(yv) {
                if al > 0.0 {
                    let row = if codes[t] == *a { b - 1 } else { *a };
                    dual[[row, col_of[t]]] = F::from_f64_lossy(yt * al);
                }
            }
            intercept[p] = F::from_f64_lossy(-m.rho);
            n_iter.push(m.n_iter);
            objective.push(m.objective);
            converged &= m.converged;
        }
        let support_vectors = SupportVectors::select(x, &support, precomputed);
        let alphas = models.into_iter().map(|(_, _, m)| m.alpha).collect();
        let fitted = FittedSvc {
            hyper: h.clone(),
            kernel: kf,
            classes,
            n_features: x.ncols(),
            support,
            support_vectors,
            n_support,
            dual_coef: dual,
            intercept,
            prob_a,
            prob_b,
            n_iter,
            objective,
            converged,
            sv_prep: Default::default(),
        };
        Ok((fitted, alphas))
    }
}

/// The final `α` of every class pair of a fit (see [`Svc::fit_seeded`]).
pub(crate) type PairAlphas = Vec<Vec<f64>>;

/// The solution of one binary sub-problem.
pub(crate) struct PairModel {
    /// `α` per sample of the sub-problem.
    pub alpha: Vec<f64>,
    pub rho: f64,
    pub objective: f64,
    pub n_iter: usize,
    pub converged: bool,
    /// ν-SVC: the solver's `r` (α, ρ and the objective are divided by it).
    pub r: f64,
    /// `false` when a ν-SVC's `r` was not positive (nothing was rescaled).
    pub scale_ok: bool,
}

impl PairModel {
    /// `Err(NumericalFailure)` unless `α`, `ρ` and the objective are finite
    /// (a fit never reports success on overflowed values).
    pub(crate) fn check_finite(&self) -> Result<()> {
        check_solution(&self.alpha, self.rho, self.objective)
    }

    /// `(samples with α > 0, yα)`.
    pub(crate) fn sparse(&self, samples: &[usize], y: &[f64]) -> (Vec<usize>, Vec<f64>) {
        self.alpha
            .iter()
            .zip(samples)
            .zip(y)
            .filter(|((a, _), _)| **a > 0.0)
            .map(|((a, &s), yv)| (s, a * yv))
            .unzip()
    }
}

/// `Err(NumericalFailure)` unless the dual solution is finite.
pub(crate) fn check_solution(alpha: &[f64], rho: f64, objective: f64) -> Result<()> {
    if let Some(t) = alpha.iter().position(|a| !a.is_finite()) {
        return Err(Error::NumericalFailure {
            operation: "svm solver",
            reason: format!(
                "dual coefficient {t} is {}; scale the features (e.g. StandardScaler)",
                alpha[t]
            ),
        });
    }
    if !(rho.is_finite() && objective.is_finite()) {
        return Err(Error::NumericalFailure {
            operation: "svm solver",
            reason: format!(
                "intercept {} / objective {objective} overflowed; scale the features or targets",
                -rho
            ),
        });
    }
    Ok(())
}

/// Solves the C-SVC dual on `samples` (labels `y = ±1`, bounds `c`), or
/// with `nu` the ν-SVC dual (bounds `c` = the sample weights; `Σ_{y=±1} α =
/// ν·Σc/2` each, started greedily in sample order as libsvm) rescaled by
/// its `r` to the equivalent C-SVC solution. A C-SVC starts from the
/// feasible `start` when given (alpha seeding), else from `α = 0`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_pair<F: Float>(
    eval: &RowEval<'_, F>,
    samples: &[usize],
    y: &[f64],
    c: &[f64],
    opts: &SolverOptions,
    nu: Option<f64>,
    start: Option<&[f64]>,
    progress: &mut dyn FnMut(usize, f64, usize),
) -> PairModel {
    let l = samples.len();
    let diag = samples.iter().map(|&s| eval.diag(s)).collect();
    let mut rows = SampleRows::new(eval, samples.to_vec(), l, opts.cache_bytes());
    let prob = Problem {
        y: y.to_vec(),
        p: vec![if nu.is_some() { 0.0 } else { -1.0 }; l],
        c: c.to_vec(),
        diag,
        sample: (0..l).collect(),
    };
    let Some(nu) = nu else {
        let sol = match start {
            Some(a) => {
                // Clipped to the box: a scaled seed may overshoot by an ulp.
                let a0 = a.iter().zip(c).map(|(&v, &ct)| v.clamp(0.0, ct)).collect();
                solver::solve_from(&mut rows, prob, a0, false, opts.settings(), progress)
            }
            None => solver::solve(&mut rows, prob, opts.settings(), progress),
        };
        return PairModel {
            alpha: sol.alpha,
            rho: sol.rho,
            objective: sol.objective,
            n_iter: sol.n_iter,
            converged: sol.converged,
            r: 1.0,
            scale_ok: true,
        };
    };
    let half = nu * c.iter().sum::<f64>() / 2.0;
    let mut left = [half, half];
    let alpha0: Vec<f64> = y
        .iter()
        .zip(c)
        .map(|(&yt, &ct)| {
            let k = usize::from(yt < 0.0);
            let a = ct.min(left[k]);
            left[k] -= a;
            a
        })
        .collect();
    let sol = solver::solve_from(&mut rows, prob, alpha0, true, opts.settings(), progress);
    let r = sol.r;
    let scale_ok = r.is_finite() && r > 0.0;
    let s = if scale_ok { r } else { 1.0 };
    PairModel {
        alpha: sol.alpha.iter().map(|a| a / s).collect(),
        rho: sol.rho / s,
        objective: sol.objective / (s * s),
        n_iter: sol.n_iter,
        converged: sol.converged,
        r,
        scale_ok,
    }
}

/// A fitted [`Svc`].
///
/// Attributes follow scikit-learn's `SVC`: [`support`](Self::support)
/// (training indices of the support vectors, grouped by class),
/// [`dual_coef`](Self::dual_coef) (`(n_classes − 1) × n_SV`, libsvm's layout),
/// [`intercept`](Self::intercept) (one per class pair) …
///
/// # Example
/// ```
/// use oxilearn::svm::FittedSvc;
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{Gamma, Kernel, Svc};
///
/// let x = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [3.0, 3.0], [3.0, 4.0], [4.0, 3.0], [4.0, 4.0]];
/// let y = array![false, false, false, false, true, true, true, true];
/// let model = Svc::new().kernel(Kernel::Rbf { gamma: Gamma::Value(0.5) }).fit(x.view(), y.view())?;
/// let d = model.decision_function(array![[0.5, 0.5], [3.5, 3.5]].view())?;
/// assert!(d[[0, 0]] < 0.0 && d[[1, 0]] > 0.0); // positive favours classes()[1]
/// assert!(model.converged());
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type, and label type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-svc-{}.safetensors", std::process::id()));
/// model.save(&path)?;
/// let back = FittedSvc::<f64, bool>::load(&path)?;
/// assert_eq!(back.predict(x.view())?, model.predict(x.view())?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedSvc<F: Float, L> {
    pub(crate) hyper: SvcHyper,
    pub(crate) kernel: KernelFn,
    pub(crate) classes: Vec<L>,
    pub(crate) n_features: usize,
    pub(crate) support: Vec<usize>,
    pub(crate) support_vectors: SupportVectors<F>,
    pub(crate) n_support: Vec<usize>,
    /// libsvm's sign convention (pair `(i, j)` positive favours `i`), also for binary.
    pub(crate) dual_coef: Array2<F>,
    pub(crate) intercept: Array1<F>,
    pub(crate) prob_a: Vec<f64>,
    pub(crate) prob_b: Vec<f64>,
    pub(crate) n_iter: Vec<usize>,
    pub(crate) objective: Vec<f64>,
    pub(crate) converged: bool,
    /// Prediction data derived from the support vectors, built once.
    pub(crate) sv_prep: kernel::SvPrepCache,
}

/// `Σ c[j]·k[j]` with four independent accumulators (vectorises).
pub(crate) fn dual_dot(c: &[f64], k: &[f64]) -> f64 {
    let mut acc = [0f64; 4];
    let (cc, kc) = (c.chunks_exact(4), k.chunks_exact(4));
    let tail: f64 = cc
        .remainder()
        .iter()
        .zip(kc.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in cc.zip(kc) {
        for q in 0..4 {
            acc[q] += a[q] * b[q];
        }
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

impl<F: Float, L: Clone + Eq + Hash + Ord> FittedSvc<F, L> {
    /// The classes, sorted.
    pub fn classes(&self) -> &[L] {
        &self.classes
    }

    /// Features seen at fit (for a precomputed kernel: training samples).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Training-set indices of the support vectors, grouped by class.
    pub fn support(&self) -> &[usize] {
        &self.support
    }

    /// The support vectors (`n_SV × d`): dense, or CSR when the model was
    /// fitted on sparse records; empty (`0 × n_train`) for a precomputed
    /// kernel.
    pub fn support_vectors(&self) -> Records<'_, F> {
        self.support_vectors.records()
    }

    /// Number of support vectors per class.
    pub fn n_support(&self) -> &[usize] {
        &self.n_support
    }

    /// Dual coefficients `yᵢαᵢ`, `(n_classes − 1) × n_SV` in scikit-learn's
    /// layout (for binary problems the sign is such that positive favours
    /// `classes()[1]`).
    pub fn dual_coef(&self) -> Array2<F> {
        if self.classes.len() == 2 {
            self.dual_coef.mapv(|v| -v)
        } else {
            self.dual_coef.clone()
        }
    }

    /// Intercepts, one per class pair (scikit-learn's `intercept_`).
    pub fn intercept(&self) -> Array1<F> {
        if self.classes.len() == 2 {
            self.intercept.mapv(|v| -v)
        } else {
            self.intercept.clone()
        }
    }

    /// Dual objective value of each class pair's problem (libsvm's `obj`).
    pub fn objective(&self) -> &[f64] {
        &self.objective
    }

    /// Solver iterations per class pair.
    pub fn n_iter(&self) -> &[usize] {
        &self.n_iter
    }

    /// Whether every sub-problem reached `tol` (false only with `max_iter`).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The resolved kernel coefficient `γ` (0 for linear/precomputed).
    pub fn gamma(&self) -> f64 {
        self.kernel.gamma()
    }

    /// Platt's `A` per class pair (empty without `probability(true)`).
    pub fn prob_a(&self) -> &[f64] {
        &self.prob_a
    }

    /// Platt's `B` per class pair (empty without `probability(true)`).
    pub fn prob_b(&self) -> &[f64] {
        &self.prob_b
    }

    /// Pairwise decision values (libsvm convention: positive favours the first
    /// class of the pair), `m × n_pairs`, in `f64`.
    fn pair_decisions(&self, x: Records<'_, F>) -> Result<Array2<f64>> {
        let x = x.check_predict(self.n_features)?;
        let k = self.classes.len();
        let n_pairs = k * (k - 1) / 2;
        let mut start = vec![0; k + 1];
        for c in 0..k {
            start[c + 1] = start[c] + self.n_support[c];
        }
        let sv = &self.support_vectors;
        let prep = self.sv_prep.get(self.kernel, sv);
        let sk = kernel::SvKernel::new(self.kernel, sv, &self.support, prep);
        let dual: Vec<Vec<f64>> = self
            .dual_coef
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|v| v.to_f64_exact()).collect())
            .collect();
        let intercept: Vec<f64> = self.intercept.iter().map(|v| v.to_f64_exact()).collect();
        let rows = sk.map_rows(x, |krow| {
            let mut o = Vec::with_capacity(n_pairs);
            for a in 0..k {
                for b in a + 1..k {
                    let (ra, rb) = (start[a]..start[a + 1], start[b]..start[b + 1]);
                    let sum = dual_dot(&dual[b - 1][ra.clone()], &krow[ra])
                        + dual_dot(&dual[a][rb.clone()], &krow[rb]);
                    o.push(sum + intercept[o.len()]);
                }
            }
            o
        });
        let mut out = Array2::<f64>::zeros((x.nrows(), n_pairs));
        for (mut orow, r) in out.rows_mut().into_iter().zip(rows) {
            orow.iter_mut().zip(r).for_each(|(o, v)| *o = v);
        }
        Ok(out)
    }

    /// Decision values. Binary: `m × 1`, positive favours `classes()[1]`.
    /// Multiclass: `m × n_pairs` (one-vs-one) or `m × n_classes`
    /// (one-vs-rest), as set by [`Svc::decision_shape`].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] (wrong feature count), [`Error::NonFinite`].
    pub fn decision_function<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array2<F>> {
        let d = self.pair_decisions(x.into())?;
        let k = self.classes.len();
        if k == 2 {
            return Ok(d.mapv(|v| F::from_f64_lossy(-v)));
        }
        if self.hyper.decision_shape == DecisionShape::Ovo {
            return Ok(d.mapv(F::from_f64_lossy));
        }
        let mut out = Array2::<F>::zeros((d.nrows(), k));
        for (drow, mut orow) in d.rows().into_iter().zip(out.rows_mut()) {
            let mut votes = vec![0.0; k];
            let mut conf = vec![0.0; k];
            let mut p = 0;
            for a in 0..k {
                for b in a + 1..k {
                    let v = drow[p];
                    if v >= 0.0 {
                        votes[a] += 1.0;
                    } else {
                        votes[b] += 1.0;
                    }
                    conf[a] += v;
                    conf[b] -= v;
                    p += 1;
                }
            }
            for c in 0..k {
                orow[c] = F::from_f64_lossy(votes[c] + conf[c] / (3.0 * (conf[c].abs() + 1.0)));
            }
        }
        Ok(out)
    }

    /// Predicted labels (one-vs-one voting).
    ///
    /// # Errors
    /// As [`FittedSvc::decision_function`].
    pub fn predict<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array1<L>> {
        let d = self.pair_decisions(x.into())?;
        let k = self.classes.len();
        Ok(d.rows()
            .into_iter()
            .map(|row| {
                let mut votes = vec![0usize; k];
                let mut p = 0;
                for a in 0..k {
                    for b in a + 1..k {
                        votes[if row[p] > 0.0 { a } else { b }] += 1;
                        p += 1;
                    }
                }
                let best = (0..k).fold(0, |best, c| if votes[c] > votes[best] { c } else { best });
                self.classes[best].clone()
            })
            .collect())
    }

    /// Mean accuracy of [`predict`](Self::predict) on `(x, y)`
    /// (scikit-learn's `score`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] (`y` not one per row, wrong feature count),
    /// [`Error::EmptyInput`], [`Error::NonFinite`].
    ///
    /// # Example
    /// ```
    /// use oxilearn::prelude::*;
    /// use oxilearn::svm::{Kernel, Svc};
    /// let x = array![[-2.0], [-1.0], [1.0], [2.0]];
    /// let y = array![0, 0, 1, 1];
    /// let model = Svc::new().kernel(Kernel::Linear).fit(x.view(), y.view())?;
    /// assert_eq!(model.score(x.view(), array![0, 0, 1, 0].view())?, 0.75);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn score<'a>(&self, x: impl Into<Records<'a, F>>, y: ArrayView1<'_, L>) -> Result<f64> {
        let x = x.into();
        validation::check_n_targets(x.nrows(), y.len())?;
        let pred = self.predict(x)?;
        crate::metrics::accuracy_score(y, pred.view())
    }

    #[allow(clippy::needless_range_loop)] // r[a][b] and r[b][a] are both written
    /// Class probabilities (`m × n_classes`, columns as `classes()`): Platt
    /// sigmoids on the pairwise decision values, coupled by Wu–Lin–Weng.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`probability`) unless fitted with
    /// `probability(true)`; otherwise as [`FittedSvc::decision_function`].
    pub fn predict_proba<'a>(&self, x: impl Into<Records<'a, F>>) -> Result<Array2<F>> {
        let x = x.into();
        if self.prob_a.is_empty() {
            return Err(Error::invalid(
                "probability",
                "the model was fitted without probability(true)",
            ));
        }
        let d = self.pair_decisions(x)?;
        let k = self.classes.len();
        let mut out = Array2::<F>::zeros((x.nrows(), k));
        let mut r = vec![vec![0.0; k]; k];
        for (row, mut orow) in d.rows().into_iter().zip(out.rows_mut()) {
            let mut p = 0;
            for a in 0..k {
                for b in a + 1..k {
                    let v = probability::sigmoid(row[p], self.prob_a[p], self.prob_b[p]);
                    r[a][b] = v;
                    r[b][a] = 1.0 - v;
                    p += 1;
                }
            }
            let probs = if k == 2 {
                vec![r[0][1], r[1][0]]
            } else {
                probability::couple(&r)
            };
            for (o, v) in orow.iter_mut().zip(probs) {
                *o = F::from_f64_lossy(v);
            }
        }
        Ok(out)
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> Fit<ArrayView2<'a, F>, ArrayView1<'a, L>>
    for Svc<L>
{
    type Fitted = FittedSvc<F, L>;
    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, L>) -> Result<FittedSvc<F, L>> {
        Svc::fit(self, x, y)
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> Predict<ArrayView2<'a, F>> for FittedSvc<F, L> {
    type Output = Array1<L>;
    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<L>> {
        FittedSvc::predict(self, x)
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> PredictProba<ArrayView2<'a, F>> for FittedSvc<F, L> {
    type Output = Array2<F>;
    fn predict_proba(&self, x: ArrayView2<'a, F>) -> Result<Array2<F>> {
        FittedSvc::predict_proba(self, x)
    }
}
