//! Logistic regression: binary (logistic loss) and multinomial (softmax), L2
//! or no penalty, sample and class weights, Newton–Cholesky and L-BFGS
//! solvers.
//!
//! ## What it fits
//! scikit-learn's objective, with the same defaults (`C = 1`, `tol = 1e-4`,
//! `max_iter = 100`):
//!
//! ```text
//! C · Σᵢ sᵢ·ℓᵢ(W, b)  +  ½‖W‖²        (the intercept b is not penalised)
//! ```
//!
//! where `sᵢ` is the sample weight times the class weight. Two classes use
//! the logistic loss with the **larger** label (`classes()[1]`) as the
//! positive class and one coefficient row; three or more classes use the
//! multinomial (softmax) loss with one coefficient row per class, in the
//! symmetric parametrisation (unpenalised columns sum to zero over classes),
//! as scikit-learn does.
//!
//! ## Solvers
//! - [`Solver::NewtonCholesky`]: full Hessian (`XᵀDX` blocks, including the
//!   softmax cross terms for the multinomial loss) through
//!   [`crate::linalg`], Cholesky solve, Armijo backtracking. Few, costly
//!   iterations: best when `n_features × n_rows_of_coef` is small and there
//!   are many samples.
//! - [`Solver::Lbfgs`]: limited-memory BFGS (memory 10) with a strong-Wolfe
//!   line search, run in centred and scaled coordinates (a fixed change of
//!   variables `θ = T·u` built from the weighted feature means and variances:
//!   the same objective and minimiser, several times fewer iterations on raw
//!   features). Cheap iterations (two GEMMs and one fused softmax pass):
//!   best for many features or classes.
//! - [`Solver::Auto`] (default) picks by problem size: Newton–Cholesky for
//!   two classes with a small Hessian and for tiny multinomial problems,
//!   L-BFGS otherwise (see [`Solver::Auto`]).
//!
//! Both stop as scikit-learn does on the mean-scaled objective
//! (`objective / (C·Σs)`): `max|gradient| ≤ tol` (Newton also needs half the
//! squared Newton decrement `≤ tol`; L-BFGS also stops on a relative decrease
//! `≤ 64·ε`). Not converging within `max_iter` is reported by
//! [`FittedLogisticRegression::converged`], and is an error only in
//! [`strict`](LogisticRegression::strict) mode.
//!
//! ## Example
//! ```
//! use oxilearn::logistic::LogisticRegression;
//! use oxilearn::ndarray::array;
//!
//! let x = array![[0.0, 1.0], [1.0, 0.5], [2.0, 0.0], [3.0, 1.0], [4.0, 0.5], [5.0, 0.0]];
//! let y = array!["no", "no", "no", "yes", "yes", "yes"];
//! let model = LogisticRegression::new().c(10.0).fit(x.view(), y.view())?;
//! assert_eq!(model.classes(), ["no", "yes"]);
//! let p = model.predict_proba(array![[0.5, 0.5], [4.5, 0.5]].view())?;
//! assert!(p[[0, 0]] > 0.9 && p[[1, 1]] > 0.9);
//! assert_eq!(model.predict(x.view())?, y);
//! # Ok::<(), oxilearn::Error>(())
//! ```

mod fitted;
mod lbfgs;
mod loss;
mod newton;
mod params;
mod persist;
mod precond;

pub use fitted::FittedLogisticRegression;
pub use params::{ClassWeight, LogisticRegression, Penalty, Solver};
