//! Feature scaling and label encoding, with scikit-learn's semantics.
//!
//! - [`StandardScaler`] → [`FittedStandardScaler`]: `(x - mean) / std`, the
//!   population standard deviation (ddof = 0); constant columns get scale 1.
//! - [`MinMaxScaler`] → [`FittedMinMaxScaler`]: maps each column's
//!   `[min, max]` onto a feature range (default `[0, 1]`); constant columns map
//!   to the range's lower end.
//! - [`LabelEncoder`] → [`FittedLabelEncoder`]: labels of any ordered type to
//!   codes `0..n_classes` (classes sorted) and back.
//!
//! Fitting validates the data once (empty → [`Error::EmptyInput`], NaN/inf →
//! [`Error::NonFinite`]); transforming checks the feature count
//! ([`Error::ShapeMismatch`]). Fitted scalers and encoders save and load
//! through [`Persist`](crate::persist::Persist).
//!
//! # Example
//! ```
//! use oxilearn::prelude::*;
//! use oxilearn::preprocessing::{MinMaxScaler, StandardScaler};
//!
//! let x = array![[1.0f64, 10.0], [2.0, 10.0], [3.0, 10.0]];
//! let scaler = StandardScaler::new().fit(x.view())?;
//! let z = scaler.transform(x.view())?;
//! assert!((z[[0, 0]] + 1.224744871391589).abs() < 1e-12);
//! assert_eq!(z.column(1).to_vec(), vec![0.0; 3]); // constant column: scale 1
//! assert_eq!(scaler.inverse_transform(z.view())?, x);
//!
//! let m = MinMaxScaler::new().fit(x.view())?.transform(x.view())?;
//! assert_eq!(m.column(0).to_vec(), vec![0.0, 0.5, 1.0]);
//! # Ok::<(), oxilearn::Error>(())
//! ```

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::error::{Error, Result};
use crate::linalg::Float;
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};
use crate::validation;

// ---------------------------------------------------------------------------
// StandardScaler
// ---------------------------------------------------------------------------

/// Standardises features: `z = (x - mean) / std` per column.
///
/// As scikit-learn's `StandardScaler`: `std` is the population standard
/// deviation (ddof = 0, accumulated in `f64`), and a column that is constant
/// up to rounding (variance within the two-pass algorithm's error bound) gets
/// scale 1, so it maps to 0 instead of dividing by ~0.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::StandardScaler;
///
/// let x = array![[0.0f32, 1.0], [2.0, 3.0]];
/// let fitted = StandardScaler::new().with_std(false).fit(x.view())?;
/// assert_eq!(fitted.transform(x.view())?, array![[-1.0f32, -1.0], [1.0, 1.0]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardScaler {
    with_mean: bool,
    with_std: bool,
}

impl Default for StandardScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl StandardScaler {
    /// A scaler that centres and scales (scikit-learn's defaults).
    pub fn new() -> Self {
        StandardScaler {
            with_mean: true,
            with_std: true,
        }
    }

    /// Whether to subtract the mean. Default `true`.
    pub fn with_mean(mut self, yes: bool) -> Self {
        self.with_mean = yes;
        self
    }

    /// Whether to divide by the standard deviation. Default `true`. When
    /// `false`, [`FittedStandardScaler::scale`] is all ones (the variance is
    /// still computed and reported by `var()`).
    pub fn with_std(mut self, yes: bool) -> Self {
        self.with_std = yes;
        self
    }

    /// Learns each column's mean and standard deviation.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns, [`Error::NonFinite`]
    /// on NaN/inf.
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedStandardScaler<F>> {
        validation::check_records(x)?;
        let n = x.nrows();
        let nf = n as f64;
        let eps = f64::EPSILON;
        let p = x.ncols();
        let mut mean = Array1::<F>::zeros(p);
        let mut var = Array1::<F>::zeros(p);
        let mut scale = Array1::<F>::ones(p);
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let m = col.iter().map(|v| v.to_f64_exact()).sum::<f64>() / nf;
            // Two-pass variance with the compensating term (Chan, Golub, LeVeque).
            let (sq, lin) = col.iter().fold((0.0, 0.0), |(sq, lin), v| {
                let d = v.to_f64_exact() - m;
                (sq + d * d, lin + d)
            });
            let v = ((sq - lin * lin / nf) / nf).max(0.0);
            mean[j] = F::from_f64_lossy(m);
            var[j] = F::from_f64_lossy(v);
            let constant = v <= nf * eps * v + (nf * m * eps).powi(2);
            if self.with_std && !constant {
                scale[j] = F::from_f64_lossy(v.sqrt());
            }
        }
        Ok(FittedStandardScaler {
            params: *self,
            mean,
            var,
            scale,
            n_samples_seen: n,
        })
    }

    /// [`fit`](Self::fit), then transforms the same data.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.fit(x)?.transform(x)
    }
}

/// A fitted [`StandardScaler`]: per-column mean, variance and scale.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::StandardScaler;
///
/// let x = array![[1.0, -1.0], [3.0, 1.0]];
/// let s = StandardScaler::new().fit(x.view())?;
/// assert_eq!(s.mean(), &array![2.0, 0.0]);
/// assert_eq!(s.var(), &array![1.0, 1.0]);
/// assert_eq!(s.scale(), &array![1.0, 1.0]);
/// assert_eq!(s.transform(x.view())?, array![[-1.0, -1.0], [1.0, 1.0]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedStandardScaler<F> {
    params: StandardScaler,
    mean: Array1<F>,
    var: Array1<F>,
    scale: Array1<F>,
    n_samples_seen: usize,
}

impl<F: Float> FittedStandardScaler<F> {
    /// Per-column mean (computed even when `with_mean` is `false`).
    pub fn mean(&self) -> &Array1<F> {
        &self.mean
    }

    /// Per-column population variance (ddof = 0).
    pub fn var(&self) -> &Array1<F> {
        &self.var
    }

    /// Per-column divisor: the standard deviation, 1 for constant columns,
    /// all ones when `with_std` is `false`.
    pub fn scale(&self) -> &Array1<F> {
        &self.scale
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// Number of rows seen at fit.
    pub fn n_samples_seen(&self) -> usize {
        self.n_samples_seen
    }

    /// The hyperparameters it was fitted with.
    pub fn params(&self) -> &StandardScaler {
        &self.params
    }

    fn offset(&self) -> Array1<F> {
        if self.params.with_mean {
            self.mean.clone()
        } else {
            Array1::zeros(self.mean.len())
        }
    }

    /// Standardises `x`: `(x - mean) / scale` (mean subtracted only with
    /// `with_mean`). Zero rows give an empty result.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count, [`Error::NonFinite`]
    /// on NaN/inf.
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validation::check_predict_input(x, self.n_features())?;
        let offset = self.offset();
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(&offset)
                .and(&self.scale)
                .for_each(|v, &m, &s| *v = (*v - m) / s);
        }
        Ok(out)
    }

    /// Undoes [`transform`](Self::transform): `z * scale + mean`.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    pub fn inverse_transform(&self, z: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validation::check_predict_input(z, self.n_features())?;
        let offset = self.offset();
        let mut out = z.to_owned();
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(&offset)
                .and(&self.scale)
                .for_each(|v, &m, &s| *v = *v * s + m);
        }
        Ok(out)
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ()> for StandardScaler {
    type Fitted = FittedStandardScaler<F>;
    fn fit(&self, x: ArrayView2<'a, F>, _y: ()) -> Result<Self::Fitted> {
        StandardScaler::fit(self, x)
    }
}

impl<'a, F: Float> Transform<ArrayView2<'a, F>> for FittedStandardScaler<F> {
    type Output = Array2<F>;
    fn transform(&self, x: ArrayView2<'a, F>) -> Result<Array2<F>> {
        FittedStandardScaler::transform(self, x)
    }
}

/// `Err(Format)` unless every value is finite and `> 0`.
fn check_loaded_scale<F: Float>(kind: &str, name: &str, a: &Array1<F>) -> Result<()> {
    if a.iter().all(|v| v.is_finite() && *v > F::zero()) {
        return Ok(());
    }
    Err(Error::format(
        "model file",
        format!("{kind} tensor `{name}` must hold finite positive values"),
    ))
}

/// `Err(Format)` unless every value is finite.
fn check_loaded_finite<F: Float>(kind: &str, name: &str, a: &Array1<F>) -> Result<()> {
    if a.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    Err(Error::format(
        "model file",
        format!("{kind} tensor `{name}` must hold finite values"),
    ))
}

impl<F: Float> Persist for FittedStandardScaler<F> {
    const KIND: &'static str = "StandardScaler";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, F::NAME)
            .with_n_features(self.n_features())
            .with_hyperparameters(&self.params)?;
        file.push_float("mean", self.mean.clone().into_dyn());
        file.push_float("var", self.var.clone().into_dyn());
        file.push_float("scale", self.scale.clone().into_dyn());
        file.push_i64(
            "n_samples_seen",
            ndarray::arr1(&[self.n_samples_seen as i64]).into_dyn(),
        );
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Format version 1 is the only one so far.
        let p = Some(file.n_features()?);
        let params: StandardScaler = file.hyperparameters()?;
        let mean = file.take_array1::<F>("mean", p)?;
        let var = file.take_array1::<F>("var", p)?;
        let scale = file.take_array1::<F>("scale", p)?;
        let n_seen = take_count(&mut file, "n_samples_seen")?;
        check_loaded_finite(Self::KIND, "mean", &mean)?;
        check_loaded_finite(Self::KIND, "var", &var)?;
        check_loaded_scale(Self::KIND, "scale", &scale)?;
        Ok(FittedStandardScaler {
            params,
            mean,
            var,
            scale,
            n_samples_seen: n_seen,
        })
    }
}

/// Takes a one-element non-negative `i64` tensor.
fn take_count(file: &mut ModelFile, name: &str) -> Result<usize> {
    let a = file.take_i64(name)?;
    file.check_shape(name, a.shape(), &[Some(1)])?;
    usize::try_from(a[[0]]).map_err(|_| {
        Error::format(
            "model file",
            format!("tensor `{name}` must be non-negative, got {}", a[[0]]),
        )
    })
}

// ---------------------------------------------------------------------------
// MinMaxScaler
// ---------------------------------------------------------------------------

/// Scales each column's `[min, max]` onto a feature range (default `[0, 1]`).
///
/// As scikit-learn's `MinMaxScaler`: `x * scale + min` with
/// `scale = (hi - lo) / (max - min)`; a column whose range is below
/// `10 · ε` of the float type gets scale 1, so it maps to `lo`. With
/// [`clip`](Self::clip), transformed values outside the range are clipped.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::MinMaxScaler;
///
/// let x = array![[1.0, 5.0], [3.0, 5.0]];
/// let s = MinMaxScaler::new().feature_range(-1.0, 1.0).fit(x.view())?;
/// assert_eq!(s.transform(x.view())?, array![[-1.0, -1.0], [1.0, -1.0]]);
/// assert_eq!(s.data_min(), &array![1.0, 5.0]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinMaxScaler {
    feature_range: (f64, f64),
    clip: bool,
}

impl Default for MinMaxScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl MinMaxScaler {
    /// A scaler onto `[0, 1]` without clipping (scikit-learn's defaults).
    pub fn new() -> Self {
        MinMaxScaler {
            feature_range: (0.0, 1.0),
            clip: false,
        }
    }

    /// The target range `(min, max)`; `fit` requires finite `min < max`.
    /// Default `(0.0, 1.0)`.
    pub fn feature_range(mut self, min: f64, max: f64) -> Self {
        self.feature_range = (min, max);
        self
    }

    /// Whether `transform` clips its output to the feature range. Default
    /// `false`.
    pub fn clip(mut self, yes: bool) -> Self {
        self.clip = yes;
        self
    }

    /// Learns each column's minimum and maximum.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"feature_range"`) unless finite
    /// `min < max`; [`Error::EmptyInput`], [`Error::NonFinite`] for bad data.
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedMinMaxScaler<F>> {
        let (lo, hi) = self.feature_range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::invalid(
                "feature_range",
                format!("must be finite with min < max, got ({lo}, {hi})"),
            ));
        }
        validation::check_records(x)?;
        let p = x.ncols();
        let mut data_min = Array1::<F>::zeros(p);
        let mut data_max = Array1::<F>::zeros(p);
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let first = col[0];
            let (mn, mx) = col
                .iter()
                .fold((first, first), |(mn, mx), &v| (mn.min(v), mx.max(v)));
            data_min[j] = mn;
            data_max[j] = mx;
        }
        let (lo_f, hi_f) = (F::from_f64_lossy(lo), F::from_f64_lossy(hi));
        let ten_eps = F::from_f64_lossy(10.0) * F::epsilon();
        let data_range = &data_max - &data_min;
        let scale = data_range.mapv(|r| (hi_f - lo_f) / if r < ten_eps { F::one() } else { r });
        let min = Zip::from(&data_min)
            .and(&scale)
            .map_collect(|&m, &s| lo_f - m * s);
        Ok(FittedMinMaxScaler {
            params: *self,
            data_min,
            data_max,
            scale,
            min,
        })
    }

    /// [`fit`](Self::fit), then transforms the same data.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.fit(x)?.transform(x)
    }
}

/// A fitted [`MinMaxScaler`]: `x * scale() + min()` per column.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::MinMaxScaler;
///
/// let x = array![[0.0f32], [4.0]];
/// let s = MinMaxScaler::new().fit(x.view())?;
/// assert_eq!((s.scale()[0], s.min()[0]), (0.25, 0.0));
/// assert_eq!(s.inverse_transform(array![[0.5f32]].view())?, array![[2.0f32]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedMinMaxScaler<F> {
    params: MinMaxScaler,
    data_min: Array1<F>,
    data_max: Array1<F>,
    scale: Array1<F>,
    min: Array1<F>,
}

impl<F: Float> FittedMinMaxScaler<F> {
    /// Per-column minimum seen at fit.
    pub fn data_min(&self) -> &Array1<F> {
        &self.data_min
    }

    /// Per-column maximum seen at fit.
    pub fn data_max(&self) -> &Array1<F> {
        &self.data_max
    }

    /// Per-column `data_max - data_min`.
    pub fn data_range(&self) -> Array1<F> {
        &self.data_max - &self.data_min
    }

    /// Per-column multiplier.
    pub fn scale(&self) -> &Array1<F> {
        &self.scale
    }

    /// Per-column offset added after scaling (scikit-learn's `min_`).
    pub fn min(&self) -> &Array1<F> {
        &self.min
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.scale.len()
    }

    /// The hyperparameters it was fitted with.
    pub fn params(&self) -> &MinMaxScaler {
        &self.params
    }

    /// Scales `x` into the feature range (values outside the fitted min/max
    /// fall outside it unless `clip` is set).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count, [`Error::NonFinite`]
    /// on NaN/inf.
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validation::check_predict_input(x, self.n_features())?;
        let (lo, hi) = self.params.feature_range;
        let (lo, hi) = (F::from_f64_lossy(lo), F::from_f64_lossy(hi));
        let clip = self.params.clip;
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(&self.scale)
                .and(&self.min)
                .for_each(|v, &s, &m| {
                    *v = *v * s + m;
                    if clip {
                        *v = v.max(lo).min(hi);
                    }
                });
        }
        Ok(out)
    }

    /// Undoes [`transform`](Self::transform): `(z - min) / scale`.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    pub fn inverse_transform(&self, z: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validation::check_predict_input(z, self.n_features())?;
        let mut out = z.to_owned();
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(&self.scale)
                .and(&self.min)
                .for_each(|v, &s, &m| *v = (*v - m) / s);
        }
        Ok(out)
    }
}

impl<'a, F: Float> Fit<ArrayView2<'a, F>, ()> for MinMaxScaler {
    type Fitted = FittedMinMaxScaler<F>;
    fn fit(&self, x: ArrayView2<'a, F>, _y: ()) -> Result<Self::Fitted> {
        MinMaxScaler::fit(self, x)
    }
}

impl<'a, F: Float> Transform<ArrayView2<'a, F>> for FittedMinMaxScaler<F> {
    type Output = Array2<F>;
    fn transform(&self, x: ArrayView2<'a, F>) -> Result<Array2<F>> {
        FittedMinMaxScaler::transform(self, x)
    }
}

impl<F: Float> Persist for FittedMinMaxScaler<F> {
    const KIND: &'static str = "MinMaxScaler";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, F::NAME)
            .with_n_features(self.n_features())
            .with_hyperparameters(&self.params)?;
        file.push_float("data_min", self.data_min.clone().into_dyn());
        file.push_float("data_max", self.data_max.clone().into_dyn());
        file.push_float("scale", self.scale.clone().into_dyn());
        file.push_float("min", self.min.clone().into_dyn());
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Format version 1 is the only one so far.
        let p = Some(file.n_features()?);
        let params: MinMaxScaler = file.hyperparameters()?;
        let (lo, hi) = params.feature_range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::format(
                "model file",
                format!("MinMaxScaler feature_range ({lo}, {hi}) is invalid"),
            ));
        }
        let data_min = file.take_array1::<F>("data_min", p)?;
        let data_max = file.take_array1::<F>("data_max", p)?;
        let scale = file.take_array1::<F>("scale", p)?;
        let min = file.take_array1::<F>("min", p)?;
        check_loaded_finite(Self::KIND, "data_min", &data_min)?;
        check_loaded_finite(Self::KIND, "data_max", &data_max)?;
        check_loaded_scale(Self::KIND, "scale", &scale)?;
        check_loaded_finite(Self::KIND, "min", &min)?;
        Ok(FittedMinMaxScaler {
            params,
            data_min,
            data_max,
            scale,
            min,
        })
    }
}

// ---------------------------------------------------------------------------
// LabelEncoder
// ---------------------------------------------------------------------------

/// Encodes labels of any ordered type as codes `0..n_classes`.
///
/// Classes are the sorted distinct labels seen at fit; code `i` stands for
/// `classes()[i]` (scikit-learn's `LabelEncoder`). A single class is allowed.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::LabelEncoder;
///
/// let y = array!["spam", "ham", "spam", "eggs"];
/// let enc = LabelEncoder::new().fit(y.view())?;
/// assert_eq!(enc.classes(), &["eggs", "ham", "spam"]);
/// let codes = enc.transform(y.view())?;
/// assert_eq!(codes, array![2, 1, 2, 0]);
/// assert_eq!(enc.inverse_transform(codes.view())?, y);
/// assert!(enc.transform(array!["bacon"].view()).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelEncoder;

impl LabelEncoder {
    /// A label encoder (it has no hyperparameters).
    pub fn new() -> Self {
        LabelEncoder
    }

    /// Learns the sorted distinct labels of `y`.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] when `y` is empty.
    pub fn fit<T: Clone + Ord>(&self, y: ArrayView1<'_, T>) -> Result<FittedLabelEncoder<T>> {
        let (classes, _) = validation::encode_labels(y, 1)?;
        Ok(FittedLabelEncoder { classes })
    }

    /// Fits and returns the codes of `y` together with the fitted encoder.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform<T: Clone + Ord>(
        &self,
        y: ArrayView1<'_, T>,
    ) -> Result<(FittedLabelEncoder<T>, Array1<usize>)> {
        let (classes, codes) = validation::encode_labels(y, 1)?;
        Ok((FittedLabelEncoder { classes }, Array1::from(codes)))
    }
}

/// A fitted [`LabelEncoder`]: the sorted classes.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::LabelEncoder;
///
/// let enc = LabelEncoder::new().fit(array![3, 1, 3].view())?;
/// assert_eq!((enc.n_classes(), enc.classes()), (2, &[1, 3][..]));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedLabelEncoder<T> {
    classes: Vec<T>,
}

impl<T: Clone + Ord> FittedLabelEncoder<T> {
    /// The distinct labels seen at fit, sorted; code `i` is `classes()[i]`.
    pub fn classes(&self) -> &[T] {
        &self.classes
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// The code of each label.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"y"`) naming the index of the first
    /// label not seen at fit.
    pub fn transform(&self, y: ArrayView1<'_, T>) -> Result<Array1<usize>> {
        let mut out = Array1::zeros(y.len());
        for (i, (o, label)) in out.iter_mut().zip(y.iter()).enumerate() {
            *o = self.classes.binary_search(label).map_err(|_| {
                Error::invalid(
                    "y",
                    format!(
                        "label at index {i} was not seen at fit ({} classes known)",
                        self.classes.len()
                    ),
                )
            })?;
        }
        Ok(out)
    }

    /// The label of each code.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"codes"`) for a code `>= n_classes()`.
    pub fn inverse_transform(&self, codes: ArrayView1<'_, usize>) -> Result<Array1<T>> {
        let labels = codes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                self.classes.get(c).cloned().ok_or_else(|| {
                    Error::invalid(
                        "codes",
                        format!(
                            "code {c} at index {i} is out of range (n_classes = {})",
                            self.classes.len()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<T>>>()?;
        Ok(Array1::from(labels))
    }
}

impl<'a, T: Clone + Ord> Fit<ArrayView1<'a, T>, ()> for LabelEncoder {
    type Fitted = FittedLabelEncoder<T>;
    fn fit(&self, y: ArrayView1<'a, T>, _: ()) -> Result<Self::Fitted> {
        LabelEncoder::fit(self, y)
    }
}

impl<'a, T: Clone + Ord> Transform<ArrayView1<'a, T>> for FittedLabelEncoder<T> {
    type Output = Array1<usize>;
    fn transform(&self, y: ArrayView1<'a, T>) -> Result<Array1<usize>> {
        FittedLabelEncoder::transform(self, y)
    }
}

impl<T: Clone + Ord + Serialize + DeserializeOwned> Persist for FittedLabelEncoder<T> {
    const KIND: &'static str = "LabelEncoder";

    fn to_model_file(&self) -> Result<ModelFile> {
        ModelFile::new(Self::KIND, "none").with_classes(&self.classes)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        let classes: Vec<T> = file.classes()?;
        if classes.is_empty() || !classes.windows(2).all(|w| w[0] < w[1]) {
            return Err(Error::format(
                "model file",
                "LabelEncoder classes must be non-empty, sorted and distinct",
            ));
        }
        Ok(FittedLabelEncoder { classes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: &Array2<f64>, b: &Array2<f64>, tol: f64) -> bool {
        a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    // Reference values:
    // /root/peers-venv/bin/python -c "
    // import numpy as np
    // from sklearn.preprocessing import StandardScaler, MinMaxScaler
    // X = np.array([[1., -2., 5., 0.3], [2., 0., 5., 0.1], [4., 7., 5., -0.4], [0.5, 1., 5., 2.]])
    // s = StandardScaler().fit(X)
    // print(s.mean_.tolist(), s.var_.tolist(), s.scale_.tolist()); print(s.transform(X).tolist())
    // m = MinMaxScaler(feature_range=(-1, 2)).fit(X)
    // print(m.scale_.tolist(), m.min_.tolist()); print(m.transform(X).tolist())
    // print(m.transform(np.array([[5., -3., 6., 0.]])).tolist())
    // print(MinMaxScaler(clip=True).fit(X).transform(np.array([[5., -3., 6., 0.]])).tolist())
    // print(StandardScaler().fit(np.array([[0.1 + 0.2], [0.3], [0.3]])).scale_)  # [1.]"
    fn x_ref() -> Array2<f64> {
        array![
            [1., -2., 5., 0.3],
            [2., 0., 5., 0.1],
            [4., 7., 5., -0.4],
            [0.5, 1., 5., 2.]
        ]
    }

    #[test]
    fn standard_scaler_matches_sklearn() {
        let s = StandardScaler::new().fit(x_ref().view()).unwrap();
        let mean = array![1.875, 1.5, 5.0, 0.5];
        let var = array![1.796875, 11.25, 0.0, 0.815];
        let scale = array![
            1.340475661845451,
            3.3541019662496847,
            1.0,
            0.9027735042633894
        ];
        let z = array![
            [
                -0.6527533657682196,
                -1.0434983894999017,
                0.0,
                -0.22153951024868454
            ],
            [
                0.09325048082403138,
                -0.4472135954999579,
                0.0,
                -0.4430790204973691
            ],
            [
                1.5852581740085334,
                1.6397831834998458,
                0.0,
                -0.9969277961190803
            ],
            [
                -1.025755289064345,
                -0.14907119849998599,
                0.0,
                1.6615463268651338
            ]
        ];
        let e = 1e-12;
        assert!(s.mean().iter().zip(&mean).all(|(a, b)| (a - b).abs() < e));
        assert!(s.var().iter().zip(&var).all(|(a, b)| (a - b).abs() < e));
        assert!(s.scale().iter().zip(&scale).all(|(a, b)| (a - b).abs() < e));
        let t = s.transform(x_ref().view()).unwrap();
        assert!(close(&t, &z, 1e-12), "{t}");
        let back = s.inverse_transform(t.view()).unwrap();
        assert!(close(&back, &x_ref(), 1e-12));
        assert_eq!((s.n_features(), s.n_samples_seen()), (4, 4));
    }

    #[test]
    fn standard_scaler_options() {
        let x = x_ref();
        let no_mean = StandardScaler::new()
            .with_mean(false)
            .fit(x.view())
            .unwrap();
        let t = no_mean.transform(x.view()).unwrap();
        assert!((t[[0, 0]] - 1.0 / 1.3404756618454512).abs() < 1e-12);
        let no_std = StandardScaler::new().with_std(false).fit(x.view()).unwrap();
        assert_eq!(no_std.scale(), &Array1::<f64>::ones(4));
        assert!((no_std.var()[1] - 11.25).abs() < 1e-12);
        let t = no_std.transform(x.view()).unwrap();
        assert!((t[[0, 0]] - (1.0 - 1.875)).abs() < 1e-12);
        let neither = StandardScaler::new()
            .with_mean(false)
            .with_std(false)
            .fit_transform(x.view())
            .unwrap();
        assert_eq!(neither, x);
    }

    #[test]
    fn standard_scaler_near_constant_column_gets_scale_one() {
        // A column whose variance is pure rounding noise.
        let x = array![[0.1 + 0.2], [0.3], [0.3]];
        let s = StandardScaler::new().fit(x.view()).unwrap();
        assert_eq!(s.scale()[0], 1.0);
        let x32 = array![[1e6f32], [1e6], [1e6]];
        let s = StandardScaler::new().fit(x32.view()).unwrap();
        assert_eq!((s.scale()[0], s.var()[0]), (1.0, 0.0));
        assert_eq!(
            s.transform(x32.view()).unwrap(),
            Array2::<f32>::zeros((3, 1))
        );
    }

    #[test]
    fn minmax_scaler_matches_sklearn() {
        let m = MinMaxScaler::new()
            .feature_range(-1.0, 2.0)
            .fit(x_ref().view())
            .unwrap();
        let scale = array![0.8571428571428571, 0.3333333333333333, 3.0, 1.25];
        let min = array![-1.4285714285714286, -0.33333333333333337, -16.0, -0.5];
        let z = array![
            [-0.5714285714285715, -1.0, -1.0, -0.125],
            [0.2857142857142856, -0.33333333333333337, -1.0, -0.375],
            [1.9999999999999998, 1.9999999999999996, -1.0, -1.0],
            [-1.0, -5.551115123125783e-17, -1.0, 2.0]
        ];
        assert!(
            m.scale()
                .iter()
                .zip(&scale)
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        assert!(m.min().iter().zip(&min).all(|(a, b)| (a - b).abs() < 1e-12));
        let t = m.transform(x_ref().view()).unwrap();
        assert!(close(&t, &z, 1e-12), "{t}");
        assert!(close(
            &m.inverse_transform(t.view()).unwrap(),
            &x_ref(),
            1e-12
        ));
        let out = m.transform(array![[5., -3., 6., 0.]].view()).unwrap();
        let want = array![[2.8571428571428568, -1.3333333333333335, 2.0, -0.5]];
        assert!(close(&out, &want, 1e-12), "{out}");
        let clipped = MinMaxScaler::new()
            .clip(true)
            .fit(x_ref().view())
            .unwrap()
            .transform(array![[5., -3., 6., 0.]].view())
            .unwrap();
        assert!(close(
            &clipped,
            &array![[1.0, 0.0, 1.0, 0.16666666666666669]],
            1e-12
        ));
        assert_eq!(m.data_range(), array![3.5, 9., 0., 2.4]);
    }

    #[test]
    fn minmax_rejects_bad_range() {
        let x = x_ref();
        for (lo, hi) in [
            (1.0, 1.0),
            (2.0, 1.0),
            (f64::NAN, 1.0),
            (0.0, f64::INFINITY),
        ] {
            assert!(matches!(
                MinMaxScaler::new().feature_range(lo, hi).fit(x.view()),
                Err(Error::InvalidParameter {
                    name: "feature_range",
                    ..
                })
            ));
        }
    }

    #[test]
    fn scalers_reject_bad_data() {
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            StandardScaler::new().fit(empty.view()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            MinMaxScaler::new().fit(empty.view()),
            Err(Error::EmptyInput { .. })
        ));
        let no_cols = Array2::<f32>::zeros((3, 0));
        assert!(matches!(
            StandardScaler::new().fit(no_cols.view()),
            Err(Error::EmptyInput { .. })
        ));
        let nan = array![[1.0, f64::NAN]];
        assert!(
            matches!(StandardScaler::new().fit(nan.view()), Err(Error::NonFinite { index, .. }) if index == vec![0, 1])
        );
        assert!(matches!(
            MinMaxScaler::new().fit(nan.view()),
            Err(Error::NonFinite { .. })
        ));
        let s = StandardScaler::new().fit(x_ref().view()).unwrap();
        assert!(matches!(
            s.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            s.inverse_transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        let inf = array![[1.0, 2.0, f64::INFINITY, 0.0]];
        assert!(matches!(
            s.transform(inf.view()),
            Err(Error::NonFinite { .. })
        ));
        // Zero rows transform to zero rows.
        assert_eq!(
            s.transform(Array2::zeros((0, 4)).view()).unwrap().shape(),
            &[0, 4]
        );
    }

    #[test]
    fn label_encoder_round_trip_and_errors() {
        let y = array![10, -3, 10, 7];
        let (enc, codes) = LabelEncoder::new().fit_transform(y.view()).unwrap();
        assert_eq!(enc.classes(), &[-3, 7, 10]);
        assert_eq!(codes, array![2, 0, 2, 1]);
        assert_eq!(enc.inverse_transform(codes.view()).unwrap(), y);
        assert!(matches!(
            enc.transform(array![7, 8].view()),
            Err(Error::InvalidParameter { name: "y", reason }) if reason.contains("index 1")
        ));
        assert!(matches!(
            enc.inverse_transform(array![0, 3].view()),
            Err(Error::InvalidParameter { name: "codes", .. })
        ));
        let empty = Array1::<i32>::zeros(0);
        assert!(matches!(
            LabelEncoder::new().fit(empty.view()),
            Err(Error::EmptyInput { .. })
        ));
        let single = LabelEncoder::new().fit(array!["a", "a"].view()).unwrap();
        assert_eq!(single.n_classes(), 1);
    }

    #[test]
    fn persist_round_trips_and_checks() {
        let x = x_ref();
        let s = StandardScaler::new()
            .with_mean(false)
            .fit(x.view())
            .unwrap();
        let back = FittedStandardScaler::<f64>::from_bytes(&s.to_bytes().unwrap()).unwrap();
        assert_eq!(back, s);
        let m = MinMaxScaler::new()
            .clip(true)
            .fit(x.mapv(|v| v as f32).view())
            .unwrap();
        let back = FittedMinMaxScaler::<f32>::from_bytes(&m.to_bytes().unwrap()).unwrap();
        assert_eq!(back, m);
        // Wrong float type, wrong kind.
        assert!(matches!(
            FittedMinMaxScaler::<f64>::from_bytes(&m.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
        assert!(matches!(
            FittedMinMaxScaler::<f64>::from_bytes(&s.to_bytes().unwrap()),
            Err(Error::WrongModelKind { .. })
        ));
        // Corrupted values are rejected.
        let mut file = s.to_model_file().unwrap();
        file.push_f64("scale", array![1.0, 0.0, 1.0, 1.0].into_dyn());
        assert!(matches!(
            FittedStandardScaler::<f64>::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
        let enc = LabelEncoder::new()
            .fit(array!["b".to_string(), "a".to_string()].view())
            .unwrap();
        let bytes = enc.to_bytes().unwrap();
        assert_eq!(
            FittedLabelEncoder::<String>::from_bytes(&bytes).unwrap(),
            enc
        );
        assert!(matches!(
            FittedLabelEncoder::<i64>::from_bytes(&bytes),
            Err(Error::Format { .. })
        ));
        let unsorted = ModelFile::new("LabelEncoder", "none")
            .with_classes(&["b", "a"])
            .unwrap();
        assert!(matches!(
            FittedLabelEncoder::<String>::from_bytes(&unsorted.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
    }
}
