//! [`Pipeline`]: transformers, then an optional final estimator, fitted as
//! one model ([`FittedPipeline`]) and saved as one model file.

use std::any::Any;
use std::collections::{BTreeMap, HashSet};

use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use super::features::{Features, OwnedFeatures};
use super::registry;
use super::target::Target;
use super::traits::{Estimator, FittedEstimator, FittedTransformer, Transformer, unsupported};
use crate::error::{Error, Result};
use crate::persist::{ModelFile, ModelMetadata, Persist, TensorData};

/// A pipeline's transformer steps and its final estimator.
pub(crate) type SplitFinal<'a, Y> = (Vec<&'a dyn Transformer<Y>>, &'a dyn Estimator<Y>);

/// The kind of a pipeline model file.
pub const PIPELINE_KIND: &str = "Pipeline";

/// Source name of errors about pipeline files.
const SOURCE: &str = "Pipeline model file";

#[derive(Clone, Debug)]
enum Step<Y: Target> {
    Transformer(Box<dyn Transformer<Y>>),
    Estimator(Box<dyn Estimator<Y>>),
}

/// A chain of transformers ending in an optional final estimator
/// (scikit-learn's `Pipeline`).
///
/// `fit` fits each transformer on the output of the previous one, then the
/// estimator on the last output; the [`FittedPipeline`] applies the same
/// chain at prediction. In cross-validation and searches the whole pipeline
/// is refit inside each training fold, so no statistic of a test fold leaks
/// into the model. `Y` is the target type: `f64` for regression, a label type
/// (`usize`, `i64`, `String` …) for classification.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::compose::Pipeline;
///
/// let data = oxilearn::datasets::iris();
/// let pipe = Pipeline::new()
///     .transform("scaler", StandardScaler::new())
///     .estimator("svc", Svc::new().c(10.0));
/// let fitted = pipe.fit(&data.records, data.targets.view())?;
/// assert!(fitted.score(&data.records, data.targets.view())? > 0.95);
/// assert_eq!(fitted.step_names(), ["scaler", "svc"]);
///
/// // One model file for the whole chain.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-pipe-{}.safetensors", std::process::id()));
/// fitted.save(&path)?;
/// let back = FittedPipeline::<usize>::load(&path)?;
/// assert_eq!(back.predict(&data.records)?, fitted.predict(&data.records)?);
/// let steps = oxilearn::persist::inspect(&path)?.steps()?;
/// assert_eq!((steps[0].kind.as_str(), steps[1].kind.as_str()), ("StandardScaler", "Svc"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Pipeline<Y: Target> {
    steps: Vec<(String, Step<Y>)>,
}

impl<Y: Target> Default for Pipeline<Y> {
    fn default() -> Self {
        Pipeline { steps: Vec::new() }
    }
}

impl<Y: Target> Pipeline<Y> {
    /// An empty pipeline; add steps with [`transform`](Self::transform) and
    /// [`estimator`](Self::estimator).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a transformer step named `name`.
    pub fn transform(self, name: impl Into<String>, step: impl Transformer<Y> + 'static) -> Self {
        self.transform_boxed(name, Box::new(step))
    }

    /// Appends a boxed transformer step.
    pub fn transform_boxed(
        mut self,
        name: impl Into<String>,
        step: Box<dyn Transformer<Y>>,
    ) -> Self {
        self.steps.push((name.into(), Step::Transformer(step)));
        self
    }

    /// Appends the final estimator step named `name` (it must be the last
    /// step; `fit` checks).
    pub fn estimator(self, name: impl Into<String>, step: impl Estimator<Y> + 'static) -> Self {
        self.estimator_boxed(name, Box::new(step))
    }

    /// Appends a boxed final estimator.
    pub fn estimator_boxed(mut self, name: impl Into<String>, step: Box<dyn Estimator<Y>>) -> Self {
        self.steps.push((name.into(), Step::Estimator(step)));
        self
    }

    /// The step names, in order.
    pub fn step_names(&self) -> Vec<&str> {
        self.steps.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The transformer step `name`, if there is one.
    pub fn transformer(&self, name: &str) -> Option<&dyn Transformer<Y>> {
        self.steps.iter().find_map(|(n, s)| match s {
            Step::Transformer(t) if n == name => Some(t.as_ref()),
            _ => None,
        })
    }

    /// The final estimator, if the pipeline has one.
    pub fn final_estimator(&self) -> Option<&dyn Estimator<Y>> {
        match self.steps.last() {
            Some((_, Step::Estimator(e))) => Some(e.as_ref()),
            _ => None,
        }
    }

    /// The transformer steps and the final estimator, when the pipeline is
    /// valid and ends in an estimator (what a search's candidates share per
    /// fold: the fitted transformers).
    pub(crate) fn split_final(&self) -> Option<SplitFinal<'_, Y>> {
        self.validate().ok()?;
        let ((_, last), rest) = self.steps.split_last()?;
        let Step::Estimator(e) = last else {
            return None;
        };
        let prefix = rest
            .iter()
            .map(|(_, s)| match s {
                Step::Transformer(t) => Some(t.as_ref()),
                Step::Estimator(_) => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some((prefix, e.as_ref()))
    }

    /// Replaces the transformer step `name` (of concrete type `T`) by
    /// `f(step)`: how a search varies a step's hyperparameters with the
    /// step's own typed builder methods.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"steps"`) when there is no transformer
    /// step `name` or it is not a `T`.
    ///
    /// # Example
    /// ```
    /// use oxilearn::prelude::*;
    /// let pipe = Pipeline::<usize>::new()
    ///     .transform("scaler", StandardScaler::new())
    ///     .estimator("svc", Svc::new());
    /// let pipe = pipe.map_transformer("scaler", |s: StandardScaler| s.with_mean(false))?;
    /// use oxilearn::compose::Estimator;
    /// assert!(pipe.params().contains(&("scaler__with_mean".into(), "false".into())));
    /// assert!(pipe.clone().map_transformer("svc", |s: StandardScaler| s).is_err());
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn map_transformer<T: Transformer<Y> + Clone + 'static>(
        mut self,
        name: &str,
        f: impl FnOnce(T) -> T,
    ) -> Result<Self> {
        let step = self.steps.iter_mut().find_map(|(n, s)| match s {
            Step::Transformer(t) if n == name => Some(t),
            _ => None,
        });
        let Some(step) = step else {
            return Err(Error::invalid(
                "steps",
                format!("the pipeline has no transformer step {name:?}"),
            ));
        };
        let Some(concrete) = step.as_any().downcast_ref::<T>() else {
            return Err(Error::invalid(
                "steps",
                format!("step {name:?} is not a {}", std::any::type_name::<T>()),
            ));
        };
        *step = Box::new(f(concrete.clone()));
        Ok(self)
    }

    /// Replaces the final estimator step `name` (of concrete type `T`) by
    /// `f(step)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"steps"`) when there is no estimator
    /// step `name` or it is not a `T`.
    ///
    /// # Example
    /// ```
    /// use oxilearn::prelude::*;
    /// use oxilearn::compose::Estimator;
    /// let pipe = Pipeline::<usize>::new().estimator("svc", Svc::new());
    /// let pipe = pipe.map_estimator("svc", |s: Svc| s.c(10.0))?;
    /// assert!(pipe.params().contains(&("svc__C".into(), "10".into())));
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn map_estimator<T: Estimator<Y> + Clone + 'static>(
        mut self,
        name: &str,
        f: impl FnOnce(T) -> T,
    ) -> Result<Self> {
        let step = self.steps.iter_mut().find_map(|(n, s)| match s {
            Step::Estimator(e) if n == name => Some(e),
            _ => None,
        });
        let Some(step) = step else {
            return Err(Error::invalid(
                "steps",
                format!("the pipeline has no estimator step {name:?}"),
            ));
        };
        let Some(concrete) = step.as_any().downcast_ref::<T>() else {
            return Err(Error::invalid(
                "steps",
                format!("step {name:?} is not a {}", std::any::type_name::<T>()),
            ));
        };
        *step = Box::new(f(concrete.clone()));
        Ok(self)
    }

    /// Checks the step list: at least one step, unique non-empty names
    /// without `"__"` (the separator of [`params`](Estimator::params)), and
    /// an estimator only as the last step.
    fn validate(&self) -> Result<()> {
        check_steps(
            self.steps
                .iter()
                .map(|(name, step)| (name.as_str(), matches!(step, Step::Estimator(_)))),
        )
    }

    /// Fits every step in order on `x` (and `y`, which the final estimator
    /// needs; transformers that do not learn from targets ignore it).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"steps"`) for an empty pipeline,
    /// duplicate or malformed names, or an estimator before the last step;
    /// [`Error::ShapeMismatch`] when `y` does not have one value per row;
    /// [`Error::EmptyInput`] when the final estimator gets no `y`; whatever a
    /// step's `fit` or `transform` returns.
    pub fn fit<'a, 'b>(
        &self,
        x: impl Into<Features<'a>>,
        y: impl Into<Option<ArrayView1<'b, Y>>>,
    ) -> Result<FittedPipeline<Y>> {
        self.fit_impl(x.into(), y.into(), None).map(|(f, _)| f)
    }

    /// Fits with one weight per sample; the weights go to the final
    /// estimator (scalers and encoders are fitted unweighted).
    ///
    /// # Errors
    /// As [`fit`](Self::fit); [`Error::Unsupported`] when the final estimator
    /// takes no sample weights or the pipeline has none.
    pub fn fit_weighted<'a>(
        &self,
        x: impl Into<Features<'a>>,
        y: ArrayView1<'_, Y>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedPipeline<Y>> {
        if self.final_estimator().is_none() {
            return Err(unsupported(
                "fit_weighted",
                PIPELINE_KIND,
                "the pipeline has no final estimator to take the weights",
            ));
        }
        self.fit_impl(x.into(), Some(y), Some(sample_weight))
            .map(|(f, _)| f)
    }

    fn fit_impl(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<(FittedPipeline<Y>, Option<OwnedFeatures>)> {
        self.validate()?;
        if let Some(y) = y
            && y.len() != x.n_rows()
        {
            return Err(Error::ShapeMismatch {
                what: "y (one target per row of x)",
                expected: vec![x.n_rows()],
                got: vec![y.len()],
            });
        }
        let mut steps = Vec::new();
        let mut estimator = None;
        let mut current: Option<OwnedFeatures> = None;
        for (name, step) in &self.steps {
            let input: Features<'_> = match &current {
                Some(a) => a.view(),
                None => x.reborrow(),
            };
            match step {
                Step::Transformer(t) => {
                    let (fitted, out) = t.fit_transform(input, y)?;
                    steps.push((name.clone(), fitted));
                    current = Some(out);
                }
                Step::Estimator(e) => {
                    let y = y.ok_or(Error::EmptyInput {
                        what: "y (the pipeline's final estimator needs targets)",
                    })?;
                    let fitted = match sample_weight {
                        Some(w) => e.fit_weighted(input, y, w)?,
                        None => e.fit(input, y)?,
                    };
                    estimator = Some((name.clone(), fitted));
                }
            }
        }
        Ok((FittedPipeline { steps, estimator }, current))
    }

    fn all_params(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, step) in &self.steps {
            let params = match step {
                Step::Transformer(t) => t.params(),
                Step::Estimator(e) => e.params(),
            };
            out.extend(params.into_iter().map(|(k, v)| (format!("{name}__{k}"), v)));
        }
        out
    }
}

impl<Y: Target> Estimator<Y> for Pipeline<Y> {
    fn fit(&self, x: Features<'_>, y: ArrayView1<'_, Y>) -> Result<Box<dyn FittedEstimator<Y>>> {
        if self.final_estimator().is_none() {
            return Err(Error::invalid(
                "steps",
                "a pipeline used as an estimator must end in an estimator step",
            ));
        }
        Ok(Box::new(self.fit_impl(x, Some(y), None)?.0))
    }

    fn fit_weighted(
        &self,
        x: Features<'_>,
        y: ArrayView1<'_, Y>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn FittedEstimator<Y>>> {
        Ok(Box::new(Pipeline::fit_weighted(self, x, y, sample_weight)?))
    }

    /// Every step's parameters as `step__param` (scikit-learn's naming).
    fn params(&self) -> Vec<(String, String)> {
        self.all_params()
    }

    fn clone_box(&self) -> Box<dyn Estimator<Y>> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<Y: Target> Transformer<Y> for Pipeline<Y> {
    fn fit(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<Box<dyn FittedTransformer>> {
        if self.final_estimator().is_some() {
            return Err(Error::invalid(
                "steps",
                "a pipeline used as a transformer must not end in an estimator step",
            ));
        }
        Ok(Box::new(self.fit_impl(x, y, None)?.0))
    }

    /// The training rows as the last step's cross-fitted output (each step
    /// sees the previous step's [`fit_transform`](Transformer::fit_transform)
    /// output, as while fitting).
    fn fit_transform(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<(Box<dyn FittedTransformer>, OwnedFeatures)> {
        if self.final_estimator().is_some() {
            return Err(Error::invalid(
                "steps",
                "a pipeline used as a transformer must not end in an estimator step",
            ));
        }
        let (fitted, out) = self.fit_impl(x, y, None)?;
        let out = match out {
            Some(o) => o,
            // No steps: the rows unchanged.
            None => FittedTransformer::transform_features(&fitted, x)?,
        };
        Ok((Box::new(fitted), out))
    }

    fn params(&self) -> Vec<(String, String)> {
        self.all_params()
    }

    fn clone_box(&self) -> Box<dyn Transformer<Y>> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A fitted [`Pipeline`]: the fitted transformers and the fitted final
/// estimator, if any.
///
/// Prediction methods take anything that converts into [`Features`]
/// (`&Array2<f64>`, an `ArrayView2<f64>` …), run the transformers, then the
/// estimator. It saves as **one model file** ([`Persist`]): step `i`'s tensors
/// under `steps.<i>.`, the steps' metadata in the file's hyperparameters
/// (listed by [`ModelMetadata::steps`]); loading dispatches each step on its
/// kind and validates it as a stand-alone file of that kind would be.
///
/// Load one with `FittedPipeline::<Y>::load(path)`, `Y` the target type it
/// was fitted with (a label type such as `usize`, `bool` or `String` for a
/// classifier, `f64` or `f32` for a regressor); or with
/// [`load_any`](crate::compose::load_any) when the kind of file is not known.
///
/// # Example
/// [`Pipeline`]'s example fits, saves and loads one.
#[derive(Debug)]
pub struct FittedPipeline<Y: Target> {
    steps: Vec<(String, Box<dyn FittedTransformer>)>,
    estimator: Option<(String, Box<dyn FittedEstimator<Y>>)>,
}

impl<Y: Target> FittedPipeline<Y> {
    /// The step names, in order (the final estimator last).
    pub fn step_names(&self) -> Vec<&str> {
        self.steps
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(self.estimator.as_ref().map(|(n, _)| n.as_str()))
            .collect()
    }

    /// The fitted transformer step `name`.
    pub fn transformer(&self, name: &str) -> Option<&dyn FittedTransformer> {
        self.steps
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_ref())
    }

    /// The fitted final estimator, if any.
    pub fn final_estimator(&self) -> Option<&dyn FittedEstimator<Y>> {
        self.estimator.as_ref().map(|(_, e)| e.as_ref())
    }

    /// Number of input columns the pipeline expects.
    pub fn n_features_in(&self) -> usize {
        match (self.steps.first(), &self.estimator) {
            (Some((_, t)), _) => t.n_features_in(),
            (None, Some((_, e))) => e.n_features_in(),
            (None, None) => 0,
        }
    }

    /// The classes of the final estimator (classifiers only).
    pub fn classes(&self) -> Option<&[Y]> {
        self.final_estimator().and_then(|e| e.classes())
    }

    /// Runs the transformers; `None` when there are none (use `x` as is).
    fn run_transformers(&self, x: Features<'_>) -> Result<Option<OwnedFeatures>> {
        let mut current: Option<OwnedFeatures> = None;
        for (_, t) in &self.steps {
            let input: Features<'_> = match &current {
                Some(a) => a.view(),
                None => x.reborrow(),
            };
            current = Some(t.transform_features(input)?);
        }
        Ok(current)
    }

    /// The final estimator and the transformed rows.
    fn with_estimator<T>(
        &self,
        operation: &'static str,
        x: Features<'_>,
        f: impl FnOnce(&dyn FittedEstimator<Y>, Features<'_>) -> Result<T>,
    ) -> Result<T> {
        let Some((_, est)) = &self.estimator else {
            return Err(unsupported(
                operation,
                PIPELINE_KIND,
                "the pipeline has no final estimator",
            ));
        };
        let z = self.run_transformers(x)?;
        let input: Features<'_> = match &z {
            Some(a) => a.view(),
            None => x.reborrow(),
        };
        f(est.as_ref(), input)
    }

    /// Applies the transformers only (the final estimator, if any, is not
    /// applied: scikit-learn's `pipe[:-1].transform(X)` for a pipeline that
    /// ends in an estimator).
    ///
    /// # Errors
    /// What a step's `transform` returns.
    pub fn transform<'a>(&self, x: impl Into<Features<'a>>) -> Result<Array2<f64>> {
        let x = x.into();
        match self.run_transformers(x)? {
            Some(OwnedFeatures::Matrix(z)) => Ok(z),
            Some(z) => Ok(z.view().to_matrix()?.into_owned()),
            None => Ok(x.to_matrix()?.into_owned()),
        }
    }

    /// Predictions of the final estimator on the transformed rows.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without a final estimator; what the steps
    /// return.
    pub fn predict<'a>(&self, x: impl Into<Features<'a>>) -> Result<Array1<Y>> {
        self.with_estimator("predict", x.into(), |e, z| e.predict(z))
    }

    /// Class probabilities of the final estimator.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without a final estimator or when it has no
    /// probabilities; what the steps return.
    pub fn predict_proba<'a>(&self, x: impl Into<Features<'a>>) -> Result<Array2<f64>> {
        self.with_estimator("predict_proba", x.into(), |e, z| e.predict_proba(z))
    }

    /// Decision values of the final estimator.
    ///
    /// # Errors
    /// As [`predict_proba`](Self::predict_proba).
    pub fn decision_function<'a>(&self, x: impl Into<Features<'a>>) -> Result<Array2<f64>> {
        self.with_estimator("decision_function", x.into(), |e, z| e.decision_function(z))
    }

    /// Normality scores of a final outlier detector.
    ///
    /// # Errors
    /// As [`predict_proba`](Self::predict_proba).
    pub fn score_samples<'a>(&self, x: impl Into<Features<'a>>) -> Result<Array1<f64>> {
        self.with_estimator("score_samples", x.into(), |e, z| e.score_samples(z))
    }

    /// The final estimator's default score (accuracy or R²) on `(x, y)`.
    ///
    /// # Errors
    /// As [`predict`](Self::predict); [`Error::ShapeMismatch`] when `y`
    /// does not have one value per row.
    pub fn score<'a>(&self, x: impl Into<Features<'a>>, y: ArrayView1<'_, Y>) -> Result<f64> {
        self.with_estimator("score", x.into(), |e, z| e.score(z, y))
    }

    /// Names of the columns the transformers output, from the input names.
    ///
    /// # Errors
    /// What a step's `feature_names_out` returns.
    pub fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
        let mut names = input.to_vec();
        for (_, t) in &self.steps {
            names = t.feature_names_out(&names)?;
        }
        Ok(names)
    }
}

impl<Y: Target> FittedEstimator<Y> for FittedPipeline<Y> {
    fn kind(&self) -> &'static str {
        PIPELINE_KIND
    }

    fn n_features_in(&self) -> usize {
        FittedPipeline::n_features_in(self)
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<Y>> {
        FittedPipeline::predict(self, x)
    }

    fn predict_proba(&self, x: Features<'_>) -> Result<Array2<f64>> {
        FittedPipeline::predict_proba(self, x)
    }

    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        FittedPipeline::decision_function(self, x)
    }

    fn score_samples(&self, x: Features<'_>) -> Result<Array1<f64>> {
        FittedPipeline::score_samples(self, x)
    }

    fn classes(&self) -> Option<&[Y]> {
        FittedPipeline::classes(self)
    }

    fn score(&self, x: Features<'_>, y: ArrayView1<'_, Y>) -> Result<f64> {
        FittedPipeline::score(self, x, y)
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<Y: Target> FittedTransformer for FittedPipeline<Y> {
    fn kind(&self) -> &'static str {
        PIPELINE_KIND
    }

    fn n_features_in(&self) -> usize {
        FittedPipeline::n_features_in(self)
    }

    fn n_features_out(&self) -> usize {
        self.steps.last().map_or_else(
            || FittedPipeline::n_features_in(self),
            |(_, t)| t.n_features_out(),
        )
    }

    fn transform(&self, x: Features<'_>) -> Result<Array2<f64>> {
        FittedPipeline::transform(self, x)
    }

    fn transform_features(&self, x: Features<'_>) -> Result<OwnedFeatures> {
        match self.run_transformers(x)? {
            Some(z) => Ok(z),
            None => Ok(OwnedFeatures::Matrix(x.to_matrix()?.into_owned())),
        }
    }

    fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
        FittedPipeline::feature_names_out(self, input)
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Whether a step of a composite model file transforms rows or is the final
/// estimator.
///
/// # Example
/// ```
/// use oxilearn::compose::StepRole;
/// assert_eq!(serde_json::to_string(&StepRole::Estimator).unwrap(), "\"estimator\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepRole {
    /// A transformer step.
    Transformer,
    /// The final estimator.
    Estimator,
}

/// One step of a pipeline model file, as listed by
/// [`ModelMetadata::steps`]: the step's own metadata (what a stand-alone file
/// of that step would say), its tensors being stored under `steps.<i>.`.
///
/// # Example
/// ```
/// use oxilearn::compose::{StepMetadata, StepRole};
/// let step = StepMetadata {
///     name: "scaler".into(),
///     role: StepRole::Transformer,
///     kind: "StandardScaler".into(),
///     dtype: "f64".into(),
///     n_features: Some(4),
///     hyperparameters: serde_json::json!({ "with_mean": true, "with_std": true }),
///     classes: None,
/// };
/// assert_eq!(step.kind, "StandardScaler");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetadata {
    /// The step's name in the pipeline.
    pub name: String,
    /// Transformer or final estimator.
    pub role: StepRole,
    /// The step's model kind (e.g. `"StandardScaler"`, `"Svc"`).
    pub kind: String,
    /// The step's float type (`"f32"`, `"f64"`) or `"none"`.
    pub dtype: String,
    /// The step's input feature count, when it records one.
    #[serde(default)]
    pub n_features: Option<usize>,
    /// The step's hyperparameters (JSON).
    #[serde(default)]
    pub hyperparameters: serde_json::Value,
    /// The step's classes (classifiers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<serde_json::Value>,
}

/// The step-list rules `fit` and the loader share: at least one step,
/// unique non-empty names without `"__"` (the separator of
/// [`params`](Estimator::params)), and an estimator (`true`) only as the
/// last step.
fn check_steps<'a>(steps: impl ExactSizeIterator<Item = (&'a str, bool)>) -> Result<()> {
    let bad = |reason: String| Err(Error::invalid("steps", reason));
    let n = steps.len();
    if n == 0 {
        return bad("a pipeline needs at least one step".into());
    }
    let mut seen = HashSet::new();
    for (i, (name, estimator)) in steps.enumerate() {
        if name.is_empty() || name.contains("__") {
            return bad(format!(
                "step name {name:?} must be non-empty and must not contain \"__\""
            ));
        }
        if !seen.insert(name) {
            return bad(format!("step name {name:?} is used twice"));
        }
        if estimator && i + 1 != n {
            return bad(format!(
                "estimator step {name:?} must be the last step (it is step {} of {n})",
                i + 1
            ));
        }
    }
    Ok(())
}

/// The hyperparameters of a pipeline file.
#[derive(Serialize, Deserialize)]
struct PipelineMeta {
    steps: Vec<StepMetadata>,
}

impl ModelMetadata {
    /// The steps of a composite (pipeline) model file, in order.
    ///
    /// # Errors
    /// [`Error::WrongModelKind`] when the file is not a pipeline;
    /// [`Error::Format`] when its step list is malformed.
    ///
    /// # Example
    /// See [`Pipeline`].
    pub fn steps(&self) -> Result<Vec<StepMetadata>> {
        if self.kind != PIPELINE_KIND {
            return Err(Error::WrongModelKind {
                expected: PIPELINE_KIND.to_string(),
                found: self.kind.clone(),
            });
        }
        let meta = PipelineMeta::deserialize(&self.hyperparameters)
            .map_err(|e| Error::format(SOURCE, format!("step list: {e}")))?;
        Ok(meta.steps)
    }
}

/// Splits `steps.<i>.<name>` into `(i, name)`.
fn step_tensor(name: &str) -> Option<(usize, &str)> {
    let rest = name.strip_prefix("steps.")?;
    let (i, tensor) = rest.split_once('.')?;
    if tensor.is_empty() || (i.len() > 1 && i.starts_with('0')) {
        return None;
    }
    Some((i.parse().ok()?, tensor))
}

impl<Y: Target> Persist for FittedPipeline<Y> {
    const KIND: &'static str = PIPELINE_KIND;

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut files: Vec<(String, StepRole, ModelFile)> = Vec::new();
        for (name, t) in &self.steps {
            files.push((name.clone(), StepRole::Transformer, t.to_model_file()?));
        }
        if let Some((name, e)) = &self.estimator {
            files.push((name.clone(), StepRole::Estimator, e.to_model_file()?));
        }
        let mut out = ModelFile::new(Self::KIND, "f64").with_n_features(self.n_features_in());
        let mut steps = Vec::with_capacity(files.len());
        for (i, (name, role, mut sub)) in files.into_iter().enumerate() {
            let tensor_names: Vec<String> =
                sub.tensor_names().iter().map(|s| s.to_string()).collect();
            for t in tensor_names {
                let data = sub.take(&t)?;
                out.push(&format!("steps.{i}.{t}"), data);
            }
            let m = sub.metadata;
            if role == StepRole::Estimator {
                out.metadata.classes = m.classes.clone();
            }
            out.metadata.user.extend(
                m.user
                    .into_iter()
                    .map(|(k, v)| (format!("steps.{i}.{k}"), v)),
            );
            steps.push(StepMetadata {
                name,
                role,
                kind: m.kind,
                dtype: m.dtype,
                n_features: m.n_features,
                hyperparameters: m.hyperparameters,
                classes: m.classes,
            });
        }
        out.with_hyperparameters(&PipelineMeta { steps })
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let steps = file
            .metadata
            .steps()
            .map_err(|e| file.format_error(e.to_string()))?;
        // The same rules as `fit`: a step list `fit` refuses is a crafted file.
        file.check_hyperparameters(check_steps(
            steps
                .iter()
                .map(|s| (s.name.as_str(), s.role == StepRole::Estimator)),
        ))?;
        let bad = |file: &ModelFile, reason: String| file.format_error(reason);
        let mut per_step: Vec<Vec<(String, TensorData)>> = vec![Vec::new(); steps.len()];
        let names: Vec<String> = file.tensor_names().iter().map(|s| s.to_string()).collect();
        for name in names {
            let (i, tensor) = step_tensor(&name)
                .filter(|(i, _)| *i < steps.len())
                .ok_or_else(|| bad(&file, format!("tensor `{name}` belongs to no step")))?;
            let tensor = tensor.to_string();
            per_step[i].push((tensor, file.take(&name)?));
        }
        let mut fitted_steps = Vec::new();
        let mut estimator = None;
        let mut width: Option<usize> = None;
        for (i, (s, tensors)) in steps.into_iter().zip(per_step).enumerate() {
            let part = format!("step {i} `{}`", s.name);
            let mut sub = file.part(&s.kind, &s.dtype, &part);
            sub.metadata.n_features = s.n_features;
            sub.metadata.hyperparameters = s.hyperparameters;
            sub.metadata.classes = s.classes;
            sub.metadata.user = BTreeMap::new();
            for (name, data) in tensors {
                sub.push(&name, data);
            }
            let (n_in, n_out) = match s.role {
                StepRole::Transformer => {
                    let t = registry::load_transformer(sub)?;
                    let dims = (t.n_features_in(), t.n_features_out());
                    fitted_steps.push((s.name, t));
                    dims
                }
                StepRole::Estimator => {
                    let e = Y::load_fitted(sub)?;
                    let n = e.n_features_in();
                    estimator = Some((s.name, e));
                    (n, n)
                }
            };
            let expected = width.or(file.metadata.n_features);
            if expected.is_some_and(|w| w != n_in) {
                return Err(bad(
                    &file,
                    format!(
                        "{part} expects {n_in} input features, the previous step gives {}",
                        expected.unwrap_or_default()
                    ),
                ));
            }
            width = Some(n_out);
        }
        Ok(FittedPipeline {
            steps: fitted_steps,
            estimator,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_tensor_names_parse_strictly() {
        assert_eq!(step_tensor("steps.0.mean"), Some((0, "mean")));
        assert_eq!(
            step_tensor("steps.12.steps.0.coef"),
            Some((12, "steps.0.coef"))
        );
        assert_eq!(step_tensor("steps.01.mean"), None);
        assert_eq!(step_tensor("steps.0."), None);
        assert_eq!(step_tensor("steps.x.mean"), None);
        assert_eq!(step_tensor("coef"), None);
    }
}
