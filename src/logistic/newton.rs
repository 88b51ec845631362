//! Newton's method with a Cholesky-solved Hessian and an Armijo backtracking
//! line search.
//!
//! Each iteration builds the full Hessian (`XᵀDX` blocks through
//! [`crate::linalg::gram`]), solves `H·Δ = −g` with
//! [`crate::linalg::cholesky_solve`] and backtracks from the full step.
//! Stopping is scikit-learn's `newton-cholesky` rule on the mean-scaled
//! objective: `max|g| ≤ tol` and half the squared Newton decrement
//! `½·ΔᵀHΔ ≤ tol`.
//!
//! The multinomial loss is flat along "add the same value to one unpenalised
//! column of every class" (always the intercepts; every column without
//! penalty), so its Hessian is singular there. The solve uses `H + α·P`,
//! where `P` projects onto those directions: the gradient is orthogonal to
//! them, so this yields exactly the minimum-norm Newton step, and the
//! iterates stay in the symmetric parametrisation (`Σ_k θ_kj = 0`).

use ndarray::{Array2, ArrayView2};

use super::lbfgs;
use super::loss::{Outcome, Problem, check_finite_loss, max_abs};
use crate::Float;
use crate::cpu::dot_f64;
use crate::error::Result;
use crate::linalg;

/// Armijo sufficient-decrease constant.
const ARMIJO: f64 = 1e-4;
/// Maximal number of step halvings.
const MAX_HALVINGS: usize = 30;

/// Minimises `problem` from `theta` with Newton–Cholesky.
pub(crate) fn solve<F: Float>(
    problem: &Problem<'_, F>,
    theta: Array2<F>,
    tol: f64,
    max_iter: usize,
) -> Result<Outcome<F>> {
    let (k, p) = (problem.k, problem.p());
    let mut theta = theta;
    let mut ev = problem.eval_full(theta.view(), true);
    check_finite_loss(ev.loss)?;
    if max_iter == 0 {
        return Ok(Outcome {
            converged: max_abs(ev.grad.view()) <= tol,
            theta,
            n_iter: 0,
            loss: ev.loss,
        });
    }
    let gauge = problem.gauge_columns();
    let mut n_iter = 0;
    let mut converged = false;
    while n_iter < max_iter {
        let mut h = problem.hessian(&ev);
        if !gauge.is_empty() {
            add_gauge_projection(&mut h, k, p, &gauge);
        }
        let g = ev
            .grad
            .view()
            .into_shape_with_order((k * p, 1))
            .expect("gradient is contiguous");
        let step = match linalg::cholesky_solve(h.view(), g) {
            Ok(sol) if sol.iter().all(|v| v.is_finite()) => {
                sol.into_shape_with_order((k, p)).expect("k·p entries") * -F::one()
            }
            // A Hessian that is not numerically positive definite (e.g.
            // separable data without penalty): continue with L-BFGS.
            _ => {
                let rest = lbfgs::solve(problem, theta, tol, max_iter - n_iter)?;
                return Ok(Outcome {
                    n_iter: n_iter + rest.n_iter,
                    ..rest
                });
            }
        };
        let slope = dot_f64(ev.grad.view(), step.view());
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction: numerically singular Hessian.
            break;
        }
        n_iter += 1;
        let Some((new_theta, new_ev)) = backtrack(problem, theta.view(), &ev, step.view(), slope)
        else {
            // No decrease possible at working precision.
            converged = max_abs(ev.grad.view()) <= tol;
            break;
        };
        theta = new_theta;
        ev = new_ev;
        // ΔᵀHΔ = −gᵀΔ for the Newton step Δ = −H⁻¹g.
        let half_decrement = -0.5 * slope;
        if max_abs(ev.grad.view()) <= tol && half_decrement <= tol {
            converged = true;
            break;
        }
    }
    problem.symmetrise(&mut theta);
    Ok(Outcome {
        theta,
        n_iter,
        converged,
        loss: ev.loss,
    })
}

/// Adds `α·(1/k)·𝟙𝟙ᵀ` on the entries coupling column `j` of every class, for
/// each gauge column `j`; `α` is the mean diagonal of `h`.
fn add_gauge_projection<F: Float>(h: &mut Array2<F>, k: usize, p: usize, gauge: &[usize]) {
    let n = h.nrows();
    let mean_diag = h.diag().iter().map(|v| v.to_f64_exact()).sum::<f64>() / n as f64;
    let alpha = F::from_f64_lossy(mean_diag.max(f64::MIN_POSITIVE) / k as f64);
    for &j in gauge {
        for a in 0..k {
            for b in 0..k {
                h[[a * p + j, b * p + j]] += alpha;
            }
        }
    }
}

/// Armijo backtracking from the full step. Near the optimum, where loss
/// differences drown in rounding, a step that does not increase the loss
/// beyond rounding and reduces the gradient's ℓ₁ norm is accepted.
fn backtrack<F: Float>(
    problem: &Problem<'_, F>,
    theta: ArrayView2<'_, F>,
    ev: &super::loss::Eval<F>,
    step: ArrayView2<'_, F>,
    slope: f64,
) -> Option<(Array2<F>, super::loss::Eval<F>)> {
    let f0 = ev.loss;
    let g0_l1: f64 = ev.grad.iter().map(|v| v.to_f64_exact().abs()).sum();
    let rounding = 16.0 * F::epsilon().to_f64_exact() * f0.abs().max(1.0);
    let mut t = 1.0f64;
    for _ in 0..MAX_HALVINGS {
        let trial = &theta + &(&step * F::from_f64_lossy(t));
        let ev = problem.eval_full(trial.view(), true);
        if ev.loss.is_finite() {
            if ev.loss <= f0 + ARMIJO * t * slope {
                return Some((trial, ev));
            }
            if (ev.loss - f0).abs() <= rounding {
                let g_l1: f64 = ev.grad.iter().map(|v| v.to_f64_exact().abs()).sum();
                if g_l1 < g0_l1 {
                    return Some((trial, ev));
                }
            }
        }
        t *= 0.5;
    }
    None
}
