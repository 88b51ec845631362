//! Data in and out: bundled real datasets, train/test splitting, mini-batches.
//!
//! - [`datasets`] — iris, breast cancer, digits and diabetes, compiled into
//!   the crate (also reachable as `oxilearn::datasets`).
//! - [`train_test_split`], [`stratified_train_test_split`],
//!   [`shuffle_indices`] and [`batches`] — seeded with `ChaCha8Rng`, so the
//!   same seed gives the same rows everywhere.
//! - Generators for benchmarks: [`make_regression`], [`make_classification`],
//!   [`make_blobs`] (scikit-learn's documented algorithms, seeded).
//! - Raw tables: [`Table`] of named, typed [`Column`]s (numeric with NaN for
//!   missing, categorical, boolean), read from CSV by [`CsvReader`] (type
//!   inference, missing-value tokens, RFC 4180 quoting, gzip, chunked
//!   streaming with [`TableChunks`]).
//! - Readers and writers: numeric CSV with a named target column
//!   ([`read_csv`], streaming [`CsvChunks`]); MNIST IDX, plain or gzip
//!   ([`read_idx_images`], [`read_idx_labels`], [`read_mnist`]); CIFAR-10
//!   binary batches ([`read_cifar10`], [`read_cifar10_dir`]); NumPy `.npy`
//!   ([`read_npy`], [`write_npy`]); svmlight / libsvm text into a CSR matrix
//!   ([`load_svmlight_file`], [`SvmlightReader`], [`dump_svmlight_file`]).
//!   Images come out as `f32` NCHW in `[0, 1]`.
//!   Every reader of bytes answers malformed input with
//!   [`Error::Format`](crate::Error::Format), never a panic, and checks
//!   declared sizes against the real byte count before allocating.
//!
//! # File formats
//! - **CSV** ([`parse_csv`]): header row, numeric cells, target column by
//!   name; errors name the line and column.
//! - **MNIST IDX**: `00 00 08 <ndim>`, big-endian `u32` dimensions, then
//!   bytes; images files are `N × H × W`, label files `N`. gzip is detected
//!   by its magic bytes. Writers gzip when the path ends in `.gz`.
//! - **CIFAR-10 binary**: records of 1 label byte (0–9) + 3072 pixel bytes
//!   (R, G, B planes of 32 × 32, row-major — already NCHW).
//! - **NumPy `.npy`** versions 1.0–3.0, `f32`/`f64`/`i64`/`u8`, either byte
//!   order, C or Fortran order on read; [`encode_npy`] writes exactly what
//!   `numpy.save` writes (v1.0, little endian, C order, 64-byte aligned).
//!
//! - **svmlight / libsvm**: `<target> [qid:<int>] <index>:<value> … [# comment]`
//!   per line, indices strictly increasing, zero- or one-based (detected like
//!   scikit-learn's `load_svmlight_file`); errors name the line and column.
//!
//! Images are returned as `f32` NCHW arrays with pixel `byte / 255`; writers
//! take values in `[0, 1]` and store `round(v · 255)`.
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

#![forbid(unsafe_code)]

mod bytes;
mod cifar;
mod csv;
pub mod datasets;
mod generators;
mod idx;
mod npy;
mod reader;
mod split;
mod svmlight;
mod table;

pub use cifar::{
    CIFAR10_CLASSES, CIFAR10_RECORD_BYTES, cifar10_files, encode_cifar10, parse_cifar10,
    read_cifar10, read_cifar10_dir, write_cifar10,
};
pub use csv::{CsvChunks, parse_csv, read_csv};
pub use datasets::Dataset;
pub use generators::{StdNormal, make_blobs, make_classification, make_regression};
pub use idx::{
    ImageSet, Part, encode_idx_images, encode_idx_labels, parse_idx_images, parse_idx_labels,
    read_idx_images, read_idx_labels, read_mnist, write_idx_images, write_idx_labels,
};
pub use npy::{NpyElement, encode_npy, parse_npy, read_npy, write_npy};
pub use reader::{CsvReader, DEFAULT_INFER_ROWS, DEFAULT_MISSING, TableChunks};
pub use split::{
    BatchIter, Split, batches, shuffle_indices, stratified_train_test_split, train_test_split,
};
pub use svmlight::{
    SvmlightData, SvmlightReader, ZeroBased, dump_svmlight_file, load_svmlight_file,
};
pub use table::{Column, ColumnType, Table};
