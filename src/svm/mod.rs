//! Support vector machines: kernel classification ([`Svc`], [`NuSvc`]),
//! regression ([`Svr`], [`NuSvr`]) and novelty detection ([`OneClassSvm`]);
//! linear classification and regression at scale ([`LinearSvc`],
//! [`LinearSvr`]).
//!
//! **What.** C-support vector classification (binary and one-vs-one
//! multiclass, with optional Platt probabilities) and ε-support vector
//! regression, with the [`Kernel`]s linear, polynomial, RBF, sigmoid and
//! precomputed. Hyperparameters, defaults and fitted attributes follow
//! scikit-learn's `SVC` / `SVR` (which wrap libsvm), so results agree with them
//! to solver tolerance.
//!
//! **When.** Non-linear decision boundaries on small-to-medium data (up to a
//! few 10⁵ rows): the dual solver is roughly quadratic in the number of
//! samples. For very large or wide data prefer a linear model: [`LinearSvc`],
//! [`LinearSvr`] (below) or [`crate::logistic`].
//!
//! **How.** One solver ([`solver`](self) internals: SMO with second-order
//! working-set selection and shrinking) serves every formulation. Kernel rows
//! are computed on demand — vectorised, `f32`, in parallel for long rows — and
//! kept in an LRU cache under a byte budget ([`Svc::cache_size`], 200 MB by
//! default); the `n×n` kernel matrix is never formed. Long fits report
//! [`Progress`] through a callback.
//!
//! # Linear SVMs
//! [`LinearSvc`] and [`LinearSvr`] (scikit-learn's `LinearSVC` / `LinearSVR`,
//! liblinear) fit `f(x) = wᵀx + b` without a kernel, in time linear in the
//! data size: the choice for large or wide data. L2-regularised problems are
//! solved by dual coordinate descent with shrinking (Hsieh et al. 2008; Ho &
//! Lin 2012) or, for the squared hinge with more samples than features, by a
//! primal trust-region Newton method (Lin, Weng & Keerthi 2008) — chosen as
//! scikit-learn's `dual="auto"` chooses, see [`LinearSvcSolver`]; the
//! L1-regularised squared hinge by primal coordinate descent (Yuan et al.
//! 2010). As in liblinear, the intercept is the weight of a
//! constant feature of value `intercept_scaling` and is **regularised** with
//! the other weights; multiclass classification is one-vs-rest.
//!
//! # Example
//! ```
//! use oxilearn::prelude::*;
//! use oxilearn::svm::{Gamma, Kernel, Svc};
//!
//! let x = array![[0.0, 0.0], [0.2, 0.1], [1.0, 1.0], [0.9, 1.1], [2.0, 0.0], [2.1, 0.2]];
//! let y = array!["a", "a", "b", "b", "c", "c"];
//! let model = Svc::new()
//!     .c(10.0)
//!     .kernel(Kernel::Rbf { gamma: Gamma::Value(1.0) })
//!     .fit(x.view(), y.view())?;
//! assert_eq!(model.classes(), &["a", "b", "c"]);
//! assert_eq!(model.predict(x.view())?, y);
//! # Ok::<(), oxilearn::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;

mod cache;
mod kernel;
mod linear;
mod nusvc;
mod oneclass;
mod path;
mod persist;
mod probability;
mod solver;
mod svc;
mod svr;

pub use crate::class_weight::ClassWeight;
pub use kernel::{Gamma, Kernel};
pub use linear::{
    FittedLinearSvc, FittedLinearSvr, LinearSvc, LinearSvcLoss, LinearSvcMultiClass,
    LinearSvcSolver, LinearSvmPenalty, LinearSvr, LinearSvrLoss,
};
pub use nusvc::{FittedNuSvc, NuSvc};
pub(crate) use oneclass::OUTLIER_CLASSES;
pub use oneclass::{FittedOneClassSvm, OneClassSvm};
pub(crate) use path::{RowsGram, SvcSeed};
pub use svc::{DecisionShape, FittedSvc, Svc};
pub use svr::{FittedNuSvr, FittedSvr, NuSvr, Svr};

/// Progress of a running fit, passed to the callback set with
/// [`Svc::progress`] / [`Svr::progress`] every 1000 solver iterations and
/// once when each sub-problem finishes.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::svm::{Progress, Svr};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = Arc::clone(&seen);
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let y = array![0.0, 1.0, 2.0, 3.0];
/// Svr::new().progress(move |p: &Progress| s.lock().unwrap().push(p.done)).fit(x.view(), y.view())?;
/// assert_eq!(seen.lock().unwrap().last(), Some(&true));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// Index of the current sub-problem (class pair, or cross-validation fold
    /// when fitting probabilities), from 0.
    pub task: usize,
    /// Number of sub-problems in this fit.
    pub n_tasks: usize,
    /// Solver iterations in the current sub-problem.
    pub iteration: usize,
    /// Current maximal violation of the optimality conditions (stops at `tol`).
    pub violation: f64,
    /// Variables still active (not shrunk).
    pub active: usize,
    /// Whether the current sub-problem has finished.
    pub done: bool,
}

/// A shareable progress callback.
#[derive(Clone)]
pub(crate) struct ProgressHook(pub(crate) Arc<dyn Fn(&Progress) + Send + Sync>);

impl fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressHook")
    }
}

/// Solver options shared by [`Svc`] and [`Svr`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SolverOptions {
    pub tol: f64,
    pub shrinking: bool,
    pub max_iter: Option<usize>,
    pub cache_size_mb: f64,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            tol: 1e-3,
            shrinking: true,
            max_iter: None,
            cache_size_mb: 200.0,
        }
    }
}

impl SolverOptions {
    pub(crate) fn validate(&self) -> crate::Result<()> {
        crate::validation::check_positive("tol", self.tol)?;
        crate::validation::check_positive("cache_size", self.cache_size_mb)?;
        if self.max_iter == Some(0) {
            return Err(crate::Error::invalid("max_iter", "must be >= 1"));
        }
        Ok(())
    }

    fn settings(&self) -> solver::Settings {
        solver::Settings {
            tol: self.tol,
            shrinking: self.shrinking,
            max_iter: self.max_iter,
        }
    }

    fn cache_bytes(&self) -> usize {
        (self.cache_size_mb * 1024.0 * 1024.0) as usize
    }
}
