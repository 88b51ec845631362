//! Loading a model file of any kind, and running one output of it on `f64`
//! rows.
//!
//! Every model file goes through the library's registry,
//! [`oxilearn::compose::load_any_file`], which picks the validated loader of
//! the file's kind (model files are untrusted input): linear models, SVMs,
//! logistic regression, scalers, outlier detectors, pipelines and networks —
//! and any kind added to the library later — are served without a change
//! here. Tabular models are used through the library's object-safe
//! [`FittedEstimator`] / [`FittedTransformer`] traits.

use ndarray::{Array1, Array2, ArrayView2};
use oxilearn::compose::{AnyModel, Features, FittedEstimator, FittedTransformer, Target};
use oxilearn::persist::{ModelFile, ModelMetadata};

use super::error::ApiError;
use super::model::{NetPool, OutputKind};
use super::tensor::OutputData;

/// Any servable model.
#[derive(Debug)]
pub enum Engine {
    /// Continuous targets.
    Regressor(Box<dyn FittedEstimator<f64>>),
    /// Integer class labels (and outlier detectors: ±1).
    Classifier(Box<dyn FittedEstimator<i64>>),
    /// String class labels.
    StringClassifier(Box<dyn FittedEstimator<String>>),
    /// Feature transformers (and pipelines without a final estimator).
    Transformer(Box<dyn FittedTransformer>),
    /// A CNN (`f32`, NCHW).
    Network(NetPool),
}

/// Features per row of a tabular model.
pub fn n_features(engine: &Engine) -> usize {
    match engine {
        Engine::Regressor(m) => m.n_features_in(),
        Engine::Classifier(m) => m.n_features_in(),
        Engine::StringClassifier(m) => m.n_features_in(),
        Engine::Transformer(m) => m.n_features_in(),
        Engine::Network(_) => 0,
    }
}

fn unavailable(kind: OutputKind) -> ApiError {
    ApiError::bad_request(format!("output `{}` is not available", kind.name()))
}

/// A model's failure on request rows; an output the model does not have
/// ([`oxilearn::Error::Unsupported`]) is the request's mistake (400).
fn model_err(kind: OutputKind) -> impl Fn(oxilearn::Error) -> ApiError {
    move |e| match e {
        oxilearn::Error::Unsupported { reason, .. } => ApiError::bad_request(format!(
            "output `{}` is not available: {reason}",
            kind.name()
        )),
        e => ApiError::from_model(&e),
    }
}

fn matrix(a: Array2<f64>) -> (Vec<usize>, OutputData) {
    let shape = a.shape().to_vec();
    let data = if a.is_standard_layout() {
        a.into_raw_vec_and_offset().0
    } else {
        a.iter().copied().collect()
    };
    (shape, OutputData::F64(data))
}

fn vector(a: Array1<f64>) -> (Vec<usize>, OutputData) {
    (vec![a.len()], OutputData::F64(a.to_vec()))
}

fn run_estimator<Y: Target>(
    m: &dyn FittedEstimator<Y>,
    kind: OutputKind,
    x: ArrayView2<'_, f64>,
    labels: impl FnOnce(Array1<Y>) -> OutputData,
) -> Result<(Vec<usize>, OutputData), ApiError> {
    let x = Features::from(x);
    let err = model_err(kind);
    match kind {
        OutputKind::Predict => {
            let p = m.predict(x).map_err(err)?;
            Ok((vec![p.len()], labels(p)))
        }
        OutputKind::PredictProba => m.predict_proba(x).map(matrix).map_err(err),
        OutputKind::DecisionFunction => m.decision_function(x).map(matrix).map_err(err),
        OutputKind::ScoreSamples => m.score_samples(x).map(vector).map_err(err),
        OutputKind::Transform | OutputKind::Logits => Err(unavailable(kind)),
    }
}

/// Runs output `kind` of a tabular model on the rows `x`.
///
/// # Errors
/// 400 when the model has no such output; 422/500 as
/// [`ApiError::from_model`] for a failure of the model on `x`.
pub fn run(
    engine: &Engine,
    kind: OutputKind,
    x: ArrayView2<'_, f64>,
) -> Result<(Vec<usize>, OutputData), ApiError> {
    match engine {
        Engine::Regressor(m) => run_estimator(m.as_ref(), kind, x, |p| OutputData::F64(p.to_vec())),
        Engine::Classifier(m) => {
            run_estimator(m.as_ref(), kind, x, |p| OutputData::I64(p.to_vec()))
        }
        Engine::StringClassifier(m) => {
            run_estimator(m.as_ref(), kind, x, |p| OutputData::Bytes(p.to_vec()))
        }
        Engine::Transformer(m) => match kind {
            OutputKind::Transform => m
                .transform(Features::from(x))
                .map(matrix)
                .map_err(model_err(kind)),
            _ => Err(unavailable(kind)),
        },
        Engine::Network(_) => Err(unavailable(kind)),
    }
}

/// Loads `bytes` (a model file) through the library's registry and the
/// validated loader of its kind.
///
/// # Errors
/// The loader's error: [`oxilearn::Error::Format`] for a malformed file or a
/// kind the library does not know, [`oxilearn::Error::UnsupportedVersion`],
/// and whatever the kind's validation refuses.
pub fn load(bytes: &[u8]) -> oxilearn::Result<(ModelMetadata, Engine)> {
    let file = ModelFile::from_bytes(bytes)?;
    let meta = file.metadata.clone();
    let engine = match oxilearn::compose::load_any_file(file)? {
        AnyModel::Regressor(m) => Engine::Regressor(m),
        AnyModel::Classifier(m) => Engine::Classifier(m),
        AnyModel::StringClassifier(m) => Engine::StringClassifier(m),
        AnyModel::Transformer(m) => Engine::Transformer(m),
        AnyModel::Network(net) => Engine::Network(NetPool::new(*net)),
        other => {
            return Err(oxilearn::Error::format(
                format!("{} model file", meta.kind),
                format!(
                    "a model of kind `{}` cannot be served by this build",
                    other.kind()
                ),
            ));
        }
    };
    Ok((meta, engine))
}
