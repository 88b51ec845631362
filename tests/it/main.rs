//! The integration tests of oxilearn, as one test binary (`cargo test --test it`).
//!
//! One module per area and kind of check; add a new file here as
//! `tests/it/<area>_<what>.rs` and a `mod` line below. One binary links once
//! (22 separate ones used to dominate `cargo test`'s build time).
//!
//! - `common` — the estimator checks every model applies (scikit-learn's
//!   `estimator_checks` in Rust: determinism, shapes, NaN, save/load …) and
//!   `*_common` apply them per family;
//! - `*_reference` / `*_sklearn` / `nn_torch` — values from scikit-learn,
//!   libsvm and PyTorch, each beside the Python snippet that produced it
//!   (data files in `tests/data/`);
//! - `*_api`, `*_properties`, `*_persist`, `persist_compat` — the public API,
//!   invariants (proptest) and model files (fixtures in `tests/fixtures/`).
//!
//! Run one area: `cargo test --test it svm_` (a filter on the test path).

mod common;
mod reference;

mod common_selftest;
mod data_compose;
mod data_readers;
mod data_split;
mod errors_display;
mod linear_common;
mod linear_persist;
mod linear_properties;
mod linear_sklearn;
mod logistic_api;
mod logistic_common;
mod logistic_reference;
mod logistic_sparse;
mod metrics_reference;
mod model_selection_cv;
mod model_selection_halving;
mod model_selection_search;
mod model_selection_shared;
mod model_selection_split;
mod nn_gradcheck;
mod nn_kit;
mod nn_torch;
mod nn_train;
mod outlier_isolation;
mod outlier_lof;
mod persist_compat;
mod persist_crafted;
mod preprocessing_common;
mod preprocessing_reference;
mod reliability_extreme_data;
mod reliability_numerics;
mod svm_api;
mod svm_common;
mod svm_linear;
mod svm_linear_cs;
mod svm_nu;
mod svm_reference;
mod svm_sparse;
