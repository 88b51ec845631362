//! The [`Persist`] trait: save and load for every model.

use std::collections::BTreeMap;
use std::path::Path;

use super::ModelFile;
use crate::error::{Error, Result};

/// A model that saves to and loads from oxilearn model files.
///
/// Implement [`KIND`](Self::KIND), [`to_model_file`](Self::to_model_file) and
/// [`from_model_file`](Self::from_model_file); `save`, `load` & co. are
/// provided. For a generic `FittedX<F>`, `KIND` is the same for `f32` and
/// `f64`; `from_model_file` reads tensors with [`ModelFile::take_float`] (or
/// `take_array1/2`), which fails with [`Error::Format`] when the file holds
/// the other float type.
///
/// # Example
/// See the [module documentation](crate::persist).
pub trait Persist: Sized {
    /// The model kind written in, and required of, the file.
    const KIND: &'static str;

    /// Builds the file: metadata (`ModelFile::new(Self::KIND, F::NAME)`,
    /// n_features, hyperparameters, classes) and tensors.
    ///
    /// # Errors
    /// Whatever building the file may fail with (e.g. unserialisable
    /// hyperparameters); nothing is written then.
    fn to_model_file(&self) -> Result<ModelFile>;

    /// Rebuilds the model. `load` has already checked the container, format,
    /// version (`file.metadata.format_version` ≤ [`FORMAT_VERSION`](super::FORMAT_VERSION); dispatch
    /// on it for older layouts) and kind.
    ///
    /// # Errors
    /// [`Error::Format`] for missing tensors or metadata, wrong dtypes or
    /// shapes, or inconsistent values.
    fn from_model_file(file: ModelFile) -> Result<Self>;

    /// Saves to `path` atomically (temporary file + rename).
    ///
    /// # Errors
    /// [`Error::Io`], or what [`to_model_file`](Self::to_model_file) returns;
    /// an existing file at `path` is then left untouched.
    fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.to_model_file()?.write(path)
    }

    /// Saves to `path` with user metadata (stored as `user.<key>` entries;
    /// they add to, and override, what the model put there).
    ///
    /// # Errors
    /// As [`save`](Self::save).
    fn save_with(&self, path: impl AsRef<Path>, user: &BTreeMap<String, String>) -> Result<()> {
        let mut file = self.to_model_file()?;
        file.metadata
            .user
            .extend(user.iter().map(|(k, v)| (k.clone(), v.clone())));
        file.write(path)
    }

    /// Serialises to the bytes `save` would write.
    ///
    /// # Errors
    /// What [`to_model_file`](Self::to_model_file) returns.
    fn to_bytes(&self) -> Result<Vec<u8>> {
        self.to_model_file()?.to_bytes()
    }

    /// Loads from bytes.
    ///
    /// # Errors
    /// [`Error::Format`], [`Error::UnsupportedVersion`],
    /// [`Error::WrongModelKind`], or what `from_model_file` returns.
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        load_checked(ModelFile::from_bytes(bytes)?)
    }

    /// Loads from `path`.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Format`], [`Error::UnsupportedVersion`],
    /// [`Error::WrongModelKind`], or what `from_model_file` returns.
    fn load(path: impl AsRef<Path>) -> Result<Self> {
        load_checked(ModelFile::read(path)?)
    }
}

fn load_checked<M: Persist>(file: ModelFile) -> Result<M> {
    if file.metadata.kind != M::KIND {
        return Err(Error::WrongModelKind {
            expected: M::KIND.to_string(),
            found: file.metadata.kind,
        });
    }
    M::from_model_file(file)
}
