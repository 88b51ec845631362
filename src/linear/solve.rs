//! Solvers: ordinary least squares (Cholesky with a minimum-norm `lstsq`
//! fallback) and ridge (primal / dual Cholesky, SVD), from data in memory or
//! from accumulated normal equations.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Slice};
use serde::{Deserialize, Serialize};

use super::normal::{
    CholOutcome, Normal, add_diag, centred_scaled, check_moments_finite, cholesky_checked,
    gram_svd_filtered, intercepts, normal_equations, svd_filtered, weighted_mean,
};
use crate::Float;
use crate::error::{Error, Result};
use crate::linalg;
use crate::numerics;
use crate::validation::check_records;

/// How [`Ridge`](super::Ridge) solves its linear system.
///
/// # Example
/// ```
/// use oxilearn::linear::{Ridge, RidgeSolver};
/// let ridge = Ridge::new().solver(RidgeSolver::Svd);
/// assert_eq!(ridge.get_solver(), RidgeSolver::Svd);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RidgeSolver {
    /// Cholesky, falling back to the SVD if the factorisation fails (which
    /// only happens with `alpha = 0` on a singular design). The default.
    #[default]
    Auto,
    /// Cholesky on `XᵀX + αI` (or on the dual `XXᵀ + αI` when there are more
    /// features than samples); a failed factorisation is an error.
    Cholesky,
    /// Thin SVD of the centred design: slower, most robust, and any number of
    /// per-target penalties at the cost of one decomposition.
    Svd,
}

/// A solved linear model: `coef` is `k × d`, `intercept` has `k` entries.
#[derive(Debug, Clone)]
pub(crate) struct Solved<F> {
    pub coef: Array2<F>,
    pub intercept: Array1<F>,
    pub rank: usize,
}

/// The training data, for the solvers that need the design itself.
///
/// Shapes, `y` and the weights are validated by the caller
/// ([`super::input::check_fit`]); the finiteness of `x` is checked by the
/// solvers (from the normal-equations pass, or by a scan before any other use).
#[derive(Clone, Copy)]
pub(crate) struct Design<'a, F> {
    pub x: ArrayView2<'a, F>,
    pub y: ArrayView2<'a, F>,
    pub w: Option<ArrayView1<'a, F>>,
    pub fit_intercept: bool,
}

impl<'a, F: Float> Design<'a, F> {
    fn offsets(&self) -> (Array1<F>, Array1<F>) {
        if self.fit_intercept {
            (weighted_mean(self.x, self.w), weighted_mean(self.y, self.w))
        } else {
            (Array1::zeros(self.x.ncols()), Array1::zeros(self.y.ncols()))
        }
    }

    /// `√W(X − x̄)`, `√W(Y − ȳ)` and the offsets.
    fn centred(&self) -> (Array2<F>, Array2<F>, Array1<F>, Array1<F>) {
        let (xo, yo) = self.offsets();
        (
            centred_scaled(self.x, xo.view(), self.w),
            centred_scaled(self.y, yo.view(), self.w),
            xo,
            yo,
        )
    }
}

fn finish<F: Float>(sol_dk: Array2<F>, xo: &Array1<F>, yo: &Array1<F>, rank: usize) -> Solved<F> {
    let coef = sol_dk.reversed_axes().as_standard_layout().into_owned();
    let intercept = intercepts(coef.view(), xo.view(), yo.view());
    Solved {
        coef,
        intercept,
        rank,
    }
}

/// Power-of-two scales of an extreme design (`sx` for the records, `sy`
/// for the targets; 1 when not needed).
///
/// Records or targets of magnitude beyond `⁴√MAX` (~1e77 in `f64`, ~4e9 in
/// `f32`) overflow the gram; below its inverse (`1e-77`) they underflow it
/// and a full-rank design looks rank-deficient (coefficients of zero). Both
/// are solved exactly on rescaled data: with `X = sx·X̃`, `y = sy·ỹ` and
/// `w = (sy/sx)·w̃`, `‖y − Xw‖² + α‖w‖² = sy²·(‖ỹ − X̃w̃‖² + (α/sx²)‖w̃‖²)`.
/// Small records are rescaled only without a penalty (`α/sx²` would
/// overflow; the penalty then rightly dominates).
fn extreme_scales<F: Float>(design: &Design<'_, F>, penalised: bool) -> (f64, f64) {
    let limit = F::max_value().to_f64_exact().sqrt().sqrt();
    let pick = |m: f64, small_too: bool| {
        if m.is_finite() && (m > limit || (small_too && m > 0.0 && m < 1.0 / limit)) {
            numerics::pow2_scale(m)
        } else {
            1.0
        }
    };
    let mx = numerics::max_abs(design.x.iter().map(|v| v.to_f64_exact()));
    let my = numerics::max_abs(design.y.iter().map(|v| v.to_f64_exact()));
    (pick(mx, !penalised), pick(my, true))
}

/// Runs `solve` on the design rescaled by [`extreme_scales`] (with the
/// record scale `sx` passed on, for the penalty) and scales the solution
/// back; `Err(NumericalFailure)` if the coefficients themselves exceed the
/// float range. Ordinary designs go straight to `solve`.
fn solve_rescaled<'a, F: Float, T>(
    design: Design<'a, F>,
    penalised: bool,
    solve: impl FnOnce(Design<'_, F>, f64) -> Result<(Solved<F>, T)>,
) -> Result<(Solved<F>, T)> {
    let (sx, sy) = extreme_scales(&design, penalised);
    if sx == 1.0 && sy == 1.0 {
        return solve(design, 1.0);
    }
    let x = design.x.mapv(|v| F::from_f64_lossy(v.to_f64_exact() / sx));
    let y = design.y.mapv(|v| F::from_f64_lossy(v.to_f64_exact() / sy));
    let (mut solved, extra) = solve(
        Design {
            x: x.view(),
            y: y.view(),
            ..design
        },
        sx,
    )?;
    let unscale = |v: F, f: f64| F::from_f64_lossy(v.to_f64_exact() * f);
    solved.coef.mapv_inplace(|c| unscale(c, sy / sx));
    solved.intercept.mapv_inplace(|b| unscale(b, sy));
    if let Some((at, v)) = solved
        .coef
        .indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|((t, j), v)| (format!("coef[{t}, {j}]"), *v))
        .or_else(|| {
            solved
                .intercept
                .indexed_iter()
                .find(|(_, v)| !v.is_finite())
                .map(|(t, v)| (format!("intercept[{t}]"), *v))
        })
    {
        return Err(Error::NumericalFailure {
            operation: "linear least squares",
            reason: format!(
                "{at} = {v} exceeds the float range (records up to {sx:e}, targets up to {sy:e} \
                 in magnitude); scale the features or targets"
            ),
        });
    }
    Ok((solved, extra))
}

/// The normal equations of the design, with `Err(NonFinite)` (first
/// offending entry) when `x` holds a NaN or an infinity, and
/// `Err(NumericalFailure)` when finite values overflowed them.
fn checked_normal_equations<F: Float>(design: Design<'_, F>) -> Result<Normal<F>> {
    let normal = normal_equations(design.x, design.y, design.w, design.fit_intercept);
    if !normal.x_finite {
        check_records(design.x)?;
    }
    check_moments_finite(
        normal.a.view(),
        normal.b.view(),
        normal.x_offset.view(),
        normal.y_offset.view(),
    )?;
    Ok(normal)
}

/// Ordinary least squares on data in memory: Cholesky on the centred weighted
/// gram, or the minimum-norm `lstsq` on the centred, `√w`-scaled design when
/// the gram is not safely positive definite.
pub(crate) fn ols<F: Float>(design: Design<'_, F>) -> Result<Solved<F>> {
    solve_rescaled(design, false, |d, _| ols_plain(d).map(|s| (s, ()))).map(|(s, ())| s)
}

fn ols_plain<F: Float>(design: Design<'_, F>) -> Result<Solved<F>> {
    let normal = checked_normal_equations(design)?;
    if let CholOutcome::Solved(sol) = cholesky_checked(normal.a.view(), normal.b.view())? {
        let d = design.x.ncols();
        return Ok(finish(sol, &normal.x_offset, &normal.y_offset, d));
    }
    let (z, yz, xo, yo) = design.centred();
    let ls = linalg::lstsq(z.view(), yz.view(), None)?;
    Ok(finish(ls.solution, &xo, &yo, ls.rank))
}

/// Relative cut-off on the gram's eigenvalues for the pseudo-inverse when
/// only the normal equations are known: `ε·d·λ_max` (the gram's own rounding
/// level; in terms of the design's singular values, `σ ≤ √(ε·d)·σ_max`).
fn gram_cut<F: Float>(lambda: ArrayView1<'_, F>) -> F {
    let lmax = lambda.iter().copied().fold(F::zero(), F::max);
    F::epsilon() * F::from_usize(lambda.len()).expect("size fits a float") * lmax
}

/// Ordinary least squares from accumulated normal equations.
pub(crate) fn ols_from_normal<F: Float>(normal: &Normal<F>) -> Result<Solved<F>> {
    check_moments_finite(
        normal.a.view(),
        normal.b.view(),
        normal.x_offset.view(),
        normal.y_offset.view(),
    )?;
    if let CholOutcome::Solved(sol) = cholesky_checked(normal.a.view(), normal.b.view())? {
        let d = normal.a.nrows();
        return Ok(finish(sol, &normal.x_offset, &normal.y_offset, d));
    }
    let (u, lambda, vt) = linalg::svd_thin(normal.a.view())?;
    let cut = gram_cut(lambda.view());
    let rank = lambda.iter().filter(|l| **l > cut).count();
    let zeros = vec![F::zero(); normal.b.ncols()];
    let sol = gram_svd_filtered(
        u.view(),
        lambda.view(),
        vt.view(),
        normal.b.view(),
        &zeros,
        cut,
    );
    Ok(finish(sol, &normal.x_offset, &normal.y_offset, rank))
}

/// Which ridge solver actually ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RidgeRun {
    pub solver: RidgeSolver,
    pub dual: bool,
}

/// Solves `(A + αⱼI)·xⱼ = bⱼ` for every target `j`, grouping targets that
/// share a penalty into one factorisation. Returns `d × k`.
fn cholesky_per_alpha<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    alphas: &[F],
) -> Result<Array2<F>> {
    if alphas.iter().all(|al| *al == alphas[0]) {
        return linalg::cholesky_solve(add_diag(a, alphas[0]).view(), b);
    }
    let mut out = Array2::zeros((a.nrows(), b.ncols()));
    for (j, &alpha) in alphas.iter().enumerate() {
        let col = b.slice_axis(Axis(1), Slice::from(j..j + 1));
        let sol = linalg::cholesky_solve(add_diag(a, alpha).view(), col)?;
        out.column_mut(j).assign(&sol.column(0));
    }
    Ok(out)
}

/// Ridge on data in memory.
///
/// `Cholesky` (and `Auto`) solve the primal `(ZᵀZ + αI)·c = Zᵀy` when
/// `n ≥ d` and the dual `(ZZᵀ + αI)·a = y`, `c = Zᵀa` when `d > n`, where
/// `Z = √W(X − x̄)`. `Auto` falls back to the SVD when the Cholesky
/// factorisation fails (only possible with `α = 0`).
pub(crate) fn ridge<F: Float>(
    design: Design<'_, F>,
    alphas: &[F],
    solver: RidgeSolver,
) -> Result<(Solved<F>, RidgeRun)> {
    solve_rescaled(design, true, |d, sx| {
        if sx == 1.0 {
            ridge_plain(d, alphas, solver)
        } else {
            let scaled: Vec<F> = alphas
                .iter()
                .map(|a| F::from_f64_lossy(a.to_f64_exact() / sx / sx))
                .collect();
            ridge_plain(d, &scaled, solver)
        }
    })
}

fn ridge_plain<F: Float>(
    design: Design<'_, F>,
    alphas: &[F],
    solver: RidgeSolver,
) -> Result<(Solved<F>, RidgeRun)> {
    let (n, d) = design.x.dim();
    if solver == RidgeSolver::Svd || d > n {
        check_records(design.x)?;
    }
    if solver != RidgeSolver::Svd {
        let attempt = if d > n {
            let (z, yz, xo, yo) = design.centred();
            let k = linalg::gram(z.t(), None);
            cholesky_per_alpha(k.view(), yz.view(), alphas).map(|dual| {
                let coef_dk = linalg::matmul(z.t(), dual.view());
                (finish(coef_dk, &xo, &yo, d.min(n)), true)
            })
        } else {
            let normal = checked_normal_equations(design)?;
            cholesky_per_alpha(normal.a.view(), normal.b.view(), alphas)
                .map(|sol| (finish(sol, &normal.x_offset, &normal.y_offset, d), false))
        };
        match attempt {
            Ok((solved, dual)) if solved.coef.iter().all(|v| v.is_finite()) => {
                return Ok((
                    solved,
                    RidgeRun {
                        solver: RidgeSolver::Cholesky,
                        dual,
                    },
                ));
            }
            Ok(_) if solver == RidgeSolver::Cholesky => {
                return Err(Error::NumericalFailure {
                    operation: "cholesky",
                    reason: "non-finite ridge solution".into(),
                });
            }
            Err(e @ Error::NumericalFailure { .. }) if solver == RidgeSolver::Cholesky => {
                return Err(e);
            }
            Ok(_) | Err(Error::NumericalFailure { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let (z, yz, xo, yo) = design.centred();
    let (u, sv, vt) = linalg::svd_thin(z.view())?;
    let smax = sv.iter().copied().fold(F::zero(), F::max);
    let rank = sv
        .iter()
        .filter(|v| **v > F::epsilon() * F::from_usize(n.max(d)).expect("fits") * smax)
        .count();
    let sol = svd_filtered(u.view(), sv.view(), vt.view(), yz.view(), alphas);
    Ok((
        finish(sol, &xo, &yo, rank),
        RidgeRun {
            solver: RidgeSolver::Svd,
            dual: false,
        },
    ))
}

/// Ridge from accumulated normal equations (always the primal form).
pub(crate) fn ridge_from_normal<F: Float>(
    normal: &Normal<F>,
    alphas: &[F],
    solver: RidgeSolver,
) -> Result<(Solved<F>, RidgeRun)> {
    check_moments_finite(
        normal.a.view(),
        normal.b.view(),
        normal.x_offset.view(),
        normal.y_offset.view(),
    )?;
    let d = normal.a.nrows();
    if solver != RidgeSolver::Svd {
        match cholesky_per_alpha(normal.a.view(), normal.b.view(), alphas) {
            Ok(sol) if sol.iter().all(|v| v.is_finite()) => {
                return Ok((
                    finish(sol, &normal.x_offset, &normal.y_offset, d),
                    RidgeRun {
                        solver: RidgeSolver::Cholesky,
                        dual: false,
                    },
                ));
            }
            Err(e @ Error::NumericalFailure { .. }) if solver == RidgeSolver::Cholesky => {
                return Err(e);
            }
            Ok(_) if solver == RidgeSolver::Cholesky => {
                return Err(Error::NumericalFailure {
                    operation: "cholesky",
                    reason: "non-finite ridge solution".into(),
                });
            }
            Ok(_) | Err(Error::NumericalFailure { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let (u, lambda, vt) = linalg::svd_thin(normal.a.view())?;
    let cut = gram_cut(lambda.view());
    let rank = lambda.iter().filter(|l| **l > cut).count();
    let sol = gram_svd_filtered(
        u.view(),
        lambda.view(),
        vt.view(),
        normal.b.view(),
        alphas,
        cut,
    );
    Ok((
        finish(sol, &normal.x_offset, &normal.y_offset, rank),
        RidgeRun {
            solver: RidgeSolver::Svd,
            dual: false,
        },
    ))
}

/// `X·coefᵀ + intercept` (`n × k`).
pub(crate) fn predict_multi<F: Float>(
    x: ArrayView2<'_, F>,
    coef: ArrayView2<'_, F>,
    intercept: ArrayView1<'_, F>,
) -> Array2<F> {
    let mut out = Array2::from_shape_fn((x.nrows(), coef.nrows()), |(_, j)| intercept[j]);
    linalg::gemm(F::one(), x, coef.t(), F::one(), &mut out.view_mut());
    out
}

/// `X·coef + intercept` (`n`).
pub(crate) fn predict_one<F: Float>(
    x: ArrayView2<'_, F>,
    coef: ArrayView1<'_, F>,
    intercept: F,
) -> Array1<F> {
    let mut out = Array1::from_elem(x.nrows(), intercept);
    linalg::gemv(F::one(), x, coef, F::one(), &mut out.view_mut());
    out
}
