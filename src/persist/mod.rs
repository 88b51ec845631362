//! Versioned, self-describing model files.
//!
//! Every fitted model saves to **one file**: a [safetensors] container whose
//! tensors hold the learned arrays (coefficients, support vectors, convolution
//! weights …) and whose `__metadata__` string map describes the model:
//!
//! | key               | value                                                      |
//! |-------------------|------------------------------------------------------------|
//! | `format`          | always `"oxilearn"`                                        |
//! | `format_version`  | integer, [`FORMAT_VERSION`] when written by this build     |
//! | `kind`            | the model kind, [`Persist::KIND`] (e.g. `"StandardScaler"`) |
//! | `crate_version`   | the oxilearn version that wrote the file                   |
//! | `dtype`           | `"f32"` / `"f64"` (the model's float type) or `"none"`     |
//! | `n_features`      | feature count (absent for models without one)              |
//! | `hyperparameters` | JSON text                                                  |
//! | `classes`         | JSON text (absent for non-classifiers)                     |
//! | `user.<key>`      | free user metadata: a tag, a data fingerprint, metrics …   |
//! | `checksum`        | `"crc32:…"`, the content checksum (version 2 and later)    |
//!
//! Any safetensors reader (Python's `safetensors`, `candle` …) opens these
//! files; [`inspect`] reads only the header, so it is cheap on large models
//! (it does not verify the checksum: that needs the tensor data).
//!
//! # Model files are untrusted input
//! A model file may come from anywhere (a model repository other people write
//! to, a download, a disk with flipped bits). Loading one gives a model that
//! `fit` could have produced, or a typed error; never a panic, an abort, a
//! model that answers NaN, or an allocation the file's size does not justify:
//! - **Container**: bytes that are not a safetensors container, truncated or
//!   extended files, and files without oxilearn metadata give
//!   [`Error::Format`](crate::Error::Format); a newer `format_version` gives
//!   [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion); a file
//!   of another model kind gives
//!   [`Error::WrongModelKind`](crate::Error::WrongModelKind). The header
//!   length is checked against [`MAX_HEADER_BYTES`] and the file length
//!   before anything is allocated.
//! - **Checksum** (version 2): a CRC-32 of the metadata and the tensors,
//!   written on save and verified on read, so a flipped bit or an edit after
//!   the file was written is an [`Error::Format`](crate::Error::Format)
//!   naming the checksum. It guards against accidents, not attackers: the
//!   checks below do not rely on it. (The recipe, with a Python version, is
//!   in the `checksum` source file `src/persist/checksum.rs`.)
//! - **Tensors**: a missing tensor, or one of the wrong dtype or shape, is an
//!   [`Error::Format`](crate::Error::Format); so is a non-finite value in any
//!   float tensor taken with the `ModelFile::take_*` methods (the error
//!   names the tensor and the index).
//! - **Hyperparameters** pass the same validation as the model's `fit`
//!   ([`ModelFile::check_hyperparameters`] turns a refusal into
//!   [`Error::Format`](crate::Error::Format) naming the hyperparameter), and
//!   classes, sizes and counts must agree with each other and with the
//!   tensors.
//! - **Memory**: decoding holds the tensors (the file's data size) and the
//!   parsed header; every loader sizes what it builds from the tensors
//!   present, never from a number in the metadata alone, so loading a model
//!   allocates a small multiple of the file's size (`tests/memory_cap.rs`
//!   measures it under an allocation cap).
//!
//! Writes are **atomic**: [`Persist::save`] serialises in memory first,
//! writes a temporary file in the target directory, `fsync`s it and renames
//! it over the target. A crash or a serialisation error never leaves a
//! half-written model, and an existing file is replaced only by a complete
//! one.
//!
//! # Version policy
//! - [`FORMAT_VERSION`] is bumped when the *meaning* of existing keys or
//!   tensors changes, or a key becomes required. Adding optional metadata
//!   keys or tensors that older readers may ignore does not bump it.
//! - Files with a `format_version` newer than this build's are refused with
//!   [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion) (by
//!   [`inspect`] and by every loader).
//! - Every older version stays readable. Container-level changes are upgraded
//!   in one place in this module (before a model sees the file); model-level
//!   changes are handled in each [`Persist::from_model_file`], which receives
//!   the file's version in `file.metadata.format_version` and dispatches on
//!   it. Each supported old version keeps test files that must load
//!   (`tests/fixtures/persist/v<N>/`).
//! - Versions: **1**, the first; **2** adds the required `checksum` (the
//!   container only: models read both alike).
//!
//! # Public API
//! [`ModelFile`] (with [`ModelMetadata`], [`TensorInfo`], [`TensorData`])
//! and [`Persist`] are public so that any crate can give its own model types
//! oxilearn model files; [`inspect`] reads a file's description,
//! [`read_safetensors`] / [`write_safetensors`] read and write plain
//! safetensors files (e.g. PyTorch `state_dict`s), [`fingerprint`] labels
//! training data. The encoding, the checksum and the atomic writer are
//! internal.
//!
//! # Example
//! ```
//! use oxilearn::ndarray::{array, Array1, ArrayD};
//! use oxilearn::persist::{self, ModelFile, Persist};
//! use oxilearn::Result;
//!
//! /// A toy model: y = w·x.
//! struct Weights { w: Array1<f64> }
//!
//! impl Persist for Weights {
//!     const KIND: &'static str = "Weights";
//!     fn to_model_file(&self) -> Result<ModelFile> {
//!         let mut file = ModelFile::new(Self::KIND, "f64").with_n_features(self.w.len());
//!         file.push_f64("w", self.w.clone().into_dyn());
//!         Ok(file)
//!     }
//!     fn from_model_file(mut file: ModelFile) -> Result<Self> {
//!         let n = file.n_features()?;
//!         Ok(Weights { w: file.take_array1::<f64>("w", Some(n))? })
//!     }
//! }
//!
//! let dir = std::env::temp_dir().join(format!("oxilearn-doc-persist-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("weights.safetensors");
//!
//! let model = Weights { w: array![1.0, -2.0, 0.5] };
//! model.save(&path)?;
//! let meta = persist::inspect(&path)?;
//! assert_eq!((meta.kind.as_str(), meta.n_features), ("Weights", Some(3)));
//! let back = Weights::load(&path)?;
//! assert_eq!(back.w, model.w);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), oxilearn::Error>(())
//! ```
//!
//! [safetensors]: https://github.com/huggingface/safetensors

#![forbid(unsafe_code)]

mod checksum;
mod encoding;
mod file;
mod io;
mod traits;

#[cfg(test)]
mod tests;

pub use encoding::{TensorData, read_safetensors, write_safetensors};
pub(crate) use encoding::{decode_safetensors, encode_safetensors};
pub use file::{ModelFile, ModelMetadata, TensorInfo, inspect};
pub use io::fingerprint;
pub(crate) use io::write_atomic;
pub use traits::Persist;

/// The model-file format version this build writes (and the newest it reads).
pub const FORMAT_VERSION: u32 = 2;

/// The value of the `format` metadata key in every oxilearn model file.
pub const FORMAT_NAME: &str = "oxilearn";

/// The largest header (JSON) accepted, in bytes (safetensors' own limit).
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

/// Length of the little-endian header-size prefix of a safetensors file.
pub(crate) const N_LEN: usize = 8;

/// `source_name` used in errors about bytes that are not read from a path.
pub(crate) const BYTES_SOURCE: &str = "model file";

/// Metadata keys with a fixed meaning.
pub(crate) mod keys {
    pub const FORMAT: &str = "format";
    pub const FORMAT_VERSION: &str = "format_version";
    pub const KIND: &str = "kind";
    pub const CRATE_VERSION: &str = "crate_version";
    pub const DTYPE: &str = "dtype";
    pub const N_FEATURES: &str = "n_features";
    pub const HYPERPARAMETERS: &str = "hyperparameters";
    pub const CLASSES: &str = "classes";
    pub const USER_PREFIX: &str = "user.";
}
