//! [`MinMaxScaler`] → [`FittedMinMaxScaler`].

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use serde::{Deserialize, Serialize};

use super::check_loaded_scale;
use crate::Float;
use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};
use crate::validation;

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

    /// The rules `fit` and the loader share.
    fn check(&self) -> Result<()> {
        let (lo, hi) = self.feature_range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::invalid(
                "feature_range",
                format!("must be finite with min < max, got ({lo}, {hi})"),
            ));
        }
        Ok(())
    }

    /// Learns each column's minimum and maximum.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"feature_range"`) unless finite
    /// `min < max`; [`Error::EmptyInput`], [`Error::NonFinite`] for bad data.
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedMinMaxScaler<F>> {
        self.check()?;
        let (lo, hi) = self.feature_range;
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
        // In f64 with the range halved: `max − min` of values near the
        // float limit (±1.7e308) overflows, half of it does not.
        let ten_eps = 10.0 * F::epsilon().to_f64_exact();
        let scale = Zip::from(&data_min).and(&data_max).map_collect(|&mn, &mx| {
            let half = mx.to_f64_exact() * 0.5 - mn.to_f64_exact() * 0.5;
            F::from_f64_lossy(if 2.0 * half < ten_eps {
                hi - lo
            } else {
                (hi * 0.5 - lo * 0.5) / half
            })
        });
        let min = Zip::from(&data_min)
            .and(&scale)
            .map_collect(|&m, &s| F::from_f64_lossy(lo - m.to_f64_exact() * s.to_f64_exact()));
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
/// use oxilearn::preprocessing::FittedMinMaxScaler;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::MinMaxScaler;
///
/// let x = array![[0.0f32], [4.0]];
/// let s = MinMaxScaler::new().fit(x.view())?;
/// assert_eq!((s.scale()[0], s.min()[0]), (0.25, 0.0));
/// assert_eq!(s.inverse_transform(array![[0.5f32]].view())?, array![[2.0f32]]);
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-minmax-{}.safetensors", std::process::id()));
/// s.save(&path)?;
/// let back = FittedMinMaxScaler::<f32>::load(&path)?;
/// assert_eq!(back, s);
/// # std::fs::remove_file(&path)?;
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

    /// Per-column `data_max - data_min` (`+∞` where the range exceeds the
    /// float range, e.g. a column spanning ±1.7e308; `scale` and `min`
    /// are exact there).
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
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let p = Some(file.n_features()?);
        let params: MinMaxScaler = file.hyperparameters()?;
        file.check_hyperparameters(params.check())?;
        let data_min = file.take_array1::<F>("data_min", p)?;
        let data_max = file.take_array1::<F>("data_max", p)?;
        let scale = file.take_array1::<F>("scale", p)?;
        let min = file.take_array1::<F>("min", p)?;
        if let Some(j) = (0..data_min.len()).find(|&j| data_min[j] > data_max[j]) {
            return Err(file.format_error_at(
                format!("tensors `data_min`/`data_max` at index [{j}]"),
                format!("data_min {} > data_max {}", data_min[j], data_max[j]),
            ));
        }
        check_loaded_scale(&file, "scale", &scale)?;
        Ok(FittedMinMaxScaler {
            params,
            data_min,
            data_max,
            scale,
            min,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocessing::tests::{close, x_ref};
    use ndarray::array;

    // Reference values, in the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np
    // from sklearn.preprocessing import MinMaxScaler
    // X = np.array([[1., -2., 5., 0.3], [2., 0., 5., 0.1], [4., 7., 5., -0.4], [0.5, 1., 5., 2.]])
    // m = MinMaxScaler(feature_range=(-1, 2)).fit(X)
    // print(m.scale_.tolist(), m.min_.tolist()); print(m.transform(X).tolist())
    // print(m.transform(np.array([[5., -3., 6., 0.]])).tolist())
    // print(MinMaxScaler(clip=True).fit(X).transform(np.array([[5., -3., 6., 0.]])).tolist())"
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
}
