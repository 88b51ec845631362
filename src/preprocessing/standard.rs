//! [`StandardScaler`] → [`FittedStandardScaler`].

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use serde::{Deserialize, Serialize};

use super::{check_loaded_scale, take_count};
use crate::Float;
use crate::error::Result;
use crate::numerics;
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};
use crate::validation;

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
    /// [`Error::EmptyInput`](crate::Error::EmptyInput) without rows or columns, [`Error::NonFinite`](crate::Error::NonFinite)
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
            // The column divided by the power of two nearest its largest
            // magnitude (exact): sums and squares of values near f64::MAX
            // then stay finite, and mean and σ are scaled back once. For
            // ordinary data every step is the unscaled one times 2ᵏ, so
            // the results are bit-identical.
            let s = numerics::pow2_scale(numerics::max_abs(col.iter().map(|v| v.to_f64_exact())));
            let m = col.iter().map(|v| v.to_f64_exact() / s).sum::<f64>() / nf;
            // Two-pass variance with the compensating term (Chan, Golub, LeVeque).
            let (sq, lin) = col.iter().fold((0.0, 0.0), |(sq, lin), v| {
                let d = v.to_f64_exact() / s - m;
                (sq + d * d, lin + d)
            });
            let v = ((sq - lin * lin / nf) / nf).max(0.0);
            mean[j] = F::from_f64_lossy(m * s);
            // σ² may exceed the float range while σ does not: it then
            // saturates at the largest finite value (`scale` stays exact).
            var[j] = F::from_f64_lossy(v * s * s).min(F::max_value());
            let constant = v <= nf * eps * v + (nf * m * eps).powi(2);
            if self.with_std && !constant {
                scale[j] = F::from_f64_lossy(v.sqrt() * s);
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
/// use oxilearn::preprocessing::FittedStandardScaler;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::StandardScaler;
///
/// let x = array![[1.0, -1.0], [3.0, 1.0]];
/// let s = StandardScaler::new().fit(x.view())?;
/// assert_eq!(s.mean(), &array![2.0, 0.0]);
/// assert_eq!(s.var(), &array![1.0, 1.0]);
/// assert_eq!(s.scale(), &array![1.0, 1.0]);
/// assert_eq!(s.transform(x.view())?, array![[-1.0, -1.0], [1.0, 1.0]]);
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-standard-{}.safetensors", std::process::id()));
/// s.save(&path)?;
/// let back = FittedStandardScaler::<f64>::load(&path)?;
/// assert_eq!(back, s);
/// # std::fs::remove_file(&path)?;
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

    /// Per-column population variance (ddof = 0). Where `σ²` exceeds the
    /// float range (columns of magnitude beyond ~1e154 in `f64`, ~1e19 in
    /// `f32`) it saturates at the largest finite value; [`scale`](Self::scale)
    /// (`σ`) is exact there too.
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
    /// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) on another feature count, [`Error::NonFinite`](crate::Error::NonFinite)
    /// on NaN/inf.
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validation::check_predict_input(x, self.n_features())?;
        let offset = self.offset();
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(&offset)
                .and(&self.scale)
                .for_each(|v, &m, &s| {
                    let z = numerics::sub_div(v.to_f64_exact(), m.to_f64_exact(), s.to_f64_exact());
                    *v = F::from_f64_lossy(z);
                });
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
                .for_each(|v, &m, &s| {
                    let x = numerics::mul_add(v.to_f64_exact(), s.to_f64_exact(), m.to_f64_exact());
                    *v = F::from_f64_lossy(x);
                });
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
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let p = Some(file.n_features()?);
        let params: StandardScaler = file.hyperparameters()?;
        let mean = file.take_array1::<F>("mean", p)?;
        let var = file.take_array1::<F>("var", p)?;
        let scale = file.take_array1::<F>("scale", p)?;
        let n_seen = take_count(&mut file, "n_samples_seen")?;
        // `take` refused non-finite values; a variance is never negative.
        if let Some(i) = var.iter().position(|v| *v < F::zero()) {
            return Err(file.format_error_at(
                format!("tensor `var` at index [{i}]"),
                format!("negative variance {}", var[i]),
            ));
        }
        check_loaded_scale(&file, "scale", &scale)?;
        Ok(FittedStandardScaler {
            params,
            mean,
            var,
            scale,
            n_samples_seen: n_seen,
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
    // from sklearn.preprocessing import StandardScaler
    // X = np.array([[1., -2., 5., 0.3], [2., 0., 5., 0.1], [4., 7., 5., -0.4], [0.5, 1., 5., 2.]])
    // s = StandardScaler().fit(X)
    // print(s.mean_.tolist(), s.var_.tolist(), s.scale_.tolist()); print(s.transform(X).tolist())
    // print(StandardScaler().fit(np.array([[0.1 + 0.2], [0.3], [0.3]])).scale_)  # [1.]"
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
}
