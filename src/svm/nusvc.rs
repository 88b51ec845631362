//! ν-support vector classification: binary and one-vs-one multiclass.
//!
//! The ν-SVC dual (Schölkopf, Smola, Williamson & Bartlett 2000; Chang & Lin
//! 2001) of a class pair is
//!
//! ```text
//! min_α ½·αᵀQα   s.t.  0 ≤ αₜ ≤ wₜ,  Σ_{yₜ=+1} αₜ = Σ_{yₜ=−1} αₜ = ν·Σwₜ/2
//! ```
//!
//! (`wₜ` the sample weights, 1 by default). It is solved by the same SMO
//! solver as [`Svc`] in its two-constraint mode, from libsvm's greedy
//! feasible start, and rescaled by the solver's margin multiplier `r` to the
//! C-SVC solution it equals (`C = 1/r`): dual coefficients `yα/r`, intercept
//! `−ρ/r`. ν bounds the fraction of margin errors from above and the fraction
//! of support vectors from below. A class pair with weight sums `n_a`, `n_b`
//! is infeasible when `ν·(n_a + n_b)/2 > min(n_a, n_b)`.

use std::hash::Hash;
use std::ops::Deref;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::svc::{FittedSvc, Svc};
use super::{DecisionShape, Kernel, Progress};
use crate::error::Result;
use crate::linalg::Float;
use crate::sparse::Records;
use crate::traits::{Fit, Predict, PredictProba};

/// ν-support vector classifier (scikit-learn's `NuSVC`, libsvm's ν-SVC).
///
/// Hyperparameters and defaults as scikit-learn: `nu = 0.5`, RBF kernel with
/// `gamma = "scale"`, `tol = 1e-3`, shrinking on, one-vs-one multiclass with
/// an `ovr`-shaped decision function, no probabilities. Like scikit-learn's
/// `NuSVC` (whose libsvm ν-SVC ignores them) there are no class weights;
/// sample weights bound each `αₜ` and enter ν's sums.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{Kernel, NuSvc};
///
/// let x = array![[-2.0, -1.0], [-1.0, -1.5], [-1.5, -0.5], [1.0, 1.0], [2.0, 1.5], [1.5, 0.5]];
/// let y = array![0, 0, 0, 1, 1, 1];
/// let model = NuSvc::new().nu(0.5).kernel(Kernel::Linear).fit(x.view(), y.view())?;
/// assert_eq!(model.predict(array![[-3.0, -2.0], [3.0, 2.0]].view())?, array![0, 1]);
/// // ν = 0.5 is a lower bound on the fraction of support vectors
/// assert!(model.support().len() >= 3);
/// // an infeasible ν is a typed error
/// assert!(NuSvc::new().nu(0.9).fit(x.view(), array![0, 1, 1, 1, 1, 1].view()).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NuSvc<L = usize> {
    inner: Svc<L>,
}

impl<L> Default for NuSvc<L> {
    fn default() -> Self {
        let mut inner = Svc::default();
        inner.hyper_mut().nu = Some(0.5);
        NuSvc { inner }
    }
}

impl<L> NuSvc<L> {
    /// Default hyperparameters (those of scikit-learn's `NuSVC()`); `L` is
    /// the label type.
    pub fn new() -> Self {
        Self::default()
    }

    /// The underlying hyperparameters (for `compose`'s `params()`).
    pub(crate) fn hyper(&self) -> &super::svc::SvcHyper {
        self.inner.hyper()
    }

    /// `ν ∈ (0, 1]`: an upper bound on the fraction of margin errors and a
    /// lower bound on the fraction of support vectors; default `0.5`.
    pub fn nu(mut self, nu: f64) -> Self {
        self.inner.hyper_mut().nu = Some(nu);
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

    /// Iteration cap per class pair; default `None` (run to convergence).
    pub fn max_iter(mut self, max_iter: Option<usize>) -> Self {
        self.inner = self.inner.max_iter(max_iter);
        self
    }

    /// Kernel-row cache budget in MB; default `200`.
    pub fn cache_size(mut self, mb: f64) -> Self {
        self.inner = self.inner.cache_size(mb);
        self
    }

    /// Platt probabilities from 5-fold cross-validation (as [`Svc`]);
    /// default `false`.
    pub fn probability(mut self, on: bool) -> Self {
        self.inner = self.inner.probability(on);
        self
    }

    /// Seed of the probability cross-validation folds; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.inner = self.inner.seed(seed);
        self
    }

    /// Shape of [`FittedSvc::decision_function`]; default
    /// [`DecisionShape::Ovr`].
    pub fn decision_shape(mut self, shape: DecisionShape) -> Self {
        self.inner = self.inner.decision_shape(shape);
        self
    }

    /// Calls `f` with [`Progress`] every 1000 solver iterations and when
    /// each sub-problem finishes; default none.
    pub fn progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.inner = self.inner.progress(f);
        self
    }
}

impl<L: Clone + Eq + Hash + Ord> NuSvc<L> {
    /// Fits on records `x` (`n×d`; for [`Kernel::Precomputed`], the `n×n`
    /// training kernel) and labels `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) (`nu`
    /// outside `(0, 1]` or infeasible for a class pair, `gamma ≤ 0`,
    /// `tol ≤ 0` …), [`Error::EmptyInput`](crate::Error::EmptyInput),
    /// [`Error::NonFinite`](crate::Error::NonFinite),
    /// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch),
    /// [`Error::SingleClass`](crate::Error::SingleClass),
    /// [`Error::NumericalFailure`](crate::Error::NumericalFailure) when a
    /// pair's margin multiplier is not positive (degenerate data).
    pub fn fit<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, L>,
    ) -> Result<FittedNuSvc<F, L>> {
        self.inner.fit_impl(x.into(), y, None).map(FittedNuSvc)
    }

    /// As [`NuSvc::fit`] with one weight `≥ 0` per sample (each `αₜ ≤ wₜ`;
    /// ν's sums and the feasibility test use weight sums, as scikit-learn).
    ///
    /// # Errors
    /// As [`NuSvc::fit`]; also invalid weights.
    pub fn fit_weighted<'a, F: Float>(
        &self,
        x: impl Into<Records<'a, F>>,
        y: ArrayView1<'_, L>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<FittedNuSvc<F, L>> {
        self.inner
            .fit_impl(x.into(), y, Some(sample_weight))
            .map(FittedNuSvc)
    }
}

/// A fitted [`NuSvc`]: the equivalent C-SVC model, so every method of
/// [`FittedSvc`] (`predict`, `decision_function`, `predict_proba`, `score`,
/// `support`, `dual_coef`, `intercept` …) is available through `Deref`.
/// Saved and loaded as kind `"NuSvc"`.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::persist::Persist;
/// use oxilearn::svm::{FittedNuSvc, NuSvc};
///
/// let x = array![[0.0, 0.0], [0.1, 0.3], [1.0, 1.0], [0.9, 1.2]];
/// let y = array![-1i64, -1, 1, 1];
/// let model = NuSvc::new().nu(0.5).fit(x.view(), y.view())?;
/// assert_eq!(model.score(x.view(), y.view())?, 1.0);
/// let path = std::env::temp_dir().join("oxilearn_doc_nusvc.safetensors");
/// model.save(&path)?;
/// let back = FittedNuSvc::<f64, i64>::load(&path)?;
/// assert_eq!(back.predict(x.view())?, y);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedNuSvc<F: Float, L>(pub(crate) FittedSvc<F, L>);

impl<F: Float, L> FittedNuSvc<F, L> {
    /// The `ν` the model was fitted with.
    pub fn nu(&self) -> f64 {
        self.0.hyper.nu.unwrap_or(0.5)
    }

    /// The equivalent C-SVC model.
    pub fn into_inner(self) -> FittedSvc<F, L> {
        self.0
    }
}

impl<F: Float, L> Deref for FittedNuSvc<F, L> {
    type Target = FittedSvc<F, L>;
    fn deref(&self) -> &FittedSvc<F, L> {
        &self.0
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> Fit<ArrayView2<'a, F>, ArrayView1<'a, L>>
    for NuSvc<L>
{
    type Fitted = FittedNuSvc<F, L>;
    fn fit(&self, x: ArrayView2<'a, F>, y: ArrayView1<'a, L>) -> Result<FittedNuSvc<F, L>> {
        NuSvc::fit(self, x, y)
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> Predict<ArrayView2<'a, F>> for FittedNuSvc<F, L> {
    type Output = Array1<L>;
    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<L>> {
        self.0.predict(x)
    }
}

impl<'a, F: Float, L: Clone + Eq + Hash + Ord> PredictProba<ArrayView2<'a, F>>
    for FittedNuSvc<F, L>
{
    type Output = Array2<F>;
    fn predict_proba(&self, x: ArrayView2<'a, F>) -> Result<Array2<F>> {
        self.0.predict_proba(x)
    }
}
