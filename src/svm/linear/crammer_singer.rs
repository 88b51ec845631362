//! Crammer and Singer's multiclass linear SVM, by the sequential dual method
//! of Keerthi, Sundararajan, Chang, Hsieh and Lin ("A sequential dual method
//! for large scale multi-class linear SVMs", KDD 2008).
//!
//! The primal, with per-sample costs `Cᵢ > 0`, one weight vector per class,
//!
//! ```text
//! min_w ½ Σₘ ‖wₘ‖² + Σᵢ Cᵢ·ξᵢ,   ξᵢ = maxₘ (eᵢᵐ + wₘᵀxᵢ) − w_{yᵢ}ᵀxᵢ,
//! ```
//!
//! (`eᵢᵐ = 1` for `m ≠ yᵢ`, 0 for `m = yᵢ`) has the dual
//!
//! ```text
//! min_α ½ Σₘ ‖Σᵢ αᵢᵐ xᵢ‖² + Σᵢ Σₘ eᵢᵐ αᵢᵐ,   Σₘ αᵢᵐ = 0,   αᵢᵐ ≤ Cᵢᵐ,
//! ```
//!
//! `Cᵢᵐ = Cᵢ` for `m = yᵢ`, else 0, and `wₘ = Σᵢ αᵢᵐ xᵢ`. The method keeps `w`
//! and optimises one sample's `k` variables at a time, exactly: with
//! `A = ‖xᵢ‖²` and the gradient `gₘ = wₘᵀxᵢ + eᵢᵐ`, the sub-problem
//! `min ½A‖α‖² + Σₘ Bₘαₘ` (`Bₘ = gₘ − A·αₘ`) under the two constraints has
//! the solution `αₘ = min(Cᵢᵐ, (β − Bₘ)/A)`, where `β` makes the sum zero: the
//! values `Dₘ = Bₘ + A·Cᵢᵐ` sorted in decreasing order, `β` is the mean of the
//! largest `r` of them less `A·Cᵢ`, `r` the largest count for which that mean
//! still exceeds the next value. Samples are visited in a fresh random order
//! each pass; a sample whose violation `maxₘ gₘ − min_{m: αₘ < Cᵢᵐ} gₘ` is
//! below `tol` is left as it is, and the method stops after a pass in which
//! every sample's violation is below `tol` (the optimality condition of the
//! dual; liblinear's stopping rule).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::dual_cd::Rows;

/// The solution: `w` row-major `k × p` (the intercept column's weight last
/// in each row when the rows carry one), passes made, and whether the
/// stopping rule was met within `max_iter` passes.
pub(crate) struct CsOutcome {
    pub w: Vec<f64>,
    pub n_iter: usize,
    pub converged: bool,
}

/// Solves the Crammer–Singer dual for rows `x`, class codes `codes`
/// (`0..k`), costs `c` (`Cᵢ ≥ 0`; samples of cost 0 keep `αᵢ = 0`).
pub(crate) fn solve(
    x: &Rows<'_>,
    codes: &[usize],
    k: usize,
    c: &[f64],
    tol: f64,
    max_iter: usize,
    seed: u64,
) -> CsOutcome {
    let (n, p) = (x.n(), x.p());
    let mut w = vec![0.0f64; k * p];
    let mut alpha = vec![0.0f64; n * k];
    let sq: Vec<f64> = (0..n).map(|i| x.sq_norm(i)).collect();
    // Samples that move w: a positive cost and a non-zero row (a zero row's
    // variables do not enter w or the other samples' gradients).
    let mut order: Vec<usize> = (0..n).filter(|&i| c[i] > 0.0 && sq[i] > 0.0).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut g, mut d, mut new) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    let mut n_iter = 0;
    let mut converged = false;
    while n_iter < max_iter {
        n_iter += 1;
        order.shuffle(&mut rng);
        let mut worst = 0.0f64;
        for &i in &order {
            let (yi, ci, a) = (codes[i], c[i], sq[i]);
            let ai = &mut alpha[i * k..(i + 1) * k];
            for (m, gm) in g.iter_mut().enumerate() {
                *gm = x.dot(i, &w[m * p..(m + 1) * p]) + if m == yi { 0.0 } else { 1.0 };
            }
            let upper = |m: usize| if m == yi { ci } else { 0.0 };
            let gmax = g.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let gmin = (0..k)
                .filter(|&m| ai[m] < upper(m))
                .map(|m| g[m])
                .fold(f64::INFINITY, f64::min);
            let violation = gmax - gmin;
            worst = worst.max(violation);
            if violation <= tol {
                continue;
            }
            // Bₘ = gₘ − A·αₘ; Dₘ = Bₘ + A·Cᵢᵐ, sorted in decreasing order.
            for m in 0..k {
                d[m] = g[m] - a * ai[m] + a * upper(m);
            }
            d.sort_unstable_by(|u, v| v.total_cmp(u));
            let mut sum = d[0] - a * ci;
            let mut r = 1;
            while r < k && sum < r as f64 * d[r] {
                sum += d[r];
                r += 1;
            }
            let beta = sum / r as f64;
            for m in 0..k {
                let b = g[m] - a * ai[m];
                new[m] = ((beta - b) / a).min(upper(m));
            }
            for m in 0..k {
                let delta = new[m] - ai[m];
                if delta != 0.0 {
                    ai[m] = new[m];
                    x.axpy(i, delta, &mut w[m * p..(m + 1) * p]);
                }
            }
        }
        if worst <= tol {
            converged = true;
            break;
        }
    }
    CsOutcome {
        w,
        n_iter,
        converged,
    }
}

/// The primal objective `½ Σₘ ‖wₘ‖² + Σᵢ Cᵢ·ξᵢ` at `w` (`k × p`).
pub(crate) fn primal_objective(
    x: &Rows<'_>,
    codes: &[usize],
    k: usize,
    c: &[f64],
    w: &[f64],
) -> f64 {
    let p = x.p();
    let mut f = 0.5 * w.iter().map(|v| v * v).sum::<f64>();
    for (i, (&yi, &ci)) in codes.iter().zip(c).enumerate() {
        if ci > 0.0 {
            let s: Vec<f64> = (0..k).map(|m| x.dot(i, &w[m * p..(m + 1) * p])).collect();
            let worst = (0..k)
                .map(|m| s[m] + if m == yi { 0.0 } else { 1.0 })
                .fold(f64::NEG_INFINITY, f64::max);
            f += ci * (worst - s[yi]);
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three separable points, one per class: the solution satisfies the
    /// dual's optimality condition and separates them with margin ≥ 1 − ξ.
    #[test]
    fn separates_three_points_and_meets_the_stopping_rule() {
        let data = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, -1.0, -1.0, 1.0];
        let x = Rows::dense(&data, 3, 3);
        let out = solve(&x, &[0, 1, 2], 3, &[10.0; 3], 1e-8, 1000, 0);
        assert!(out.converged);
        for (i, yi) in [0usize, 1, 2].into_iter().enumerate() {
            let s: Vec<f64> = (0..3).map(|m| x.dot(i, &out.w[m * 3..m * 3 + 3])).collect();
            for m in 0..3 {
                if m != yi {
                    assert!(s[yi] - s[m] >= 1.0 - 1e-6, "sample {i}: {s:?}");
                }
            }
        }
        // Σₘ wₘ = 0 (each sample's α sums to zero)
        for j in 0..3 {
            let s: f64 = (0..3).map(|m| out.w[m * 3 + j]).sum();
            assert!(s.abs() < 1e-12);
        }
    }
}
