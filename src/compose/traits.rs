//! The four object-safe traits of composition: [`Transformer`] →
//! [`FittedTransformer`], [`Estimator`] → [`FittedEstimator`].
//!
//! The typed builders (`Svc::new().c(10.0).fit(x, y)`) stay the direct API;
//! these traits expose the same models behind `Box<dyn …>` so that a
//! [`Pipeline`](super::Pipeline) holds heterogeneous steps, a search holds
//! candidates, and the registry returns any model file as a working model.

use std::any::Any;
use std::fmt::Debug;

use ndarray::{Array1, Array2, ArrayView1};

use super::features::{Features, OwnedFeatures};
use super::target::{Target, TargetValues};
use crate::error::{Error, Result};
use crate::persist::ModelFile;

/// An unfitted transformer (scalers, imputers, encoders, a
/// [`Pipeline`](super::Pipeline) of transformers): learns from rows (and, for
/// target-aware encoders, from targets `Y`) and returns a
/// [`FittedTransformer`].
///
/// # Example
/// ```
/// use oxilearn::compose::{Features, Transformer};
/// use oxilearn::preprocessing::StandardScaler;
/// use oxilearn::ndarray::array;
///
/// let step: Box<dyn Transformer<usize>> = Box::new(StandardScaler::new());
/// let x = array![[0.0, 10.0], [2.0, 30.0]];
/// let fitted = step.fit(Features::from(&x), None)?;
/// assert_eq!(fitted.transform(Features::from(&x))?, array![[-1.0, -1.0], [1.0, 1.0]]);
/// assert_eq!(step.params()[0], ("with_mean".to_string(), "true".to_string()));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub trait Transformer<Y: Target>: Send + Sync + Debug {
    /// Learns the transformation from `x` (and `y` for transformers that use
    /// targets; others ignore it).
    ///
    /// # Errors
    /// Invalid hyperparameters or data, as the typed `fit` of the step.
    fn fit(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<Box<dyn FittedTransformer>>;

    /// Fits, and returns the transformed training rows: what a
    /// [`Pipeline`](super::Pipeline) or a
    /// [`ColumnTransformer`](super::ColumnTransformer) passes on while
    /// fitting. Default: [`fit`](Self::fit), then
    /// [`transform_features`](FittedTransformer::transform_features) of the
    /// same rows; cross-fitted encoders
    /// ([`TargetEncoder`](crate::preprocessing::TargetEncoder)) return
    /// training rows encoded without their own targets instead.
    ///
    /// # Errors
    /// As [`fit`](Self::fit) and the transform.
    fn fit_transform(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<(Box<dyn FittedTransformer>, OwnedFeatures)> {
        let fitted = self.fit(x, y)?;
        let out = fitted.transform_features(x)?;
        Ok((fitted, out))
    }

    /// Printable hyperparameters in builder order, e.g.
    /// `[("with_mean", "true"), ("with_std", "true")]` (what `cv_results`
    /// shows).
    fn params(&self) -> Vec<(String, String)>;

    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn Transformer<Y>>;

    /// `self` as [`Any`], so that composites can find their concrete steps.
    #[doc(hidden)]
    fn as_any(&self) -> &dyn Any;
}

/// A fitted transformer: maps rows to `f64` rows, and saves itself.
///
/// # Example
/// ```
/// use oxilearn::compose::{Features, Transformer};
/// use oxilearn::preprocessing::MinMaxScaler;
/// use oxilearn::ndarray::array;
///
/// let x = array![[1.0], [3.0]];
/// let fitted = Transformer::<f64>::fit(&MinMaxScaler::new(), Features::from(&x), None)?;
/// assert_eq!((fitted.kind(), fitted.n_features_in(), fitted.n_features_out()), ("MinMaxScaler", 1, 1));
/// assert_eq!(fitted.feature_names_out(&["age".into()])?, ["age"]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub trait FittedTransformer: Send + Sync + Debug {
    /// The model kind, as written in its model file (`Persist::KIND`).
    fn kind(&self) -> &'static str;

    /// Number of input columns seen at fit.
    fn n_features_in(&self) -> usize;

    /// Number of output columns.
    fn n_features_out(&self) -> usize;

    /// Applies the transformation.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong column count, [`Error::NonFinite`]
    /// for NaN/inf where the step does not accept them.
    fn transform(&self, x: Features<'_>) -> Result<Array2<f64>>;

    /// The transformed rows as [`OwnedFeatures`]: what a [`Pipeline`]
    /// passes to its next step. A step that keeps typed columns (an imputer
    /// given a table with categorical columns) returns a table, so that the
    /// next step (an encoder) still sees names and types. Default: the
    /// matrix of [`transform`](Self::transform).
    ///
    /// [`Pipeline`]: super::Pipeline
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    fn transform_features(&self, x: Features<'_>) -> Result<OwnedFeatures> {
        Ok(OwnedFeatures::Matrix(self.transform(x)?))
    }

    /// Names of the output columns, given the names of the input columns.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `input` does not have
    /// [`n_features_in`](Self::n_features_in) names.
    fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>>;

    /// The step as a model file (what `save` writes).
    ///
    /// # Errors
    /// What building the file may fail with (unserialisable metadata).
    fn to_model_file(&self) -> Result<ModelFile>;

    /// `self` as [`Any`], to get the concrete fitted type back
    /// (`downcast_ref::<FittedStandardScaler<f64>>()`).
    fn as_any(&self) -> &dyn Any;
}

/// An unfitted estimator of targets `Y` (every model family, and a
/// [`Pipeline`](super::Pipeline) ending in an estimator).
///
/// # Example
/// ```
/// use oxilearn::compose::{Estimator, Features};
/// use oxilearn::linear::Ridge;
/// use oxilearn::svm::Svr;
/// use oxilearn::ndarray::array;
///
/// let candidates: Vec<Box<dyn Estimator<f64>>> =
///     vec![Box::new(Ridge::new().alpha(0.1)), Box::new(Svr::new().c(10.0))];
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let y = array![0.0, 1.0, 2.0, 3.0];
/// for c in &candidates {
///     let fitted = c.fit(Features::from(&x), y.view())?;
///     assert!(fitted.score(Features::from(&x), y.view())? > 0.9);
/// }
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub trait Estimator<Y: Target>: Send + Sync + Debug {
    /// Fits on rows `x` and targets `y`.
    ///
    /// # Errors
    /// Invalid hyperparameters or data, as the typed `fit` of the model.
    fn fit(&self, x: Features<'_>, y: ArrayView1<'_, Y>) -> Result<Box<dyn FittedEstimator<Y>>>;

    /// Fits with one weight per sample.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for models without sample weights (the
    /// default); otherwise as [`fit`](Self::fit), plus invalid weights.
    fn fit_weighted(
        &self,
        x: Features<'_>,
        y: ArrayView1<'_, Y>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn FittedEstimator<Y>>> {
        let _ = (x, y, sample_weight);
        Err(unsupported(
            "fit_weighted",
            short_type_name::<Self>(),
            "this model does not take sample weights",
        ))
    }

    /// Printable hyperparameters in builder order (see
    /// [`Transformer::params`]).
    fn params(&self) -> Vec<(String, String)>;

    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn Estimator<Y>>;

    /// `self` as [`Any`], so that composites and searches can find their
    /// concrete candidates.
    #[doc(hidden)]
    fn as_any(&self) -> &dyn Any;

    /// How a search runs candidates of this estimator that differ in one
    /// parameter along a path on each fold (shared kernel, warm starts);
    /// `None` (the default) fits each candidate on its own.
    #[doc(hidden)]
    fn warm_start_path(&self) -> Option<&dyn crate::model_selection::WarmStartPath<Y>> {
        None
    }
}

/// A fitted estimator: predicts `Y`, scores, saves itself.
///
/// # Example
/// ```
/// use oxilearn::compose::{Estimator, Features};
/// use oxilearn::logistic::LogisticRegression;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let y = array!["no".to_string(), "no".into(), "yes".into(), "yes".into()];
/// let model = LogisticRegression::<String>::new().c(100.0);
/// let fitted = Estimator::fit(&model, Features::from(&x), y.view())?;
/// assert_eq!(fitted.classes(), Some(&["no".to_string(), "yes".into()][..]));
/// assert_eq!(fitted.predict(Features::from(&x))?, y);
/// assert_eq!(fitted.predict_proba(Features::from(&x))?.dim(), (4, 2));
/// assert_eq!(fitted.score(Features::from(&x), y.view())?, 1.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub trait FittedEstimator<Y: Target>: Send + Sync + Debug {
    /// The model kind, as written in its model file (`Persist::KIND`).
    fn kind(&self) -> &'static str;

    /// Number of input columns seen at fit.
    fn n_features_in(&self) -> usize;

    /// One prediction per row.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong column count, [`Error::NonFinite`]
    /// for NaN/inf.
    fn predict(&self, x: Features<'_>) -> Result<Array1<Y>>;

    /// Class probabilities, `n_rows × n_classes`, columns in
    /// [`classes`](Self::classes) order.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for models without probabilities (the
    /// default); otherwise as [`predict`](Self::predict).
    fn predict_proba(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let _ = x;
        Err(unsupported(
            "predict_proba",
            self.kind(),
            "this model has no class probabilities",
        ))
    }

    /// Decision values: `n_rows × 1` for binary classifiers (positive
    /// favours `classes()[1]`), `n_rows × n_classes` (or one column per class
    /// pair) for multiclass.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for models without a decision function (the
    /// default); otherwise as [`predict`](Self::predict).
    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let _ = x;
        Err(unsupported(
            "decision_function",
            self.kind(),
            "this model has no decision function",
        ))
    }

    /// Per-row normality scores of an outlier detector (higher is more
    /// normal).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for models that are not outlier detectors (the
    /// default).
    fn score_samples(&self, x: Features<'_>) -> Result<Array1<f64>> {
        let _ = x;
        Err(unsupported(
            "score_samples",
            self.kind(),
            "this model is not an outlier detector",
        ))
    }

    /// The sorted class labels of a classifier; `None` for regressors (the
    /// default).
    fn classes(&self) -> Option<&[Y]> {
        None
    }

    /// scikit-learn's default score: accuracy for classifiers, R² for
    /// regressors.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `y` does not have one value per row;
    /// otherwise as [`predict`](Self::predict) and the metric.
    fn score(&self, x: Features<'_>, y: ArrayView1<'_, Y>) -> Result<f64> {
        if y.len() != x.n_rows() {
            return Err(Error::ShapeMismatch {
                what: "y (one target per row of x)",
                expected: vec![x.n_rows()],
                got: vec![y.len()],
            });
        }
        let pred = self.predict(x)?;
        default_score(y, pred.view())
    }

    /// The model as a model file (what `save` writes).
    ///
    /// # Errors
    /// What building the file may fail with (unserialisable metadata).
    fn to_model_file(&self) -> Result<ModelFile>;

    /// `self` as [`Any`], to get the concrete fitted type back.
    fn as_any(&self) -> &dyn Any;
}

impl<Y: Target> Clone for Box<dyn Estimator<Y>> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

impl<Y: Target> Clone for Box<dyn Transformer<Y>> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// `"Svr"` for `oxilearn::svm::svr::Svr`, `"Pipeline"` for
/// `oxilearn::compose::pipeline::Pipeline<usize>`.
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// An [`Error::Unsupported`].
pub(crate) fn unsupported(operation: &'static str, model: &str, reason: &str) -> Error {
    Error::Unsupported {
        operation,
        model: model.to_string(),
        reason: reason.to_string(),
    }
}

/// Accuracy for class labels, R² for continuous targets (scikit-learn's
/// `score`).
pub(crate) fn default_score<Y: Target>(
    y_true: ArrayView1<'_, Y>,
    y_pred: ArrayView1<'_, Y>,
) -> Result<f64> {
    if y_true.len() != y_pred.len() {
        return Err(Error::ShapeMismatch {
            what: "y_pred (one per y_true)",
            expected: vec![y_true.len()],
            got: vec![y_pred.len()],
        });
    }
    let mut enc = Y::encode_joint(&[y_true, y_pred]);
    let (p, t) = (enc.pop(), enc.pop());
    match (t, p) {
        (Some(TargetValues::Continuous(t)), Some(TargetValues::Continuous(p))) => {
            crate::metrics::r2_score(t.view(), p.view())
        }
        (
            Some(TargetValues::Classes { codes: t, .. }),
            Some(TargetValues::Classes { codes: p, .. }),
        ) => crate::metrics::accuracy_score(t.view(), p.view()),
        _ => unreachable!("encode_joint encodes every array of one type alike"),
    }
}
