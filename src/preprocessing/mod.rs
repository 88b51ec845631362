//! Feature scaling and label encoding, with scikit-learn's semantics.
//!
//! - [`StandardScaler`] → [`FittedStandardScaler`]: `(x - mean) / std`, the
//!   population standard deviation (ddof = 0); constant columns get scale 1.
//! - [`MinMaxScaler`] → [`FittedMinMaxScaler`]: maps each column's
//!   `[min, max]` onto a feature range (default `[0, 1]`); constant columns map
//!   to the range's lower end.
//! - [`RobustScaler`] → [`FittedRobustScaler`]: `(x - median) / IQR` (or
//!   another quantile range), robust to outliers.
//! - [`MaxAbsScaler`] → [`FittedMaxAbsScaler`]: `x / max|x|`, into `[-1, 1]`
//!   without shifting.
//! - [`Normalizer`] → [`FittedNormalizer`]: each row to unit L1, L2 or max
//!   norm.
//! - [`PowerTransformer`] → [`FittedPowerTransformer`]: Yeo-Johnson or
//!   Box-Cox with λ fitted by maximum likelihood, then standardised.
//! - [`QuantileTransformer`] → [`FittedQuantileTransformer`]: each feature
//!   through its quantiles onto a uniform or normal distribution.
//! - [`KnnImputer`] → [`FittedKnnImputer`]: missing values from the nearest
//!   rows by the NaN-aware Euclidean distance.
//! - [`SimpleImputer`] → [`FittedSimpleImputer`]: fills missing values (NaN,
//!   or missing cells of a [`Table`](crate::data::Table)) with the mean,
//!   median, most frequent value or a constant; [`MissingIndicator`] marks
//!   them.
//! - [`OneHotEncoder`] → [`FittedOneHotEncoder`] (unknown-category handling,
//!   infrequent categories, dropped columns, feature names) and
//!   [`OrdinalEncoder`] → [`FittedOrdinalEncoder`]: categorical columns to
//!   numbers; [`TargetEncoder`] → [`FittedTargetEncoder`]: categories to
//!   (cross-fitted) target statistics.
//! - [`LabelEncoder`] → [`FittedLabelEncoder`]: labels of any ordered type to
//!   codes `0..n_classes` (classes sorted) and back.
//!
//! Fitting validates the data once (empty → [`Error::EmptyInput`](crate::Error::EmptyInput), NaN/inf →
//! [`Error::NonFinite`](crate::Error::NonFinite); the robust and max-abs scalers, like
//! scikit-learn's, treat NaN as a missing value: skipped at fit, kept at
//! transform); transforming checks the feature count
//! ([`Error::ShapeMismatch`](crate::Error::ShapeMismatch)). Fitted scalers and encoders save and load
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

#![forbid(unsafe_code)]

mod encode;
mod impute;
mod knn_impute;
mod label;
mod minmax;
mod normalizer;
mod power;
mod quantile;
mod robust;
mod standard;
pub(crate) mod stats;
mod steps;
mod target_encode;

pub use encode::{
    DropCategory, FittedOneHotEncoder, FittedOrdinalEncoder, HandleUnknown, MinFrequency,
    OneHotEncoder, OrdinalEncoder, OrdinalUnknown,
};
pub use impute::{
    FillValue, FittedMissingIndicator, FittedSimpleImputer, ImputeStrategy, IndicatorFeatures,
    MissingIndicator, SimpleImputer,
};
pub use knn_impute::{FittedKnnImputer, KnnImputer, KnnWeights};
pub use label::{FittedLabelEncoder, LabelEncoder};
pub use minmax::{FittedMinMaxScaler, MinMaxScaler};
pub use normalizer::{FittedNormalizer, Norm, Normalizer};
pub use power::{FittedPowerTransformer, PowerMethod, PowerTransformer};
pub use quantile::{FittedQuantileTransformer, QuantileOutput, QuantileTransformer};
pub use robust::{FittedMaxAbsScaler, FittedRobustScaler, MaxAbsScaler, RobustScaler};
pub use standard::{FittedStandardScaler, StandardScaler};
pub use target_encode::{FittedTargetEncoder, Smooth, TargetEncoder, TargetType};

pub(crate) use impute::parse_type as parse_column_type;
pub(crate) use robust::{check_no_inf, check_transform_nan_ok};

use ndarray::Array1;

use crate::Float;
use crate::error::Result;
use crate::persist::ModelFile;

// Checks shared by the loaders of the fitted scalers.

/// `Err(Format)` unless every value of the scale tensor `name` is `> 0`
/// (finiteness is checked by [`ModelFile::take`]); the error names the
/// tensor and the index of the first bad value.
pub(crate) fn check_loaded_scale<F: Float>(
    file: &ModelFile,
    name: &str,
    a: &Array1<F>,
) -> Result<()> {
    match a.iter().position(|v| !(v.is_finite() && *v > F::zero())) {
        None => Ok(()),
        Some(i) => Err(file.format_error_at(
            format!("tensor `{name}` at index [{i}]"),
            format!(
                "{} in a {} scale (scales must be finite positive values)",
                a[i], file.metadata.kind
            ),
        )),
    }
}

/// Takes a one-element non-negative `i64` tensor.
pub(crate) fn take_count(file: &mut ModelFile, name: &str) -> Result<usize> {
    let a = file.take_i64(name)?;
    file.check_shape(name, a.shape(), &[Some(1)])?;
    usize::try_from(a[[0]]).map_err(|_| {
        file.format_error_at(
            format!("tensor `{name}`"),
            format!("must be non-negative, got {}", a[[0]]),
        )
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::Error;
    use crate::persist::{ModelFile, Persist};
    use ndarray::{Array2, array};

    /// Same shape and `|a − b| ≤ tol` everywhere (absolute tolerance).
    pub(crate) fn close(a: &Array2<f64>, b: &Array2<f64>, tol: f64) -> bool {
        a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    /// Same shape and, everywhere, `|got − want| ≤ tol · max(|want|, 1)`
    /// or both NaN (relative tolerance; missing values compare equal).
    pub(crate) fn close_rel(got: &Array2<f64>, want: &Array2<f64>, tol: f64) -> bool {
        got.shape() == want.shape()
            && got
                .iter()
                .zip(want)
                .all(|(g, w)| (g.is_nan() && w.is_nan()) || (g - w).abs() <= tol * w.abs().max(1.0))
    }

    /// The data of the scalers' reference tests (snippets beside them).
    pub(crate) fn x_ref() -> Array2<f64> {
        array![
            [1., -2., 5., 0.3],
            [2., 0., 5., 0.1],
            [4., 7., 5., -0.4],
            [0.5, 1., 5., 2.]
        ]
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
