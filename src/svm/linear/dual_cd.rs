//! Dual coordinate descent for L2-regularised linear SVMs (Hsieh, Chang,
//! Lin, Keerthi & Sundararajan, "A dual coordinate descent method for
//! large-scale linear SVM", ICML 2008), for classification and for
//! regression (Ho & Lin, "Large-scale linear support vector regression",
//! JMLR 2012).
//!
//! **Classification.** The primal, with per-sample costs `Cᵢ > 0` (`C` times
//! class and sample weights) and `p = 1` (hinge) or `p = 2` (squared hinge),
//!
//! ```text
//! min_w ½‖w‖² + Σᵢ Cᵢ·max(0, 1 − yᵢ·wᵀxᵢ)ᵖ
//! ```
//!
//! has the dual `min_α ½αᵀ(Q + D)α − Σαᵢ`, `0 ≤ αᵢ ≤ Uᵢ`, with `Qᵢⱼ =
//! yᵢyⱼxᵢᵀxⱼ`, and `Uᵢ = Cᵢ, Dᵢᵢ = 0` (hinge) or `Uᵢ = ∞, Dᵢᵢ = 1/(2Cᵢ)`
//! (squared hinge). The solver keeps `w = Σ yᵢαᵢxᵢ`, so the partial gradient
//! `Gᵢ = yᵢ·wᵀxᵢ − 1 + Dᵢᵢαᵢ` costs one row product, and minimises exactly
//! over one `αᵢ` at a time (`αᵢ ← clip(αᵢ − Gᵢ/(‖xᵢ‖² + Dᵢᵢ), 0, Uᵢ)`), in a
//! fresh random order each pass. Shrinking (the paper's Algorithm 3): a
//! variable at a bound whose gradient points outwards by more than the
//! previous pass's extreme projected gradient leaves the active set; when
//! the active set has converged, every variable is checked once more. Stop
//! when the projected gradients' spread `max PG − min PG ≤ tol` over all
//! variables (the paper's criterion, as liblinear and scikit-learn use it).
//!
//! **Regression.** The primal `min_w ½‖w‖² + Σᵢ Cᵢ·max(0, |yᵢ − wᵀxᵢ| −
//! ε)ᵖ` has the dual (with `β = α⁺ − α⁻`, `w = Σβᵢxᵢ`)
//!
//! ```text
//! min_β ½βᵀ(Q + D)β − yᵀβ + ε‖β‖₁,   |βᵢ| ≤ Uᵢ,
//! ```
//!
//! `Qᵢⱼ = xᵢᵀxⱼ`, same `U`, `D` as above. One coordinate's sub-problem
//! `½H·z² + b·z + ε|z|` (`H = Qᵢᵢ + Dᵢᵢ`) has the closed-form soft-threshold
//! minimiser, clipped to `[−Uᵢ, Uᵢ]`. Shrinking drops variables at zero
//! whose gradient lies well inside `(−ε, ε)` and variables at a bound whose
//! gradient pushes outwards; the stopping rule compares the ℓ₁ norm of the
//! minimum-norm subgradient with its value at the start (`≤ tol ×` initial),
//! as Ho & Lin's solver does.
//!
//! Both work on [`Rows`]: a dense row-major `n × p` matrix in `f64` or a CSR
//! copy (the intercept, when fitted, as a last column of constant value — a
//! regularised feature, as in liblinear). Sparse rows cost their non-zeros
//! per product; dense and sparse records give the same iterates up to the
//! summation order of each product.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::sparse::SparseRows;

/// The design matrix of a linear solver, in `f64`, `p` columns including the
/// intercept column when one is fitted.
pub(crate) enum Rows<'a> {
    /// Row-major `n × p` (the intercept column stored).
    Dense { data: &'a [f64], n: usize, p: usize },
    /// CSR; the intercept column, of value `bias`, is implicit (last).
    Sparse {
        x: &'a SparseRows,
        bias: Option<f64>,
    },
}

impl<'a> Rows<'a> {
    /// A dense row-major matrix.
    pub fn dense(data: &'a [f64], n: usize, p: usize) -> Self {
        debug_assert_eq!(data.len(), n * p);
        Rows::Dense { data, n, p }
    }

    /// Number of rows.
    #[inline]
    pub fn n(&self) -> usize {
        match self {
            Rows::Dense { n, .. } => *n,
            Rows::Sparse { x, .. } => x.n,
        }
    }

    /// Number of columns, the intercept column included.
    #[inline]
    pub fn p(&self) -> usize {
        match self {
            Rows::Dense { p, .. } => *p,
            Rows::Sparse { x, bias } => x.d + usize::from(bias.is_some()),
        }
    }

    /// `xᵢᵀw`.
    #[inline]
    pub fn dot(&self, i: usize, w: &[f64]) -> f64 {
        match self {
            Rows::Dense { data, p, .. } => dot(&data[i * p..(i + 1) * p], w),
            Rows::Sparse { x, bias } => {
                let (idx, val) = x.row(i);
                let s: f64 = idx.iter().zip(val).map(|(&j, &v)| v * w[j]).sum();
                match bias {
                    Some(b) => s + b * w[x.d],
                    None => s,
                }
            }
        }
    }

    /// `out += a·xᵢ`.
    #[inline]
    pub fn axpy(&self, i: usize, a: f64, out: &mut [f64]) {
        match self {
            Rows::Dense { data, p, .. } => axpy(a, &data[i * p..(i + 1) * p], out),
            Rows::Sparse { x, bias } => {
                let (idx, val) = x.row(i);
                for (&j, &v) in idx.iter().zip(val) {
                    out[j] += a * v;
                }
                if let Some(b) = bias {
                    out[x.d] += a * b;
                }
            }
        }
    }

    /// `‖xᵢ‖²`.
    #[inline]
    pub fn sq_norm(&self, i: usize) -> f64 {
        match self {
            Rows::Dense { data, p, .. } => {
                let r = &data[i * p..(i + 1) * p];
                dot(r, r)
            }
            Rows::Sparse { x, bias } => {
                let s: f64 = x.row(i).1.iter().map(|v| v * v).sum();
                s + bias.map_or(0.0, |b| b * b)
            }
        }
    }
}

/// `aᵀb`, four independent accumulators (vectorises; fixed order).
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (u, v) in (&mut ca).zip(&mut cb) {
        s[0] += u[0] * v[0];
        s[1] += u[1] * v[1];
        s[2] += u[2] * v[2];
        s[3] += u[3] * v[3];
    }
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(u, v)| u * v)
        .sum();
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// `y += a·x`.
#[inline]
pub(crate) fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Which loss a dual problem minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DualLoss {
    /// `p = 1`: `Uᵢ = Cᵢ`, `Dᵢᵢ = 0`.
    L1,
    /// `p = 2`: `Uᵢ = ∞`, `Dᵢᵢ = 1/(2Cᵢ)`.
    L2,
}

impl DualLoss {
    /// `(Uᵢ, Dᵢᵢ)` for cost `c > 0`.
    fn bound_and_diag(self, c: f64) -> (f64, f64) {
        match self {
            DualLoss::L1 => (c, 0.0),
            DualLoss::L2 => (f64::INFINITY, 0.5 / c),
        }
    }
}

/// The result of one binary or regression problem.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// The weights, `p` of them (the intercept's last when fitted).
    pub w: Vec<f64>,
    /// Outer passes performed.
    pub n_iter: usize,
    /// Whether the stopping criterion was met within `max_iter` passes.
    pub converged: bool,
}

/// Per-sample terms of the dual shared by the SVC and SVR solvers: the
/// upper bound `Uᵢ`, the diagonal `Dᵢᵢ` of the loss, `Q̄ᵢᵢ = ‖xᵢ‖² + Dᵢᵢ`,
/// and the samples that take part (`Cᵢ > 0`; the others stay at zero).
struct DualDiag {
    upper: Vec<f64>,
    diag: Vec<f64>,
    qd: Vec<f64>,
    all: Vec<usize>,
}

impl DualDiag {
    fn new(x: &Rows<'_>, c: &[f64], loss: DualLoss) -> Self {
        let mut upper = vec![0.0f64; x.n()];
        let mut diag = vec![0.0f64; x.n()];
        let mut qd = vec![0.0f64; x.n()];
        let mut all: Vec<usize> = Vec::with_capacity(x.n());
        for i in 0..x.n() {
            if c[i] > 0.0 {
                let (u, d) = loss.bound_and_diag(c[i]);
                upper[i] = u;
                diag[i] = d;
                qd[i] = x.sq_norm(i) + d;
                all.push(i);
            }
        }
        DualDiag {
            upper,
            diag,
            qd,
            all,
        }
    }
}

/// Dual CD for a binary SVM: labels `y` (`±1`), costs `c` (`Cᵢ ≥ 0`; a
/// sample with `Cᵢ = 0` takes no part).
pub(crate) fn solve_svc(
    x: &Rows<'_>,
    y: &[f64],
    c: &[f64],
    loss: DualLoss,
    tol: f64,
    max_iter: usize,
    seed: u64,
) -> Outcome {
    let p = x.p();
    let mut w = vec![0.0f64; p];
    let mut alpha = vec![0.0f64; x.n()];
    let DualDiag {
        upper,
        diag,
        qd,
        all,
    } = DualDiag::new(x, c, loss);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut active = all.clone();
    // extreme projected gradients of the previous pass (shrinking thresholds)
    let mut pg_max_old = f64::INFINITY;
    let mut pg_min_old = f64::NEG_INFINITY;
    let mut n_iter = 0;
    let mut converged = false;
    while n_iter < max_iter {
        n_iter += 1;
        active.shuffle(&mut rng);
        let mut pg_max = f64::NEG_INFINITY;
        let mut pg_min = f64::INFINITY;
        let mut s = 0;
        while s < active.len() {
            let i = active[s];
            let yi = y[i];
            let g = yi * x.dot(i, &w) - 1.0 + diag[i] * alpha[i];
            let pg = if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active.swap_remove(s);
                    continue;
                }
                g.min(0.0)
            } else if alpha[i] == upper[i] {
                if g < pg_min_old {
                    active.swap_remove(s);
                    continue;
                }
                g.max(0.0)
            } else {
                g
            };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg != 0.0 {
                let old = alpha[i];
                let new = if qd[i] > 0.0 {
                    (old - g / qd[i]).clamp(0.0, upper[i])
                } else {
                    // a zero row with hinge loss: the gradient is −1, α goes to its bound
                    upper[i]
                };
                alpha[i] = new;
                let step = (new - old) * yi;
                if step != 0.0 {
                    x.axpy(i, step, &mut w);
                }
            }
            s += 1;
        }
        if active.is_empty() {
            pg_max = pg_max.max(0.0);
            pg_min = pg_min.min(0.0);
        }
        if pg_max - pg_min <= tol {
            if active.len() == all.len() {
                converged = true;
                break;
            }
            // the shrunk problem has converged: check every variable again
            active.clone_from(&all);
            pg_max_old = f64::INFINITY;
            pg_min_old = f64::NEG_INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
        pg_min_old = if pg_min >= 0.0 {
            f64::NEG_INFINITY
        } else {
            pg_min
        };
    }
    Outcome {
        w,
        n_iter,
        converged,
    }
}

/// Dual CD for a linear SVR: targets `y`, costs `c` (`Cᵢ ≥ 0`), tube
/// half-width `epsilon ≥ 0`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve_svr(
    x: &Rows<'_>,
    y: &[f64],
    c: &[f64],
    epsilon: f64,
    loss: DualLoss,
    tol: f64,
    max_iter: usize,
    seed: u64,
) -> Outcome {
    let p = x.p();
    let mut w = vec![0.0f64; p];
    let mut beta = vec![0.0f64; x.n()];
    let DualDiag {
        upper,
        diag,
        qd,
        all,
    } = DualDiag::new(x, c, loss);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut active = all.clone();
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
            let i = active[s];
            let b = beta[i];
            // gradient of the smooth part at βᵢ
            let g = x.dot(i, &w) - y[i] + diag[i] * b;
            let gp = g + epsilon;
            let gn = g - epsilon;
            let u = upper[i];
            // minimum-norm subgradient (violation) and shrinking
            let viol = if b == 0.0 {
                if gp < 0.0 {
                    -gp
                } else if gn > 0.0 {
                    gn
                } else if gp > viol_max_old && gn < -viol_max_old {
                    active.swap_remove(s);
                    continue;
                } else {
                    0.0
                }
            } else if b >= u {
                if gp > 0.0 {
                    gp
                } else if gp < -viol_max_old {
                    active.swap_remove(s);
                    continue;
                } else {
                    0.0
                }
            } else if b <= -u {
                if gn < 0.0 {
                    -gn
                } else if gn > viol_max_old {
                    active.swap_remove(s);
                    continue;
                } else {
                    0.0
                }
            } else if b > 0.0 {
                gp.abs()
            } else {
                gn.abs()
            };
            viol_max = viol_max.max(viol);
            gnorm1 += viol;
            // exact minimiser of ½H z² + (g − H·b) z + ε|z| over z = βᵢ + d
            let h = qd[i];
            let new = if h > 0.0 {
                let z = if gp < h * b {
                    b - gp / h
                } else if gn > h * b {
                    b - gn / h
                } else {
                    0.0
                };
                z.clamp(-u, u)
            } else if y[i] > epsilon {
                u
            } else if y[i] < -epsilon {
                -u
            } else {
                0.0
            };
            let step = new - b;
            if step != 0.0 {
                beta[i] = new;
                x.axpy(i, step, &mut w);
            }
            s += 1;
        }
        if n_iter == 1 {
            gnorm1_init = gnorm1;
        }
        viol_max_old = viol_max;
        if gnorm1 <= tol * gnorm1_init {
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

    /// Primal objective of a binary SVM.
    fn primal(x: &Rows<'_>, y: &[f64], c: &[f64], w: &[f64], loss: DualLoss) -> f64 {
        let mut f = 0.5 * dot(w, w);
        for i in 0..x.n() {
            let m = (1.0 - y[i] * x.dot(i, w)).max(0.0);
            f += c[i]
                * match loss {
                    DualLoss::L1 => m,
                    DualLoss::L2 => m * m,
                };
        }
        f
    }

    #[test]
    fn separable_points_get_the_maximal_margin() {
        // points ±(1, 0) and ±(1, 1): with a large C the hinge solution is
        // the hard-margin one, w = (1, 0)
        let data = [1.0, 0.0, 1.0, 1.0, -1.0, 0.0, -1.0, -1.0];
        let x = Rows::dense(&data, 4, 2);
        let y = [1.0, 1.0, -1.0, -1.0];
        let c = [1e3; 4];
        let out = solve_svc(&x, &y, &c, DualLoss::L1, 1e-10, 10_000, 3);
        assert!(out.converged);
        assert!(
            (out.w[0] - 1.0).abs() < 1e-8 && out.w[1].abs() < 1e-8,
            "{:?}",
            out.w
        );
    }

    #[test]
    fn tighter_tolerance_lowers_the_objective_towards_the_optimum() {
        // a small overlapping problem, seeded
        let mut data = Vec::new();
        let mut y = Vec::new();
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        for i in 0..200 {
            let label = if i % 2 == 0 { 1.0 } else { -1.0 };
            data.extend([next() + 0.3 * label, next(), 1.0]);
            y.push(label);
        }
        let x = Rows::dense(&data, 200, 3);
        let c = vec![0.7; 200];
        for loss in [DualLoss::L1, DualLoss::L2] {
            let best = solve_svc(&x, &y, &c, loss, 1e-12, 100_000, 0);
            assert!(best.converged);
            let f_best = primal(&x, &y, &c, &best.w, loss);
            let loose = solve_svc(&x, &y, &c, loss, 1e-2, 100_000, 0);
            let f_loose = primal(&x, &y, &c, &loose.w, loss);
            assert!(f_loose >= f_best - 1e-9 && f_loose - f_best < 1e-2 * f_best);
            // another seed reaches the same optimum
            let other = solve_svc(&x, &y, &c, loss, 1e-12, 100_000, 9);
            for (a, b) in other.w.iter().zip(&best.w) {
                assert!((a - b).abs() < 1e-6, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn svr_fits_a_line_inside_the_tube() {
        // y = 2x + 1 exactly: with ε = 0.1 and a large C the ε-insensitive
        // residuals stay in the tube; the squared loss leaves each point
        // outside by βᵢ/(2C) (small, not zero: the weights are penalised)
        let xs: Vec<f64> = (0..20).map(|i| i as f64 / 10.0).collect();
        let data: Vec<f64> = xs.iter().flat_map(|&v| [v, 1.0]).collect();
        let y: Vec<f64> = xs.iter().map(|&v| 2.0 * v + 1.0).collect();
        let x = Rows::dense(&data, 20, 2);
        for loss in [DualLoss::L1, DualLoss::L2] {
            let out = solve_svr(&x, &y, &[100.0; 20], 0.1, loss, 1e-8, 100_000, 0);
            assert!(out.converged);
            let slack = if loss == DualLoss::L1 { 1e-6 } else { 1e-2 };
            for (i, &t) in y.iter().enumerate() {
                let r = (t - x.dot(i, &out.w)).abs();
                assert!(r <= 0.1 + slack, "{loss:?}: residual {r}");
            }
        }
    }

    #[test]
    fn max_iter_stops_and_reports_it() {
        let data = [1.0, 0.0, 0.9, 0.1, -1.0, 0.0, 0.2, 0.3];
        let x = Rows::dense(&data, 4, 2);
        let out = solve_svc(
            &x,
            &[1.0, 1.0, -1.0, -1.0],
            &[10.0; 4],
            DualLoss::L1,
            1e-15,
            1,
            0,
        );
        assert_eq!(out.n_iter, 1);
        assert!(!out.converged);
    }
}
