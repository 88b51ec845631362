//! Probability estimates: Platt scaling and pairwise coupling.
//!
//! - [`cross_validated_platt`] gives Platt's sigmoid for one class pair the
//!   decision values it needs without the optimism of the training fit: the
//!   pair's samples are shuffled (seeded) and split into 5 folds; each fold's
//!   decision values come from a model trained on the other four (libsvm's
//!   `svm_binary_svc_probability`, described in Lin, Lin & Weng 2007). A
//!   training part holding one label only gives its fold the constant
//!   decision `±1`.
//! - [`platt`] fits `P(y = +1 | f) = 1 / (1 + exp(A·f + B))` to decision
//!   values `f` (Platt 1999) by Newton's method with a backtracking line
//!   search on the regularised targets `t₊ = (N₊+1)/(N₊+2)`,
//!   `t₋ = 1/(N₋+2)`, evaluating the log-likelihood without overflow — the
//!   algorithm of Lin, Lin & Weng (2007), "A note on Platt's probabilistic
//!   outputs for support vector machines".
//! - [`couple`] turns pairwise probabilities `r_ij ≈ P(i | i or j)` into
//!   class probabilities by Wu, Lin & Weng (2004), method 2:
//!   `min_p ½·pᵀQp` subject to `Σp = 1`, with `Q_ii = Σ_{j≠i} r_ji²` and
//!   `Q_ij = −r_ji·r_ij`. Its optimality conditions are the linear system
//!   `Qp = b·e`, `eᵀp = 1`, solved here directly (`p = Q⁻¹e / eᵀQ⁻¹e`).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::kernel::RowEval;
use super::svc::PairModel;
use crate::linalg::Float;

/// Number of cross-validation folds behind Platt's sigmoid.
pub(crate) const FOLDS: usize = 5;

/// Trains one binary sub-problem: `(samples, labels ±1, indices of those
/// samples in the pair, solver progress)`.
pub(crate) type PairTrainer<'a> =
    &'a mut dyn FnMut(&[usize], &[f64], &[usize], &mut dyn FnMut(usize, f64, usize)) -> PairModel;

/// Platt's `(A, B)` for the class pair on `samples` (labels `y = ±1`) from
/// [`FOLDS`]-fold cross-validated decision values; `train` fits a fold's
/// training part. `progress(iteration, violation, active, fold_done)` is
/// called during each fold's solve and once (`fold_done = true`) after each
/// fold.
pub(crate) fn cross_validated_platt<F: Float>(
    eval: &RowEval<'_, F>,
    samples: &[usize],
    y: &[f64],
    seed: u64,
    train: PairTrainer<'_>,
    progress: &mut dyn FnMut(usize, f64, usize, bool),
) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let m = samples.len();
    let mut perm: Vec<usize> = (0..m).collect();
    perm.shuffle(&mut rng);
    let mut dec = vec![0.0; m];
    for f in 0..FOLDS {
        let (lo, hi) = (f * m / FOLDS, (f + 1) * m / FOLDS);
        let part: Vec<usize> = perm[..lo].iter().chain(&perm[hi..]).copied().collect();
        let has_pos = part.iter().any(|&i| y[i] > 0.0);
        let has_neg = part.iter().any(|&i| y[i] < 0.0);
        if has_pos && has_neg {
            let sub: Vec<usize> = part.iter().map(|&i| samples[i]).collect();
            let sy: Vec<f64> = part.iter().map(|&i| y[i]).collect();
            let model = train(&sub, &sy, &part, &mut |it, g, ac| {
                progress(it, g, ac, false)
            });
            let test: Vec<usize> = perm[lo..hi].iter().map(|&i| samples[i]).collect();
            let (svs, coef) = model.sparse(&sub, &sy);
            let sums = eval.kernel_sums(&test, &svs, &coef);
            for (&i, v) in perm[lo..hi].iter().zip(sums) {
                dec[i] = v - model.rho;
            }
        } else {
            let v = if has_pos { 1.0 } else { -1.0 };
            for &i in &perm[lo..hi] {
                dec[i] = v;
            }
        }
        progress(0, 0.0, 0, true);
    }
    let pos: Vec<bool> = y.iter().map(|&v| v > 0.0).collect();
    platt(&dec, &pos)
}

/// Platt's `(A, B)` for decision values `f` and labels `pos[i]` (`true` = +1).
pub(crate) fn platt(f: &[f64], pos: &[bool]) -> (f64, f64) {
    let n_pos = pos.iter().filter(|&&p| p).count() as f64;
    let n_neg = pos.len() as f64 - n_pos;
    let t_pos = (n_pos + 1.0) / (n_pos + 2.0);
    let t_neg = 1.0 / (n_neg + 2.0);
    let t: Vec<f64> = pos.iter().map(|&p| if p { t_pos } else { t_neg }).collect();
    // negative log-likelihood: Σ log(1 + e^z) − (1 − t)·z, z = A·f + B
    let nll = |a: f64, b: f64| -> f64 {
        f.iter()
            .zip(&t)
            .map(|(&fi, &ti)| {
                let z = a * fi + b;
                if z >= 0.0 {
                    ti * z + (-z).exp().ln_1p()
                } else {
                    (ti - 1.0) * z + z.exp().ln_1p()
                }
            })
            .sum()
    };
    const SIGMA: f64 = 1e-12;
    const MIN_STEP: f64 = 1e-10;
    const EPS: f64 = 1e-5;
    let (mut a, mut b) = (0.0, ((n_neg + 1.0) / (n_pos + 1.0)).ln());
    let mut fval = nll(a, b);
    for _ in 0..100 {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (SIGMA, SIGMA, 0.0, 0.0, 0.0);
        for (&fi, &ti) in f.iter().zip(&t) {
            let z = a * fi + b;
            // p = 1/(1+e^z), q = 1 − p, computed without overflow
            let (p, q) = if z >= 0.0 {
                let e = (-z).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = z.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let w = p * q;
            h11 += fi * fi * w;
            h22 += w;
            h21 += fi * w;
            let d = ti - p;
            g1 += fi * d;
            g2 += d;
        }
        if g1.abs() < EPS && g2.abs() < EPS {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= MIN_STEP {
            let (na, nb) = (a + step * da, b + step * db);
            let nf = nll(na, nb);
            if nf < fval + 1e-4 * step * gd {
                a = na;
                b = nb;
                fval = nf;
                break;
            }
            step /= 2.0;
        }
        if step < MIN_STEP {
            break;
        }
    }
    (a, b)
}

/// `P(+1 | f)` for Platt's `(A, B)`, clipped to `[1e-7, 1 − 1e-7]`.
pub(crate) fn sigmoid(f: f64, a: f64, b: f64) -> f64 {
    let z = a * f + b;
    let p = if z >= 0.0 {
        let e = (-z).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + z.exp())
    };
    p.clamp(1e-7, 1.0 - 1e-7)
}

#[allow(clippy::needless_range_loop)] // elimination reads two rows at once
/// Class probabilities from pairwise `r[i][j] ≈ P(i | i or j)` (`r[j][i] = 1 − r[i][j]`).
pub(crate) fn couple(r: &[Vec<f64>]) -> Vec<f64> {
    let k = r.len();
    let mut q = vec![vec![0.0; k]; k];
    for t in 0..k {
        for j in 0..k {
            if j != t {
                q[t][t] += r[j][t] * r[j][t];
                q[t][j] = -r[j][t] * r[t][j];
            }
        }
    }
    // KKT system [Q e; eᵀ 0]·[p; −b] = [0; 1] (non-singular even when Q is,
    // e.g. for perfectly consistent r), Gaussian elimination with partial pivoting.
    let mut m: Vec<Vec<f64>> = (0..=k)
        .map(|i| {
            let mut row = vec![0.0; k + 2];
            if i < k {
                row[..k].copy_from_slice(&q[i]);
                row[k] = 1.0;
            } else {
                row[..k].fill(1.0);
                row[k + 1] = 1.0;
            }
            row
        })
        .collect();
    let dim = k + 1;
    for col in 0..dim {
        let piv = (col..dim)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .expect("non-empty range");
        m.swap(col, piv);
        let d = m[col][col];
        if d.abs() < 1e-300 {
            return vec![1.0 / k as f64; k];
        }
        for row in col + 1..dim {
            let f = m[row][col] / d;
            if f != 0.0 {
                for c in col..=dim {
                    m[row][c] -= f * m[col][c];
                }
            }
        }
    }
    let mut x = vec![0.0; dim];
    for row in (0..dim).rev() {
        let s: f64 = (row + 1..dim).map(|c| m[row][c] * x[c]).sum();
        x[row] = (m[row][dim] - s) / m[row][row];
    }
    let p: Vec<f64> = x[..k].iter().map(|v| v.max(0.0)).collect();
    let total: f64 = p.iter().sum();
    if !total.is_finite() || total <= 0.0 {
        return vec![1.0 / k as f64; k];
    }
    p.iter().map(|v| v / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platt_separable_and_overlapping() {
        // decision values that order the labels: A must be negative
        let f = [-2.0, -1.5, -1.0, -0.2, 0.3, 0.9, 1.2, 2.5];
        let pos = [false, false, false, true, false, true, true, true];
        let (a, b) = platt(&f, &pos);
        assert!(a < 0.0, "A = {a}");
        assert!(sigmoid(2.0, a, b) > 0.8 && sigmoid(-2.0, a, b) < 0.2);
        // stationarity of the regularised likelihood
        let (tp, tn) = (5.0 / 6.0, 1.0 / 6.0);
        let (mut g1, mut g2) = (0.0, 0.0);
        for (&fi, &p) in f.iter().zip(&pos) {
            let d = if p { tp } else { tn } - 1.0 / (1.0 + (a * fi + b).exp());
            g1 += fi * d;
            g2 += d;
        }
        assert!(g1.abs() < 1e-5 && g2.abs() < 1e-5);
    }

    #[test]
    fn coupling_of_consistent_pairs_recovers_p() {
        let p = [0.5, 0.3, 0.2];
        let r: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| if i == j { 0.0 } else { p[i] / (p[i] + p[j]) })
                    .collect()
            })
            .collect();
        let got = couple(&r);
        for (g, e) in got.iter().zip(&p) {
            assert!((g - e).abs() < 1e-12, "{got:?}");
        }
        // two classes: p₀ = r₀₁
        let got = couple(&[vec![0.0, 0.8], vec![0.2, 0.0]]);
        assert!((got[0] - 0.8).abs() < 1e-12);
    }
}
