//! [`PowerTransformer`] → [`FittedPowerTransformer`]: per-column power
//! transforms (Yeo-Johnson, Box-Cox) that make data more Gaussian, with the
//! exponent λ fitted by maximum likelihood, then optionally standardised.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::check_no_inf;
use crate::error::{Error, Result};
use crate::numerics;
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};

/// Which power transform [`PowerTransformer`] applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PowerMethod {
    /// Yeo-Johnson: any real data (scikit-learn's default).
    #[default]
    YeoJohnson,
    /// Box-Cox: strictly positive data only.
    BoxCox,
}

/// Makes each feature more Gaussian-like with a fitted power transform
/// (Yeo-Johnson or Box-Cox), then standardises it to zero mean and unit
/// variance.
///
/// As scikit-learn's `PowerTransformer`: λ per column by maximum likelihood
/// (see [Method](#method) for the formulas and the optimiser), NaN
/// skipped at fit and kept at transform, standardisation on by default.
/// Box-Cox refuses data that is not strictly positive, and constant columns
/// (their likelihood has no maximum) with [`Error::InvalidParameter`]
/// naming `x`.
///
/// # Method
/// The maths, as scikit-learn's `PowerTransformer` (which calls SciPy):
///
/// - Yeo-Johnson: `ψ(x, λ) = ((x + 1)^λ − 1) / λ` for `x ≥ 0` (`ln(1 + x)`
///   at `λ = 0`) and `−((1 − x)^(2−λ) − 1) / (2 − λ)` for `x < 0`
///   (`−ln(1 − x)` at `λ = 2`), evaluated as `expm1(λ·ln1p(x)) / λ`.
///   Profile log-likelihood `−n/2 · ln σ²(ψ) + (λ − 1) Σ sign(x)·ln(1 + |x|)`,
///   maximised by Brent's bounded method over SciPy's interval (the λ for
///   which `ψ` of 20× the largest `|x|` keeps half the exponent range);
///   columns that are constant get λ = 1.
/// - Box-Cox (strictly positive data): `(x^λ − 1) / λ` (`ln x` at `λ = 0`).
///   Log-likelihood `(λ − 1) Σ ln x − n/2 · ln σ²`, with `σ²` computed from
///   `λ·ln x` shifted by its maximum (no overflow); maximised by Brent's
///   method from the bracket `(−2, 2)`, then, as SciPy, constrained so the
///   most extreme transformed value stays below `f64::MAX / 10⁴`.
///
/// Both optimisers stop at SciPy's tolerance (`1.48·10⁻⁸` relative in λ), so
/// λ agrees with scikit-learn's to about that precision, not bit for bit.
/// Missing values (NaN) are skipped at fit and kept at transform.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::{PowerMethod, PowerTransformer};
///
/// let x = array![[1.0], [2.0], [4.0], [8.0], [16.0], [32.0]];
/// let pt = PowerTransformer::new().method(PowerMethod::BoxCox).fit(x.view())?;
/// // Powers of two are log-normal: Box-Cox finds λ ≈ 0 (the logarithm).
/// assert!(pt.lambdas()[0].abs() < 1e-6);
/// let z = pt.transform(x.view())?;
/// assert!(z.column(0).sum().abs() < 1e-12); // standardised
/// let back = pt.inverse_transform(z.view())?;
/// assert!((back[[5, 0]] - 32.0).abs() < 1e-9);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowerTransformer {
    pub(crate) method: PowerMethod,
    pub(crate) standardize: bool,
}

impl PowerTransformer {
    /// Yeo-Johnson, standardised (scikit-learn's defaults).
    pub fn new() -> Self {
        PowerTransformer {
            method: PowerMethod::YeoJohnson,
            standardize: true,
        }
    }

    /// The transform. Default [`PowerMethod::YeoJohnson`].
    pub fn method(mut self, method: PowerMethod) -> Self {
        self.method = method;
        self
    }

    /// Whether to standardise the transformed columns (zero mean, unit
    /// variance). Default `true`.
    pub fn standardize(mut self, yes: bool) -> Self {
        self.standardize = yes;
        self
    }

    /// Learns each column's λ (and, when standardising, the mean and
    /// standard deviation of the transformed column). NaN is skipped.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns, or for a column that is
    /// all NaN; [`Error::NonFinite`] on ±inf; [`Error::InvalidParameter`]
    /// (`"x"`) for Box-Cox on a value `≤ 0` or on a constant column.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedPowerTransformer> {
        if x.nrows() == 0 {
            return Err(Error::EmptyInput {
                what: "x (no rows)",
            });
        }
        if x.ncols() == 0 {
            return Err(Error::EmptyInput {
                what: "x (no features)",
            });
        }
        check_no_inf(x)?;
        if self.method == PowerMethod::BoxCox {
            check_positive(x)?;
        }
        let p = x.ncols();
        let mut lambdas = Array1::zeros(p);
        let mut mean = Array1::zeros(p);
        let mut scale = Array1::ones(p);
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let v: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
            if v.is_empty() {
                return Err(Error::EmptyInput {
                    what: "x column (every value is missing)",
                });
            }
            lambdas[j] = match self.method {
                PowerMethod::YeoJohnson => {
                    // scikit-learn skips the optimisation for constant
                    // columns (its test uses numpy's mean and variance,
                    // which are NaN for a column with missing values).
                    if v.len() == col.len() && is_constant(&v) {
                        1.0
                    } else {
                        yeo_johnson_lambda(&v)
                    }
                }
                PowerMethod::BoxCox => box_cox_lambda(&v, j)?,
            };
            if self.standardize {
                let lambda = lambdas[j];
                let t: Vec<f64> = v.iter().map(|&x| self.apply(x, lambda)).collect();
                if let Some(bad) = t.iter().position(|t| !t.is_finite()) {
                    return Err(overflow(bad, j));
                }
                let (m, s) = mean_and_std(&t);
                mean[j] = m;
                scale[j] = s;
            }
        }
        Ok(FittedPowerTransformer {
            params: *self,
            lambdas,
            mean,
            scale,
        })
    }

    /// [`fit`](Self::fit), then transforms the same data.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.fit(x)?.transform(x)
    }

    fn apply(&self, x: f64, lambda: f64) -> f64 {
        match self.method {
            PowerMethod::YeoJohnson => yeo_johnson(x, lambda),
            PowerMethod::BoxCox => box_cox(x, lambda),
        }
    }

    fn invert(&self, y: f64, lambda: f64) -> f64 {
        match self.method {
            PowerMethod::YeoJohnson => yeo_johnson_inverse(y, lambda),
            PowerMethod::BoxCox => box_cox_inverse(y, lambda),
        }
    }
}

/// `Err(InvalidParameter("x"))` at the first value `≤ 0` (NaN skipped).
fn check_positive(x: ArrayView2<'_, f64>) -> Result<()> {
    match x.indexed_iter().find(|(_, v)| **v <= 0.0) {
        Some(((i, j), v)) => Err(Error::invalid(
            "x",
            format!("the Box-Cox transform needs strictly positive values, got {v} at [{i}, {j}]"),
        )),
        None => Ok(()),
    }
}

fn overflow(i: usize, j: usize) -> Error {
    Error::NumericalFailure {
        operation: "power transform",
        reason: format!(
            "the transformed value of row {i}, column {j} overflows f64 \
             (the data are too large for the fitted λ)"
        ),
    }
}

/// scikit-learn's `_is_constant_feature`: the variance is within the
/// rounding error bound of the two-pass algorithm.
fn is_constant(v: &[f64]) -> bool {
    let n = v.len() as f64;
    let s = numerics::pow2_scale(numerics::max_abs(v.iter().copied()));
    let m = v.iter().map(|x| x / s).sum::<f64>() / n;
    let var = v.iter().map(|x| (x / s - m).powi(2)).sum::<f64>() / n;
    let eps = f64::EPSILON;
    var <= n * eps * var + (n * m * eps).powi(2)
}

/// Mean and standard deviation (population) of `t`, computed on values
/// scaled by a power of two (exact, and finite near `f64::MAX`); a constant
/// column gets scale 1 as in scikit-learn's `StandardScaler`.
fn mean_and_std(t: &[f64]) -> (f64, f64) {
    let n = t.len() as f64;
    let s = numerics::pow2_scale(numerics::max_abs(t.iter().copied()));
    let m = t.iter().map(|x| x / s).sum::<f64>() / n;
    let (sq, lin) = t.iter().fold((0.0, 0.0), |(sq, lin), x| {
        let d = x / s - m;
        (sq + d * d, lin + d)
    });
    let var = ((sq - lin * lin / n) / n).max(0.0);
    let eps = f64::EPSILON;
    let constant = var <= n * eps * var + (n * m * eps).powi(2);
    let std = if constant { 1.0 } else { var.sqrt() * s };
    (m * s, std)
}

/// The Yeo-Johnson transform of one value (SciPy's stable form).
pub(crate) fn yeo_johnson(x: f64, lambda: f64) -> f64 {
    let eps = f64::EPSILON;
    if x >= 0.0 {
        if lambda.abs() < eps {
            x.ln_1p()
        } else {
            (lambda * x.ln_1p()).exp_m1() / lambda
        }
    } else if (lambda - 2.0).abs() > eps {
        -((2.0 - lambda) * (-x).ln_1p()).exp_m1() / (2.0 - lambda)
    } else {
        -(-x).ln_1p()
    }
}

/// The inverse Yeo-Johnson transform (scikit-learn's).
fn yeo_johnson_inverse(y: f64, lambda: f64) -> f64 {
    let eps = f64::EPSILON;
    if y >= 0.0 {
        if lambda.abs() < eps {
            y.exp_m1()
        } else {
            ((y * lambda).ln_1p() / lambda).exp_m1()
        }
    } else if (lambda - 2.0).abs() > eps {
        -((-(2.0 - lambda) * y).ln_1p() / (2.0 - lambda)).exp_m1()
    } else {
        -(-y).exp_m1()
    }
}

/// The Box-Cox transform of one positive value (SciPy's `special.boxcox`).
pub(crate) fn box_cox(x: f64, lambda: f64) -> f64 {
    if lambda.abs() < 1e-19 {
        x.ln()
    } else {
        (lambda * x.ln()).exp_m1() / lambda
    }
}

/// The inverse Box-Cox transform (SciPy's `special.inv_boxcox`).
fn box_cox_inverse(y: f64, lambda: f64) -> f64 {
    if lambda.abs() < 1e-19 {
        y.exp()
    } else {
        ((lambda * y).ln_1p() / lambda).exp()
    }
}

/// Negative Yeo-Johnson profile log-likelihood (`+∞` where the transformed
/// variance underflows or anything is not finite, as SciPy).
fn yeo_johnson_neg_llf(x: &[f64], lambda: f64) -> f64 {
    let n = x.len() as f64;
    let t: Vec<f64> = x.iter().map(|&v| yeo_johnson(v, lambda)).collect();
    let m = t.iter().sum::<f64>() / n;
    let var = t.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
    if var.is_nan() || var < f64::MIN_POSITIVE || var.is_infinite() {
        return f64::INFINITY;
    }
    let jac: f64 = x.iter().map(|v| v.signum() * v.abs().ln_1p()).sum();
    let llf = -n / 2.0 * var.ln() + (lambda - 1.0) * jac;
    if llf.is_finite() { -llf } else { f64::INFINITY }
}

/// SciPy's `yeojohnson_normmax`: the bounded maximiser of the likelihood.
fn yeo_johnson_lambda(x: &[f64]) -> f64 {
    if x.iter().all(|&v| v == 0.0) {
        return 1.0;
    }
    let max_abs = numerics::max_abs(x.iter().copied());
    let log1p_max = (20.0 * max_abs).ln_1p();
    let log_eps = f64::EPSILON.ln();
    let log_tiny = (f64::MIN_POSITIVE.ln() - log_eps) / 2.0;
    let log_max = (f64::MAX.ln() + log_eps) / 2.0;
    let (mut lb, mut ub) = (log_tiny / log1p_max, log_max / log1p_max);
    if x.iter().all(|&v| v < 0.0) {
        (lb, ub) = (2.0 - ub, 2.0 - lb);
    } else if x.iter().any(|&v| v < 0.0) {
        (lb, ub) = (lb.max(2.0 - ub), ub.min(2.0 - lb));
    }
    // scipy.optimize.fminbound's tolerance: √ε·|x| + xatol/3, xatol 1.48e-8.
    brent_minimize(
        |l| yeo_johnson_neg_llf(x, l),
        lb,
        ub,
        f64::EPSILON.sqrt(),
        1.48e-8 / 3.0,
    )
}

/// Negative Box-Cox log-likelihood of positive `x` (`ln x` given).
fn box_cox_neg_llf(logx: &[f64], sum_log: f64, lambda: f64) -> f64 {
    let n = logx.len() as f64;
    let logvar = if lambda == 0.0 {
        let m = sum_log / n;
        (logx.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).ln()
    } else {
        // ln var(e^{λ ln x}) − 2 ln|λ|, with the exponentials shifted by
        // their largest exponent (no overflow).
        let top = logx
            .iter()
            .map(|v| lambda * v)
            .fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logx.iter().map(|v| (lambda * v - top).exp()).collect();
        let m = e.iter().sum::<f64>() / n;
        let var = e.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
        var.ln() + 2.0 * top - 2.0 * lambda.abs().ln()
    };
    let llf = (lambda - 1.0) * sum_log - n / 2.0 * logvar;
    if llf.is_nan() { f64::INFINITY } else { -llf }
}

/// SciPy's `boxcox_normmax(method='mle')`: Brent's method from the bracket
/// `(−2, 2)`, then the overflow constraint.
fn box_cox_lambda(x: &[f64], column: usize) -> Result<f64> {
    if x.iter().all(|&v| v == x[0]) {
        return Err(Error::invalid(
            "x",
            format!("the Box-Cox likelihood has no maximum on the constant column {column}"),
        ));
    }
    let logx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let sum_log: f64 = logx.iter().sum();
    let f = |l: f64| box_cox_neg_llf(&logx, sum_log, l);
    let (a, c) = bracket(&f, -2.0, 2.0);
    let lambda = brent_minimize(f, a, c, 1.48e-8, 1e-11);
    Ok(box_cox_constrained(x, lambda))
}

/// SciPy's overflow guard: when the transform of the most extreme value
/// exceeds `f64::MAX / 10⁴`, the λ at which it equals that bound (found by
/// bisection: `(x^λ − 1)/λ` is increasing in λ).
fn box_cox_constrained(x: &[f64], lambda: f64) -> f64 {
    let ymax = f64::MAX / 10_000.0;
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    let extreme = if lo >= 1.0 {
        hi
    } else if hi <= 1.0 {
        lo
    } else if box_cox(hi, lambda) > box_cox(lo, lambda).abs() {
        hi
    } else {
        lo
    };
    let y = box_cox(extreme, lambda);
    if y.abs() <= ymax {
        return lambda;
    }
    // The root of box_cox(extreme, l) = ±ymax lies between λ and 0 (where
    // the transform is ln x, finite).
    let target = ymax.copysign(extreme - 1.0);
    let (mut a, mut b) = if lambda < 0.0 {
        (lambda, 0.0)
    } else {
        (0.0, lambda)
    };
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if m == a || m == b {
            break;
        }
        if box_cox(extreme, m) < target {
            a = m;
        } else {
            b = m;
        }
    }
    // The side whose transform stays within the bound.
    if box_cox(extreme, a).abs() <= ymax {
        a
    } else {
        b
    }
}

/// A bracketing triple's outer ends for a minimum, expanding downhill from
/// `(a, b)` by the golden ratio (as `scipy.optimize.bracket`, without its
/// parabolic steps): returns `(lo, hi)` with an interior point lower than
/// both ends, or the last interval reached after 50 expansions.
fn bracket(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    const GOLD: f64 = 1.618_033_988_749_895;
    let (mut a, mut b) = (a, b);
    let (mut fa, mut fb) = (f(a), f(b));
    if fa < fb {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut fa, &mut fb);
    }
    let mut c = b + GOLD * (b - a);
    let mut fc = f(c);
    for _ in 0..50 {
        if fc > fb {
            break;
        }
        a = b;
        b = c;
        fb = fc;
        c = b + GOLD * (b - a);
        fc = f(c);
    }
    (a.min(c), a.max(c))
}

/// Brent's method (golden section with parabolic interpolation, Brent 1973,
/// ch. 5) for a minimum of `f` on `[a, b]`; stops when the bracket around
/// the best point is within `2·(rel·|x| + abs)`. NaN values count as `+∞`.
fn brent_minimize(f: impl Fn(f64) -> f64, a: f64, b: f64, rel: f64, abs: f64) -> f64 {
    let golden = 0.5 * (3.0 - 5f64.sqrt());
    let eval = |x: f64| {
        let v = f(x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let (mut a, mut b) = (a, b);
    let mut x = a + golden * (b - a);
    let (mut w, mut v) = (x, x);
    let mut fx = eval(x);
    let (mut fw, mut fv) = (fx, fx);
    let (mut d, mut e) = (0.0f64, 0.0f64);
    for _ in 0..500 {
        let m = 0.5 * (a + b);
        let tol = rel * x.abs() + abs;
        let tol2 = 2.0 * tol;
        if (x - m).abs() <= tol2 - 0.5 * (b - a) {
            break;
        }
        let mut use_golden = true;
        if e.abs() > tol {
            // A parabola through (v, w, x).
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            let e_old = e;
            e = d;
            if p.abs() < (0.5 * q * e_old).abs() && p > q * (a - x) && p < q * (b - x) {
                d = p / q;
                let u = x + d;
                if u - a < tol2 || b - u < tol2 {
                    d = if x < m { tol } else { -tol };
                }
                use_golden = false;
            }
        }
        if use_golden {
            e = if x < m { b - x } else { a - x };
            d = golden * e;
        }
        let u = if d.abs() >= tol {
            x + d
        } else if d > 0.0 {
            x + tol
        } else {
            x - tol
        };
        let fu = eval(u);
        if fu <= fx {
            if u < x {
                b = x;
            } else {
                a = x;
            }
            (v, fv) = (w, fw);
            (w, fw) = (x, fx);
            (x, fx) = (u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv) = (w, fw);
                (w, fw) = (u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    x
}

/// A fitted [`PowerTransformer`]: per column, the power transform with the
/// fitted λ, then `(t − mean) / scale` when standardising.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedPowerTransformer;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::PowerTransformer;
///
/// let x = array![[1.0, -2.0], [3.0, f64::NAN], [0.5, 4.0], [9.0, 0.0]];
/// let pt = PowerTransformer::new().fit(x.view())?;
/// let z = pt.transform(x.view())?;
/// assert!(z[[1, 1]].is_nan()); // missing stays missing
/// let back = pt.inverse_transform(z.view())?;
/// assert!((back[[3, 0]] - 9.0).abs() < 1e-9);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-power-{}.safetensors", std::process::id()));
/// pt.save(&path)?;
/// let back = FittedPowerTransformer::load(&path)?;
/// let r = array![[2.0, 1.0]];
/// assert_eq!(back.transform(r.view())?, pt.transform(r.view())?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedPowerTransformer {
    params: PowerTransformer,
    lambdas: Array1<f64>,
    mean: Array1<f64>,
    scale: Array1<f64>,
}

impl FittedPowerTransformer {
    /// The fitted exponent λ of each column.
    pub fn lambdas(&self) -> &Array1<f64> {
        &self.lambdas
    }

    /// Per-column mean of the transformed data (zeros without
    /// standardisation).
    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    /// Per-column standard deviation of the transformed data (ones without
    /// standardisation, and for constant columns).
    pub fn scale(&self) -> &Array1<f64> {
        &self.scale
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.lambdas.len()
    }

    /// The hyperparameters it was fitted with.
    pub fn params(&self) -> &PowerTransformer {
        &self.params
    }

    fn check_input(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        super::check_transform_nan_ok(x, self.n_features())
    }

    /// The power transform (then standardisation); NaN stays NaN.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count;
    /// [`Error::NonFinite`] on ±inf; [`Error::InvalidParameter`] (`"x"`) for
    /// Box-Cox on a value `≤ 0`; [`Error::NumericalFailure`] when a
    /// transformed value overflows `f64`.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.check_input(x)?;
        if self.params.method == PowerMethod::BoxCox {
            check_positive(x)?;
        }
        let mut out = x.to_owned();
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            let (l, m, s) = (self.lambdas[j], self.mean[j], self.scale[j]);
            for (i, v) in col.iter_mut().enumerate() {
                if v.is_nan() {
                    continue;
                }
                let t = self.params.apply(*v, l);
                if !t.is_finite() {
                    return Err(overflow(i, j));
                }
                *v = numerics::sub_div(t, m, s);
            }
        }
        Ok(out)
    }

    /// Undoes [`transform`](Self::transform): unstandardises, then applies
    /// the inverse power transform (NaN where a value lies outside the
    /// transform's range, as scikit-learn).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count,
    /// [`Error::NonFinite`] on ±inf.
    pub fn inverse_transform(&self, z: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.check_input(z)?;
        let mut out = z.to_owned();
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            let (l, m, s) = (self.lambdas[j], self.mean[j], self.scale[j]);
            for v in col.iter_mut().filter(|v| !v.is_nan()) {
                *v = self.params.invert(numerics::mul_add(*v, s, m), l);
            }
        }
        Ok(out)
    }

    /// The transform of one column's values at `λ` of column `j`, without
    /// standardisation (for tests and diagnostics).
    #[cfg(test)]
    fn raw(&self, col: ndarray::ArrayView1<'_, f64>, j: usize) -> Vec<f64> {
        col.iter()
            .map(|&v| self.params.apply(v, self.lambdas[j]))
            .collect()
    }
}

impl<'a> Fit<ArrayView2<'a, f64>, ()> for PowerTransformer {
    type Fitted = FittedPowerTransformer;
    fn fit(&self, x: ArrayView2<'a, f64>, _y: ()) -> Result<Self::Fitted> {
        PowerTransformer::fit(self, x)
    }
}

impl<'a> Transform<ArrayView2<'a, f64>> for FittedPowerTransformer {
    type Output = Array2<f64>;
    fn transform(&self, x: ArrayView2<'a, f64>) -> Result<Array2<f64>> {
        FittedPowerTransformer::transform(self, x)
    }
}

impl Persist for FittedPowerTransformer {
    const KIND: &'static str = "PowerTransformer";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features())
            .with_hyperparameters(&self.params)?;
        file.push_f64("lambdas", self.lambdas.clone().into_dyn());
        file.push_f64("mean", self.mean.clone().into_dyn());
        file.push_f64("scale", self.scale.clone().into_dyn());
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Format version 1 is the only one so far. Sizes come from the
        // `lambdas` tensor and must agree with the recorded feature count;
        // `take` refuses non-finite values.
        let params: PowerTransformer = file.hyperparameters()?;
        let p = Some(file.n_features()?);
        let lambdas = file.take_array1::<f64>("lambdas", p)?;
        let p = Some(lambdas.len());
        let mean = file.take_array1::<f64>("mean", p)?;
        let scale = file.take_array1::<f64>("scale", p)?;
        super::check_loaded_scale(&file, "scale", &scale)?;
        if !params.standardize
            && (mean.iter().any(|&m| m != 0.0) || scale.iter().any(|&s| s != 1.0))
        {
            return Err(file.format_error(
                "PowerTransformer without standardisation must have mean 0 and scale 1",
            ));
        }
        Ok(FittedPowerTransformer {
            params,
            lambdas,
            mean,
            scale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocessing::tests::close_rel;
    use ndarray::array;

    // Reference values (scikit-learn 1.9.1, SciPy 1.17.1), in the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np
    // from sklearn.preprocessing import PowerTransformer
    // X = np.array([[1.2, -3.0, 5.0, 0.5], [0.4, 2.0, 5.0, np.nan], [3.5, 0.0, 5.0, 2.0],
    //               [8.0, -1.5, 5.0, 9.0], [2.2, 7.0, 5.0, 0.1], [0.9, 1.0, 5.0, 4.0]])
    // pt = PowerTransformer().fit(X)
    // print(pt.lambdas_.tolist(), pt._scaler.mean_.tolist(), pt._scaler.scale_.tolist())
    // print(pt.transform(X).tolist())
    // print(PowerTransformer(standardize=False).fit(X).transform(X).tolist())
    // Xp = np.abs(X) + 0.25; Xp[:, 2] = [1., 2., 3., 4., 5., 6.]
    // pb = PowerTransformer(method='box-cox').fit(Xp)
    // print(pb.lambdas_.tolist()); print(pb.transform(Xp).tolist())
    // print(PowerTransformer(method='box-cox', standardize=False).fit(Xp).transform(Xp).tolist())"
    fn x() -> Array2<f64> {
        array![
            [1.2, -3.0, 5.0, 0.5],
            [0.4, 2.0, 5.0, f64::NAN],
            [3.5, 0.0, 5.0, 2.0],
            [8.0, -1.5, 5.0, 9.0],
            [2.2, 7.0, 5.0, 0.1],
            [0.9, 1.0, 5.0, 4.0]
        ]
    }

    fn x_positive() -> Array2<f64> {
        let mut x = x().mapv(|v| v.abs() + 0.25);
        x.column_mut(2)
            .assign(&array![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        x
    }

    /// λ is the result of an iterative minimiser stopping at a relative
    /// tolerance of 1.48e-8 in both implementations: 1e-7 on λ, and on
    /// values computed from it.
    const TOL: f64 = 1e-7;

    #[test]
    fn yeo_johnson_matches_sklearn() {
        let x = x();
        let pt = PowerTransformer::new().fit(x.view()).unwrap();
        let want_l = [
            -0.545055118785585,
            0.6923671391970677,
            1.0,
            -0.17643836506082286,
        ];
        for (g, w) in pt.lambdas().iter().zip(want_l) {
            assert!((g - w).abs() < TOL, "λ {g} vs {w}");
        }
        let want_m = [
            0.7764310218040591,
            0.24916480442660593,
            5.0,
            0.9555729373888735,
        ];
        let want_s = [
            0.320824975435476,
            2.685098937393289,
            1.0,
            0.6538426024645546,
        ];
        for j in 0..4 {
            assert!((pt.mean()[j] - want_m[j]).abs() < TOL, "mean {j}");
            assert!((pt.scale()[j] - want_s[j]).abs() < TOL, "scale {j}");
        }
        let want = array![
            [
                -0.42242132894662743,
                -1.5531143721387923,
                0.0,
                -0.8630081235386063
            ],
            [-1.4618869603611269, 0.5202256674453611, 0.0, f64::NAN],
            [
                0.7793612129110534,
                -0.09279539050002257,
                0.0,
                0.06595182494669548
            ],
            [
                1.571974439670564,
                -0.7518587348295409,
                0.0,
                1.4325766148029526
            ],
            [
                0.2649248390384024,
                1.6390266974135819,
                0.0,
                -1.3169219423161154
            ],
            [
                -0.7319522023122649,
                0.23851613260941287,
                0.0,
                0.6814016261050728
            ]
        ];
        let z = pt.transform(x.view()).unwrap();
        assert!(close_rel(&z, &want, TOL), "{z}");
        // The inverse gives the data back (to rounding).
        assert!(close_rel(
            &pt.inverse_transform(z.view()).unwrap(),
            &x,
            1e-12
        ));

        let raw = PowerTransformer::new()
            .standardize(false)
            .fit(x.view())
            .unwrap();
        let want = array![
            [
                0.6409077093213362,
                -3.9211009458535107,
                5.0,
                0.39130145994633925
            ],
            [0.30742117365675786, 1.6460221912888597, 5.0, f64::NAN],
            [1.0264695637916106, 0.0, 5.0, 0.9986950502493076],
            [
                1.280759682796564,
                -1.7696502855340572,
                5.0,
                1.8922525594414978
            ],
            [
                0.861425526780802,
                4.650113648011047,
                5.0,
                0.0945132673822285
            ],
            [
                0.5416024744772842,
                0.8896042186472973,
                5.0,
                1.4011023499249937
            ]
        ];
        let z = raw.transform(x.view()).unwrap();
        assert!(close_rel(&z, &want, TOL), "{z}");
        assert_eq!(raw.raw(x.column(0), 0)[2], z[[2, 0]]);
        assert!(close_rel(
            &raw.inverse_transform(z.view()).unwrap(),
            &x,
            1e-12
        ));
    }

    #[test]
    fn box_cox_matches_sklearn() {
        let x = x_positive();
        let pb = PowerTransformer::new()
            .method(PowerMethod::BoxCox)
            .fit(x.view())
            .unwrap();
        let want_l = [
            -0.1939531513752507,
            0.27685299670047625,
            0.7045411616342833,
            0.0664840056234063,
        ];
        for (g, w) in pb.lambdas().iter().zip(want_l) {
            assert!((g - w).abs() < TOL, "λ {g} vs {w}");
        }
        let want = array![
            [
                -0.37978357316400596,
                0.5423300568580748,
                -1.5678365920756778,
                -0.7973390164374154
            ],
            [
                -1.5185923058459077,
                0.1203514283648911,
                -0.8361935133943755,
                f64::NAN
            ],
            [
                0.7585407711508747,
                -1.674096022328188,
                -0.2100530594207971,
                0.11699596918195249
            ],
            [
                1.556196999003461,
                -0.14429725020957307,
                0.3561112839300186,
                1.3962273442948432
            ],
            [
                0.2744317525492576,
                1.6266980140588818,
                0.8814856507972794,
                -1.3935256738162678
            ],
            [
                -0.6907936436936801,
                -0.47098622674408663,
                1.3764862301635525,
                0.677641376776888
            ]
        ];
        let z = pb.transform(x.view()).unwrap();
        assert!(close_rel(&z, &want, TOL), "{z}");
        assert!(close_rel(
            &pb.inverse_transform(z.view()).unwrap(),
            &x,
            1e-12
        ));
        let raw = PowerTransformer::new()
            .method(PowerMethod::BoxCox)
            .standardize(false)
            .fit(x.view())
            .unwrap();
        let want_row = [
            0.3584909282927187,
            1.3937024152402315,
            0.0,
            -0.28494838802050554,
        ];
        let z = raw.transform(x.view()).unwrap();
        for (g, w) in z.row(0).iter().zip(want_row) {
            assert!((g - w).abs() < TOL, "{g} vs {w}");
        }
    }

    #[test]
    fn brent_finds_the_minimum_of_a_parabola_and_a_kink() {
        let m = brent_minimize(|x| (x - 0.3).powi(2), -2.0, 2.0, 1.48e-8, 1e-11);
        assert!((m - 0.3).abs() < 1e-7);
        let m = brent_minimize(|x| (x - 1.5).abs(), -10.0, 10.0, 1.48e-8, 1e-11);
        assert!((m - 1.5).abs() < 1e-7);
        // A minimum outside the start bracket is found by expansion.
        let f = |x: f64| (x - 9.0).powi(2);
        let (a, c) = bracket(&f, -2.0, 2.0);
        assert!(a < 9.0 && 9.0 < c, "({a}, {c})");
    }

    #[test]
    fn box_cox_lambda_is_constrained_against_overflow() {
        // Huge positive values with a large optimal λ: the constraint keeps
        // the transform of the largest value at f64::MAX / 1e4.
        let x: Vec<f64> = [1.0, 2.0, 3.0, 4.0, 50.0]
            .iter()
            .map(|v| 1e300 * v / 50.0)
            .collect();
        let l = box_cox_lambda(&x, 0).unwrap();
        assert!(box_cox(1e300, l).is_finite());
        let z = PowerTransformer::new()
            .method(PowerMethod::BoxCox)
            .fit_transform(Array2::from_shape_vec((5, 1), x).unwrap().view())
            .unwrap();
        assert!(z.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let bc = PowerTransformer::new().method(PowerMethod::BoxCox);
        assert!(matches!(
            bc.fit(x().view()),
            Err(Error::InvalidParameter { name: "x", reason }) if reason.contains("[0, 1]")
        ));
        assert!(matches!(
            bc.fit(array![[1.0, 2.0], [1.0, 3.0]].view()),
            Err(Error::InvalidParameter { name: "x", .. })
        ));
        let fitted = bc.fit(x_positive().view()).unwrap();
        assert!(matches!(
            fitted.transform(array![[1.0, 1.0, 1.0, 0.0]].view()),
            Err(Error::InvalidParameter { name: "x", .. })
        ));
        for m in [PowerMethod::YeoJohnson, PowerMethod::BoxCox] {
            let p = PowerTransformer::new().method(m);
            assert!(matches!(
                p.fit(array![[f64::NAN, 1.0], [f64::NAN, 2.0]].view()),
                Err(Error::EmptyInput { .. })
            ));
            assert!(matches!(
                p.fit(array![[1.0, f64::INFINITY]].view()),
                Err(Error::NonFinite { .. })
            ));
            assert!(matches!(
                p.fit(Array2::zeros((0, 2)).view()),
                Err(Error::EmptyInput { .. })
            ));
        }
        let yj = PowerTransformer::new().fit(x().view()).unwrap();
        assert!(matches!(
            yj.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        // A value whose transform overflows at the fitted λ.
        let big = PowerTransformer::new()
            .fit(array![[1.0], [2.0], [3.0], [50.0]].view())
            .unwrap();
        let l = big.lambdas()[0];
        let huge = if l > 0.0 { 1e300 } else { -1e300 };
        if yeo_johnson(huge, l).is_infinite() {
            assert!(matches!(
                big.transform(array![[huge]].view()),
                Err(Error::NumericalFailure { .. })
            ));
        }
    }

    #[test]
    fn constant_and_zero_columns() {
        // Yeo-Johnson: a constant column keeps λ = 1 and standardises to 0.
        let x = array![[3.0, 0.0, 1.0], [3.0, 0.0, 2.0], [3.0, 0.0, 4.0]];
        let pt = PowerTransformer::new().fit(x.view()).unwrap();
        assert_eq!(pt.lambdas()[0], 1.0);
        assert_eq!(pt.lambdas()[1], 1.0);
        let z = pt.transform(x.view()).unwrap();
        assert!(z.column(0).iter().all(|v| *v == 0.0));
        assert!(z.column(1).iter().all(|v| *v == 0.0));
    }

    #[test]
    fn persist_round_trips_and_rejects_corruption() {
        for pt in [
            PowerTransformer::new(),
            PowerTransformer::new().standardize(false),
        ] {
            let f = pt.fit(x().view()).unwrap();
            assert_eq!(
                FittedPowerTransformer::from_bytes(&f.to_bytes().unwrap()).unwrap(),
                f
            );
        }
        let f = PowerTransformer::new().fit(x().view()).unwrap();
        let mut file = f.to_model_file().unwrap();
        file.push_f64("scale", array![1.0, 0.0, 1.0, 1.0].into_dyn());
        assert!(matches!(
            FittedPowerTransformer::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
        let mut file = f.to_model_file().unwrap();
        file.push_f64("mean", array![1.0, 0.0].into_dyn());
        assert!(matches!(
            FittedPowerTransformer::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
        let raw = PowerTransformer::new()
            .standardize(false)
            .fit(x().view())
            .unwrap();
        let mut file = raw.to_model_file().unwrap();
        file.push_f64("scale", array![2.0, 1.0, 1.0, 1.0].into_dyn());
        assert!(matches!(
            FittedPowerTransformer::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
    }
}
