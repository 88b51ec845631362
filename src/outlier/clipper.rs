//! [`OutlierClipper`] → [`FittedOutlierClipper`]: per-feature outlier bounds
//! from a simple rule (Tukey's IQR fences or a z-score), to clip values into
//! the bounds or flag the rows that leave them.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};
use crate::preprocessing::stats::{percentile_sorted, sorted_non_nan};
use crate::preprocessing::{check_no_inf, check_transform_nan_ok};

/// How an [`OutlierClipper`] sets each feature's bounds.
///
/// # Example
/// ```
/// use oxilearn::outlier::OutlierRule;
/// assert_eq!(OutlierRule::default(), OutlierRule::Iqr(1.5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierRule {
    /// Tukey's fences: `[Q1 − k·IQR, Q3 + k·IQR]` (quartiles by linear
    /// interpolation, as numpy's percentile).
    Iqr(f64),
    /// `mean ± k·std` (population standard deviation).
    ZScore(f64),
}

impl Default for OutlierRule {
    fn default() -> Self {
        OutlierRule::Iqr(1.5)
    }
}

/// Learns per-feature bounds from a rule; the fitted clipper clips values
/// into them ([`FittedOutlierClipper::transform`]) or flags rows outside
/// them ([`FittedOutlierClipper::predict`], −1 = outlier, +1 = inlier, as
/// scikit-learn's outlier detectors).
///
/// Missing values (NaN) are ignored at fit and stay NaN at transform; they
/// are never outliers.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::outlier::{OutlierClipper, OutlierRule};
///
/// let x = array![[1.0], [2.0], [3.0], [4.0], [100.0]];
/// let c = OutlierClipper::new().fit(x.view())?;
/// assert_eq!((c.lower()[0], c.upper()[0]), (-1.0, 7.0));
/// assert_eq!(c.predict(x.view())?.to_vec(), [1, 1, 1, 1, -1]);
/// assert_eq!(c.transform(x.view())?[[4, 0]], 7.0);
/// let z = OutlierClipper::new().rule(OutlierRule::ZScore(1.5)).fit(x.view())?;
/// assert_eq!(z.predict(x.view())?.iter().filter(|&&p| p == -1).count(), 1);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OutlierClipper {
    pub(crate) rule: OutlierRule,
}

impl OutlierClipper {
    /// Tukey's fences with `k = 1.5`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The rule. Default [`OutlierRule::Iqr`]`(1.5)`.
    pub fn rule(mut self, rule: OutlierRule) -> Self {
        self.rule = rule;
        self
    }

    fn check(&self) -> Result<()> {
        let k = match self.rule {
            OutlierRule::Iqr(k) | OutlierRule::ZScore(k) => k,
        };
        if !(k.is_finite() && k >= 0.0) {
            return Err(Error::invalid(
                "rule",
                format!("the multiplier must be finite and >= 0, got {k}"),
            ));
        }
        Ok(())
    }

    /// Learns each feature's bounds (NaN skipped).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"rule"`) for a negative or non-finite
    /// multiplier; [`Error::EmptyInput`] without rows or columns, or for a
    /// column that is all NaN; [`Error::NonFinite`] on ±inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedOutlierClipper> {
        self.check()?;
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(Error::EmptyInput {
                what: "x (no rows or no features)",
            });
        }
        check_no_inf(x)?;
        let p = x.ncols();
        let (mut lower, mut upper) = (Array1::zeros(p), Array1::zeros(p));
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let v = sorted_non_nan(col.iter().copied());
            if v.is_empty() {
                return Err(Error::EmptyInput {
                    what: "x column (every value is missing)",
                });
            }
            let (lo, hi) = match self.rule {
                OutlierRule::Iqr(k) => {
                    let (q1, q3) = (percentile_sorted(&v, 25.0), percentile_sorted(&v, 75.0));
                    (q1 - k * (q3 - q1), q3 + k * (q3 - q1))
                }
                OutlierRule::ZScore(k) => {
                    let n = v.len() as f64;
                    let m = v.iter().sum::<f64>() / n;
                    let sd = (v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / n).sqrt();
                    (m - k * sd, m + k * sd)
                }
            };
            lower[j] = lo;
            upper[j] = hi;
        }
        Ok(FittedOutlierClipper {
            params: *self,
            lower,
            upper,
        })
    }
}

/// A fitted [`OutlierClipper`]: per-feature `[lower, upper]` bounds.
///
/// # Example
/// ```
/// use oxilearn::outlier::FittedOutlierClipper;
/// use oxilearn::prelude::*;
/// use oxilearn::outlier::OutlierClipper;
///
/// let c = OutlierClipper::new().fit(array![[0.0, 5.0], [1.0, 5.0], [2.0, 5.0]].view())?;
/// let mask = c.outlier_mask(array![[9.0, 5.0]].view())?;
/// assert_eq!(mask.row(0).to_vec(), [true, false]);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-clipper-{}.safetensors", std::process::id()));
/// c.save(&path)?;
/// let back = FittedOutlierClipper::load(&path)?;
/// assert_eq!(back, c);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedOutlierClipper {
    params: OutlierClipper,
    lower: Array1<f64>,
    upper: Array1<f64>,
}

impl FittedOutlierClipper {
    /// Per-feature lower bound.
    pub fn lower(&self) -> &Array1<f64> {
        &self.lower
    }

    /// Per-feature upper bound.
    pub fn upper(&self) -> &Array1<f64> {
        &self.upper
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.lower.len()
    }

    /// The hyperparameters it was fitted with.
    pub fn params(&self) -> &OutlierClipper {
        &self.params
    }

    /// Values clipped into the bounds (NaN stays NaN).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count, [`Error::NonFinite`]
    /// on ±inf.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_transform_nan_ok(x, self.n_features())?;
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            for ((v, &lo), &hi) in row.iter_mut().zip(&self.lower).zip(&self.upper) {
                if !v.is_nan() {
                    *v = v.clamp(lo, hi);
                }
            }
        }
        Ok(out)
    }

    /// `true` where a value lies outside its feature's bounds.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    pub fn outlier_mask(&self, x: ArrayView2<'_, f64>) -> Result<Array2<bool>> {
        check_transform_nan_ok(x, self.n_features())?;
        Ok(Array2::from_shape_fn(x.dim(), |(i, j)| {
            let v = x[[i, j]];
            v < self.lower[j] || v > self.upper[j]
        }))
    }

    /// −1 for rows with any value outside the bounds, +1 otherwise.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<i64>> {
        let mask = self.outlier_mask(x)?;
        Ok(mask
            .rows()
            .into_iter()
            .map(|r| if r.iter().any(|&o| o) { -1 } else { 1 })
            .collect())
    }
}

impl Persist for FittedOutlierClipper {
    const KIND: &'static str = "OutlierClipper";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features())
            .with_hyperparameters(&self.params)?;
        file.push_f64("lower", self.lower.clone().into_dyn());
        file.push_f64("upper", self.upper.clone().into_dyn());
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let p = Some(file.n_features()?);
        let params: OutlierClipper = file.hyperparameters()?;
        let lower = file.take_array1::<f64>("lower", p)?;
        let upper = file.take_array1::<f64>("upper", p)?;
        file.check_hyperparameters(params.check())?;
        // `take` refused non-finite bounds.
        if let Some(j) = (0..lower.len()).find(|&j| lower[j] > upper[j]) {
            return Err(file.format_error_at(
                format!("tensors `lower`/`upper` at index [{j}]"),
                format!("lower bound {} > upper bound {}", lower[j], upper[j]),
            ));
        }
        Ok(FittedOutlierClipper {
            params,
            lower,
            upper,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn bounds_match_numpy_and_act() {
        // python -c "import numpy as np; v = np.array([1., 2., 3., 4., 100., np.nan]);
        //   q1, q3 = np.nanpercentile(v, [25, 75]); print(q1 - 1.5*(q3-q1), q3 + 1.5*(q3-q1))"
        // -1.0 7.0
        // The z-score bounds are checked against mean ± 2·std written out.
        let x = array![[1.0], [2.0], [3.0], [4.0], [100.0], [f64::NAN]];
        let c = OutlierClipper::new().fit(x.view()).unwrap();
        assert_eq!((c.lower()[0], c.upper()[0]), (-1.0, 7.0));
        let t = c.transform(x.view()).unwrap();
        assert_eq!(
            t.column(0).iter().take(5).copied().collect::<Vec<_>>(),
            [1.0, 2.0, 3.0, 4.0, 7.0]
        );
        assert!(t[[5, 0]].is_nan());
        assert_eq!(c.predict(x.view()).unwrap().to_vec(), [1, 1, 1, 1, -1, 1]);
        let z = OutlierClipper::new()
            .rule(OutlierRule::ZScore(2.0))
            .fit(x.view())
            .unwrap();
        let (m, sd) = (
            22.0,
            (((1.0f64 - 22.0).powi(2) + 400.0 + 361.0 + 324.0 + 78.0f64.powi(2)) / 5.0).sqrt(),
        );
        assert!(
            (z.lower()[0] - (m - 2.0 * sd)).abs() < 1e-12
                && (z.upper()[0] - (m + 2.0 * sd)).abs() < 1e-12
        );
    }

    #[test]
    fn errors_and_persistence() {
        let x = array![[1.0, 2.0], [3.0, 5.0]];
        for k in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                OutlierClipper::new()
                    .rule(OutlierRule::Iqr(k))
                    .fit(x.view()),
                Err(Error::InvalidParameter { name: "rule", .. })
            ));
        }
        assert!(matches!(
            OutlierClipper::new().fit(array![[f64::NAN]].view()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            OutlierClipper::new().fit(array![[f64::INFINITY]].view()),
            Err(Error::NonFinite { .. })
        ));
        let c = OutlierClipper::new().fit(x.view()).unwrap();
        assert!(matches!(
            c.predict(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert_eq!(
            FittedOutlierClipper::from_bytes(&c.to_bytes().unwrap()).unwrap(),
            c
        );
        let mut file = c.to_model_file().unwrap();
        file.push_f64("upper", array![0.0, -10.0].into_dyn());
        assert!(matches!(
            FittedOutlierClipper::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
    }
}
