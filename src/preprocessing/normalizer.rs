//! [`Normalizer`] → [`FittedNormalizer`]: each row scaled to unit norm.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::numerics;
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};
use crate::validation;

/// The norm a [`Normalizer`] divides each row by.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::Norm;
/// assert_eq!(Norm::default(), Norm::L2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// Sum of absolute values.
    L1,
    /// Euclidean length.
    #[default]
    L2,
    /// Largest absolute value.
    Max,
}

/// Scales each row (sample) to unit norm, independently of the other rows.
///
/// As scikit-learn's `Normalizer`: rows of norm zero are left unchanged;
/// fitting learns nothing but the feature count (it exists so the step fits
/// in a pipeline).
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::{Norm, Normalizer};
///
/// let x = array![[3.0, -4.0], [0.0, 0.0]];
/// let n = Normalizer::new().fit(x.view())?;
/// assert_eq!(n.transform(x.view())?, array![[0.6, -0.8], [0.0, 0.0]]);
/// let max = Normalizer::new().norm(Norm::Max).fit_transform(x.view())?;
/// assert_eq!(max.row(0).to_vec(), [0.75, -1.0]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalizer {
    pub(crate) norm: Norm,
}

impl Normalizer {
    /// An L2 normalizer (scikit-learn's default).
    pub fn new() -> Self {
        Normalizer { norm: Norm::L2 }
    }

    /// The norm. Default [`Norm::L2`].
    pub fn norm(mut self, norm: Norm) -> Self {
        self.norm = norm;
        self
    }

    /// Records the feature count.
    ///
    /// # Errors
    /// [`Error::EmptyInput`](crate::Error::EmptyInput) without rows or columns, [`Error::NonFinite`](crate::Error::NonFinite) on
    /// NaN/inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedNormalizer> {
        validation::check_records(x)?;
        Ok(FittedNormalizer {
            params: *self,
            n_features: x.ncols(),
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

/// A fitted [`Normalizer`].
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedNormalizer;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::{Norm, Normalizer};
///
/// let n = Normalizer::new().norm(Norm::L1).fit(array![[1.0, 3.0]].view())?;
/// assert_eq!(n.transform(array![[2.0, -2.0]].view())?, array![[0.5, -0.5]]);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-normalizer-{}.safetensors", std::process::id()));
/// n.save(&path)?;
/// let back = FittedNormalizer::load(&path)?;
/// assert_eq!(back, n);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedNormalizer {
    params: Normalizer,
    n_features: usize,
}

impl FittedNormalizer {
    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The hyperparameters it was fitted with.
    pub fn params(&self) -> &Normalizer {
        &self.params
    }

    /// Divides each row by its norm (rows of norm 0 unchanged).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) on another feature count, [`Error::NonFinite`](crate::Error::NonFinite)
    /// on NaN/inf.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        validation::check_predict_input(x, self.n_features)?;
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            // Rows whose L1 sum or squares would overflow or underflow
            // (|v| beyond 1e±100) are first divided by a power of two near
            // their largest |v| (exact), so `[1e300; 4]` and `[1e-310; 4]`
            // both normalize to 0.5s under L2 (scikit-learn: 0s / unchanged).
            let m = numerics::max_abs(row.iter().copied());
            if !(1e-100..=1e100).contains(&m) {
                let s = numerics::pow2_scale(m);
                row.mapv_inplace(|v| v / s);
            }
            let norm = match self.params.norm {
                Norm::L1 => row.iter().map(|v| v.abs()).sum::<f64>(),
                Norm::L2 => row.iter().map(|v| v * v).sum::<f64>().sqrt(),
                Norm::Max => row.iter().fold(0.0f64, |m, v| m.max(v.abs())),
            };
            if norm != 0.0 {
                row.mapv_inplace(|v| v / norm);
            }
        }
        Ok(out)
    }
}

impl<'a> Fit<ArrayView2<'a, f64>, ()> for Normalizer {
    type Fitted = FittedNormalizer;
    fn fit(&self, x: ArrayView2<'a, f64>, _y: ()) -> Result<Self::Fitted> {
        Normalizer::fit(self, x)
    }
}

impl<'a> Transform<ArrayView2<'a, f64>> for FittedNormalizer {
    type Output = Array2<f64>;
    fn transform(&self, x: ArrayView2<'a, f64>) -> Result<Array2<f64>> {
        FittedNormalizer::transform(self, x)
    }
}

impl Persist for FittedNormalizer {
    const KIND: &'static str = "Normalizer";

    fn to_model_file(&self) -> Result<ModelFile> {
        ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features)
            .with_hyperparameters(&self.params)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let n_features = file.n_features()?;
        if n_features == 0 {
            return Err(file.format_error("Normalizer n_features must be >= 1"));
        }
        Ok(FittedNormalizer {
            params: file.hyperparameters()?,
            n_features,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use ndarray::array;

    #[test]
    fn matches_sklearn() {
        // In the venv of benches/peers/setup.sh:
        // python -c "
        // import numpy as np; from sklearn.preprocessing import Normalizer
        // Z = np.array([[3., -4., 0.], [0., 0., 0.], [1., 2., -2.]])
        // for n in ['l1', 'l2', 'max']: print(n, Normalizer(norm=n).fit(Z).transform(Z).tolist())"
        let z = array![[3., -4., 0.], [0., 0., 0.], [1., 2., -2.]];
        let cases = [
            (
                Norm::L1,
                array![
                    [0.42857142857142855, -0.5714285714285714, 0.0],
                    [0.0, 0.0, 0.0],
                    [0.2, 0.4, -0.4]
                ],
            ),
            (
                Norm::L2,
                array![
                    [0.6, -0.8, 0.0],
                    [0.0, 0.0, 0.0],
                    [0.3333333333333333, 0.6666666666666666, -0.6666666666666666]
                ],
            ),
            (
                Norm::Max,
                array![[0.75, -1.0, 0.0], [0.0, 0.0, 0.0], [0.5, 1.0, -1.0]],
            ),
        ];
        for (norm, want) in cases {
            let got = Normalizer::new()
                .norm(norm)
                .fit_transform(z.view())
                .unwrap();
            assert!(
                got.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-16),
                "{norm:?}: {got}"
            );
        }
    }

    #[test]
    fn errors_and_persist() {
        let n = Normalizer::new()
            .norm(Norm::L1)
            .fit(array![[1.0, 2.0]].view())
            .unwrap();
        assert!(matches!(
            n.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            n.transform(array![[1.0, f64::NAN]].view()),
            Err(Error::NonFinite { .. })
        ));
        assert_eq!(
            FittedNormalizer::from_bytes(&n.to_bytes().unwrap()).unwrap(),
            n
        );
        assert!(matches!(
            Normalizer::new().fit(Array2::<f64>::zeros((0, 3)).view()),
            Err(Error::EmptyInput { .. })
        ));
    }
}
