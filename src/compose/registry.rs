//! Loading any model file by its kind: [`load_transformer`],
//! [`load_regressor`], [`load_classifier`], and [`load_any`] for code that does
//! not know what a file holds (the server, `oxilearn inspect`).
//!
//! Every step of a composite file and every stand-alone file goes through the
//! same validated `Persist::from_model_file` of its kind. Owners of a new
//! model kind add one arm to the matching `load_*` function and one line to
//! [`role_of_kind`].

use std::path::Path;

use super::column::{COLUMN_TRANSFORMER_KIND, FittedColumnTransformer};
use super::pipeline::{FittedPipeline, PIPELINE_KIND, StepRole};
use super::target::{Label, Target};
use super::traits::{FittedEstimator, FittedTransformer};
use crate::error::{Error, Result};
use crate::linalg::Float;
use crate::linear::{FittedLinearRegression, FittedRidge};
use crate::logistic::FittedLogisticRegression;
use crate::nn::Sequential;
use crate::outlier::{FittedIsolationForest, FittedLocalOutlierFactor, FittedOutlierClipper};
use crate::persist::{ModelFile, ModelMetadata, Persist};
use crate::preprocessing::{
    FittedKnnImputer, FittedMaxAbsScaler, FittedMinMaxScaler, FittedMissingIndicator,
    FittedNormalizer, FittedOneHotEncoder, FittedOrdinalEncoder, FittedPowerTransformer,
    FittedQuantileTransformer, FittedRobustScaler, FittedSimpleImputer, FittedStandardScaler,
    FittedTargetEncoder,
};
use crate::svm::{
    FittedLinearSvc, FittedLinearSvr, FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvc,
    FittedSvr,
};

/// What a model kind does.
///
/// # Example
/// ```
/// use oxilearn::compose::registry::{role_of_kind, Role};
/// assert_eq!(role_of_kind("Svc"), Some(Role::Classifier));
/// assert_eq!(role_of_kind("StandardScaler"), Some(Role::Transformer));
/// assert_eq!(role_of_kind("Nope"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// Maps rows to rows (scalers, encoders, imputers).
    Transformer,
    /// Predicts continuous targets.
    Regressor,
    /// Predicts class labels (also outlier detectors: labels ±1).
    Classifier,
    /// A neural network (`f32` NCHW images in, logits out).
    Network,
}

/// The role of a stand-alone model kind (`None` for unknown kinds and for
/// composites, whose role is their final step's: see [`role`]).
pub fn role_of_kind(kind: &str) -> Option<Role> {
    Some(match kind {
        "StandardScaler"
        | "MinMaxScaler"
        | "RobustScaler"
        | "MaxAbsScaler"
        | "Normalizer"
        | "PowerTransformer"
        | "QuantileTransformer"
        | "KnnImputer"
        | "SimpleImputer"
        | "MissingIndicator"
        | "OneHotEncoder"
        | "OrdinalEncoder"
        | "TargetEncoder"
        | "OutlierClipper"
        | COLUMN_TRANSFORMER_KIND => Role::Transformer,
        "LinearRegression" | "Ridge" | "Svr" | "NuSvr" | "LinearSvr" => Role::Regressor,
        "LogisticRegression" | "Svc" | "NuSvc" | "LinearSvc" | "IsolationForest"
        | "LocalOutlierFactor" | "OneClassSvm" => Role::Classifier,
        "Sequential" => Role::Network,
        _ => return None,
    })
}

/// The role of the model a file holds (a pipeline's is its final step's, or
/// [`Role::Transformer`] without a final estimator).
///
/// # Errors
/// [`Error::Format`] for an unknown kind or a malformed pipeline.
pub fn role(meta: &ModelMetadata) -> Result<Role> {
    if meta.kind == PIPELINE_KIND {
        let steps = meta.steps()?;
        return match steps.last() {
            Some(last) if last.role == StepRole::Estimator => {
                let mut inner = meta.clone();
                inner.kind = last.kind.clone();
                inner.hyperparameters = last.hyperparameters.clone();
                role(&inner)
            }
            _ => Ok(Role::Transformer),
        };
    }
    role_of_kind(&meta.kind).ok_or_else(|| unknown(&meta.kind))
}

fn unknown(kind: &str) -> Error {
    Error::format(
        "model file",
        format!("unknown model kind `{kind}` (this build knows no loader for it)"),
    )
}

fn wrong(kind: &str, expected: &str) -> Error {
    Error::WrongModelKind {
        expected: expected.to_string(),
        found: kind.to_string(),
    }
}

fn bad_dtype(kind: &str, dtype: &str) -> Error {
    Error::format(
        "model file",
        format!("{kind} model file has dtype {dtype:?}; expected \"f32\" or \"f64\""),
    )
}

/// Loads `file` as `$ty<f32 | f64, …>` by its dtype, boxed.
macro_rules! by_dtype {
    ($file:ident, $ty:ident $(, $rest:ty)*) => {
        match $file.metadata.dtype.as_str() {
            "f32" => Box::new($ty::<f32 $(, $rest)*>::from_model_file($file)?),
            "f64" => Box::new($ty::<f64 $(, $rest)*>::from_model_file($file)?),
            other => return Err(bad_dtype(&$file.metadata.kind, other)),
        }
    };
}

/// Loads a fitted transformer of any transformer kind (a pipeline without a
/// final estimator included).
///
/// # Errors
/// [`Error::WrongModelKind`] for a kind that is not a transformer;
/// [`Error::Format`] for an unknown kind or dtype; what the kind's loader
/// returns.
///
/// # Example
/// ```
/// use oxilearn::compose::registry::load_transformer;
/// use oxilearn::persist::Persist;
/// use oxilearn::preprocessing::StandardScaler;
/// use oxilearn::ndarray::array;
///
/// let scaler = StandardScaler::new().fit(array![[1.0f32], [3.0]].view())?;
/// let back = load_transformer(scaler.to_model_file()?)?;
/// assert_eq!((back.kind(), back.n_features_in()), ("StandardScaler", 1));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn load_transformer(file: ModelFile) -> Result<Box<dyn FittedTransformer>> {
    let kind = file.metadata.kind.clone();
    Ok(match kind.as_str() {
        "StandardScaler" => by_dtype!(file, FittedStandardScaler),
        "MinMaxScaler" => by_dtype!(file, FittedMinMaxScaler),
        "RobustScaler" => Box::new(FittedRobustScaler::from_model_file(file)?),
        "MaxAbsScaler" => Box::new(FittedMaxAbsScaler::from_model_file(file)?),
        "Normalizer" => Box::new(FittedNormalizer::from_model_file(file)?),
        "PowerTransformer" => Box::new(FittedPowerTransformer::from_model_file(file)?),
        "QuantileTransformer" => Box::new(FittedQuantileTransformer::from_model_file(file)?),
        "KnnImputer" => Box::new(FittedKnnImputer::from_model_file(file)?),
        "SimpleImputer" => Box::new(FittedSimpleImputer::from_model_file(file)?),
        "MissingIndicator" => Box::new(FittedMissingIndicator::from_model_file(file)?),
        "OneHotEncoder" => Box::new(FittedOneHotEncoder::from_model_file(file)?),
        "OrdinalEncoder" => Box::new(FittedOrdinalEncoder::from_model_file(file)?),
        "TargetEncoder" => Box::new(FittedTargetEncoder::from_model_file(file)?),
        "OutlierClipper" => Box::new(FittedOutlierClipper::from_model_file(file)?),
        COLUMN_TRANSFORMER_KIND => Box::new(FittedColumnTransformer::from_model_file(file)?),
        PIPELINE_KIND => {
            let role = role(&file.metadata)?;
            if role != Role::Transformer {
                return Err(wrong("Pipeline ending in an estimator", "transformer"));
            }
            Box::new(FittedPipeline::<f64>::from_model_file(file)?)
        }
        other if role_of_kind(other).is_some() => return Err(wrong(other, "transformer")),
        other => return Err(unknown(other)),
    })
}

/// Loads a fitted regressor predicting `Y` (`f64` or `f32`), whatever the
/// model's own float type.
///
/// # Errors
/// As [`load_transformer`], for regressor kinds.
///
/// # Example
/// ```
/// use oxilearn::compose::{registry::load_regressor, Features};
/// use oxilearn::linear::Ridge;
/// use oxilearn::persist::Persist;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0], [1.0]];
/// let ridge = Ridge::new().alpha(0.0).fit(x.view(), array![1.0, 3.0].view())?;
/// let back = load_regressor::<f64>(ridge.to_model_file()?)?;
/// assert_eq!(back.predict(Features::from(&x))?, ridge.predict(x.view())?);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn load_regressor<Y: Float + Target>(file: ModelFile) -> Result<Box<dyn FittedEstimator<Y>>> {
    let kind = file.metadata.kind.clone();
    Ok(match kind.as_str() {
        "LinearRegression" => by_dtype!(file, FittedLinearRegression),
        "Ridge" => by_dtype!(file, FittedRidge),
        "Svr" => by_dtype!(file, FittedSvr),
        "NuSvr" => by_dtype!(file, FittedNuSvr),
        "LinearSvr" => by_dtype!(file, FittedLinearSvr),
        PIPELINE_KIND => Box::new(FittedPipeline::<Y>::from_model_file(file)?),
        other if role_of_kind(other).is_some() => return Err(wrong(other, "regressor")),
        other => return Err(unknown(other)),
    })
}

/// Loads a fitted classifier predicting labels `L`.
///
/// # Errors
/// As [`load_transformer`], for classifier kinds; [`Error::Format`] when the
/// file's classes are not labels of type `L`.
///
/// # Example
/// ```
/// use oxilearn::compose::{registry::load_classifier, Features};
/// use oxilearn::svm::Svc;
/// use oxilearn::persist::Persist;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let svc = Svc::new().fit(x.view(), array![-1i64, -1, 1, 1].view())?;
/// let back = load_classifier::<i64>(svc.to_model_file()?)?;
/// assert_eq!(back.classes(), Some(&[-1i64, 1][..]));
/// assert!(load_classifier::<String>(svc.to_model_file()?).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn load_classifier<L: Label>(file: ModelFile) -> Result<Box<dyn FittedEstimator<L>>> {
    let kind = file.metadata.kind.clone();
    Ok(match kind.as_str() {
        "LogisticRegression" => by_dtype!(file, FittedLogisticRegression, L),
        "Svc" => by_dtype!(file, FittedSvc, L),
        "NuSvc" => by_dtype!(file, FittedNuSvc, L),
        "LinearSvc" => by_dtype!(file, FittedLinearSvc, L),
        "OneClassSvm" => outlier_detector::<L>(by_dtype!(file, FittedOneClassSvm))?,
        "IsolationForest" => {
            outlier_detector::<L>(Box::new(FittedIsolationForest::from_model_file(file)?))?
        }
        "LocalOutlierFactor" => {
            outlier_detector::<L>(Box::new(FittedLocalOutlierFactor::from_model_file(file)?))?
        }
        PIPELINE_KIND => Box::new(FittedPipeline::<L>::from_model_file(file)?),
        other if role_of_kind(other).is_some() => return Err(wrong(other, "classifier")),
        other => return Err(unknown(other)),
    })
}

/// An outlier detector (labels −1/+1 as `i64`) as a classifier of `L`.
fn outlier_detector<L: Label>(
    model: Box<dyn FittedEstimator<i64>>,
) -> Result<Box<dyn FittedEstimator<L>>> {
    let kind = model.kind();
    let any: Box<dyn std::any::Any> = Box::new(model);
    any.downcast::<Box<dyn FittedEstimator<L>>>()
        .map(|m| *m)
        .map_err(|_| {
            Error::format(
                "model file",
                format!("{kind} is an outlier detector with labels -1/+1: load it with i64 labels"),
            )
        })
}

/// Any model file, loaded as what it is.
///
/// # Example
/// ```
/// use oxilearn::compose::{load_any_bytes, AnyModel, Features};
/// use oxilearn::logistic::LogisticRegression;
/// use oxilearn::persist::Persist;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let y = array!["ham".to_string(), "ham".into(), "spam".into(), "spam".into()];
/// let model = LogisticRegression::new().c(100.0).fit(x.view(), y.view())?;
/// match load_any_bytes(&model.to_bytes()?)? {
///     AnyModel::StringClassifier(m) => assert_eq!(m.predict(Features::from(&x))?, y),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyModel {
    /// A regressor (predictions as `f64`, whatever the model's float type).
    Regressor(Box<dyn FittedEstimator<f64>>),
    /// A classifier with integer class labels (also outlier detectors: ±1).
    Classifier(Box<dyn FittedEstimator<i64>>),
    /// A classifier with string class labels.
    StringClassifier(Box<dyn FittedEstimator<String>>),
    /// A transformer (or a pipeline without a final estimator).
    Transformer(Box<dyn FittedTransformer>),
    /// A neural network (`f32` NCHW images, its own `predict_logits`).
    Network(Box<Sequential>),
}

impl AnyModel {
    /// The model kind of the file (`"Svc"`, `"Pipeline"`, `"Sequential"` …).
    pub fn kind(&self) -> &'static str {
        match self {
            AnyModel::Regressor(m) => m.kind(),
            AnyModel::Classifier(m) => m.kind(),
            AnyModel::StringClassifier(m) => m.kind(),
            AnyModel::Transformer(m) => m.kind(),
            AnyModel::Network(_) => <Sequential as Persist>::KIND,
        }
    }
}

/// Loads the model file at `path`, whatever it holds.
///
/// Classifiers are returned by label type, chosen from the file's `classes`:
/// integers → [`AnyModel::Classifier`] (`i64`), strings →
/// [`AnyModel::StringClassifier`].
///
/// # Errors
/// [`Error::Io`]; [`Error::Format`] for invalid files, unknown kinds and
/// classes that are neither all integers nor all strings;
/// [`Error::UnsupportedVersion`]; what the kind's loader returns.
pub fn load_any(path: impl AsRef<Path>) -> Result<AnyModel> {
    load_any_file(ModelFile::read(path)?)
}

/// [`load_any`] from the bytes of a model file.
///
/// # Errors
/// As [`load_any`].
pub fn load_any_bytes(bytes: &[u8]) -> Result<AnyModel> {
    load_any_file(ModelFile::from_bytes(bytes)?)
}

/// [`load_any`] from a parsed [`ModelFile`].
///
/// # Errors
/// As [`load_any`].
pub fn load_any_file(file: ModelFile) -> Result<AnyModel> {
    Ok(match role(&file.metadata)? {
        Role::Transformer => AnyModel::Transformer(load_transformer(file)?),
        Role::Regressor => AnyModel::Regressor(load_regressor::<f64>(file)?),
        Role::Network => AnyModel::Network(Box::new(Sequential::from_model_file(file)?)),
        Role::Classifier => {
            let classes = file.metadata.classes.as_ref().and_then(|c| c.as_array());
            let all = |f: fn(&serde_json::Value) -> bool| classes.is_some_and(|c| c.iter().all(f));
            if all(serde_json::Value::is_i64) {
                AnyModel::Classifier(load_classifier::<i64>(file)?)
            } else if all(serde_json::Value::is_string) {
                AnyModel::StringClassifier(load_classifier::<String>(file)?)
            } else {
                return Err(Error::format(
                    "model file",
                    format!(
                        "{} classes are neither all integers nor all strings; load the file \
                         with its concrete label type",
                        file.metadata.kind
                    ),
                ));
            }
        }
    })
}
