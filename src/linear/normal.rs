//! Normal equations: centred, weighted gram and cross products, and the
//! solvers shared by [`super::LinearRegression`], [`super::Ridge`] and
//! [`super::SufficientStats`].
//!
//! # How the gram is formed
//! The centred gram `Σᵢ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ` is **not** computed as
//! `XᵀWX − (Σw)·x̄x̄ᵀ`: when a feature's mean is large compared with its spread
//! that subtraction cancels catastrophically (a column `1e8 + N(0, 1)` loses
//! every digit in f64). Instead the rows are split into cache-sized leaves;
//! each leaf is centred around its own (weighted) mean and scaled by `√wᵢ`,
//! its gram is formed through [`crate::linalg::gram`], and the leaves are
//! merged pairwise with Chan's update (see [`normal_equations`]). This is as
//! accurate as centring a full copy of `X` around the global mean, reads `X`
//! once and needs `O(leaf · d)` memory per thread instead of `O(n · d)`.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, Slice};

use crate::Float;
use crate::error::{Error, Result};
use crate::linalg;

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
    /// `Σ wᵢ` (the row count when unweighted).
    pub sum_w: F,
    /// `false` when `X` may hold a NaN or an infinity (see
    /// [`normal_equations`]); `true` guarantees every entry of `X` is finite.
    pub x_finite: bool,
}

impl<F: Float> Normal<F> {
    /// No rows: zero weight, zero moments.
    fn empty(d: usize, k: usize) -> Self {
        Self {
            a: Array2::zeros((d, d)),
            b: Array2::zeros((d, k)),
            x_offset: Array1::zeros(d),
            y_offset: Array1::zeros(k),
            sum_w: F::zero(),
            x_finite: true,
        }
    }

    /// Adds `other`'s rows. Centred moments are combined with the pairwise
    /// update of Chan, Golub and LeVeque
    /// (`M = M_a + M_b + (w_a·w_b/(w_a + w_b))·δδᵀ`, `δ = x̄_b − x̄_a`);
    /// uncentred ones (`centred == false`, offsets zero) are simply added.
    fn merge(&mut self, other: &Self, centred: bool) {
        let x_finite = self.x_finite && other.x_finite;
        if other.sum_w == F::zero() {
            self.x_finite = x_finite;
            return;
        }
        if self.sum_w == F::zero() {
            *self = other.clone();
            self.x_finite = x_finite;
            return;
        }
        self.x_finite = x_finite;
        self.a += &other.a;
        self.b += &other.b;
        let sum_w = self.sum_w + other.sum_w;
        if centred {
            let dx = &other.x_offset - &self.x_offset;
            let dy = &other.y_offset - &self.y_offset;
            let f = self.sum_w * other.sum_w / sum_w;
            let dx_col = dx.view().insert_axis(Axis(1));
            self.a += &(&dx_col * &dx.view().insert_axis(Axis(0)) * f);
            self.b += &(&dx_col * &dy.view().insert_axis(Axis(0)) * f);
            let r = other.sum_w / sum_w;
            self.x_offset.scaled_add(r, &dx);
            self.y_offset.scaled_add(r, &dy);
        }
        self.sum_w = sum_w;
    }
}

/// A `C ← α·A·B + β·C` routine: [`linalg::gemm`] (parallel when large) or
/// [`linalg::gemm_local`] (on the calling thread, for a leaf).
type Gemm<F> = fn(F, ArrayView2<'_, F>, ArrayView2<'_, F>, F, &mut ArrayViewMut2<'_, F>);

/// Weighted column means `Σ wᵢ zᵢ / Σ w` of `z` (`n × m`).
pub(crate) fn weighted_mean<F: Float>(
    z: ArrayView2<'_, F>,
    w: Option<ArrayView1<'_, F>>,
) -> Array1<F> {
    mean_with(z, w, linalg::gemm)
}

/// [`weighted_mean`] on the calling thread (a leaf of the parallel reduction).
fn leaf_mean<F: Float>(z: ArrayView2<'_, F>, w: Option<ArrayView1<'_, F>>) -> Array1<F> {
    mean_with(z, w, linalg::gemm_local)
}

fn mean_with<F: Float>(
    z: ArrayView2<'_, F>,
    w: Option<ArrayView1<'_, F>>,
    gemm: Gemm<F>,
) -> Array1<F> {
    let n = z.nrows();
    let mut m = Array1::zeros(z.ncols());
    let mut mv = m.view_mut().insert_axis(Axis(1));
    match w {
        None => {
            let ones = Array2::from_elem((n, 1), F::one());
            let scale = F::one() / F::from_usize(n).expect("row count fits a float");
            gemm(scale, z.t(), ones.view(), F::zero(), &mut mv);
        }
        Some(w) => {
            let sw: F = w.sum();
            gemm(
                F::one() / sw,
                z.t(),
                w.insert_axis(Axis(1)),
                F::zero(),
                &mut mv,
            );
        }
    }
    m
}

/// `√wᵢ·(zᵢ − offset)` as a new array (the design the SVD-based solvers use,
/// and each leaf's centred block).
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

/// Builds the normal equations of `x` (`n × d`), `y` (`n × k`), optional
/// non-negative weights (validated by the caller), centring when
/// `fit_intercept`.
///
/// The rows are reduced in leaves of `linalg::leaf_rows(d)` rows by
/// `linalg::reduce_row_leaves` (a fixed binary split, `rayon::join` on the two
/// halves). Each leaf centres its rows around its **own** weighted mean into a
/// cache-sized copy, forms that copy's gram and cross product on its own
/// thread (`linalg::gram_local`, `gemm_local`), and sibling leaves are merged
/// with Chan's update. One pass over `X`, no `O(n·d)` buffer, both cores busy.
///
/// The same pass tells whether `X` is finite ([`Normal::x_finite`]), so
/// callers need no separate scan of `X` on the (usual) clean path: a leaf's
/// gram diagonal `Σᵢ (√wᵢ(xᵢⱼ − x̄ⱼ))²` is a sum of non-negative terms, so a
/// NaN or infinity anywhere in column `j` (even on a zero-weight row:
/// `0·∞ = NaN`, and a non-finite `x̄ⱼ` poisons every term) makes it
/// non-finite, and merging only adds non-negative terms to it. A leaf of
/// zero total weight is skipped by the arithmetic and scanned instead.
/// `x_finite == false` can also mean a finite `X` whose squares overflow;
/// callers then run the exact scan (`validation::check_finite2`), which
/// reports the first offending entry.
pub(crate) fn normal_equations<F: Float>(
    x: ArrayView2<'_, F>,
    y: ArrayView2<'_, F>,
    w: Option<ArrayView1<'_, F>>,
    fit_intercept: bool,
) -> Normal<F> {
    let leaf = |r: std::ops::Range<usize>| {
        normal_leaf(
            x.slice_axis(Axis(0), Slice::from(r.clone())),
            y.slice_axis(Axis(0), Slice::from(r.clone())),
            w.map(|w| w.slice_axis_move(Axis(0), Slice::from(r))),
            fit_intercept,
        )
    };
    let merge = |mut a: Normal<F>, b: Normal<F>| {
        a.merge(&b, fit_intercept);
        a
    };
    let rows = linalg::leaf_rows(x.ncols());
    let mut normal = linalg::reduce_row_leaves(0..x.nrows(), rows, &leaf, &merge);
    if !fit_intercept {
        // `merge` kept the offsets at zero; make that explicit for one leaf too.
        normal.x_offset.fill(F::zero());
        normal.y_offset.fill(F::zero());
    }
    normal
}

/// The normal equations of one leaf, on the calling thread.
fn normal_leaf<F: Float>(
    x: ArrayView2<'_, F>,
    y: ArrayView2<'_, F>,
    w: Option<ArrayView1<'_, F>>,
    centred: bool,
) -> Normal<F> {
    let (n, d) = x.dim();
    let k = y.ncols();
    let sum_w = match w {
        Some(w) => w.sum(),
        None => F::from_usize(n).expect("row count fits a float"),
    };
    if n == 0 || sum_w == F::zero() {
        let mut empty = Normal::empty(d, k);
        empty.x_finite = x.iter().all(|v| v.is_finite());
        return empty;
    }
    let (x_offset, y_offset) = if centred {
        (leaf_mean(x, w), leaf_mean(y, w))
    } else {
        (Array1::zeros(d), Array1::zeros(k))
    };
    let (a, b) = if !centred && w.is_none() {
        // No centring, no scaling: the leaf itself, no copy.
        let mut b = Array2::zeros((d, k));
        linalg::gemm_local(F::one(), x.t(), y, F::zero(), &mut b.view_mut());
        (linalg::gram_local(x, None), b)
    } else {
        let xc = centred_scaled(x, x_offset.view(), w);
        let yc = centred_scaled(y, y_offset.view(), w);
        let mut b = Array2::zeros((d, k));
        linalg::gemm_local(F::one(), xc.t(), yc.view(), F::zero(), &mut b.view_mut());
        (linalg::gram_local(xc.view(), None), b)
    };
    let x_finite = a.diag().iter().all(|v| v.is_finite());
    Normal {
        a,
        b,
        x_offset,
        y_offset,
        sum_w,
        x_finite,
    }
}

/// After `X` and `y` were found finite: `Err(NumericalFailure)` when their
/// moments (`XᵀX`, `Xᵀy`, the means) overflowed the float range anyway —
/// values near the type's largest magnitude (e.g. `1e300` in `f64`, `1e30`
/// in `f32`), whose squares are infinite. The message names the cause and the
/// cure (scale the features / targets) instead of an internal matrix.
pub(crate) fn check_moments_finite<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    x_offset: ArrayView1<'_, F>,
    y_offset: ArrayView1<'_, F>,
) -> Result<()> {
    let x_ok = a.iter().chain(x_offset.iter()).all(|v| v.is_finite());
    let y_ok = b.iter().chain(y_offset.iter()).all(|v| v.is_finite());
    if x_ok && y_ok {
        return Ok(());
    }
    let culprit = if x_ok { "y" } else { "x" };
    Err(Error::NumericalFailure {
        operation: "normal equations (XᵀX, Xᵀy)",
        reason: format!(
            "overflow: the squares or products of the values in {culprit} exceed the float \
             range (largest about {:e}); scale them first (e.g. StandardScaler on x, or divide \
             y by a constant)",
            F::max_value().to_f64_exact()
        ),
    })
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
    rhs.slice_axis_mut(Axis(1), Slice::from(..k)).assign(&b);
    let p = probes::<F>(d, N_PROBES);
    rhs.slice_axis_mut(Axis(1), Slice::from(k..)).assign(&p);
    let sol = match linalg::cholesky_solve(a, rhs.view()) {
        Ok(sol) => sol,
        Err(Error::NumericalFailure { .. }) => return Ok(CholOutcome::IllConditioned),
        Err(e) => return Err(e),
    };
    if sol.iter().any(|v| !v.is_finite()) {
        return Ok(CholOutcome::IllConditioned);
    }
    let inv_norm = sol
        .slice_axis(Axis(1), Slice::from(k..))
        .axis_iter(Axis(1))
        .zip(p.axis_iter(Axis(1)))
        .map(|(c, p)| (c.dot(&c) / p.dot(&p)).sqrt())
        .fold(F::zero(), F::max);
    let kappa = norm1(a) * inv_norm;
    let limit = F::from_f64_lossy(0.1) / F::epsilon().sqrt();
    if kappa.is_nan() || kappa > limit {
        return Ok(CholOutcome::IllConditioned);
    }
    Ok(CholOutcome::Solved(
        sol.slice_axis(Axis(1), Slice::from(..k)).to_owned(),
    ))
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
