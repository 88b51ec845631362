//! [`QuantileTransformer`] → [`FittedQuantileTransformer`]: maps each
//! feature through its empirical distribution function onto a uniform or a
//! standard normal distribution.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::check_no_inf;
use super::stats::{norm_ppf, percentile_sorted, sorted_non_nan};
use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};

/// scikit-learn's `BOUNDS_THRESHOLD`: how close to the outermost quantiles
/// the normal output saturates.
const BOUNDS_THRESHOLD: f64 = 1e-7;

/// The distribution [`QuantileTransformer`] maps onto.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantileOutput {
    /// Uniform on `[0, 1]` (scikit-learn's default).
    #[default]
    Uniform,
    /// Standard normal (clipped to about ±5.2).
    Normal,
}

/// Maps each feature onto a uniform or normal distribution through its
/// quantiles: a non-linear, rank-preserving transform that spreads out the
/// most frequent values and tames outliers.
///
/// See [Method](#method) for the exact maths (scikit-learn's).
///
/// # Method
/// As scikit-learn's `QuantileTransformer` (dense input):
///
/// - fit: `n_quantiles_ = min(n_quantiles, n_rows)` references
///   `r = linspace(0, 1, n_quantiles_)`, and per column the quantiles
///   `q = nanpercentile(column, 100·r)` (numpy's linear method, NaN skipped).
///   With more rows than `subsample`, the quantiles come from `subsample`
///   rows drawn without replacement (seeded; the draw is ours, not numpy's).
/// - transform: `u = ½·(interp(x, q, r) − interp(−x, −q reversed, −r
///   reversed))` — the mean of the left and right interpolations, so a value
///   repeated over several quantiles maps to the middle of their references;
///   values at (or, for the normal output, within 10⁻⁷ of) the lowest and
///   highest quantile map to 0 and 1. The normal output is `Φ⁻¹(u)` clipped
///   to `[Φ⁻¹(10⁻⁷ − ε), Φ⁻¹(1 − (10⁻⁷ − ε))] ≈ ±5.1993`.
/// - inverse: `interp(u, r, q)` (with `u = Φ(z)` for the normal output), the
///   same bounds.
///
/// `interp` is numpy's `np.interp` (flat beyond the ends). Missing values
/// (NaN) stay NaN.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::{QuantileOutput, QuantileTransformer};
///
/// let x = array![[1.0], [2.0], [3.0], [1000.0], [5.0]];
/// let qt = QuantileTransformer::new().fit(x.view())?;
/// let u = qt.transform(x.view())?;
/// assert_eq!(u.column(0).to_vec(), [0.0, 0.25, 0.5, 1.0, 0.75]); // ranks
/// let z = QuantileTransformer::new()
///     .output_distribution(QuantileOutput::Normal)
///     .fit(x.view())?
///     .transform(x.view())?;
/// assert_eq!(z[[2, 0]], 0.0); // the median maps to 0
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantileTransformer {
    pub(crate) n_quantiles: usize,
    pub(crate) output: QuantileOutput,
    pub(crate) subsample: Option<usize>,
    pub(crate) seed: u64,
}

impl Default for QuantileTransformer {
    fn default() -> Self {
        Self::new()
    }
}

impl QuantileTransformer {
    /// 1000 quantiles, uniform output, subsample 10 000, seed 0
    /// (scikit-learn's defaults, with a fixed seed).
    pub fn new() -> Self {
        QuantileTransformer {
            n_quantiles: 1000,
            output: QuantileOutput::Uniform,
            subsample: Some(10_000),
            seed: 0,
        }
    }

    /// Number of quantiles (landmarks of the distribution function), `≥ 1`;
    /// capped at the number of rows. Default 1000.
    pub fn n_quantiles(mut self, n: usize) -> Self {
        self.n_quantiles = n;
        self
    }

    /// The output distribution. Default [`QuantileOutput::Uniform`].
    pub fn output_distribution(mut self, output: QuantileOutput) -> Self {
        self.output = output;
        self
    }

    /// Estimate the quantiles from at most this many rows (drawn without
    /// replacement); `None` uses every row. Must be `≥ n_quantiles`.
    /// Default `Some(10_000)`.
    pub fn subsample(mut self, rows: Option<usize>) -> Self {
        self.subsample = rows;
        self
    }

    /// Seed of the subsample draw. Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn validate(&self) -> Result<()> {
        if self.n_quantiles == 0 {
            return Err(Error::invalid("n_quantiles", "must be >= 1, got 0"));
        }
        if let Some(s) = self.subsample {
            if s == 0 {
                return Err(Error::invalid("subsample", "must be >= 1, got 0"));
            }
            if self.n_quantiles > s {
                return Err(Error::invalid(
                    "n_quantiles",
                    format!(
                        "cannot exceed the subsample ({s} rows), got {}",
                        self.n_quantiles
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Learns each column's quantiles (NaN skipped).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"n_quantiles"`, `"subsample"`);
    /// [`Error::EmptyInput`] without rows or columns, or for a column that is
    /// all NaN (in the rows used); [`Error::NonFinite`] on ±inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedQuantileTransformer> {
        self.validate()?;
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
        let n = x.nrows();
        let nq = self.n_quantiles.min(n);
        let refs = references(nq);
        let rows: Vec<usize> = match self.subsample {
            Some(s) if s < n => {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                let mut r = sample(&mut rng, n, s).into_vec();
                r.sort_unstable();
                r
            }
            _ => (0..n).collect(),
        };
        let mut quantiles = Array2::zeros((nq, x.ncols()));
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let v = sorted_non_nan(rows.iter().map(|&i| col[i]));
            if v.is_empty() {
                return Err(Error::EmptyInput {
                    what: "x column (every value is missing)",
                });
            }
            let mut last = f64::NEG_INFINITY;
            for (k, r) in refs.iter().enumerate() {
                // numpy's percentile takes the reference times 100; the
                // running maximum keeps the landmarks sorted should the
                // interpolation round one below its predecessor.
                last = last.max(percentile_sorted(&v, r * 100.0));
                quantiles[[k, j]] = last;
            }
        }
        Ok(FittedQuantileTransformer {
            params: *self,
            references: refs,
            quantiles,
        })
    }

    /// [`fit`](Self::fit), then transforms the same data.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.fit(x)?.transform(x)
    }
}

/// numpy's `linspace(0, 1, n)`: `i · (1 / (n − 1))`, the last exactly 1.
fn references(n: usize) -> Array1<f64> {
    if n == 1 {
        return Array1::zeros(1);
    }
    let step = 1.0 / (n - 1) as f64;
    let mut r = Array1::from_shape_fn(n, |i| i as f64 * step);
    r[n - 1] = 1.0;
    r
}

/// numpy's `np.interp(x, xp, fp)` for sorted `xp` (ties allowed) and finite
/// `x`: `fp[0]` left of the range, `fp[last]` right of it, else the line
/// through `(xp[j], fp[j])` and `(xp[j+1], fp[j+1])` for the largest `j`
/// with `xp[j] ≤ x`.
fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let last = xp.len() - 1;
    if x > xp[last] {
        return fp[last];
    }
    if x < xp[0] {
        return fp[0];
    }
    // The largest j with xp[j] <= x.
    let j = xp.partition_point(|&v| v <= x) - 1;
    if j == last || xp[j] == x {
        return fp[j];
    }
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    let mut y = slope * (x - xp[j]) + fp[j];
    if y.is_nan() {
        y = slope * (x - xp[j + 1]) + fp[j + 1];
        if y.is_nan() && fp[j] == fp[j + 1] {
            y = fp[j];
        }
    }
    y
}

/// The standard normal distribution function Φ(z), to about 1e-15
/// relative: `½·erfc(|z|/√2)` for the tail, with `erf` from its
/// everywhere-positive series `2x/√π · e^{−x²} · Σ (2x²)ⁿ / (1·3·…·(2n+1))`
/// for `x < 1` and `erfc` from its continued fraction (modified Lentz)
/// beyond. The factor `e^{−z²/2}` is computed with the rounding error of
/// `z²` compensated (a fused multiply-add), as it is amplified by `z²`.
pub(crate) fn norm_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let zz = z * z;
    let zz_err = z.mul_add(z, -zz);
    let gauss = (-0.5 * zz).exp() * (1.0 - 0.5 * zz_err);
    let x = z.abs() / std::f64::consts::SQRT_2;
    // The tail probability Φ(−|z|) = ½·erfc(x).
    let tail = if x < 1.0 {
        0.5 * (1.0 - erf_series(x, gauss))
    } else {
        0.5 * erfc_fraction(x, gauss)
    };
    if z < 0.0 { tail } else { 1.0 - tail }
}

/// `erf(x)` for `0 ≤ x < 1` by the positive-term series (`gauss` =
/// `e^{−x²}`).
fn erf_series(x: f64, gauss: f64) -> f64 {
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 0.0;
    loop {
        k += 1.0;
        term *= 2.0 * x2 / (2.0 * k + 1.0);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    2.0 / std::f64::consts::PI.sqrt() * x * gauss * sum
}

/// `erfc(x)` for `x ≥ 1`: `e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x
/// + …))))`, evaluated by the modified Lentz method (`gauss` = `e^{−x²}`).
fn erfc_fraction(x: f64, gauss: f64) -> f64 {
    let tiny = 1e-300;
    // f = x + a1/(x + a2/(x + …)), a_k = k/2.
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    gauss / std::f64::consts::PI.sqrt() / f
}

/// A fitted [`QuantileTransformer`]: the quantiles of each column at the
/// references `linspace(0, 1, n_quantiles_)`.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedQuantileTransformer;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::QuantileTransformer;
///
/// let x = array![[0.0], [10.0], [20.0], [f64::NAN]];
/// let qt = QuantileTransformer::new().n_quantiles(3).fit(x.view())?;
/// assert_eq!(qt.quantiles().column(0).to_vec(), [0.0, 10.0, 20.0]);
/// let u = qt.transform(array![[5.0], [f64::NAN], [99.0]].view())?;
/// assert_eq!(u[[0, 0]], 0.25);
/// assert!(u[[1, 0]].is_nan());
/// assert_eq!(u[[2, 0]], 1.0); // beyond the largest quantile
/// assert_eq!(qt.inverse_transform(array![[0.25]].view())?[[0, 0]], 5.0);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-quantile-{}.safetensors", std::process::id()));
/// qt.save(&path)?;
/// let back = FittedQuantileTransformer::load(&path)?;
/// let r = array![[5.0]];
/// assert_eq!(back.transform(r.view())?, qt.transform(r.view())?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedQuantileTransformer {
    params: QuantileTransformer,
    references: Array1<f64>,
    quantiles: Array2<f64>,
}

impl FittedQuantileTransformer {
    /// The quantiles, one row per reference, one column per feature.
    pub fn quantiles(&self) -> &Array2<f64> {
        &self.quantiles
    }

    /// The references `linspace(0, 1, n_quantiles_)`.
    pub fn references(&self) -> &Array1<f64> {
        &self.references
    }

    /// The number of quantiles used: `min(n_quantiles, rows at fit)`.
    pub fn n_quantiles(&self) -> usize {
        self.references.len()
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.quantiles.ncols()
    }

    /// The hyperparameters it was fitted with.
    pub fn params(&self) -> &QuantileTransformer {
        &self.params
    }

    /// Maps each value onto the output distribution; NaN stays NaN.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count,
    /// [`Error::NonFinite`] on ±inf.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        super::check_transform_nan_ok(x, self.n_features())?;
        let r = self.references.as_slice().expect("contiguous");
        let r_rev: Vec<f64> = r.iter().rev().map(|v| -v).collect();
        let normal = self.params.output == QuantileOutput::Normal;
        let clip_lo = norm_ppf(BOUNDS_THRESHOLD - f64::EPSILON);
        let clip_hi = norm_ppf(1.0 - (BOUNDS_THRESHOLD - f64::EPSILON));
        let mut out = x.to_owned();
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            let q = self.quantiles.column(j).to_vec();
            let q_rev: Vec<f64> = q.iter().rev().map(|v| -v).collect();
            let (lo, hi) = (q[0], q[q.len() - 1]);
            for v in col.iter_mut().filter(|v| !v.is_nan()) {
                let x = *v;
                let (at_lo, at_hi) = if normal {
                    (x - BOUNDS_THRESHOLD < lo, x + BOUNDS_THRESHOLD > hi)
                } else {
                    (x == lo, x == hi)
                };
                let mut u = if at_lo {
                    0.0
                } else if at_hi {
                    1.0
                } else {
                    0.5 * (interp(x, &q, r) - interp(-x, &q_rev, &r_rev))
                };
                if normal {
                    u = norm_ppf(u).clamp(clip_lo, clip_hi);
                }
                *v = u;
            }
        }
        Ok(out)
    }

    /// Maps values of the output distribution back to the features' scale
    /// (the quantile function by linear interpolation); NaN stays NaN.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count,
    /// [`Error::NonFinite`] on ±inf.
    pub fn inverse_transform(&self, z: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        super::check_transform_nan_ok(z, self.n_features())?;
        let r = self.references.as_slice().expect("contiguous");
        let normal = self.params.output == QuantileOutput::Normal;
        let mut out = z.to_owned();
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            let q = self.quantiles.column(j).to_vec();
            let (lo, hi) = (q[0], q[q.len() - 1]);
            for v in col.iter_mut().filter(|v| !v.is_nan()) {
                let u = if normal { norm_cdf(*v) } else { *v };
                let (at_lo, at_hi) = if normal {
                    (u - BOUNDS_THRESHOLD < 0.0, u + BOUNDS_THRESHOLD > 1.0)
                } else {
                    (u == 0.0, u == 1.0)
                };
                *v = if at_lo {
                    lo
                } else if at_hi {
                    hi
                } else {
                    interp(u, r, &q)
                };
            }
        }
        Ok(out)
    }
}

impl<'a> Fit<ArrayView2<'a, f64>, ()> for QuantileTransformer {
    type Fitted = FittedQuantileTransformer;
    fn fit(&self, x: ArrayView2<'a, f64>, _y: ()) -> Result<Self::Fitted> {
        QuantileTransformer::fit(self, x)
    }
}

impl<'a> Transform<ArrayView2<'a, f64>> for FittedQuantileTransformer {
    type Output = Array2<f64>;
    fn transform(&self, x: ArrayView2<'a, f64>) -> Result<Array2<f64>> {
        FittedQuantileTransformer::transform(self, x)
    }
}

impl Persist for FittedQuantileTransformer {
    const KIND: &'static str = "QuantileTransformer";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features())
            .with_hyperparameters(&self.params)?;
        file.push_f64("quantiles", self.quantiles.clone().into_dyn());
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Format version 1 is the only one so far. The number of quantiles
        // comes from the tensor (the references are linspace(0, 1, it));
        // `take` refuses non-finite values.
        let params: QuantileTransformer = file.hyperparameters()?;
        file.check_hyperparameters(params.validate())?;
        let p = Some(file.n_features()?);
        let quantiles = file.take_array2::<f64>("quantiles", [None, p])?;
        let nq = quantiles.nrows();
        if nq == 0 || nq > params.n_quantiles {
            return Err(file.format_error_at(
                "tensor `quantiles`",
                format!(
                    "{nq} quantiles for n_quantiles = {} (expected 1 to n_quantiles)",
                    params.n_quantiles
                ),
            ));
        }
        for (j, col) in quantiles.axis_iter(Axis(1)).enumerate() {
            if let Some(k) = (1..nq).find(|&k| col[k] < col[k - 1]) {
                return Err(file.format_error_at(
                    format!("tensor `quantiles` at index [{k}, {j}]"),
                    "quantiles must be non-decreasing down each column",
                ));
            }
        }
        Ok(FittedQuantileTransformer {
            params,
            references: references(nq),
            quantiles,
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
    // from scipy import stats
    // from sklearn.preprocessing import QuantileTransformer
    // X = np.array([[1.0, 3.0, 0.5], [2.0, 3.0, np.nan], [2.0, 3.0, 7.0], [2.0, -1.0, 2.5],
    //               [5.0, 3.0, 1.0], [9.0, 8.0, 4.0], [0.0, 3.0, 2.5]])
    // T = np.array([[-1.0, 2.0, 100.0], [1.5, 3.0, 2.5], [9.0, 5.5, 0.5], [3.0, 8.0, np.nan]])
    // q = QuantileTransformer(n_quantiles=5).fit(X)
    // print(q.quantiles_.tolist()); print(q.transform(X).tolist()); print(q.transform(T).tolist())
    // qn = QuantileTransformer(n_quantiles=5, output_distribution='normal').fit(X)
    // print(qn.transform(X).tolist()); print(qn.transform(T).tolist())
    // qa = QuantileTransformer(n_quantiles=1000).fit(X)
    // print(qa.n_quantiles_, qa.quantiles_[:, 0].tolist()); print(qa.transform(T).tolist())
    // U = np.array([[0.0, 0.1, 1.0], [0.25, 0.5, 0.9999], [0.73, 1.0, 0.0]])
    // print(q.inverse_transform(U).tolist())
    // N = np.array([[-5.3, -1.2, 0.0], [0.3, 2.0, 5.3], [1.0, -0.4, 5.1]])
    // print(qn.inverse_transform(N).tolist())
    // print([float(stats.norm.cdf(v)) for v in [-8.0, -5.3, -3.0, -1.2, -0.4, 0.0, 0.3, 1.0, 2.0, 5.1]])"
    fn x() -> Array2<f64> {
        array![
            [1.0, 3.0, 0.5],
            [2.0, 3.0, f64::NAN],
            [2.0, 3.0, 7.0],
            [2.0, -1.0, 2.5],
            [5.0, 3.0, 1.0],
            [9.0, 8.0, 4.0],
            [0.0, 3.0, 2.5]
        ]
    }

    fn t() -> Array2<f64> {
        array![
            [-1.0, 2.0, 100.0],
            [1.5, 3.0, 2.5],
            [9.0, 5.5, 0.5],
            [3.0, 8.0, f64::NAN]
        ]
    }

    const CLIP: f64 = 5.199337582605575;
    const CLIP_HI: f64 = 5.19933758270342;

    #[test]
    fn uniform_output_matches_sklearn() {
        let q = QuantileTransformer::new()
            .n_quantiles(5)
            .fit(x().view())
            .unwrap();
        let want_q = array![
            [0.0, -1.0, 0.5],
            [1.5, 3.0, 1.375],
            [2.0, 3.0, 2.5],
            [3.5, 3.0, 3.625],
            [9.0, 8.0, 7.0]
        ];
        assert_eq!(q.quantiles(), &want_q);
        let nan = f64::NAN;
        let want = array![
            [0.16666666666666669, 0.5, 0.0],
            [0.5, 0.5, nan],
            [0.5, 0.5, 1.0],
            [0.5, 0.0, 0.5],
            [0.8181818181818181, 0.5, 0.14285714285714285],
            [1.0, 1.0, 0.7777777777777778],
            [0.0, 0.5, 0.5]
        ];
        let z = q.transform(x().view()).unwrap();
        assert!(close_rel(&z, &want, 1e-15), "{z}");
        let want = array![
            [0.0, 0.1875, 1.0],
            [0.25, 0.5, 0.5],
            [1.0, 0.875, 0.0],
            [0.6666666666666666, 1.0, nan]
        ];
        let z = q.transform(t().view()).unwrap();
        assert!(close_rel(&z, &want, 1e-15), "{z}");
        let u = array![[0.0, 0.1, 1.0], [0.25, 0.5, 0.9999], [0.73, 1.0, 0.0]];
        let want = array![
            [0.0, 0.6000000000000001, 7.0],
            [1.5, 3.0, 6.99865],
            [3.38, 8.0, 0.5]
        ];
        let back = q.inverse_transform(u.view()).unwrap();
        assert!(close_rel(&back, &want, 1e-15), "{back}");
    }

    #[test]
    fn normal_output_matches_sklearn() {
        let q = QuantileTransformer::new()
            .n_quantiles(5)
            .output_distribution(QuantileOutput::Normal)
            .fit(x().view())
            .unwrap();
        let nan = f64::NAN;
        let want = array![
            [-0.967421566101701, 0.0, -CLIP],
            [0.0, 0.0, nan],
            [0.0, 0.0, CLIP_HI],
            [0.0, -CLIP, 0.0],
            [0.9084578685373849, 0.0, -1.0675705238781414],
            [CLIP_HI, CLIP_HI, 0.7647096737863871],
            [-CLIP, 0.0, 0.0]
        ];
        let z = q.transform(x().view()).unwrap();
        assert!(close_rel(&z, &want, 1e-14), "{z}");
        let want = array![
            [-CLIP, -0.887146559018876, CLIP_HI],
            [-0.6744897501960817, 0.0, 0.0],
            [CLIP_HI, 1.1503493803760079, -CLIP],
            [0.43072729929545744, CLIP_HI, nan]
        ];
        let z = q.transform(t().view()).unwrap();
        assert!(close_rel(&z, &want, 1e-14), "{z}");
        let n = array![[-5.3, -1.2, 0.0], [0.3, 2.0, 5.3], [1.0, -0.4, 5.1]];
        let want = array![
            [0.0, 0.8411147235473315, 2.5],
            [2.7074685331337154, 7.544997361036415, 7.0],
            [5.509584413507945, 3.0, 6.999997707339001]
        ];
        let back = q.inverse_transform(n.view()).unwrap();
        assert!(close_rel(&back, &want, 1e-13), "{back}");
    }

    #[test]
    fn more_quantiles_than_rows_uses_every_row() {
        let q = QuantileTransformer::new().fit(x().view()).unwrap();
        assert_eq!(q.n_quantiles(), 7);
        // numpy's rounding of linspace · 100 / 100 · 6, reproduced.
        assert_eq!(
            q.quantiles().column(0).to_vec(),
            [
                0.0,
                0.9999999999999998,
                1.9999999999999996,
                2.0,
                2.0,
                5.0,
                9.0
            ]
        );
        let want = array![
            [0.0, 0.125, 1.0],
            [0.25000000000000006, 0.5833333333333333, 0.5],
            [1.0, 0.9166666666666666, 0.0],
            [0.7222222222222222, 1.0, f64::NAN]
        ];
        let z = q.transform(t().view()).unwrap();
        assert!(close_rel(&z, &want, 1e-15), "{z}");
    }

    #[test]
    fn norm_cdf_matches_scipy() {
        let z = [-8.0, -5.3, -3.0, -1.2, -0.4, 0.0, 0.3, 1.0, 2.0, 5.1];
        let want = [
            6.22096057427174e-16,
            5.790134039964578e-08,
            0.0013498980316300933,
            0.11506967022170822,
            0.3445782583896758,
            0.5,
            0.6179114221889526,
            0.8413447460685429,
            0.9772498680518208,
            0.9999998301732593,
        ];
        for (z, w) in z.iter().zip(want) {
            let g = norm_cdf(*z);
            assert!((g - w).abs() <= 1e-14 * w, "Φ({z}) = {g}, SciPy {w}");
        }
    }

    #[test]
    fn subsample_is_seeded_and_bounded() {
        let x = Array2::from_shape_fn((500, 2), |(i, j)| ((i * 37 + j * 11) % 101) as f64);
        let p = QuantileTransformer::new()
            .n_quantiles(50)
            .subsample(Some(100));
        let a = p.fit(x.view()).unwrap();
        assert_eq!(a, p.fit(x.view()).unwrap());
        assert_ne!(a, p.seed(7).fit(x.view()).unwrap());
        let all = p.subsample(None).fit(x.view()).unwrap();
        let same = p.subsample(Some(500)).fit(x.view()).unwrap();
        assert_eq!(all.quantiles(), same.quantiles());
        // A subsample of a fifth still spans the data's range roughly.
        let q = a.quantiles();
        assert!(q[[0, 0]] <= 5.0 && q[[49, 0]] >= 95.0, "{q}");
    }

    #[test]
    fn bad_input_and_parameters() {
        for (p, name) in [
            (QuantileTransformer::new().n_quantiles(0), "n_quantiles"),
            (QuantileTransformer::new().subsample(Some(0)), "subsample"),
            (
                QuantileTransformer::new().subsample(Some(10)),
                "n_quantiles",
            ),
        ] {
            assert!(
                matches!(p.fit(x().view()), Err(Error::InvalidParameter { name: n, .. }) if n == name)
            );
        }
        let p = QuantileTransformer::new();
        assert!(matches!(
            p.fit(array![[f64::NAN, 1.0], [f64::NAN, 2.0]].view()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            p.fit(array![[1.0, f64::NEG_INFINITY]].view()),
            Err(Error::NonFinite { .. })
        ));
        assert!(matches!(
            p.fit(Array2::zeros((0, 2)).view()),
            Err(Error::EmptyInput { .. })
        ));
        let f = p.fit(x().view()).unwrap();
        assert!(matches!(
            f.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            f.inverse_transform(array![[1.0, f64::INFINITY, 0.0]].view()),
            Err(Error::NonFinite { .. })
        ));
        // One row: one quantile, everything maps to 0 (the lower bound).
        let one = p.fit(array![[3.0]].view()).unwrap();
        assert_eq!(
            one.transform(array![[3.0], [9.0]].view()).unwrap()[[0, 0]],
            0.0
        );
    }

    #[test]
    fn persist_round_trips_and_rejects_corruption() {
        let q = QuantileTransformer::new()
            .n_quantiles(5)
            .output_distribution(QuantileOutput::Normal)
            .fit(x().view())
            .unwrap();
        assert_eq!(
            FittedQuantileTransformer::from_bytes(&q.to_bytes().unwrap()).unwrap(),
            q
        );
        let mut file = q.to_model_file().unwrap();
        let mut bad = q.quantiles().clone();
        bad[[3, 1]] = -5.0;
        file.push_f64("quantiles", bad.into_dyn());
        let e = FittedQuantileTransformer::from_bytes(&file.to_bytes().unwrap()).unwrap_err();
        assert!(e.to_string().contains("[3, 1]"), "{e}");
        let mut file = q.to_model_file().unwrap();
        file.push_f64("quantiles", Array2::<f64>::zeros((6, 3)).into_dyn());
        assert!(matches!(
            FittedQuantileTransformer::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
    }
}
