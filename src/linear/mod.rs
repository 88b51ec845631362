//! Linear least squares: [`LinearRegression`] (ordinary least squares) and
//! [`Ridge`] (L2 penalty), exact, weighted, multi-target and out-of-core.
//!
//! # When to use
//! A linear model is the first thing to try on a regression problem: it fits
//! in one pass of linear algebra (no iterations, no learning rate), its
//! coefficients are interpretable, and it is the baseline any other model has
//! to beat. Use [`Ridge`] when features are many or correlated (the penalty
//! trades a little bias for a lot of variance), [`LinearRegression`] when you
//! want the plain least-squares answer.
//!
//! # What it computes
//! Both models match scikit-learn's `LinearRegression` and `Ridge`
//! coefficient for coefficient:
//! - the intercept is fitted by centring (weighted means), and is never
//!   penalised;
//! - [`LinearRegression`] returns the **minimum-norm** least-squares solution
//!   even when features are collinear (as `numpy.linalg.lstsq`), and reports
//!   the numerical [`rank`](FittedLinearRegression::rank);
//! - `y` may be one target ([`LinearRegression::fit`] → `coef()` of length
//!   `n_features`) or several ([`LinearRegression::fit_multi`] → `coef()` of
//!   shape `n_targets × n_features`), with per-sample weights (`*_weighted`);
//! - [`SufficientStats`] accumulates mergeable statistics chunk by chunk, so
//!   data that does not fit in memory (or lives on several machines) gives the
//!   same model as the in-memory fit.
//!
//! # How (and why it is fast)
//! The fast path forms the centred, weighted gram `Σ wᵢ(xᵢ − x̄)(xᵢ − x̄)ᵀ`
//! in cache-sized row blocks on every core (each block is centred around its
//! own mean, multiplied through [`crate::linalg::gram`], and the blocks are
//! merged pairwise), and solves the `d × d` normal
//! equations by Cholesky: about `n·d²` flops, against the `2·n·d²`+ of the
//! QR/SVD least-squares solve scikit-learn uses. Accuracy is protected by a
//! condition estimate obtained in the same Cholesky solve: when the gram is
//! not safely positive definite (estimated `κ > 0.1/√ε`), the fit falls back
//! to an SVD-based `lstsq` on the centred design, which is what scikit-learn
//! computes. See [`SufficientStats`] for the numerics of streaming.
//!
//! # Example
//! ```
//! use oxilearn::linear::{LinearRegression, Ridge};
//! use oxilearn::ndarray::array;
//!
//! let x = array![[1.0f64, 0.5], [2.0, -1.0], [3.0, 0.0], [4.0, 1.5], [5.0, 1.0]];
//! let y = array![3.0, 2.0, 5.0, 9.5, 9.0]; // 2·x0 + 2·x1 − 1 + noise
//! let ols = LinearRegression::new().fit(x.view(), y.view())?;
//! let ridge = Ridge::new().alpha(1.0).fit(x.view(), y.view())?;
//! println!("OLS coef {} intercept {:.3}", ols.coef(), ols.intercept());
//! // The penalty shrinks the coefficients.
//! assert!(ridge.coef().dot(&ridge.coef()) < ols.coef().dot(&ols.coef()));
//! assert!(ols.score(x.view(), y.view())? > 0.9);
//! # Ok::<(), oxilearn::Error>(())
//! ```

#![forbid(unsafe_code)]

mod fitted;
mod input;
mod normal;
mod ols;
mod persist;
mod ridge;
mod solve;
mod stats;

pub use self::ols::{FittedLinearRegression, FittedLinearRegressionMulti, LinearRegression};
pub use self::ridge::{Alpha, FittedRidge, FittedRidgeMulti, Ridge};
pub use self::solve::RidgeSolver;
pub use self::stats::SufficientStats;
