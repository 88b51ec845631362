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
//!
//! Any safetensors reader (Python's `safetensors`, `candle` …) opens these
//! files; [`inspect`] reads only the header, so it is cheap on large models.
//!
//! # Guarantees
//! - **Atomic writes**: [`Persist::save`] serialises in memory first, writes a
//!   temporary file in the target directory, `fsync`s it and renames it over
//!   the target. A crash or a serialisation error never leaves a half-written
//!   model, and an existing file is replaced only by a complete one.
//! - **Typed failures**: bytes that are not a safetensors container, truncated
//!   or corrupted files, and files without oxilearn metadata give
//!   [`Error::Format`](crate::Error::Format); a newer `format_version` gives
//!   [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion); a file of another model kind gives
//!   [`Error::WrongModelKind`](crate::Error::WrongModelKind); a missing tensor or one of the wrong dtype or
//!   shape gives [`Error::Format`](crate::Error::Format). Reading never panics and never allocates
//!   more than the file's own size (headers are bounded by 100 MB and by the
//!   file length before anything is allocated).
//!
//! # Version policy
//! - [`FORMAT_VERSION`] is bumped when the *meaning* of existing keys or
//!   tensors changes. Adding optional metadata keys or tensors that older
//!   readers may ignore does not bump it.
//! - Files with a `format_version` newer than this build's are refused with
//!   [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion) (by [`inspect`] and by every loader).
//! - Every older version stays readable. Container-level changes are upgraded
//!   in one place in this module (before a model sees the file); model-level
//!   changes are handled in each [`Persist::from_model_file`], which receives
//!   the file's version in `file.metadata.format_version` and dispatches on
//!   it. Each supported old version keeps a test file that must load.
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

mod encoding;
mod file;
mod io;
mod traits;

#[cfg(test)]
mod tests;

pub use encoding::{TensorData, read_safetensors, write_safetensors};
pub use file::{ModelFile, ModelMetadata, TensorInfo, inspect};
pub use io::fingerprint;
pub use traits::Persist;

/// The model-file format version this build writes (and the newest it reads).
pub const FORMAT_VERSION: u32 = 1;

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
