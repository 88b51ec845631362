//! Data in and out: bundled real datasets, train/test splitting, mini-batches.
//!
//! - [`datasets`] — iris, breast cancer, digits and diabetes, compiled into
//!   the crate (also reachable as `oxilearn::datasets`).
//! - [`train_test_split`], [`stratified_train_test_split`],
//!   [`shuffle_indices`] and [`batches`] — seeded with `ChaCha8Rng`, so the
//!   same seed gives the same rows everywhere.
//!
//! # Example
//! ```
//! use oxilearn::data::{stratified_train_test_split, Split};
//!
//! let iris = oxilearn::datasets::iris();
//! let Split { x_train, x_test, y_train, y_test } =
//!     stratified_train_test_split(iris.records.view(), iris.targets.view(), 0.2, 42)?;
//! assert_eq!((x_train.nrows(), x_test.nrows()), (120, 30));
//! assert_eq!(y_test.iter().filter(|&&c| c == 1).count(), 10);
//! # let _ = y_train;
//! # Ok::<(), oxilearn::Error>(())
//! ```

pub mod datasets;
mod split;

pub use datasets::Dataset;
pub use split::{
    BatchIter, Split, batches, shuffle_indices, stratified_train_test_split, train_test_split,
};
