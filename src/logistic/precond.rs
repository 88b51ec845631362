//! A fixed linear change of coordinates that makes L-BFGS converge in far
//! fewer iterations on raw (uncentred, unscaled) features.
//!
//! L-BFGS runs on `u` with `θ = T·u`; every class row uses the same map
//!
//! ```text
//! w_j = σ_j · u_j                      (features)
//! b   = σ_b · u_b − Σ_j μ_j · w_j      (intercept: the features are centred)
//! ```
//!
//! with `μ` the weighted feature means and `σ_j = 1/√(c₀·v_j + ε)`, `v_j` the
//! weighted feature variances, `c₀ = p(1 − p)` of the uniform prediction at
//! `θ = 0`, so that `T`'s columns have unit curvature at the start, as if the
//! records were standardised. The objective is the same function of `θ`, so
//! the minimiser is the same; only the path of the iterates changes.
//! Gradients and the stopping rule stay in `θ` coordinates. `ε` (a hundredth
//! of the mean curvature, at least the penalty) keeps near-constant features
//! from being blown up. Without an intercept there is nothing to centre with:
//! `μ = 0` and `v_j` is the second moment.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2};

use super::loss::Problem;
use crate::Float;
use crate::sparse::Checked;

/// Per feature: the weighted mean `μ` (zeros without an intercept) and the
/// weighted sum of squares about it, `Σᵢ sᵢ (xᵢⱼ − μⱼ)²` — over every entry,
/// a sparse matrix's implicit zeros included.
fn weighted_moments<F: Float>(problem: &Problem<'_, F>) -> (Vec<f64>, Vec<f64>) {
    let d = problem.d();
    let mut mean = vec![0.0f64; d];
    let mut var = vec![0.0f64; d];
    match problem.x {
        Checked::Dense(x) => {
            if problem.fit_intercept {
                for (row, &s) in x.rows().into_iter().zip(&problem.sw) {
                    let s = s.to_f64_exact();
                    for (m, &v) in mean.iter_mut().zip(row) {
                        *m += s * v.to_f64_exact();
                    }
                }
            }
            for (row, &s) in x.rows().into_iter().zip(&problem.sw) {
                let s = s.to_f64_exact();
                for ((q, &m), &v) in var.iter_mut().zip(&mean).zip(row) {
                    let c = v.to_f64_exact() - m;
                    *q += s * c * c;
                }
            }
        }
        Checked::Sparse(x) => {
            // the weight of the rows storing each column; the others hold 0
            let mut stored = vec![0.0f64; d];
            let mut total = 0.0f64;
            for (i, &s) in problem.sw.iter().enumerate() {
                let s = s.to_f64_exact();
                total += s;
                let (idx, val) = x.row(i);
                for (&j, &v) in idx.iter().zip(val) {
                    stored[j] += s;
                    if problem.fit_intercept {
                        mean[j] += s * v.to_f64_exact();
                    }
                }
            }
            for (i, &s) in problem.sw.iter().enumerate() {
                let s = s.to_f64_exact();
                let (idx, val) = x.row(i);
                for (&j, &v) in idx.iter().zip(val) {
                    let c = v.to_f64_exact() - mean[j];
                    var[j] += s * c * c;
                }
            }
            for ((q, &m), &w) in var.iter_mut().zip(&mean).zip(&stored) {
                *q += (total - w) * m * m;
            }
        }
    }
    (mean, var)
}

/// The map `θ = T·u` (see the module documentation).
pub(crate) struct Precond<F> {
    /// Feature means `μ` (zeros without intercept), length `d`.
    mu: Array1<F>,
    /// Feature scales `σ`, length `d`.
    scale: Array1<F>,
    /// Intercept scale `σ_b`.
    b_scale: F,
    /// Whether θ has an intercept column.
    fit_intercept: bool,
}

impl<F: Float> Precond<F> {
    /// The map for `problem`'s data and weights.
    pub fn new(problem: &Problem<'_, F>) -> Self {
        let d = problem.d();
        let k = problem.k as f64;
        let c0 = if problem.k == 1 {
            0.25
        } else {
            (1.0 / k) * (1.0 - 1.0 / k)
        };
        let (mean, var) = weighted_moments(problem);
        let mean_curv = c0 * var.iter().sum::<f64>() / d.max(1) as f64;
        let mut eps = (0.01 * mean_curv).max(problem.l2.to_f64_exact());
        if !(eps > 0.0 && eps.is_finite()) {
            eps = 1.0;
        }
        Precond {
            mu: mean.iter().map(|&m| F::from_f64_lossy(m)).collect(),
            scale: var
                .iter()
                .map(|&v| F::from_f64_lossy(1.0 / (c0 * v + eps).sqrt()))
                .collect(),
            b_scale: F::from_f64_lossy(1.0 / c0.sqrt()),
            fit_intercept: problem.fit_intercept,
        }
    }

    /// `T·u`, `k × p`.
    pub fn to_theta(&self, u: ArrayView2<'_, F>) -> Array2<F> {
        let d = self.mu.len();
        let mut theta = Array2::zeros(u.raw_dim());
        for (mut t, u) in theta.rows_mut().into_iter().zip(u.rows()) {
            let mut shift = F::zero();
            for j in 0..d {
                let w = self.scale[j] * u[j];
                t[j] = w;
                shift += self.mu[j] * w;
            }
            if self.fit_intercept {
                t[d] = self.b_scale * u[d] - shift;
            }
        }
        theta
    }

    /// `Tᵀ·g` (a θ-gradient in `u` coordinates), written into `out`.
    pub fn grad_to_u(&self, g: ArrayView2<'_, F>, mut out: ArrayViewMut2<'_, F>) {
        let d = self.mu.len();
        for (mut o, g) in out.rows_mut().into_iter().zip(g.rows()) {
            let gb = if self.fit_intercept { g[d] } else { F::zero() };
            for j in 0..d {
                o[j] = self.scale[j] * (g[j] - self.mu[j] * gb);
            }
            if self.fit_intercept {
                o[d] = self.b_scale * gb;
            }
        }
    }
}
