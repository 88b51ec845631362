//! Primal coordinate descent for the L1-regularised squared-hinge SVM:
//! CDN of Yuan, Chang, Hsieh & Lin, "A comparison of optimization methods
//! and software for large-scale L1-regularized linear classification"
//! (JMLR 2010), section 4.1.
//!
//! ```text
//! min_w ‖w‖₁ + Σᵢ Cᵢ·max(0, 1 − yᵢ·wᵀxᵢ)²
//! ```
//!
//! The solver keeps the margins `bᵢ = 1 − yᵢ·wᵀxᵢ`. For one coordinate `j`
//! the smooth part has derivative `L' = −2 Σ_{bᵢ>0} Cᵢyᵢxᵢⱼbᵢ` and generalised
//! second derivative `L'' = 2 Σ_{bᵢ>0} Cᵢxᵢⱼ²`; the Newton direction of
//! `L'·d + ½L''·d² + |wⱼ + d|` has a closed form (a soft threshold), and a
//! backtracking line search (`λ = 1, ½, ¼ …`, sufficient decrease `σ =
//! 0.01`) makes the step. Coordinates at zero whose derivative lies well
//! inside `(−1, 1)` are shrunk. The stopping rule is on the ℓ₁ norm of the
//! minimum-norm subgradient relative to its first-pass value, with the
//! tolerance scaled as scikit-learn's `LinearSVC` scales it for its primal
//! solvers: `tol · max(min(n₊, n₋), 1) / n`.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::design::SparseColumns;
use super::dual_cd::Outcome;

/// The design matrix by columns, in `f64`, the intercept column (when
/// fitted) last and stored.
pub(crate) enum Columns<'a> {
    /// Column-major `n × p`.
    Dense { data: &'a [f64], n: usize, p: usize },
    /// CSC.
    Sparse(&'a SparseColumns),
}

impl<'a> Columns<'a> {
    /// A dense column-major matrix.
    pub(crate) fn dense(data: &'a [f64], n: usize, p: usize) -> Self {
        debug_assert_eq!(data.len(), n * p);
        Columns::Dense { data, n, p }
    }

    fn dim(&self) -> (usize, usize) {
        match self {
            Columns::Dense { n, p, .. } => (*n, *p),
            Columns::Sparse(x) => (x.n, x.p),
        }
    }

    /// Calls `f(i, xᵢⱼ)` for the rows of column `j`, in increasing `i` (every row when
    /// dense, the stored entries when sparse: the solver's sums skip zeros either way).
    #[inline]
    fn for_each(&self, j: usize, mut f: impl FnMut(usize, f64)) {
        match self {
            Columns::Dense { data, n, .. } => {
                for (i, &v) in data[j * n..(j + 1) * n].iter().enumerate() {
                    f(i, v);
                }
            }
            Columns::Sparse(x) => {
                let (a, b) = (x.colptr[j], x.colptr[j + 1]);
                for (&i, &v) in x.rows[a..b].iter().zip(&x.vals[a..b]) {
                    f(i, v);
                }
            }
        }
    }
}

const SIGMA: f64 = 0.01;
const MAX_LINE_SEARCH: usize = 60;

/// Solves the L1-regularised squared-hinge problem for labels `y` (`±1`)
/// and costs `c` (`Cᵢ ≥ 0`).
pub(crate) fn solve(
    x: &Columns<'_>,
    y: &[f64],
    c: &[f64],
    tol: f64,
    max_iter: usize,
    seed: u64,
) -> Outcome {
    let (n, p) = x.dim();
    let n_pos = y.iter().filter(|&&v| v > 0.0).count();
    let eps = tol * (n_pos.min(n - n_pos).max(1) as f64) / n.max(1) as f64;
    let mut w = vec![0.0f64; p];
    let mut b = vec![1.0f64; n];
    let all: Vec<usize> = (0..p).collect();
    let mut active = all.clone();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut viol_max_old = f64::INFINITY;
    let mut gnorm1_init = f64::NAN;
    let mut n_iter = 0;
    let mut converged = false;
    while n_iter < max_iter {
        n_iter += 1;
        active.shuffle(&mut rng);
        let mut viol_max = 0.0f64;
        let mut gnorm1 = 0.0f64;
        let mut s = 0;
        while s < active.len() {
            let j = active[s];
            let mut g = 0.0;
            let mut h = 0.0;
            x.for_each(j, |i, xij| {
                if b[i] > 0.0 && c[i] > 0.0 {
                    let v = c[i] * xij;
                    g -= 2.0 * v * y[i] * b[i];
                    h += 2.0 * v * xij;
                }
            });
            let h = h.max(1e-12);
            let gp = g + 1.0;
            let gn = g - 1.0;
            let wj = w[j];
            let viol = if wj == 0.0 {
                if gp < 0.0 {
                    -gp
                } else if gn > 0.0 {
                    gn
                } else if gp > viol_max_old / n as f64 && gn < -viol_max_old / n as f64 {
                    active.swap_remove(s);
                    continue;
                } else {
                    0.0
                }
            } else if wj > 0.0 {
                gp.abs()
            } else {
                gn.abs()
            };
            viol_max = viol_max.max(viol);
            gnorm1 += viol;
            s += 1;
            let d = if gp <= h * wj {
                -gp / h
            } else if gn >= h * wj {
                -gn / h
            } else {
                -wj
            };
            if d.abs() < 1e-12 {
                continue;
            }
            // backtracking: accept λ when F(w + λd·eⱼ) − F(w) ≤ σλ(L'd + |wⱼ+d| − |wⱼ|)
            let delta = g * d + (wj + d).abs() - wj.abs();
            let mut lambda = 1.0;
            for _ in 0..MAX_LINE_SEARCH {
                let step = lambda * d;
                let mut change = (wj + step).abs() - wj.abs();
                x.for_each(j, |i, xij| {
                    if c[i] > 0.0 && xij != 0.0 {
                        let old = b[i].max(0.0);
                        let new = (b[i] - step * y[i] * xij).max(0.0);
                        change += c[i] * (new * new - old * old);
                    }
                });
                if change <= SIGMA * lambda * delta {
                    w[j] = wj + step;
                    x.for_each(j, |i, xij| b[i] -= step * y[i] * xij);
                    break;
                }
                lambda *= 0.5;
            }
        }
        if n_iter == 1 {
            gnorm1_init = gnorm1;
        }
        viol_max_old = viol_max;
        if gnorm1 <= eps * gnorm1_init {
            if active.len() == all.len() {
                converged = true;
                break;
            }
            active.clone_from(&all);
            viol_max_old = f64::INFINITY;
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

    #[test]
    fn an_irrelevant_feature_gets_a_zero_weight() {
        // feature 0 separates the classes, feature 1 is noise-free zero-mean
        let n = 40;
        let mut data = vec![0.0; 2 * n];
        let mut y = vec![0.0; n];
        for i in 0..n {
            let label = if i % 2 == 0 { 1.0 } else { -1.0 };
            data[i] = label * (1.0 + (i % 5) as f64 * 0.1);
            data[n + i] = if (i / 2) % 2 == 0 { 0.5 } else { -0.5 };
            y[i] = label;
        }
        let x = Columns::dense(&data, n, 2);
        let out = solve(&x, &y, &vec![1.0; n], 1e-6, 1000, 0);
        assert!(out.converged);
        assert!(out.w[0] > 0.5, "{:?}", out.w);
        assert_eq!(out.w[1], 0.0);
    }
}
