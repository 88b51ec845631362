//! Normal equations: centred, weighted gram and cross products, and the
//! solvers shared by [`super::LinearRegression`], [`super::Ridge`] and
//! [`super::SufficientStats`].
//!
//! # How the gram is formed
//! The centred gram `Σᵢ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ` is **not** computed as
//! `XᵀWX − (Σw)·x̄x̄ᵀ`: when a feature's mean is large compared with its spread
//! that subtraction cancels catastrophically (a column `1e8 + N(0, 1)` loses
//! every digit in f64). Instead the rows are centred (and scaled by `√wᵢ`)
//! block by block into a small buffer that stays in cache, and the gram of each
//! block is accumulated through [`crate::linalg::gram`]. This is as accurate as
//! centring a full copy of `X` and then forming its gram, costs one extra read
//! of `X` (for the means) and `O(block · d)` memory instead of `O(n · d)`.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};

use crate::error::{Error, Result};
use crate::linalg::{self, Float};

/// Number of rows per centring block: about 4 MiB of `f64` per block, at
/// least 64 rows.
pub(crate) fn block_rows(n_features: usize) -> usize {
    ((1usize << 19) / n_features.max(1)).max(64)
}

/// The normal equations of a (weighted, optionally centred) least-squares
/// problem, plus what is needed to recover the intercept.
#[derive(Debug, Clone)]
pub(crate) struct Normal<F> {
    /// `Σ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ` (`x̄ = 0` without intercept), `d × d`.
    pub a: Array2<F>,
    /// `Σ wᵢ (xᵢ − x̄)(yᵢ − ȳ)ᵀ`, `d × k`.
    pub b: Array2<F>,
    /// `x̄` (zeros without intercept), `d`.
    pub x_offset: Array1<F>,
    /// `ȳ` (zeros without intercept), `k`.
    pub y_offset: Array1<F>,
}

/// Weighted column means `Σ wᵢ zᵢ / Σ w` of `z` (`n × m`).
pub(crate) fn weighted_mean<F: Float>(
    z: ArrayView2<'_, F>,
    w: Option<ArrayView1<'_, F>>,
) -> Array1<F> {
    let n = z.nrows();
    match w {
        None => {
            let mut m = Array1::zeros(z.ncols());
            let ones = Array1::from_elem(n, F::one());
            linalg::gemv(
                F::one() / F::from_usize(n).expect("row count fits a float"),
                z.t(),
                ones.view(),
                F::zero(),
                &mut m.view_mut(),
            );
            m
        }
        Some(w) => {
            let sw: F = w.sum();
            let mut m = Array1::zeros(z.ncols());
            linalg::gemv(F::one() / sw, z.t(), w, F::zero(), &mut m.view_mut());
            m
        }
    }
}

/// Rows `r0..r1` of `z`, minus `offset`, times `√w` (when weighted), into `buf`
/// (resized as needed); returns the filled view.
fn centred_block<'b, F: Float>(
    z: ArrayView2<'_, F>,
    offset: ArrayView1<'_, F>,
    sqrt_w: Option<ArrayView1<'_, F>>,
    r0: usize,
    r1: usize,
    buf: &'b mut Array2<F>,
) -> ndarray::ArrayViewMut2<'b, F> {
    let rows = r1 - r0;
    let mut out = buf.slice_mut(s![..rows, ..]);
    out.assign(&z.slice(s![r0..r1, ..]));
    out -= &offset;
    if let Some(sw) = sqrt_w {
        out *= &sw.slice(s![r0..r1]).insert_axis(Axis(1));
    }
    out
}

/// Builds the normal equations of `x` (`n × d`), `y` (`n × k`), optional
/// weights (validated by the caller), centring when `fit_intercept`.
pub(crate) fn normal_equations<F: Float>(
    x: ArrayView2<'_, F>,
    y: ArrayView2<'_, F>,
    w: Option<ArrayView1<'_, F>>,
    fit_intercept: bool,
) -> Normal<F> {
    let (n, d) = x.dim();
    let k = y.ncols();
    if !fit_intercept && w.is_none() {
        // No centring, no scaling: the gram of `x` itself, no copy.
        let a = linalg::gram(x, None);
        let mut b = Array2::zeros((d, k));
        linalg::gemm(F::one(), x.t(), y, F::zero(), &mut b.view_mut());
        return Normal {
            a,
            b,
            x_offset: Array1::zeros(d),
            y_offset: Array1::zeros(k),
        };
    }
    let (x_offset, y_offset) = if fit_intercept {
        (weighted_mean(x, w), weighted_mean(y, w))
    } else {
        (Array1::zeros(d), Array1::zeros(k))
    };
    let sqrt_w = w.map(|w| w.mapv(|v| v.sqrt()));
    let rows = block_rows(d).min(n);
    let mut xbuf = Array2::zeros((rows, d));
    let mut ybuf = Array2::zeros((rows, k));
    let mut a = Array2::<F>::zeros((d, d));
    let mut b = Array2::<F>::zeros((d, k));
    let mut r0 = 0;
    while r0 < n {
        let r1 = (r0 + rows).min(n);
        let sw = sqrt_w.as_ref().map(|s| s.view());
        let xb = centred_block(x, x_offset.view(), sw, r0, r1, &mut xbuf);
        let yb = centred_block(y, y_offset.view(), sw, r0, r1, &mut ybuf);
        let g = linalg::gram(xb.view(), None);
        if r0 == 0 {
            a = g;
        } else {
            a += &g;
        }
        linalg::gemm(F::one(), xb.t(), yb.view(), F::one(), &mut b.view_mut());
        r0 = r1;
    }
    Normal {
        a,
        b,
        x_offset,
        y_offset,
    }
}

/// `√wᵢ·(zᵢ − offset)` as a new array (the design the SVD-based solvers use).
pub(crate) fn centred_scaled<F: Float>(
    z: ArrayView2<'_, F>,
    offset: ArrayView1<'_, F>,
    w: Option<ArrayView1<'_, F>>,
) -> Array2<F> {
    let mut out = &z - &offset;
    if let Some(w) = w {
        out *= &w.mapv(|v| v.sqrt()).insert_axis(Axis(1));
    }
    out
}

/// Deterministic pseudo-random probe vectors with entries uniform in
/// `[-1, 1)` (splitmix64 bits), `d × count`. Continuous values, not ±1: a
/// ±1 probe is exactly orthogonal to the null vector `eᵢ − eⱼ` of a
/// duplicated column pair whenever its entries `i` and `j` agree.
fn probes<F: Float>(d: usize, count: usize) -> Array2<F> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    Array2::from_shape_fn((d, count), |_| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // 53 random bits → [0, 1) → [-1, 1).
        let u = (z >> 11) as f64 / (1u64 << 53) as f64;
        F::from_f64_lossy(2.0 * u - 1.0)
    })
}

/// Number of probe vectors solved beside the right-hand sides to estimate
/// `‖A⁻¹‖`.
const N_PROBES: usize = 2;

/// Outcome of a Cholesky solve of the normal equations.
pub(crate) enum CholOutcome<F> {
    /// Solved, and the gram is well conditioned: the solution (`d × k`).
    Solved(Array2<F>),
    /// Cholesky failed or the gram is too ill-conditioned for the normal
    /// equations to be trusted.
    IllConditioned,
}

/// The 1-norm of a square matrix (max absolute column sum).
fn norm1<F: Float>(a: ArrayView2<'_, F>) -> F {
    a.axis_iter(Axis(1))
        .map(|c| c.iter().fold(F::zero(), |s, v| s + v.abs()))
        .fold(F::zero(), F::max)
}

/// Solves `A·X = B` by Cholesky and estimates the condition number of `A`
/// with probe vectors solved in the same call: `κ̂ = ‖A‖₁ · maxₚ ‖A⁻¹p‖₂/‖p‖₂`.
///
/// The solution is trusted when `κ̂ ≤ 0.1/√ε` (f64: about 6.7e6): the
/// normal equations then keep at least half the working digits, and a design
/// that `lstsq` would call rank deficient (`σ_min/σ_max < ε·max(n, d)`, so
/// `κ(A) > 1/(ε·max(n, d))²`) is always rejected.
pub(crate) fn cholesky_checked<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
) -> Result<CholOutcome<F>> {
    let (d, k) = b.dim();
    let mut rhs = Array2::zeros((d, k + N_PROBES));
    rhs.slice_mut(s![.., ..k]).assign(&b);
    let p = probes::<F>(d, N_PROBES);
    rhs.slice_mut(s![.., k..]).assign(&p);
    let sol = match linalg::cholesky_solve(a, rhs.view()) {
        Ok(sol) => sol,
        Err(Error::NumericalFailure { .. }) => return Ok(CholOutcome::IllConditioned),
        Err(e) => return Err(e),
    };
    if sol.iter().any(|v| !v.is_finite()) {
        return Ok(CholOutcome::IllConditioned);
    }
    let inv_norm = sol
        .slice(s![.., k..])
        .axis_iter(Axis(1))
        .zip(p.axis_iter(Axis(1)))
        .map(|(c, p)| (c.dot(&c) / p.dot(&p)).sqrt())
        .fold(F::zero(), F::max);
    let kappa = norm1(a) * inv_norm;
    let limit = F::from_f64_lossy(0.1) / F::epsilon().sqrt();
    if kappa.is_nan() || kappa > limit {
        return Ok(CholOutcome::IllConditioned);
    }
    Ok(CholOutcome::Solved(sol.slice(s![.., ..k]).to_owned()))
}

/// `intercept_j = ȳ_j − x̄ · coef_j` for `coef` of shape `k × d`.
pub(crate) fn intercepts<F: Float>(
    coef: ArrayView2<'_, F>,
    x_offset: ArrayView1<'_, F>,
    y_offset: ArrayView1<'_, F>,
) -> Array1<F> {
    let mut out = y_offset.to_owned();
    linalg::gemv(-F::one(), coef, x_offset, F::one(), &mut out.view_mut());
    out
}

/// Adds `alpha` to the diagonal of a copy of `a`.
pub(crate) fn add_diag<F: Float>(a: ArrayView2<'_, F>, alpha: F) -> Array2<F> {
    let mut out = a.to_owned();
    out.diag_mut().mapv_inplace(|v| v + alpha);
    out
}

/// `V · diag(f(s)) · Vᵀ b`-style filtered solve from a thin SVD `Z = U S Vᵀ`
/// of the design: coefficient of target `j` = `V diag(sᵢ/(sᵢ² + αⱼ)) Uᵀ yⱼ`,
/// singular values `≤ 1e-15·s_max` treated as zero (as scikit-learn's
/// `_solve_svd`). Returns `d × k`.
pub(crate) fn svd_filtered<F: Float>(
    u: ArrayView2<'_, F>,
    s: ArrayView1<'_, F>,
    vt: ArrayView2<'_, F>,
    y: ArrayView2<'_, F>,
    alphas: &[F],
) -> Array2<F> {
    let uty = linalg::matmul(u.t(), y); // r × k
    let cut = F::from_f64_lossy(1e-15);
    let mut filtered = uty;
    for (j, mut col) in filtered.axis_iter_mut(Axis(1)).enumerate() {
        let alpha = alphas[j];
        for (i, v) in col.iter_mut().enumerate() {
            let si = s[i];
            *v = if si > cut {
                *v * si / (si * si + alpha)
            } else {
                F::zero()
            };
        }
    }
    linalg::matmul(vt.t(), filtered.view())
}

/// Solve from a thin SVD of the **gram** itself (`A = U Λ Vᵀ`, `A` symmetric
/// positive semi-definite, so this is its eigen-decomposition): coefficient of
/// target `j` = `V diag(1/(λᵢ + αⱼ)) Uᵀ bⱼ`. With `αⱼ = 0`, eigenvalues
/// `≤ cut` are dropped (pseudo-inverse). Returns `d × k`.
pub(crate) fn gram_svd_filtered<F: Float>(
    u: ArrayView2<'_, F>,
    lambda: ArrayView1<'_, F>,
    vt: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    alphas: &[F],
    cut: F,
) -> Array2<F> {
    let mut filtered = linalg::matmul(u.t(), b);
    for (j, mut col) in filtered.axis_iter_mut(Axis(1)).enumerate() {
        let alpha = alphas[j];
        for (i, x) in col.iter_mut().enumerate() {
            let l = lambda[i].max(F::zero());
            *x = if alpha > F::zero() {
                *x / (l + alpha)
            } else if l > cut {
                *x / l
            } else {
                F::zero()
            };
        }
    }
    linalg::matmul(vt.t(), filtered.view())
}
