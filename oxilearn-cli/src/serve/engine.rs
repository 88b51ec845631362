//! Loading a model file of any kind, and running one output of it on `f64`
//! rows.
//!
//! Every model is loaded through the library's own validated loader for its
//! kind (`Persist::from_bytes`), chosen from the file's `kind`, `dtype` and
//! `classes` metadata. Models are used through one small object-safe trait,
//! [`Estimate`], so the server code does not depend on concrete model types.

use std::fmt::Debug;

use ndarray::{Array1, Array2, ArrayView2};
use oxilearn::linalg::Float;
use oxilearn::persist::{ModelFile, ModelMetadata, Persist};

use super::error::ApiError;
use super::model::{NetPool, OutputKind};
use super::tensor::OutputData;

/// A fitted estimator whose predictions are `Y`, on `f64` rows.
pub trait Estimate<Y>: Send + Sync + Debug {
    /// Features per row.
    fn n_features_in(&self) -> usize;
    /// One prediction per row.
    fn predict(&self, x: ArrayView2<'_, f64>) -> oxilearn::Result<Array1<Y>>;
    /// Class probabilities, when the model has them.
    fn predict_proba(&self, _x: ArrayView2<'_, f64>) -> Option<oxilearn::Result<Array2<f64>>> {
        None
    }
    /// Decision values, when the model has them.
    fn decision_function(&self, _x: ArrayView2<'_, f64>) -> Option<oxilearn::Result<Array2<f64>>> {
        None
    }
    /// Outlier scores, when the model has them.
    fn score_samples(&self, _x: ArrayView2<'_, f64>) -> Option<oxilearn::Result<Array1<f64>>> {
        None
    }
}

/// A fitted transformer on `f64` rows.
pub trait TransformRows: Send + Sync + Debug {
    /// Features per input row.
    fn n_features_in(&self) -> usize;
    /// The transformed rows.
    fn transform(&self, x: ArrayView2<'_, f64>) -> oxilearn::Result<Array2<f64>>;
}

/// Any servable model.
#[derive(Debug)]
pub enum Engine {
    /// Continuous targets.
    Regressor(Box<dyn Estimate<f64>>),
    /// Integer class labels (and outlier detectors: ±1).
    Classifier(Box<dyn Estimate<i64>>),
    /// String class labels.
    StringClassifier(Box<dyn Estimate<String>>),
    /// Feature transformers.
    Transformer(Box<dyn TransformRows>),
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

fn model_err(e: oxilearn::Error) -> ApiError {
    ApiError::from_model(&e)
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

fn run_estimator<Y>(
    m: &dyn Estimate<Y>,
    kind: OutputKind,
    x: ArrayView2<'_, f64>,
    labels: impl FnOnce(Array1<Y>) -> OutputData,
) -> Result<(Vec<usize>, OutputData), ApiError> {
    match kind {
        OutputKind::Predict => {
            let p = m.predict(x).map_err(model_err)?;
            Ok((vec![p.len()], labels(p)))
        }
        OutputKind::PredictProba => m
            .predict_proba(x)
            .ok_or_else(|| unavailable(kind))?
            .map(matrix)
            .map_err(model_err),
        OutputKind::DecisionFunction => m
            .decision_function(x)
            .ok_or_else(|| unavailable(kind))?
            .map(matrix)
            .map_err(model_err),
        OutputKind::ScoreSamples => m
            .score_samples(x)
            .ok_or_else(|| unavailable(kind))?
            .map(vector)
            .map_err(model_err),
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
            OutputKind::Transform => m.transform(x).map(matrix).map_err(model_err),
            _ => Err(unavailable(kind)),
        },
        Engine::Network(_) => Err(unavailable(kind)),
    }
}

fn format_err(meta: &ModelMetadata, reason: impl Into<String>) -> oxilearn::Error {
    oxilearn::Error::format(format!("{} model file", meta.kind), reason)
}

/// The label type a classifier file's `classes` hold.
enum LabelType {
    Int,
    Str,
}

fn label_type(meta: &ModelMetadata) -> oxilearn::Result<LabelType> {
    let classes = meta
        .classes
        .as_ref()
        .and_then(|c| c.as_array())
        .ok_or_else(|| format_err(meta, "a classifier file without a `classes` list"))?;
    if classes.iter().all(|c| c.is_i64() || c.is_u64()) {
        Ok(LabelType::Int)
    } else if classes.iter().all(|c| c.is_string()) {
        Ok(LabelType::Str)
    } else {
        Err(format_err(
            meta,
            "class labels must be all integers or all strings",
        ))
    }
}

/// Loads `bytes` (a model file) through the loader of its kind.
///
/// # Errors
/// The loader's error; [`oxilearn::Error::Format`] for a kind this server
/// does not know.
pub fn load(bytes: &[u8]) -> oxilearn::Result<(ModelMetadata, Engine)> {
    let meta = ModelFile::from_bytes(bytes)?.metadata;
    let f32 = meta.dtype == "f32";
    macro_rules! by_dtype {
        ($t:ident, $wrap:ident) => {
            if f32 {
                Engine::$wrap(Box::new($t::<f32>::from_bytes(bytes)?))
            } else {
                Engine::$wrap(Box::new($t::<f64>::from_bytes(bytes)?))
            }
        };
    }
    macro_rules! by_label {
        ($t:ident) => {
            match (label_type(&meta)?, f32) {
                (LabelType::Int, false) => {
                    Engine::Classifier(Box::new($t::<f64, i64>::from_bytes(bytes)?))
                }
                (LabelType::Int, true) => {
                    Engine::Classifier(Box::new($t::<f32, i64>::from_bytes(bytes)?))
                }
                (LabelType::Str, false) => {
                    Engine::StringClassifier(Box::new($t::<f64, String>::from_bytes(bytes)?))
                }
                (LabelType::Str, true) => {
                    Engine::StringClassifier(Box::new($t::<f32, String>::from_bytes(bytes)?))
                }
            }
        };
    }
    use oxilearn::linear::{FittedLinearRegression, FittedRidge};
    use oxilearn::logistic::FittedLogisticRegression;
    use oxilearn::preprocessing::{FittedMinMaxScaler, FittedStandardScaler};
    use oxilearn::svm::{FittedSvc, FittedSvr};
    let engine = match meta.kind.as_str() {
        "LinearRegression" => by_dtype!(FittedLinearRegression, Regressor),
        "Ridge" => by_dtype!(FittedRidge, Regressor),
        "Svr" => by_dtype!(FittedSvr, Regressor),
        "LogisticRegression" => by_label!(FittedLogisticRegression),
        "Svc" => by_label!(FittedSvc),
        "StandardScaler" => by_dtype!(FittedStandardScaler, Transformer),
        "MinMaxScaler" => by_dtype!(FittedMinMaxScaler, Transformer),
        "Sequential" => Engine::Network(NetPool::new(oxilearn::nn::Sequential::from_bytes(bytes)?)),
        other => {
            return Err(format_err(
                &meta,
                format!("model kind `{other}` cannot be served by this build"),
            ));
        }
    };
    Ok((meta, engine))
}

/// `x` in the model's float type (a view when it is `f64` already).
fn cast<F: Float>(x: ArrayView2<'_, f64>) -> Array2<F> {
    x.mapv(F::from_f64_lossy)
}

fn to_f64<F: Float, D: ndarray::Dimension>(a: ndarray::Array<F, D>) -> ndarray::Array<f64, D> {
    a.mapv(|v| v.to_f64_exact())
}

mod impls {
    use super::*;
    use oxilearn::linear;
    use oxilearn::logistic::FittedLogisticRegression;
    use oxilearn::preprocessing::{FittedMinMaxScaler, FittedStandardScaler};
    use oxilearn::svm::{FittedSvc, FittedSvr};
    use serde::{Serialize, de::DeserializeOwned};
    use std::hash::Hash;

    macro_rules! regressor_impl {
        ($t:ty) => {
            impl<F: Float> Estimate<f64> for $t {
                fn n_features_in(&self) -> usize {
                    self.n_features()
                }
                fn predict(&self, x: ArrayView2<'_, f64>) -> oxilearn::Result<Array1<f64>> {
                    Ok(to_f64(self.predict(cast::<F>(x).view())?))
                }
            }
        };
    }
    regressor_impl!(linear::FittedLinearRegression<F>);
    regressor_impl!(linear::FittedRidge<F>);
    regressor_impl!(FittedSvr<F>);

    pub trait Label:
        Clone + Eq + Hash + Ord + Send + Sync + Debug + Serialize + DeserializeOwned
    {
    }
    impl<T: Clone + Eq + Hash + Ord + Send + Sync + Debug + Serialize + DeserializeOwned> Label for T {}

    impl<F: Float, L: Label> Estimate<L> for FittedLogisticRegression<F, L> {
        fn n_features_in(&self) -> usize {
            self.n_features()
        }
        fn predict(&self, x: ArrayView2<'_, f64>) -> oxilearn::Result<Array1<L>> {
            self.predict(cast::<F>(x).view())
        }
        fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Option<oxilearn::Result<Array2<f64>>> {
            Some(self.predict_proba(cast::<F>(x).view()).map(to_f64))
        }
        fn decision_function(
            &self,
            x: ArrayView2<'_, f64>,
        ) -> Option<oxilearn::Result<Array2<f64>>> {
            Some(self.decision_function(cast::<F>(x).view()).map(to_f64))
        }
    }

    impl<F: Float, L: Label> Estimate<L> for FittedSvc<F, L> {
        fn n_features_in(&self) -> usize {
            self.n_features()
        }
        fn predict(&self, x: ArrayView2<'_, f64>) -> oxilearn::Result<Array1<L>> {
            self.predict(cast::<F>(x).view())
        }
        fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Option<oxilearn::Result<Array2<f64>>> {
            if self.prob_a().is_empty() {
                return None;
            }
            Some(self.predict_proba(cast::<F>(x).view()).map(to_f64))
        }
        fn decision_function(
            &self,
            x: ArrayView2<'_, f64>,
        ) -> Option<oxilearn::Result<Array2<f64>>> {
            Some(self.decision_function(cast::<F>(x).view()).map(to_f64))
        }
    }

    macro_rules! transformer_impl {
        ($t:ty) => {
            impl<F: Float> TransformRows for $t {
                fn n_features_in(&self) -> usize {
                    self.n_features()
                }
                fn transform(&self, x: ArrayView2<'_, f64>) -> oxilearn::Result<Array2<f64>> {
                    Ok(to_f64(self.transform(cast::<F>(x).view())?))
                }
            }
        };
    }
    transformer_impl!(FittedStandardScaler<F>);
    transformer_impl!(FittedMinMaxScaler<F>);
}
