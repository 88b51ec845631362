//! # oxilearn
//!
//! Classical machine learning and small convolutional networks in pure Rust,
//! over [`ndarray`].
//!
//! ## The big picture
//! - **Models** — one module per family: [`linear`] (OLS, Ridge),
//!   [`logistic`] (binary and multinomial logistic regression), [`svm`]
//!   (kernel SVM classification, regression, probabilities) and [`nn`]
//!   (LeNet-5-class CNNs in `f32`).
//! - **Unfitted parameters and fitted models are different types**: a builder
//!   of hyperparameters has `fit`, which validates everything once and returns
//!   a fitted model; only fitted models have `predict`. Errors are typed
//!   ([`Error`]), never panics on bad data.
//! - **Backends** — [`linalg`] is the only code that knows whether products and
//!   decompositions run in pure Rust (default: faer, rayon) or on a system
//!   BLAS/LAPACK (feature `openblas-system`).
//! - **Around the models** — bundled real [`datasets`], [`data`] readers (CSV,
//!   MNIST IDX, CIFAR-10, typed tables of raw CSV) and splitting,
//!   [`preprocessing`] (scalers, imputers, encoders), [`outlier`] detection,
//!   [`metrics`], SVG plots of curves and confusion matrices (module `plots`,
//!   feature `plots`), and versioned model files in [`persist`].
//! - **Composition** — [`compose`]: object-safe model traits, `Pipeline`
//!   (preprocessing + model, fitted and saved as one), and loading any model
//!   file by its kind.
//!
//! ## CPU dispatch
//! A few hot kernels (SVM solver scans and RBF kernel rows, the logistic
//! softmax pass, the gram of linear fits, direct convolutions and 2×2 max
//! pooling) have AVX2 / AVX-512 variants chosen at run time: the CPU is
//! probed once and every variant gives the same results as the portable code
//! (the FMA convolutions within rounding). The environment variable
//! `OXILEARN_CPU`, read once at the first probe, restricts them:
//! `OXILEARN_CPU=portable` runs the portable Rust code only,
//! `OXILEARN_CPU=avx2` caps them at AVX2; unset (or `native`) uses what the
//! CPU has. faer's and BLAS's own kernels keep their own dispatch.
//!
//! ## Quick example
//! ```
//! use oxilearn::prelude::*;
//!
//! // Bundled real data → stratified split → scaling → fit → held-out score.
//! let iris = oxilearn::datasets::iris();
//! let split = stratified_train_test_split(iris.records.view(), iris.targets.view(), 0.25, 0)?;
//! let scaler = StandardScaler::new().fit(split.x_train.view())?;
//! let x_train = scaler.transform(split.x_train.view())?;
//! let x_test = scaler.transform(split.x_test.view())?;
//!
//! let model = LogisticRegression::new().fit(x_train.view(), split.y_train.view())?;
//! assert!(model.score(x_test.view(), split.y_test.view())? > 0.85);
//! let svc = Svc::new().fit(x_train.view(), split.y_train.view())?;
//! assert_eq!(svc.predict(x_test.view())?.len(), split.y_test.len());
//! # Ok::<(), oxilearn::Error>(())
//! ```

#![warn(missing_docs)]
// Every module that needs no `unsafe` says `#![forbid(unsafe_code)]`. Those modules slice
// with ndarray's safe methods (`slice_axis`, `row`, `column`, …), not `s![…]`: the macro
// expands to `#[allow(unsafe_code)]`, which `forbid` rejects (E0453).
// `unsafe` lives in the SIMD kernels (`svm`, `logistic`, `linalg`, `nn`, dispatched through
// `cpu`) and in one same-type cast in `compose`; every block carries its `// SAFETY:`
// comment (clippy's `undocumented_unsafe_blocks`, denied in CI).

mod class_weight;
pub mod compose;
pub(crate) mod cpu;
pub mod data;
pub mod error;
mod float;
pub mod linalg;
pub mod linear;
pub mod logistic;
pub mod metrics;
pub mod model_selection;
pub mod nn;
pub(crate) mod numerics;
pub mod outlier;
pub mod persist;
#[cfg(feature = "plots")]
pub mod plots;
pub mod preprocessing;
pub mod sparse;
pub mod svm;
pub mod traits;
pub(crate) mod validation;

pub use class_weight::ClassWeight;
pub use data::datasets;
pub use error::{Error, Result};
pub use float::Float;
pub use ndarray;

/// The names most programs need: `use oxilearn::prelude::*;`.
pub mod prelude {
    pub use crate::compose::{FittedPipeline, Pipeline};
    pub use crate::data::{Dataset, stratified_train_test_split, train_test_split};
    pub use crate::error::{Error, Result};
    pub use crate::float::Float;
    pub use crate::linear::{LinearRegression, Ridge};
    pub use crate::logistic::LogisticRegression;
    pub use crate::persist::Persist;
    pub use crate::preprocessing::{LabelEncoder, MinMaxScaler, StandardScaler};
    pub use crate::svm::{Gamma, Kernel, Svc, Svr};
    pub use crate::traits::{Fit, Predict, PredictProba, Transform};
    pub use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, array, s};
}
