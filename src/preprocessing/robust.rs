//! [`RobustScaler`] → [`FittedRobustScaler`] and [`MaxAbsScaler`] →
//! [`FittedMaxAbsScaler`]: scalers that tolerate outliers or keep sparsity,
//! and skip missing values (NaN) as scikit-learn's do.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::check_loaded_scale;
use super::stats::{median_sorted, norm_ppf, percentile_sorted, sorted_non_nan};
use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};

/// Columns whose scale is below this are "constant" and get scale 1
/// (scikit-learn's `_handle_zeros_in_scale`: `10 · ε`).
const ZERO_SCALE: f64 = 10.0 * f64::EPSILON;

/// Checks fit input: rows and columns present, no ±inf (NaN = missing is
/// allowed).
fn check_fit_nan_ok(x: ArrayView2<'_, f64>) -> Result<()> {
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
    check_no_inf(x)
}

/// `Err(NonFinite)` at the first ±inf (NaN is a missing value, allowed).
pub(crate) fn check_no_inf(x: ArrayView2<'_, f64>) -> Result<()> {
    match x.indexed_iter().find(|(_, v)| v.is_infinite()) {
        Some(((i, j), _)) => Err(Error::NonFinite {
            what: "x",
            index: vec![i, j],
        }),
        None => Ok(()),
    }
}

/// `Err(ShapeMismatch)` unless `x` has `n` columns; `Err(NonFinite)` on ±inf.
pub(crate) fn check_transform_nan_ok(x: ArrayView2<'_, f64>, n: usize) -> Result<()> {
    if x.ncols() != n {
        return Err(Error::ShapeMismatch {
            what: "x features",
            expected: vec![usize::MAX, n],
            got: x.shape().to_vec(),
        });
    }
    check_no_inf(x)
}

/// Scales features by statistics that outliers barely move: subtracts the
/// median and divides by the interquartile range (or another
/// `quantile_range`).
///
/// As scikit-learn's `RobustScaler`: percentiles by linear interpolation
/// (numpy's default), NaN ignored at fit and kept at transform, a range below
/// `10 · ε` replaced by 1; with [`unit_variance`](Self::unit_variance) the
/// range is divided by `Φ⁻¹(q_max) − Φ⁻¹(q_min)` so normal data end with
/// variance 1. A column with only NaN gets centre 0 … NaN: fitting it is an
/// error.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::RobustScaler;
///
/// let x = array![[1.0], [2.0], [3.0], [4.0], [1000.0]];
/// let s = RobustScaler::new().fit(x.view())?;
/// assert_eq!((s.center()[0], s.scale()[0]), (3.0, 2.0));
/// assert_eq!(s.transform(x.view())?.column(0).to_vec(), [-1.0, -0.5, 0.0, 0.5, 498.5]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RobustScaler {
    pub(crate) with_centering: bool,
    pub(crate) with_scaling: bool,
    pub(crate) quantile_range: (f64, f64),
    pub(crate) unit_variance: bool,
}

impl Default for RobustScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl RobustScaler {
    /// Centring on the median and scaling by the IQR (scikit-learn's
    /// defaults).
    pub fn new() -> Self {
        RobustScaler {
            with_centering: true,
            with_scaling: true,
            quantile_range: (25.0, 75.0),
            unit_variance: false,
        }
    }

    /// Whether to subtract the median. Default `true`.
    pub fn with_centering(mut self, yes: bool) -> Self {
        self.with_centering = yes;
        self
    }

    /// Whether to divide by the quantile range. Default `true`.
    pub fn with_scaling(mut self, yes: bool) -> Self {
        self.with_scaling = yes;
        self
    }

    /// The percentiles `(q_min, q_max)` whose difference is the scale;
    /// `0 ≤ q_min ≤ q_max ≤ 100`. Default `(25.0, 75.0)`.
    pub fn quantile_range(mut self, q_min: f64, q_max: f64) -> Self {
        self.quantile_range = (q_min, q_max);
        self
    }

    /// Whether to divide the scale by `Φ⁻¹(q_max) − Φ⁻¹(q_min)`. Default
    /// `false`.
    pub fn unit_variance(mut self, yes: bool) -> Self {
        self.unit_variance = yes;
        self
    }

    fn check(&self) -> Result<()> {
        let (lo, hi) = self.quantile_range;
        if !(0.0 <= lo && lo <= hi && hi <= 100.0) {
            return Err(Error::invalid(
                "quantile_range",
                format!("must satisfy 0 <= q_min <= q_max <= 100, got ({lo}, {hi})"),
            ));
        }
        Ok(())
    }

    /// Learns each column's median and quantile range (NaN skipped).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"quantile_range"`); [`Error::EmptyInput`]
    /// without rows or columns, or for a column that is all NaN;
    /// [`Error::NonFinite`] on ±inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedRobustScaler> {
        self.check()?;
        check_fit_nan_ok(x)?;
        let p = x.ncols();
        let mut center = Array1::zeros(p);
        let mut scale = Array1::ones(p);
        let (q_lo, q_hi) = self.quantile_range;
        let adjust = if self.unit_variance {
            norm_ppf(q_hi / 100.0) - norm_ppf(q_lo / 100.0)
        } else {
            1.0
        };
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let v = sorted_non_nan(col.iter().copied());
            if v.is_empty() {
                return Err(Error::EmptyInput {
                    what: "x column (every value is missing)",
                });
            }
            if self.with_centering {
                center[j] = median_sorted(&v);
            }
            if self.with_scaling {
                let r = percentile_sorted(&v, q_hi) - percentile_sorted(&v, q_lo);
                let r = if r < ZERO_SCALE { 1.0 } else { r };
                scale[j] = r / adjust;
            }
        }
        Ok(FittedRobustScaler {
            params: *self,
            center,
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
}

/// A fitted [`RobustScaler`]: `(x − center) / scale` per column.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedRobustScaler;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::RobustScaler;
///
/// let x = array![[0.0, f64::NAN], [2.0, 1.0], [4.0, 3.0]];
/// let s = RobustScaler::new().fit(x.view())?;
/// let z = s.transform(x.view())?;
/// assert!(z[[0, 1]].is_nan()); // missing stays missing
/// assert_eq!(s.inverse_transform(z.view())?[[2, 0]], 4.0);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-robust-{}.safetensors", std::process::id()));
/// s.save(&path)?;
/// let back = FittedRobustScaler::load(&path)?;
/// assert_eq!(back, s);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedRobustScaler {
    params: RobustScaler,
    center: Array1<f64>,
    scale: Array1<f64>,
}

impl FittedRobustScaler {
    /// Per-column median (zeros without centring).
    pub fn center(&self) -> &Array1<f64> {
        &self.center
    }

    /// Per-column divisor (ones without scaling).
    pub fn scale(&self) -> &Array1<f64> {
        &self.scale
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.center.len()
    }

    /// The hyperparameters it was fitted with.
    pub fn params(&self) -> &RobustScaler {
        &self.params
    }

    /// `(x − center) / scale`; NaN stays NaN.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count, [`Error::NonFinite`]
    /// on ±inf.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_transform_nan_ok(x, self.n_features())?;
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            for ((v, &c), &s) in row.iter_mut().zip(&self.center).zip(&self.scale) {
                *v = (*v - c) / s;
            }
        }
        Ok(out)
    }

    /// `z · scale + center`.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    pub fn inverse_transform(&self, z: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_transform_nan_ok(z, self.n_features())?;
        let mut out = z.to_owned();
        for mut row in out.rows_mut() {
            for ((v, &c), &s) in row.iter_mut().zip(&self.center).zip(&self.scale) {
                *v = *v * s + c;
            }
        }
        Ok(out)
    }
}

impl<'a> Fit<ArrayView2<'a, f64>, ()> for RobustScaler {
    type Fitted = FittedRobustScaler;
    fn fit(&self, x: ArrayView2<'a, f64>, _y: ()) -> Result<Self::Fitted> {
        RobustScaler::fit(self, x)
    }
}

impl<'a> Transform<ArrayView2<'a, f64>> for FittedRobustScaler {
    type Output = Array2<f64>;
    fn transform(&self, x: ArrayView2<'a, f64>) -> Result<Array2<f64>> {
        FittedRobustScaler::transform(self, x)
    }
}

impl Persist for FittedRobustScaler {
    const KIND: &'static str = "RobustScaler";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features())
            .with_hyperparameters(&self.params)?;
        file.push_f64("center", self.center.clone().into_dyn());
        file.push_f64("scale", self.scale.clone().into_dyn());
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let p = Some(file.n_features()?);
        let params: RobustScaler = file.hyperparameters()?;
        file.check_hyperparameters(params.check())?;
        let center = file.take_array1::<f64>("center", p)?;
        let scale = file.take_array1::<f64>("scale", p)?;
        check_loaded_scale(&file, "scale", &scale)?;
        Ok(FittedRobustScaler {
            params,
            center,
            scale,
        })
    }
}

/// Scales each column by its maximum absolute value, into `[-1, 1]`,
/// without shifting (zeros stay zeros).
///
/// As scikit-learn's `MaxAbsScaler`: NaN ignored at fit and kept at
/// transform; an all-zero column gets scale 1.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::MaxAbsScaler;
///
/// let x = array![[1.0, -4.0], [-2.0, 0.0]];
/// let s = MaxAbsScaler::new().fit(x.view())?;
/// assert_eq!(s.transform(x.view())?, array![[0.5, -1.0], [-1.0, 0.0]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxAbsScaler {}

impl MaxAbsScaler {
    /// A max-abs scaler (it has no hyperparameters).
    pub fn new() -> Self {
        MaxAbsScaler {}
    }

    /// Learns each column's maximum absolute value (NaN skipped).
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns, or for a column that is
    /// all NaN; [`Error::NonFinite`] on ±inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedMaxAbsScaler> {
        check_fit_nan_ok(x)?;
        let mut max_abs = Array1::zeros(x.ncols());
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let mut m: Option<f64> = None;
            for &v in col.iter().filter(|v| !v.is_nan()) {
                m = Some(m.map_or(v.abs(), |m| m.max(v.abs())));
            }
            max_abs[j] = m.ok_or(Error::EmptyInput {
                what: "x column (every value is missing)",
            })?;
        }
        let scale = max_abs.mapv(|m: f64| if m < ZERO_SCALE { 1.0 } else { m });
        Ok(FittedMaxAbsScaler { max_abs, scale })
    }

    /// [`fit`](Self::fit), then transforms the same data.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.fit(x)?.transform(x)
    }
}

/// A fitted [`MaxAbsScaler`]: `x / scale` per column.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedMaxAbsScaler;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::MaxAbsScaler;
///
/// let s = MaxAbsScaler::new().fit(array![[0.0], [-8.0]].view())?;
/// assert_eq!((s.max_abs()[0], s.scale()[0]), (8.0, 8.0));
/// assert_eq!(s.inverse_transform(array![[0.5]].view())?, array![[4.0]]);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-maxabs-{}.safetensors", std::process::id()));
/// s.save(&path)?;
/// let back = FittedMaxAbsScaler::load(&path)?;
/// assert_eq!(back, s);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedMaxAbsScaler {
    max_abs: Array1<f64>,
    scale: Array1<f64>,
}

impl FittedMaxAbsScaler {
    /// Per-column maximum absolute value seen at fit.
    pub fn max_abs(&self) -> &Array1<f64> {
        &self.max_abs
    }

    /// Per-column divisor (`max_abs`, or 1 for all-zero columns).
    pub fn scale(&self) -> &Array1<f64> {
        &self.scale
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.scale.len()
    }

    /// `x / scale`; NaN stays NaN.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count, [`Error::NonFinite`]
    /// on ±inf.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_transform_nan_ok(x, self.n_features())?;
        Ok(&x / &self.scale)
    }

    /// `z · scale`.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    pub fn inverse_transform(&self, z: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_transform_nan_ok(z, self.n_features())?;
        Ok(&z * &self.scale)
    }
}

impl<'a> Fit<ArrayView2<'a, f64>, ()> for MaxAbsScaler {
    type Fitted = FittedMaxAbsScaler;
    fn fit(&self, x: ArrayView2<'a, f64>, _y: ()) -> Result<Self::Fitted> {
        MaxAbsScaler::fit(self, x)
    }
}

impl<'a> Transform<ArrayView2<'a, f64>> for FittedMaxAbsScaler {
    type Output = Array2<f64>;
    fn transform(&self, x: ArrayView2<'a, f64>) -> Result<Array2<f64>> {
        FittedMaxAbsScaler::transform(self, x)
    }
}

impl Persist for FittedMaxAbsScaler {
    const KIND: &'static str = "MaxAbsScaler";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features())
            .with_hyperparameters(&MaxAbsScaler::new())?;
        file.push_f64("max_abs", self.max_abs.clone().into_dyn());
        file.push_f64("scale", self.scale.clone().into_dyn());
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let p = Some(file.n_features()?);
        let max_abs = file.take_array1::<f64>("max_abs", p)?;
        let scale = file.take_array1::<f64>("scale", p)?;
        if let Some(j) = max_abs.iter().position(|v| *v < 0.0) {
            return Err(file.format_error_at(
                format!("tensor `max_abs` at index [{j}]"),
                format!("negative maximum absolute value {}", max_abs[j]),
            ));
        }
        check_loaded_scale(&file, "scale", &scale)?;
        Ok(FittedMaxAbsScaler { max_abs, scale })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Slice, array};

    fn same(a: &Array2<f64>, b: &Array2<f64>, tol: f64) -> bool {
        a.shape() == b.shape()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol)
    }

    // Reference values, in the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np
    // from sklearn.preprocessing import RobustScaler, MaxAbsScaler
    // X = np.array([[1., -2., 5., 0.3], [2., 0., 5., np.nan], [4., 7., 5., -0.4],
    //               [0.5, 1., 5., 2.], [10., -3., 5., 0.1]])
    // r = RobustScaler().fit(X); print(r.center_.tolist(), r.scale_.tolist()); print(r.transform(X).tolist())
    // r = RobustScaler(quantile_range=(10, 80), unit_variance=True).fit(X); print(r.center_.tolist(), r.scale_.tolist())
    // print(RobustScaler(with_centering=False).fit(X).transform(X[:2]).tolist())
    // m = MaxAbsScaler().fit(X); print(m.scale_.tolist(), m.max_abs_.tolist()); print(m.transform(X).tolist())"
    fn x_nan() -> Array2<f64> {
        array![
            [1., -2., 5., 0.3],
            [2., 0., 5., f64::NAN],
            [4., 7., 5., -0.4],
            [0.5, 1., 5., 2.],
            [10., -3., 5., 0.1]
        ]
    }

    #[test]
    fn robust_scaler_matches_sklearn() {
        let x = x_nan();
        let r = RobustScaler::new().fit(x.view()).unwrap();
        assert_eq!(r.center(), &array![2.0, 0.0, 5.0, 0.2]);
        assert!(
            (r.scale() - &array![3.0, 3.0, 1.0, 0.75])
                .iter()
                .all(|d| d.abs() < 1e-15)
        );
        let want = array![
            [
                -0.3333333333333333,
                -0.6666666666666666,
                0.0,
                0.1333333333333333
            ],
            [0.0, 0.0, 0.0, f64::NAN],
            [
                0.6666666666666666,
                2.3333333333333335,
                0.0,
                -0.8000000000000002
            ],
            [-0.5, 0.3333333333333333, 0.0, 2.4],
            [2.6666666666666665, -1.0, 0.0, -0.13333333333333333]
        ];
        let z = r.transform(x.view()).unwrap();
        assert!(same(&z, &want, 1e-15), "{z}");
        assert!(same(&r.inverse_transform(z.view()).unwrap(), &x, 1e-15));

        let uv = RobustScaler::new()
            .quantile_range(10.0, 80.0)
            .unit_variance(true)
            .fit(x.view())
            .unwrap();
        let want = [
            2.119469504258156,
            2.2607674712087,
            0.4709932231684791,
            0.5793216644972295,
        ];
        for (g, w) in uv.scale().iter().zip(want) {
            assert!((g - w).abs() < 1e-14 * w, "{g} vs {w}");
        }
        let nc = RobustScaler::new()
            .with_centering(false)
            .fit(x.view())
            .unwrap();
        let want = array![
            [
                0.3333333333333333,
                -0.6666666666666666,
                5.0,
                0.39999999999999997
            ],
            [0.6666666666666666, 0.0, 5.0, f64::NAN]
        ];
        let got = nc
            .transform(x.slice_axis(Axis(0), Slice::from(..2)))
            .unwrap();
        assert!(same(&got, &want, 1e-15), "{got}");
        let ns = RobustScaler::new()
            .with_scaling(false)
            .fit(x.view())
            .unwrap();
        assert_eq!(ns.scale(), &Array1::<f64>::ones(4));
    }

    #[test]
    fn max_abs_scaler_matches_sklearn() {
        let x = x_nan();
        let m = MaxAbsScaler::new().fit(x.view()).unwrap();
        assert_eq!(m.scale(), &array![10.0, 7.0, 5.0, 2.0]);
        let want = array![
            [0.1, -0.2857142857142857, 1.0, 0.15],
            [0.2, 0.0, 1.0, f64::NAN],
            [0.4, 1.0, 1.0, -0.2],
            [0.05, 0.14285714285714285, 1.0, 1.0],
            [1.0, -0.42857142857142855, 1.0, 0.05]
        ];
        assert!(same(&m.transform(x.view()).unwrap(), &want, 1e-16));
        let zero = MaxAbsScaler::new()
            .fit(array![[0.0], [0.0]].view())
            .unwrap();
        assert_eq!((zero.max_abs()[0], zero.scale()[0]), (0.0, 1.0));
    }

    #[test]
    fn bad_input_and_parameters() {
        for (lo, hi) in [(-1.0, 50.0), (60.0, 40.0), (0.0, 101.0), (f64::NAN, 50.0)] {
            assert!(matches!(
                RobustScaler::new()
                    .quantile_range(lo, hi)
                    .fit(x_nan().view()),
                Err(Error::InvalidParameter {
                    name: "quantile_range",
                    ..
                })
            ));
        }
        let all_nan = array![[f64::NAN, 1.0], [f64::NAN, 2.0]];
        assert!(matches!(
            RobustScaler::new().fit(all_nan.view()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            MaxAbsScaler::new().fit(all_nan.view()),
            Err(Error::EmptyInput { .. })
        ));
        let inf = array![[1.0, f64::INFINITY]];
        assert!(matches!(
            RobustScaler::new().fit(inf.view()),
            Err(Error::NonFinite { index, .. }) if index == vec![0, 1]
        ));
        assert!(matches!(
            MaxAbsScaler::new().fit(inf.view()),
            Err(Error::NonFinite { .. })
        ));
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            RobustScaler::new().fit(empty.view()),
            Err(Error::EmptyInput { .. })
        ));
        let r = RobustScaler::new().fit(x_nan().view()).unwrap();
        assert!(matches!(
            r.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        let m = MaxAbsScaler::new().fit(x_nan().view()).unwrap();
        assert!(matches!(
            m.transform(inf.view()),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn persist_round_trips_and_rejects_corruption() {
        let r = RobustScaler::new()
            .unit_variance(true)
            .fit(x_nan().view())
            .unwrap();
        assert_eq!(
            FittedRobustScaler::from_bytes(&r.to_bytes().unwrap()).unwrap(),
            r
        );
        let m = MaxAbsScaler::new().fit(x_nan().view()).unwrap();
        assert_eq!(
            FittedMaxAbsScaler::from_bytes(&m.to_bytes().unwrap()).unwrap(),
            m
        );
        let mut file = r.to_model_file().unwrap();
        file.push_f64("scale", array![1.0, -1.0, 1.0, 1.0].into_dyn());
        assert!(matches!(
            FittedRobustScaler::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
        assert!(matches!(
            FittedMaxAbsScaler::from_bytes(&r.to_bytes().unwrap()),
            Err(Error::WrongModelKind { .. })
        ));
    }
}
