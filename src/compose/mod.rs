//! Composition: object-safe model traits, [`Pipeline`], and loading any model
//! file by its kind.
//!
//! # What
//! The typed builders (`Svc::new().c(10.0).fit(x.view(), y.view())`) are the
//! direct API of every model. This module puts the same models behind four
//! small object-safe traits so that heterogeneous models can be held, fitted,
//! saved and loaded together:
//!
//! | unfitted | fitted | what |
//! |---|---|---|
//! | [`Transformer<Y>`] | [`FittedTransformer`] | rows → rows (scalers, encoders) |
//! | [`Estimator<Y>`] | [`FittedEstimator<Y>`] | rows → targets `Y` (every model family) |
//!
//! Rows travel as [`Features`] (an `f64` matrix); targets are any [`Target`]:
//! `f64`/`f32` for regression, a [`Label`] (`usize`, `i64`, `String`, `bool` …)
//! for classification.
//!
//! - [`Pipeline`] chains transformers and a final estimator; its
//!   [`FittedPipeline`] predicts through the chain and saves as **one model
//!   file** (step `i`'s tensors under `steps.<i>.`, the step list in the
//!   metadata, read back with [`ModelMetadata::steps`](crate::persist::ModelMetadata::steps)).
//! - [`registry`] loads any file by kind; [`load_any`] returns an
//!   [`AnyModel`] for code that does not know what a file holds.
//!
//! # When
//! Use a pipeline whenever preprocessing is learned from data (scaling,
//! imputing, encoding): fitted inside each cross-validation fold, it cannot
//! leak test statistics, and the deployed file carries its preprocessing.
//!
//! # Example
//! ```
//! use oxilearn::prelude::*;
//! use oxilearn::compose::{load_any, AnyModel, Pipeline};
//!
//! let data = oxilearn::datasets::breast_cancer();
//! let split = stratified_train_test_split(data.records.view(), data.targets.view(), 0.25, 0)?;
//! let fitted = Pipeline::new()
//!     .transform("scaler", StandardScaler::new())
//!     .estimator("logistic", LogisticRegression::new())
//!     .fit(&split.x_train, split.y_train.view())?;
//! assert!(fitted.score(&split.x_test, split.y_test.view())? > 0.95);
//!
//! let path = std::env::temp_dir().join(format!("oxilearn-doc-compose-{}.safetensors", std::process::id()));
//! fitted.save(&path)?;
//! // A server does not know the file's type: it loads any model.
//! let AnyModel::Classifier(model) = load_any(&path)? else { panic!("integer labels") };
//! let p = model.predict(split.x_test.view().into())?;
//! assert_eq!(p.mapv(|c| c as usize), fitted.predict(&split.x_test)?);
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), oxilearn::Error>(())
//! ```

mod column;
mod features;
mod models;
mod pipeline;
pub mod registry;
mod target;
mod traits;

pub use column::{
    COLUMN_TRANSFORMER_KIND, ColumnTransformer, Columns, FittedColumnTransformer, Remainder,
};
pub use features::{Features, OwnedFeatures};
pub(crate) use models::{gamma_text, kernel_text};
pub use pipeline::{FittedPipeline, PIPELINE_KIND, Pipeline, StepMetadata, StepRole};
pub use registry::{AnyModel, load_any, load_any_bytes, load_any_file};
pub use target::{Label, Target, TargetValues};
pub use traits::{Estimator, FittedEstimator, FittedTransformer, Transformer};

#[cfg(test)]
mod tests;
