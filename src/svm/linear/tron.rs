//! Trust-region Newton method for the L2-regularised squared-hinge SVM in
//! the primal (Lin, Weng & Keerthi, "Trust region Newton method for
//! large-scale logistic regression", JMLR 2008, which treats the L2-loss
//! SVM in its section 5).
//!
//! ```text
//! f(w) = ½‖w‖² + Σᵢ Cᵢ·max(0, 1 − yᵢ·wᵀxᵢ)²
//! ```
//!
//! is differentiable with gradient `∇f(w) = w + 2 Σ_{i∈I} Cᵢ(wᵀxᵢ − yᵢ)xᵢ`
//! over the margin violators `I = {i : yᵢ·wᵀxᵢ < 1}` (`yᵢ² = 1`), and has the
//! generalised Hessian `H = 𝟙 + 2 Σ_{i∈I} Cᵢ·xᵢxᵢᵀ` (positive definite). Each
//! outer iteration approximately minimises the quadratic model
//! `q(s) = ∇fᵀs + ½sᵀHs` inside the trust region `‖s‖ ≤ Δ` by conjugate
//! gradient (Steihaug: stop at `‖r‖ ≤ ξ‖∇f‖`, `ξ = 0.1`, or on the region's
//! boundary), never forming `H`: a product `Hv = v + 2 X_Iᵀ(C_I ∘ X_I v)` is
//! one fused pass over the violators' rows (a row's dot product, then the
//! same row scaled into the sum while it is in cache). The step is taken
//! when `ρ = (f(w) − f(w + s)) / −q(s) > η₀`, and `Δ` follows the paper's
//! rule (`η₀ = 10⁻⁴, η₁ = ¼, η₂ = ¾, σ₁ = ¼, σ₂ = ½, σ₃ = 4`): shrink
//! to `σ₁·min(‖s‖, Δ)` on a rejected step and to `σ₂·min(‖s‖, Δ)` when
//! `ρ ≤ η₁`, keep it for `η₁ < ρ < η₂`, grow to `max(Δ, σ₃‖s‖)` for
//! `ρ ≥ η₂`; `Δ₀ = ‖∇f(w₀)‖`, capped by the first step's length.
//!
//! Stopping rule, as liblinear documents it for its primal solvers (and so
//! scikit-learn's `LinearSVC(dual=False)` at the same `tol`):
//! `‖∇f(w)‖ ≤ tol · max(min(n₊, n₋), 1) / n · ‖∇f(w₀)‖` from `w₀ = 0`.
//!
//! Every pass over the data is a reduction over a fixed tree of row ranges
//! (`linalg::reduce_row_leaves`), so the result does not depend on the
//! thread count.

use super::dual_cd::{Outcome, Rows, axpy, dot};
use crate::linalg;

const ETA0: f64 = 1e-4;
const ETA1: f64 = 0.25;
const ETA2: f64 = 0.75;
const SIGMA1: f64 = 0.25;
const SIGMA2: f64 = 0.5;
const SIGMA3: f64 = 4.0;
/// CG stops at `‖r‖ ≤ XI·‖∇f‖` (the paper's `ξ_k = 0.1`).
const XI: f64 = 0.1;

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// Rows per leaf of the parallel reductions (enough work per task).
fn leaf(p: usize) -> usize {
    (32_768 / p.max(1)).max(64)
}

/// `f(w)`, `∇f(w)` and the violators `I` (ascending) in one pass.
fn objective_gradient(
    x: &Rows<'_>,
    y: &[f64],
    c: &[f64],
    w: &[f64],
) -> (f64, Vec<f64>, Vec<usize>) {
    let p = x.p();
    let (loss, mut grad, active) = linalg::reduce_row_leaves(
        0..x.n(),
        leaf(p),
        &|range: std::ops::Range<usize>| {
            let mut loss = 0.0f64;
            let mut g = vec![0.0f64; p];
            let mut act = Vec::new();
            for i in range {
                if c[i] <= 0.0 {
                    continue;
                }
                let z = x.dot(i, w);
                let m = 1.0 - y[i] * z;
                if m > 0.0 {
                    loss += c[i] * m * m;
                    x.axpy(i, 2.0 * c[i] * (z - y[i]), &mut g);
                    act.push(i);
                }
            }
            (loss, g, act)
        },
        &|(la, mut ga, mut aa), (lb, gb, ab)| {
            for (u, v) in ga.iter_mut().zip(&gb) {
                *u += v;
            }
            aa.extend(ab);
            (la + lb, ga, aa)
        },
    );
    for (g, wj) in grad.iter_mut().zip(w) {
        *g += wj;
    }
    (0.5 * dot(w, w) + loss, grad, active)
}

/// `Hv = v + 2 Σ_{i∈I} Cᵢ(xᵢᵀv)xᵢ`.
fn hessian_vector(x: &Rows<'_>, c: &[f64], active: &[usize], v: &[f64]) -> Vec<f64> {
    let p = x.p();
    let mut hv = linalg::reduce_row_leaves(
        0..active.len(),
        leaf(p),
        &|range: std::ops::Range<usize>| {
            let mut out = vec![0.0f64; p];
            for &i in &active[range] {
                x.axpy(i, 2.0 * c[i] * x.dot(i, v), &mut out);
            }
            out
        },
        &|mut a, b| {
            for (u, v) in a.iter_mut().zip(&b) {
                *u += v;
            }
            a
        },
    );
    for (h, vj) in hv.iter_mut().zip(v) {
        *h += vj;
    }
    hv
}

/// Steihaug CG on `min ∇fᵀs + ½sᵀHs`, `‖s‖ ≤ Δ`: the step `s` and the final
/// residual `r = −∇f − Hs`.
fn trust_region_cg(
    x: &Rows<'_>,
    c: &[f64],
    active: &[usize],
    g: &[f64],
    delta: f64,
) -> (Vec<f64>, Vec<f64>) {
    let p = g.len();
    let mut s = vec![0.0f64; p];
    let mut r: Vec<f64> = g.iter().map(|v| -v).collect();
    let mut d = r.clone();
    let cg_tol = XI * norm(g);
    let mut rtr = dot(&r, &r);
    // H is positive definite: CG ends within p steps in exact arithmetic
    for _ in 0..(2 * p).max(10) {
        if rtr.sqrt() <= cg_tol {
            break;
        }
        let hd = hessian_vector(x, c, active, &d);
        let alpha = rtr / dot(&d, &hd);
        axpy(alpha, &d, &mut s);
        if norm(&s) > delta {
            // back to the previous iterate, then to the boundary along d
            axpy(-alpha, &d, &mut s);
            let std = dot(&s, &d);
            let sts = dot(&s, &s);
            let dtd = dot(&d, &d);
            let room = (delta * delta - sts).max(0.0);
            let rad = (std * std + dtd * room).sqrt();
            let tau = if std >= 0.0 {
                room / (std + rad)
            } else {
                (rad - std) / dtd
            };
            axpy(tau, &d, &mut s);
            axpy(-tau, &hd, &mut r);
            break;
        }
        axpy(-alpha, &hd, &mut r);
        let rtr_new = dot(&r, &r);
        let beta = rtr_new / rtr;
        for (dj, rj) in d.iter_mut().zip(&r) {
            *dj = rj + beta * *dj;
        }
        rtr = rtr_new;
    }
    (s, r)
}

/// TRON for a binary L2-loss SVM: labels `y` (`±1`), costs `c` (`Cᵢ ≥ 0`;
/// a sample with `Cᵢ = 0` takes no part); at most `max_iter` Newton
/// iterations.
pub(crate) fn solve_svc(x: &Rows<'_>, y: &[f64], c: &[f64], tol: f64, max_iter: usize) -> Outcome {
    let p = x.p();
    let (n_pos, n_neg) =
        y.iter()
            .zip(c)
            .filter(|(_, ci)| **ci > 0.0)
            .fold((0usize, 0usize), |(a, b), (yi, _)| {
                if *yi > 0.0 { (a + 1, b) } else { (a, b + 1) }
            });
    let n_used = (n_pos + n_neg).max(1);
    let eps = tol * (n_pos.min(n_neg).max(1) as f64) / n_used as f64;
    let mut w = vec![0.0f64; p];
    let (mut f, mut g, mut active) = objective_gradient(x, y, c, &w);
    let gnorm0 = norm(&g);
    let mut delta = gnorm0;
    let mut n_iter = 0;
    let mut converged = gnorm0 == 0.0;
    while !converged && n_iter < max_iter {
        n_iter += 1;
        let (s, r) = trust_region_cg(x, c, &active, &g, delta);
        let snorm = norm(&s);
        if n_iter == 1 {
            delta = delta.min(snorm);
        }
        let w_new: Vec<f64> = w.iter().zip(&s).map(|(a, b)| a + b).collect();
        let (f_new, g_new, active_new) = objective_gradient(x, y, c, &w_new);
        // q(s) = ∇fᵀs + ½sᵀHs = ½(∇fᵀs − sᵀr), as −∇f − Hs = r
        let prered = -0.5 * (dot(&g, &s) - dot(&s, &r));
        let actred = f - f_new;
        let rho = if prered > 0.0 { actred / prered } else { 0.0 };
        let bound = snorm.min(delta);
        delta = if rho < ETA0 {
            SIGMA1 * bound
        } else if rho <= ETA1 {
            SIGMA2 * bound
        } else if rho < ETA2 {
            delta
        } else {
            delta.max(SIGMA3 * snorm)
        };
        if rho > ETA0 {
            w = w_new;
            f = f_new;
            g = g_new;
            active = active_new;
            if norm(&g) <= eps * gnorm0 {
                converged = true;
                break;
            }
        }
        if f.abs() < 1e-300 {
            break;
        }
        // no progress left at this precision
        if actred.abs() <= 1e-12 * f.abs() && prered.abs() <= 1e-12 * f.abs() {
            break;
        }
    }
    Outcome {
        w,
        n_iter,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svm::linear::dual_cd::{self, DualLoss};

    fn problem(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let mut data = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let label = if i % 3 == 0 { 1.0 } else { -1.0 };
            let a = next() + 0.4 * label;
            data.extend([a, next(), 2.0 * a + 0.1 * next(), 1.0]);
            y.push(label);
        }
        (data, y)
    }

    fn objective(x: &Rows<'_>, y: &[f64], c: &[f64], w: &[f64]) -> f64 {
        objective_gradient(x, y, c, w).0
    }

    #[test]
    fn reaches_the_dual_solvers_optimum() {
        let (data, y) = problem(300, 5);
        let x = Rows::dense(&data, 300, 4);
        let c: Vec<f64> = (0..300).map(|i| 0.5 + (i % 4) as f64 * 0.25).collect();
        let primal = solve_svc(&x, &y, &c, 1e-10, 1000);
        assert!(primal.converged, "{} iterations", primal.n_iter);
        let dual = dual_cd::solve_svc(&x, &y, &c, DualLoss::L2, 1e-12, 100_000, 0);
        assert!(dual.converged);
        let (fp, fd) = (
            objective(&x, &y, &c, &primal.w),
            objective(&x, &y, &c, &dual.w),
        );
        assert!((fp - fd).abs() <= 1e-9 * fd, "{fp} vs {fd}");
        // 1-strongly convex: ‖w − w*‖² ≤ 2·gap
        for (a, b) in primal.w.iter().zip(&dual.w) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        // at the optimum the gradient vanishes
        let g = objective_gradient(&x, &y, &c, &primal.w).1;
        assert!(norm(&g) < 1e-6 * fp, "{g:?}");
    }

    #[test]
    fn loose_tolerance_stops_early_near_the_optimum() {
        let (data, y) = problem(200, 11);
        let x = Rows::dense(&data, 200, 4);
        let c = vec![2.0; 200];
        let tight = solve_svc(&x, &y, &c, 1e-12, 1000);
        let loose = solve_svc(&x, &y, &c, 1e-1, 1000);
        assert!(loose.converged && tight.converged);
        assert!(loose.n_iter < tight.n_iter);
        let (fl, ft) = (
            objective(&x, &y, &c, &loose.w),
            objective(&x, &y, &c, &tight.w),
        );
        // the rule: ‖∇f‖ ≤ tol·min(n₊, n₋)/n·‖∇f(0)‖
        let g0 = norm(&objective_gradient(&x, &y, &c, &[0.0; 4]).1);
        let g = norm(&objective_gradient(&x, &y, &c, &loose.w).1);
        let n_pos = y.iter().filter(|v| **v > 0.0).count() as f64;
        assert!(g <= 1e-1 * n_pos / 200.0 * g0);
        // f is 1-strongly convex: f(w) − f* ≤ ½‖∇f(w)‖²
        assert!(
            fl >= ft - 1e-12 * ft && fl - ft <= 0.5 * g * g + 1e-9 * ft,
            "{fl} vs {ft}, ‖∇f‖ = {g}"
        );
    }

    #[test]
    fn zero_costs_drop_samples_and_max_iter_stops() {
        let (data, y) = problem(120, 3);
        let x = Rows::dense(&data, 120, 4);
        // the samples of cost zero do not change the solution
        let mut c = vec![1.0; 120];
        for ci in c.iter_mut().skip(100) {
            *ci = 0.0;
        }
        let sub = Rows::dense(&data[..100 * 4], 100, 4);
        let a = solve_svc(&x, &y, &c, 1e-8, 1000);
        let b = solve_svc(&sub, &y[..100], &c[..100], 1e-8, 1000);
        assert_eq!(a.w, b.w);
        let one = solve_svc(&x, &y, &c, 1e-12, 1);
        assert_eq!(one.n_iter, 1);
        assert!(!one.converged);
    }
}
