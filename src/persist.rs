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
//!   [`Error::Format`]; a newer `format_version` gives
//!   [`Error::UnsupportedVersion`]; a file of another model kind gives
//!   [`Error::WrongModelKind`]; a missing tensor or one of the wrong dtype or
//!   shape gives [`Error::Format`]. Reading never panics and never allocates
//!   more than the file's own size (headers are bounded by 100 MB and by the
//!   file length before anything is allocated).
//!
//! # Version policy
//! - [`FORMAT_VERSION`] is bumped when the *meaning* of existing keys or
//!   tensors changes. Adding optional metadata keys or tensors that older
//!   readers may ignore does not bump it.
//! - Files with a `format_version` newer than this build's are refused with
//!   [`Error::UnsupportedVersion`] (by [`inspect`] and by every loader).
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

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use safetensors::Dtype;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::error::{Error, Result};
use crate::linalg::Float;

/// The model-file format version this build writes (and the newest it reads).
pub const FORMAT_VERSION: u32 = 1;

/// The value of the `format` metadata key in every oxilearn model file.
pub const FORMAT_NAME: &str = "oxilearn";

/// The largest header (JSON) accepted, in bytes (safetensors' own limit).
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

/// Length of the little-endian header-size prefix of a safetensors file.
const N_LEN: usize = 8;

/// `source_name` used in errors about bytes that are not read from a path.
const BYTES_SOURCE: &str = "model file";

/// Metadata keys with a fixed meaning.
mod keys {
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

/// One tensor's values: the element types model files hold.
///
/// # Example
/// ```
/// use oxilearn::ndarray::{array, ArrayD};
/// use oxilearn::persist::TensorData;
/// let t = TensorData::F32(array![[1.0f32, 2.0]].into_dyn());
/// assert_eq!((t.dtype(), t.shape()), ("f32", &[1usize, 2][..]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// 32-bit floats (safetensors `F32`).
    F32(ArrayD<f32>),
    /// 64-bit floats (safetensors `F64`).
    F64(ArrayD<f64>),
    /// 64-bit signed integers (safetensors `I64`): counts, indices, codes.
    I64(ArrayD<i64>),
}

impl TensorData {
    /// `"f32"`, `"f64"` or `"i64"`.
    pub fn dtype(&self) -> &'static str {
        match self {
            TensorData::F32(_) => "f32",
            TensorData::F64(_) => "f64",
            TensorData::I64(_) => "i64",
        }
    }

    /// The tensor's shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            TensorData::F32(a) => a.shape(),
            TensorData::F64(a) => a.shape(),
            TensorData::I64(a) => a.shape(),
        }
    }

    fn safetensors_dtype(&self) -> Dtype {
        match self {
            TensorData::F32(_) => Dtype::F32,
            TensorData::F64(_) => Dtype::F64,
            TensorData::I64(_) => Dtype::I64,
        }
    }

    /// Little-endian bytes in logical (row-major) order.
    fn le_bytes(&self) -> Vec<u8> {
        match self {
            TensorData::F32(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
            TensorData::F64(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
            TensorData::I64(a) => a.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

/// Name, dtype and shape of one tensor in a model file (from [`inspect`]).
///
/// # Example
/// ```
/// use oxilearn::persist::TensorInfo;
/// let t = TensorInfo { name: "coef".into(), dtype: "f64".into(), shape: vec![3] };
/// assert_eq!(t.shape.iter().product::<usize>(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorInfo {
    /// Tensor name (e.g. `"coef"`, `"conv1.weight"`).
    pub name: String,
    /// Lower-case safetensors dtype: `"f32"`, `"f64"`, `"i64"` (others may
    /// appear in foreign files, e.g. `"bf16"`).
    pub dtype: String,
    /// Shape, row-major.
    pub shape: Vec<usize>,
}

/// Everything a model file says about itself, without its tensor values.
///
/// Returned by [`inspect`]; also the `metadata` of a [`ModelFile`].
///
/// # Example
/// ```
/// use oxilearn::persist::{ModelFile, FORMAT_VERSION};
/// let file = ModelFile::new("Ridge", "f64").with_n_features(4);
/// let meta = &file.metadata;
/// assert_eq!((meta.format.as_str(), meta.format_version), ("oxilearn", FORMAT_VERSION));
/// assert_eq!(meta.n_features, Some(4));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetadata {
    /// Always `"oxilearn"`.
    pub format: String,
    /// The file-format version ([`FORMAT_VERSION`] when written by this build).
    pub format_version: u32,
    /// The model kind (e.g. `"LinearRegression"`, `"Svc"`, `"StandardScaler"`).
    pub kind: String,
    /// The oxilearn version that wrote the file.
    pub crate_version: String,
    /// `"f32"` / `"f64"`, or `"none"` for models without a float type.
    pub dtype: String,
    /// Number of input features, when the model has one.
    pub n_features: Option<usize>,
    /// Hyperparameters as JSON (`null` when the model has none).
    pub hyperparameters: serde_json::Value,
    /// Class labels as JSON (classifiers only).
    pub classes: Option<serde_json::Value>,
    /// Free user metadata (a tag, a training-data fingerprint, metrics …).
    pub user: BTreeMap<String, String>,
    /// The tensors in the file, sorted by name.
    pub tensors: Vec<TensorInfo>,
}

/// A model file in memory: metadata plus named tensors.
///
/// Models build one in [`Persist::to_model_file`] (with the `with_*` and
/// `push_*` methods) and take it apart in [`Persist::from_model_file`] (with
/// the `take_*` methods, which check dtype and shape).
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::persist::ModelFile;
///
/// let mut file = ModelFile::new("Toy", "f32")
///     .with_n_features(2)
///     .with_hyperparameters(&serde_json::json!({ "alpha": 1.0 }))?;
/// file.push_float::<f32>("coef", array![1.0f32, 2.0].into_dyn());
/// let bytes = file.to_bytes()?;
///
/// let mut back = ModelFile::from_bytes(&bytes)?;
/// assert_eq!(back.metadata.kind, "Toy");
/// assert_eq!(back.take_array1::<f32>("coef", Some(2))?, array![1.0f32, 2.0]);
/// assert!(back.take_f64("coef").is_err()); // taken already
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// The file's metadata. `metadata.tensors` lists the tensors as read
    /// (or as pushed); it is recomputed when the file is written.
    pub metadata: ModelMetadata,
    tensors: BTreeMap<String, TensorData>,
}

impl ModelFile {
    /// An empty file for a model of `kind` with float type `dtype`
    /// (`F::NAME`, or `"none"`), at the current [`FORMAT_VERSION`].
    pub fn new(kind: &str, dtype: &str) -> Self {
        ModelFile {
            metadata: ModelMetadata {
                format: FORMAT_NAME.to_string(),
                format_version: FORMAT_VERSION,
                kind: kind.to_string(),
                crate_version: env!("CARGO_PKG_VERSION").to_string(),
                dtype: dtype.to_string(),
                n_features: None,
                hyperparameters: serde_json::Value::Null,
                classes: None,
                user: BTreeMap::new(),
                tensors: Vec::new(),
            },
            tensors: BTreeMap::new(),
        }
    }

    /// Records the model's feature count.
    pub fn with_n_features(mut self, n: usize) -> Self {
        self.metadata.n_features = Some(n);
        self
    }

    /// Records the hyperparameters (any `Serialize` value, stored as JSON).
    ///
    /// # Errors
    /// [`Error::Format`] if `h` cannot be represented as JSON.
    pub fn with_hyperparameters<T: Serialize>(mut self, h: &T) -> Result<Self> {
        self.metadata.hyperparameters = serde_json::to_value(h)
            .map_err(|e| Error::format(BYTES_SOURCE, format!("hyperparameters: {e}")))?;
        Ok(self)
    }

    /// Records the class labels (stored as a JSON array).
    ///
    /// # Errors
    /// [`Error::Format`] if the labels cannot be represented as JSON.
    pub fn with_classes<T: Serialize>(mut self, c: &[T]) -> Result<Self> {
        self.metadata.classes = Some(
            serde_json::to_value(c)
                .map_err(|e| Error::format(BYTES_SOURCE, format!("classes: {e}")))?,
        );
        Ok(self)
    }

    /// Adds one user metadata entry (stored as `user.<key>`).
    pub fn with_user(mut self, key: &str, value: &str) -> Self {
        self.metadata
            .user
            .insert(key.to_string(), value.to_string());
        self
    }

    /// Adds (or replaces) a tensor.
    pub fn push(&mut self, name: &str, data: TensorData) {
        let info = TensorInfo {
            name: name.to_string(),
            dtype: data.dtype().to_string(),
            shape: data.shape().to_vec(),
        };
        self.metadata.tensors.retain(|t| t.name != name);
        let at = self
            .metadata
            .tensors
            .partition_point(|t| t.name.as_str() < name);
        self.metadata.tensors.insert(at, info);
        self.tensors.insert(name.to_string(), data);
    }

    /// Adds (or replaces) an `f32` tensor.
    pub fn push_f32(&mut self, name: &str, a: ArrayD<f32>) {
        self.push(name, TensorData::F32(a));
    }

    /// Adds (or replaces) an `f64` tensor.
    pub fn push_f64(&mut self, name: &str, a: ArrayD<f64>) {
        self.push(name, TensorData::F64(a));
    }

    /// Adds (or replaces) an `i64` tensor.
    pub fn push_i64(&mut self, name: &str, a: ArrayD<i64>) {
        self.push(name, TensorData::I64(a));
    }

    /// Adds (or replaces) a tensor of the model's float type `F`.
    pub fn push_float<F: Float>(&mut self, name: &str, a: ArrayD<F>) {
        let any: Box<dyn Any> = Box::new(a);
        let data = match any.downcast::<ArrayD<f32>>() {
            Ok(a) => TensorData::F32(*a),
            Err(any) => match any.downcast::<ArrayD<f64>>() {
                Ok(a) => TensorData::F64(*a),
                Err(_) => unreachable!("Float is sealed: only f32 and f64 implement it"),
            },
        };
        self.push(name, data);
    }

    /// The tensor `name`, if present (not removed).
    pub fn tensor(&self, name: &str) -> Option<&TensorData> {
        self.tensors.get(name)
    }

    /// Names of the tensors still in the file, sorted.
    pub fn tensor_names(&self) -> Vec<&str> {
        self.tensors.keys().map(String::as_str).collect()
    }

    /// Removes and returns the tensor `name`.
    ///
    /// # Errors
    /// [`Error::Format`] when the file has no such tensor.
    pub fn take(&mut self, name: &str) -> Result<TensorData> {
        self.tensors.remove(name).ok_or_else(|| {
            Error::format(
                BYTES_SOURCE,
                format!("{} model file has no tensor `{name}`", self.metadata.kind),
            )
        })
    }

    fn wrong_dtype(&self, name: &str, found: &str, expected: &str) -> Error {
        Error::format(
            BYTES_SOURCE,
            format!(
                "tensor `{name}` of the {} model file has dtype {found}, expected {expected} \
                 (the file's model dtype is {})",
                self.metadata.kind, self.metadata.dtype
            ),
        )
    }

    /// Removes and returns the `f32` tensor `name`.
    ///
    /// # Errors
    /// [`Error::Format`] when missing or of another dtype.
    pub fn take_f32(&mut self, name: &str) -> Result<ArrayD<f32>> {
        match self.take(name)? {
            TensorData::F32(a) => Ok(a),
            other => Err(self.wrong_dtype(name, other.dtype(), "f32")),
        }
    }

    /// Removes and returns the `f64` tensor `name`.
    ///
    /// # Errors
    /// [`Error::Format`] when missing or of another dtype.
    pub fn take_f64(&mut self, name: &str) -> Result<ArrayD<f64>> {
        match self.take(name)? {
            TensorData::F64(a) => Ok(a),
            other => Err(self.wrong_dtype(name, other.dtype(), "f64")),
        }
    }

    /// Removes and returns the `i64` tensor `name`.
    ///
    /// # Errors
    /// [`Error::Format`] when missing or of another dtype.
    pub fn take_i64(&mut self, name: &str) -> Result<ArrayD<i64>> {
        match self.take(name)? {
            TensorData::I64(a) => Ok(a),
            other => Err(self.wrong_dtype(name, other.dtype(), "i64")),
        }
    }

    /// Removes and returns the tensor `name` of float type `F`.
    ///
    /// A model saved as `FittedX<f64>` and loaded as `FittedX<f32>` fails
    /// here, with [`Error::Format`] naming both dtypes.
    ///
    /// # Errors
    /// [`Error::Format`] when missing or of another dtype than `F::NAME`.
    pub fn take_float<F: Float>(&mut self, name: &str) -> Result<ArrayD<F>> {
        let data = self.take(name)?;
        let any: Box<dyn Any> = match data {
            TensorData::F32(a) => Box::new(a),
            TensorData::F64(a) => Box::new(a),
            TensorData::I64(_) => return Err(self.wrong_dtype(name, "i64", F::NAME)),
        };
        match any.downcast::<ArrayD<F>>() {
            Ok(a) => Ok(*a),
            Err(_) => {
                let found = if F::NAME == "f32" { "f64" } else { "f32" };
                Err(self.wrong_dtype(name, found, F::NAME))
            }
        }
    }

    /// [`take_float`](Self::take_float) for a 1-D tensor, checking its length
    /// when `len` is given.
    ///
    /// # Errors
    /// [`Error::Format`] when missing, of another dtype, or of another shape.
    pub fn take_array1<F: Float>(&mut self, name: &str, len: Option<usize>) -> Result<Array1<F>> {
        let a = self.take_float::<F>(name)?;
        self.check_shape(name, a.shape(), &[len])?;
        a.into_dimensionality()
            .map_err(|e| Error::format(BYTES_SOURCE, format!("tensor `{name}`: {e}")))
    }

    /// [`take_float`](Self::take_float) for a 2-D tensor, checking each
    /// dimension that is given.
    ///
    /// # Errors
    /// [`Error::Format`] when missing, of another dtype, or of another shape.
    pub fn take_array2<F: Float>(
        &mut self,
        name: &str,
        shape: [Option<usize>; 2],
    ) -> Result<Array2<F>> {
        let a = self.take_float::<F>(name)?;
        self.check_shape(name, a.shape(), &shape)?;
        a.into_dimensionality()
            .map_err(|e| Error::format(BYTES_SOURCE, format!("tensor `{name}`: {e}")))
    }

    /// `Err(Format)` unless `got` has `expected.len()` dimensions and each
    /// given (`Some`) dimension matches.
    ///
    /// # Errors
    /// [`Error::Format`] naming the tensor and both shapes.
    pub fn check_shape(&self, name: &str, got: &[usize], expected: &[Option<usize>]) -> Result<()> {
        let ok = got.len() == expected.len()
            && got
                .iter()
                .zip(expected)
                .all(|(g, e)| e.is_none_or(|e| e == *g));
        if ok {
            return Ok(());
        }
        let expected: Vec<String> = expected
            .iter()
            .map(|e| e.map_or_else(|| "_".to_string(), |e| e.to_string()))
            .collect();
        Err(Error::format(
            BYTES_SOURCE,
            format!(
                "tensor `{name}` of the {} model file has shape {got:?}, expected [{}]",
                self.metadata.kind,
                expected.join(", ")
            ),
        ))
    }

    /// The hyperparameters, deserialised.
    ///
    /// # Errors
    /// [`Error::Format`] when they do not deserialise into `T`.
    pub fn hyperparameters<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.metadata.hyperparameters)
            .map_err(|e| Error::format(BYTES_SOURCE, format!("hyperparameters: {e}")))
    }

    /// The class labels, deserialised.
    ///
    /// # Errors
    /// [`Error::Format`] when absent or not a JSON array of `T`.
    pub fn classes<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let v = self.metadata.classes.as_ref().ok_or_else(|| {
            Error::format(
                BYTES_SOURCE,
                format!("{} model file has no `classes`", self.metadata.kind),
            )
        })?;
        Vec::<T>::deserialize(v).map_err(|e| Error::format(BYTES_SOURCE, format!("classes: {e}")))
    }

    /// The feature count.
    ///
    /// # Errors
    /// [`Error::Format`] when the file does not record one.
    pub fn n_features(&self) -> Result<usize> {
        self.metadata.n_features.ok_or_else(|| {
            Error::format(
                BYTES_SOURCE,
                format!("{} model file has no `n_features`", self.metadata.kind),
            )
        })
    }

    /// `Err(Format)` unless the file's model dtype is `dtype`.
    ///
    /// # Errors
    /// [`Error::Format`] naming both dtypes.
    pub fn expect_dtype(&self, dtype: &str) -> Result<()> {
        if self.metadata.dtype != dtype {
            return Err(Error::format(
                BYTES_SOURCE,
                format!(
                    "{} model file has dtype {}, expected {dtype}",
                    self.metadata.kind, self.metadata.dtype
                ),
            ));
        }
        Ok(())
    }

    /// The `__metadata__` string map written to the container.
    fn metadata_map(&self) -> Result<BTreeMap<String, String>> {
        let m = &self.metadata;
        let mut map = BTreeMap::new();
        map.insert(keys::FORMAT.to_string(), m.format.clone());
        map.insert(
            keys::FORMAT_VERSION.to_string(),
            m.format_version.to_string(),
        );
        map.insert(keys::KIND.to_string(), m.kind.clone());
        map.insert(keys::CRATE_VERSION.to_string(), m.crate_version.clone());
        map.insert(keys::DTYPE.to_string(), m.dtype.clone());
        if let Some(n) = m.n_features {
            map.insert(keys::N_FEATURES.to_string(), n.to_string());
        }
        let json = |v: &serde_json::Value| {
            serde_json::to_string(v).map_err(|e| Error::format(BYTES_SOURCE, e.to_string()))
        };
        map.insert(keys::HYPERPARAMETERS.to_string(), json(&m.hyperparameters)?);
        if let Some(c) = &m.classes {
            map.insert(keys::CLASSES.to_string(), json(c)?);
        }
        for (k, v) in &m.user {
            map.insert(format!("{}{k}", keys::USER_PREFIX), v.clone());
        }
        Ok(map)
    }

    /// Serialises to safetensors bytes (deterministic: same model, same bytes).
    ///
    /// # Errors
    /// [`Error::Format`] if the header would exceed [`MAX_HEADER_BYTES`].
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        encode_safetensors(&self.tensors, Some(&self.metadata_map()?))
    }

    /// Parses safetensors bytes holding an oxilearn model file of any kind.
    ///
    /// Checks the container, `format` and `format_version` (older versions
    /// are upgraded to the current metadata layout); the caller checks `kind`.
    ///
    /// # Errors
    /// [`Error::Format`] for anything that is not a complete, valid oxilearn
    /// file; [`Error::UnsupportedVersion`] for a newer `format_version`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::parse(bytes, BYTES_SOURCE)
    }

    /// Reads and parses the model file at `path` (any kind).
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes), plus [`Error::Io`].
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    ///
    /// # Errors
    /// As [`to_bytes`](Self::to_bytes), plus [`Error::Io`]; on error an
    /// existing file at `path` is left untouched.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let bytes = self.to_bytes()?;
        write_atomic(path.as_ref(), &bytes)
    }

    fn parse(bytes: &[u8], source: &str) -> Result<Self> {
        let (meta_map, infos, tensors) = decode_safetensors(bytes, source)?;
        let mut metadata = parse_metadata(meta_map.as_ref(), source)?;
        metadata.tensors = infos;
        let mut tensor_map = BTreeMap::new();
        for (name, data) in tensors {
            tensor_map.insert(name, data);
        }
        Ok(ModelFile {
            metadata,
            tensors: tensor_map,
        })
    }
}

/// Turns the container's `__metadata__` into [`ModelMetadata`] (tensors
/// empty), checking format and version and upgrading older layouts.
fn parse_metadata(map: Option<&HashMap<String, String>>, source: &str) -> Result<ModelMetadata> {
    let err = |reason: String| Error::format(source, reason);
    let map = map.ok_or_else(|| {
        err("safetensors file without `__metadata__`: not an oxilearn model file".into())
    })?;
    let get = |key: &str| {
        map.get(key)
            .ok_or_else(|| err(format!("metadata key `{key}` is missing")))
    };
    let format = get(keys::FORMAT)
        .map_err(|_| err("metadata has no `format` key: not an oxilearn model file".into()))?;
    if format != FORMAT_NAME {
        return Err(err(format!(
            "metadata `format` is {format:?}, expected {FORMAT_NAME:?}"
        )));
    }
    let version_text = get(keys::FORMAT_VERSION)?;
    let format_version: u32 = version_text.parse().map_err(|_| {
        err(format!(
            "`format_version` {version_text:?} is not an integer"
        ))
    })?;
    if format_version == 0 {
        return Err(err("`format_version` 0 does not exist".into()));
    }
    if format_version > FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: format_version,
            supported: FORMAT_VERSION,
        });
    }
    // Container-level upgrades of older versions go here, one arm per version
    // (none yet: version 1 is the first).
    match format_version {
        1 => {}
        _ => unreachable!("checked above: 1 <= format_version <= FORMAT_VERSION"),
    }
    let json = |key: &str| -> Result<Option<serde_json::Value>> {
        map.get(key)
            .map(|text| {
                serde_json::from_str(text)
                    .map_err(|e| err(format!("metadata `{key}` is not valid JSON: {e}")))
            })
            .transpose()
    };
    let n_features = map
        .get(keys::N_FEATURES)
        .map(|t| {
            t.parse::<usize>()
                .map_err(|_| err(format!("`n_features` {t:?} is not an integer")))
        })
        .transpose()?;
    let user = map
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(keys::USER_PREFIX)
                .map(|k| (k.to_string(), v.clone()))
        })
        .collect();
    Ok(ModelMetadata {
        format: format.clone(),
        format_version,
        kind: get(keys::KIND)?.clone(),
        crate_version: get(keys::CRATE_VERSION)?.clone(),
        dtype: get(keys::DTYPE)?.clone(),
        n_features,
        hyperparameters: json(keys::HYPERPARAMETERS)?.unwrap_or(serde_json::Value::Null),
        classes: json(keys::CLASSES)?,
        user,
        tensors: Vec::new(),
    })
}

fn dtype_name(d: Dtype) -> String {
    format!("{d:?}").to_ascii_lowercase()
}

type Decoded = (
    Option<HashMap<String, String>>,
    Vec<TensorInfo>,
    Vec<(String, TensorData)>,
);

/// Parses a whole safetensors buffer (validated by the `safetensors` crate:
/// header bound, offsets, exact length) into metadata and tensors.
fn decode_safetensors(bytes: &[u8], source: &str) -> Result<Decoded> {
    let (n, header) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::format(source, format!("not a valid safetensors file: {e}")))?;
    let data_start = N_LEN + n;
    let data = &bytes[data_start..];
    let mut names = header.offset_keys();
    names.sort();
    let mut infos = Vec::with_capacity(names.len());
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let Some(info) = header.info(&name) else {
            continue;
        };
        let (start, end) = info.data_offsets;
        let raw = data.get(start..end).ok_or_else(|| Error::Format {
            source_name: source.to_string(),
            location: Some(format!("tensor `{name}`")),
            reason: "data offsets beyond the end of the file".into(),
        })?;
        let shape = IxDyn(&info.shape);
        let bad = |e: ndarray::ShapeError| Error::format(source, format!("tensor `{name}`: {e}"));
        let t = match info.dtype {
            Dtype::F32 => TensorData::F32(from_le(raw, shape, f32::from_le_bytes).map_err(bad)?),
            Dtype::F64 => TensorData::F64(from_le(raw, shape, f64::from_le_bytes).map_err(bad)?),
            Dtype::I64 => TensorData::I64(from_le(raw, shape, i64::from_le_bytes).map_err(bad)?),
            other => {
                return Err(Error::Format {
                    source_name: source.to_string(),
                    location: Some(format!("tensor `{name}`")),
                    reason: format!(
                        "dtype {} is not supported (f32, f64 and i64 are)",
                        dtype_name(other)
                    ),
                });
            }
        };
        infos.push(TensorInfo {
            name: name.clone(),
            dtype: dtype_name(info.dtype),
            shape: info.shape.clone(),
        });
        tensors.push((name, t));
    }
    Ok((header.metadata().clone(), infos, tensors))
}

/// Decodes little-endian elements of `N` bytes into an array of `shape`.
fn from_le<T, const N: usize>(
    raw: &[u8],
    shape: IxDyn,
    from: fn([u8; N]) -> T,
) -> std::result::Result<ArrayD<T>, ndarray::ShapeError> {
    let values = raw
        .chunks_exact(N)
        .map(|c| {
            let mut b = [0u8; N];
            b.copy_from_slice(c);
            from(b)
        })
        .collect();
    ArrayD::from_shape_vec(shape, values)
}

/// Writes a safetensors buffer: 8-byte little-endian header length, the JSON
/// header (keys sorted, padded with spaces to a multiple of 8), then the
/// tensor bytes, 8-byte dtypes first (alignment), each group by name.
fn encode_safetensors(
    tensors: &BTreeMap<String, TensorData>,
    metadata: Option<&BTreeMap<String, String>>,
) -> Result<Vec<u8>> {
    let mut order: Vec<(&String, &TensorData)> = tensors.iter().collect();
    order.sort_by(|(na, a), (nb, b)| {
        b.safetensors_dtype()
            .cmp(&a.safetensors_dtype())
            .then(na.cmp(nb))
    });
    // serde_json's map keeps keys sorted (or in insertion order with
    // `preserve_order`); insertion below is sorted either way.
    let mut header = serde_json::Map::new();
    let mut entries: Vec<(String, serde_json::Value)> = Vec::with_capacity(order.len() + 1);
    if let Some(m) = metadata {
        let meta: serde_json::Map<String, serde_json::Value> = m
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        entries.push(("__metadata__".to_string(), serde_json::Value::Object(meta)));
    }
    let mut offset = 0usize;
    let mut blobs = Vec::with_capacity(order.len());
    for (name, t) in &order {
        if name.as_str() == "__metadata__" {
            return Err(Error::format(
                BYTES_SOURCE,
                "a tensor may not be named `__metadata__`",
            ));
        }
        let bytes = t.le_bytes();
        let end = offset + bytes.len();
        entries.push((
            (*name).clone(),
            serde_json::json!({
                "dtype": format!("{:?}", t.safetensors_dtype()),
                "shape": t.shape(),
                "data_offsets": [offset, end],
            }),
        ));
        offset = end;
        blobs.push(bytes);
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    header.extend(entries);
    let mut header_bytes = serde_json::to_vec(&serde_json::Value::Object(header))
        .map_err(|e| Error::format(BYTES_SOURCE, e.to_string()))?;
    header_bytes.resize(header_bytes.len().next_multiple_of(N_LEN), b' ');
    if header_bytes.len() as u64 > MAX_HEADER_BYTES {
        return Err(Error::format(
            BYTES_SOURCE,
            format!(
                "header of {} bytes exceeds the {MAX_HEADER_BYTES}-byte limit",
                header_bytes.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(N_LEN + header_bytes.len() + offset);
    out.extend((header_bytes.len() as u64).to_le_bytes());
    out.extend(header_bytes);
    for b in blobs {
        out.extend(b);
    }
    Ok(out)
}

/// Reads a plain safetensors file (no oxilearn metadata needed), e.g. one
/// written by PyTorch's `safetensors.torch.save_file`. Only `f32`, `f64` and
/// `i64` tensors are supported.
///
/// # Errors
/// [`Error::Io`]; [`Error::Format`] for invalid or truncated files and other
/// dtypes.
///
/// # Example
/// ```
/// use std::collections::BTreeMap;
/// use oxilearn::ndarray::array;
/// use oxilearn::persist::{read_safetensors, write_safetensors, TensorData};
///
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-plain-{}.safetensors", std::process::id()));
/// let mut tensors = BTreeMap::new();
/// tensors.insert("fc.bias".to_string(), TensorData::F32(array![0.5f32, -1.0].into_dyn()));
/// write_safetensors(&path, &tensors, None)?;
/// let (back, metadata) = read_safetensors(&path)?;
/// assert_eq!(back, tensors);
/// assert!(metadata.is_empty());
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn read_safetensors(
    path: impl AsRef<Path>,
) -> Result<(BTreeMap<String, TensorData>, BTreeMap<String, String>)> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let (meta, _, tensors) = decode_safetensors(&bytes, &path.display().to_string())?;
    Ok((
        tensors.into_iter().collect(),
        meta.unwrap_or_default().into_iter().collect(),
    ))
}

/// Writes a plain safetensors file atomically, with optional `__metadata__`.
///
/// # Errors
/// [`Error::Io`]; [`Error::Format`] for a tensor named `__metadata__` or an
/// oversized header.
///
/// # Example
/// See [`read_safetensors`].
pub fn write_safetensors(
    path: impl AsRef<Path>,
    tensors: &BTreeMap<String, TensorData>,
    metadata: Option<&BTreeMap<String, String>>,
) -> Result<()> {
    let bytes = encode_safetensors(tensors, metadata)?;
    write_atomic(path.as_ref(), &bytes)
}

/// The metadata of the model file at `path`, reading only its header (the
/// 8-byte length and the JSON), not the tensor values.
///
/// # Errors
/// [`Error::Io`]; [`Error::Format`] for non-safetensors, truncated or
/// non-oxilearn files (the header length is checked against
/// [`MAX_HEADER_BYTES`] and the file size before anything is allocated);
/// [`Error::UnsupportedVersion`] for a newer `format_version`.
///
/// # Example
/// See the [module documentation](self).
pub fn inspect(path: impl AsRef<Path>) -> Result<ModelMetadata> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let io = |e| Error::io(path, e);
    let mut file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let fmt = |location: &str, reason: String| Error::Format {
        source_name: source.clone(),
        location: Some(location.to_string()),
        reason,
    };
    if file_len < N_LEN as u64 {
        return Err(fmt(
            "byte 0",
            format!("{file_len} bytes: too short for a safetensors header"),
        ));
    }
    let mut len_bytes = [0u8; N_LEN];
    file.read_exact(&mut len_bytes).map_err(io)?;
    let n = u64::from_le_bytes(len_bytes);
    if n > MAX_HEADER_BYTES || n > file_len - N_LEN as u64 {
        return Err(fmt(
            "byte 0",
            format!(
                "header length {n} exceeds the limit ({MAX_HEADER_BYTES}) or the file size ({file_len})"
            ),
        ));
    }
    let n = n as usize; // <= MAX_HEADER_BYTES, fits
    let mut header = vec![0u8; n];
    file.read_exact(&mut header).map_err(io)?;
    let header: safetensors::tensor::Metadata = serde_json::from_slice(&header)
        .map_err(|e| fmt("header", format!("not a valid safetensors header: {e}")))?;
    let expected_len = (N_LEN + n) as u64 + header.data_len() as u64;
    if expected_len != file_len {
        return Err(fmt(
            "header",
            format!(
                "header describes {expected_len} bytes but the file has {file_len} (truncated or corrupted)"
            ),
        ));
    }
    let mut metadata = parse_metadata(header.metadata().as_ref(), &source)?;
    let mut tensors: Vec<TensorInfo> = header
        .tensors()
        .into_iter()
        .map(|(name, info)| TensorInfo {
            name,
            dtype: dtype_name(info.dtype),
            shape: info.shape.clone(),
        })
        .collect();
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    metadata.tensors = tensors;
    Ok(metadata)
}

/// Writes `bytes` to `path` atomically: a uniquely named temporary file in the
/// same directory, `fsync`, rename over `path`, then `fsync` of the directory
/// (best effort). The temporary file is removed on failure.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let file_name = path.file_name().ok_or_else(|| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    // Make the rename itself durable (not supported on every platform).
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

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
/// See the [module documentation](self).
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
    /// version (`file.metadata.format_version` ≤ [`FORMAT_VERSION`]; dispatch
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2, array};
    use proptest::prelude::*;

    /// A unique, fresh temporary directory, removed on drop.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> Self {
            static N: AtomicU64 = AtomicU64::new(0);
            let p = std::env::temp_dir().join(format!(
                "oxilearn-persist-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        fn entries(&self) -> Vec<String> {
            let mut v: Vec<String> = fs::read_dir(&self.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Hyper {
        alpha: f64,
        fit_intercept: bool,
    }

    /// A toy linear model, generic over the float type like real models.
    #[derive(Debug, Clone, PartialEq)]
    struct Toy<F: Float> {
        coef: Array2<F>,
        intercept: Array1<F>,
        counts: Array1<i64>,
        classes: Vec<String>,
        hyper: Hyper,
        fail_to_serialise: bool,
    }

    fn toy<F: Float>() -> Toy<F> {
        let f = F::from_f64_lossy;
        Toy {
            coef: array![[f(1.5), f(-2.0), f(0.1)], [f(3.0), f(1e-30), f(-7.25)]],
            intercept: array![f(0.5), f(-0.5)],
            counts: array![3, 4],
            classes: vec!["cat".into(), "dog".into()],
            hyper: Hyper {
                alpha: 0.01,
                fit_intercept: true,
            },
            fail_to_serialise: false,
        }
    }

    impl<F: Float> Persist for Toy<F> {
        const KIND: &'static str = "Toy";
        fn to_model_file(&self) -> Result<ModelFile> {
            if self.fail_to_serialise {
                return Err(Error::invalid("toy", "cannot serialise"));
            }
            let mut file = ModelFile::new(Self::KIND, F::NAME)
                .with_n_features(self.coef.ncols())
                .with_hyperparameters(&self.hyper)?
                .with_classes(&self.classes)?;
            file.push_float("coef", self.coef.clone().into_dyn());
            file.push_float("intercept", self.intercept.clone().into_dyn());
            file.push_i64("counts", self.counts.clone().into_dyn());
            Ok(file)
        }
        fn from_model_file(mut file: ModelFile) -> Result<Self> {
            // Version dispatch: only version 1 exists.
            assert_eq!(file.metadata.format_version, 1);
            let n = file.n_features()?;
            let classes: Vec<String> = file.classes()?;
            let coef = file.take_array2::<F>("coef", [Some(classes.len()), Some(n)])?;
            let intercept = file.take_array1::<F>("intercept", Some(classes.len()))?;
            let counts = file.take_i64("counts")?;
            file.check_shape("counts", counts.shape(), &[Some(classes.len())])?;
            Ok(Toy {
                coef,
                intercept,
                counts: counts.into_dimensionality().unwrap(),
                classes,
                hyper: file.hyperparameters()?,
                fail_to_serialise: false,
            })
        }
    }

    /// Another kind, to test WrongModelKind.
    struct Other;
    impl Persist for Other {
        const KIND: &'static str = "Other";
        fn to_model_file(&self) -> Result<ModelFile> {
            Ok(ModelFile::new(Self::KIND, "none"))
        }
        fn from_model_file(_: ModelFile) -> Result<Self> {
            Ok(Other)
        }
    }

    /// Bytes of `file` with its metadata map edited by `edit`.
    fn with_metadata(
        file: &ModelFile,
        edit: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> Vec<u8> {
        let mut m = file.metadata_map().unwrap();
        edit(&mut m);
        encode_safetensors(&file.tensors, Some(&m)).unwrap()
    }

    #[test]
    fn round_trip_f32_and_f64_through_files_and_bytes() {
        let dir = TempDir::new("roundtrip");
        let m64 = toy::<f64>();
        let p = dir.0.join("toy64.safetensors");
        m64.save(&p).unwrap();
        assert_eq!(Toy::<f64>::load(&p).unwrap(), m64);
        let m32 = toy::<f32>();
        let bytes = m32.to_bytes().unwrap();
        assert_eq!(Toy::<f32>::from_bytes(&bytes).unwrap(), m32);
        // Deterministic bytes.
        assert_eq!(bytes, m32.to_bytes().unwrap());
        // Exactly the temp-free result in the directory.
        assert_eq!(dir.entries(), vec!["toy64.safetensors".to_string()]);
    }

    #[test]
    fn written_files_are_valid_safetensors() {
        let bytes = toy::<f64>().to_bytes().unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let coef = st.tensor("coef").unwrap();
        assert_eq!(coef.dtype(), Dtype::F64);
        assert_eq!(coef.shape(), &[2, 3]);
        assert_eq!(&coef.data()[..8], &1.5f64.to_le_bytes());
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let meta = meta.metadata().clone().unwrap();
        assert_eq!(meta["format"], "oxilearn");
        assert_eq!(meta["format_version"], "1");
        assert_eq!(meta["kind"], "Toy");
        assert_eq!(meta["dtype"], "f64");
        assert_eq!(meta["n_features"], "3");
        assert_eq!(meta["crate_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(meta["classes"], r#"["cat","dog"]"#);
        assert_eq!(
            meta["hyperparameters"],
            r#"{"alpha":0.01,"fit_intercept":true}"#
        );
        // Header padded to 8 bytes, data aligned.
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        assert_eq!(n % 8, 0);
    }

    #[test]
    fn non_contiguous_arrays_are_written_in_logical_order() {
        let a = array![[1.0f64, 2.0], [3.0, 4.0]];
        let mut file = ModelFile::new("T", "f64");
        file.push_f64("t", a.t().to_owned().into_dyn());
        file.push_f64("v", a.t().into_owned().into_dyn());
        let mut back = ModelFile::from_bytes(&file.to_bytes().unwrap()).unwrap();
        let expect = array![[1.0, 3.0], [2.0, 4.0]].into_dyn();
        assert_eq!(back.take_f64("t").unwrap(), expect);
        assert_eq!(back.take_f64("v").unwrap(), expect);
    }

    #[test]
    fn inspect_reads_metadata_and_tensor_list() {
        let dir = TempDir::new("inspect");
        let p = dir.0.join("m.safetensors");
        let mut user = BTreeMap::new();
        user.insert("tag".to_string(), "v1.2".to_string());
        user.insert("data_sha256".to_string(), "abc".to_string());
        toy::<f32>().save_with(&p, &user).unwrap();
        let meta = inspect(&p).unwrap();
        assert_eq!(meta.format, "oxilearn");
        assert_eq!(meta.format_version, FORMAT_VERSION);
        assert_eq!(meta.kind, "Toy");
        assert_eq!(meta.dtype, "f32");
        assert_eq!(meta.n_features, Some(3));
        assert_eq!(meta.crate_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(meta.hyperparameters["alpha"], 0.01);
        assert_eq!(meta.classes, Some(serde_json::json!(["cat", "dog"])));
        assert_eq!(meta.user, user);
        let names: Vec<_> = meta
            .tensors
            .iter()
            .map(|t| (t.name.as_str(), t.dtype.as_str(), t.shape.clone()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("coef", "f32", vec![2, 3]),
                ("counts", "i64", vec![2]),
                ("intercept", "f32", vec![2])
            ]
        );
        // Same metadata as a full read.
        assert_eq!(ModelFile::read(&p).unwrap().metadata, meta);
        // The metadata serialises (e.g. for a CLI printing it).
        let json = serde_json::to_string(&meta).unwrap();
        let back: ModelMetadata = serde_json::from_str(&json).unwrap();
        assert_eq!(back, meta);
    }

    #[test]
    fn inspect_rejects_lying_header_length_without_allocating() {
        let dir = TempDir::new("lying");
        let p = dir.0.join("x.safetensors");
        let mut bytes = toy::<f64>().to_bytes().unwrap();
        for n in [u64::MAX, MAX_HEADER_BYTES + 1, bytes.len() as u64] {
            bytes[..8].copy_from_slice(&n.to_le_bytes());
            fs::write(&p, &bytes).unwrap();
            assert!(matches!(inspect(&p), Err(Error::Format { .. })), "n = {n}");
            assert!(matches!(Toy::<f64>::load(&p), Err(Error::Format { .. })));
        }
    }

    #[test]
    fn wrong_float_type_is_a_format_error() {
        let bytes = toy::<f64>().to_bytes().unwrap();
        let e = Toy::<f32>::from_bytes(&bytes).unwrap_err();
        assert!(
            matches!(e, Error::Format { ref reason, .. } if reason.contains("f64") && reason.contains("f32")),
            "{e}"
        );
    }

    #[test]
    fn missing_tensor_or_wrong_shape_is_a_format_error() {
        let mut file = toy::<f64>().to_model_file().unwrap();
        file.tensors.remove("intercept");
        let bytes = file.to_bytes().unwrap();
        assert!(
            matches!(Toy::<f64>::from_bytes(&bytes), Err(Error::Format { reason, .. }) if reason.contains("intercept"))
        );

        let mut file = toy::<f64>().to_model_file().unwrap();
        file.push_f64("intercept", array![1.0, 2.0, 3.0].into_dyn());
        let bytes = file.to_bytes().unwrap();
        assert!(
            matches!(Toy::<f64>::from_bytes(&bytes), Err(Error::Format { reason, .. }) if reason.contains("shape"))
        );

        let mut file = toy::<f64>().to_model_file().unwrap();
        file.push_f64("coef", array![1.0, 2.0, 3.0].into_dyn());
        let bytes = file.to_bytes().unwrap();
        assert!(matches!(
            Toy::<f64>::from_bytes(&bytes),
            Err(Error::Format { .. })
        ));

        let mut file = toy::<f64>().to_model_file().unwrap();
        file.push_f64("counts", array![1.0, 2.0].into_dyn());
        let bytes = file.to_bytes().unwrap();
        assert!(matches!(
            Toy::<f64>::from_bytes(&bytes),
            Err(Error::Format { .. })
        ));

        let mut file = toy::<f64>().to_model_file().unwrap();
        file.metadata.classes = None;
        assert!(matches!(
            Toy::<f64>::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));

        let mut file = toy::<f64>().to_model_file().unwrap();
        file.metadata.hyperparameters = serde_json::json!({"alpha": "x"});
        assert!(matches!(
            Toy::<f64>::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
    }

    #[test]
    fn other_kind_is_wrong_model_kind() {
        let dir = TempDir::new("kind");
        let p = dir.0.join("other.safetensors");
        Other.save(&p).unwrap();
        let e = Toy::<f64>::load(&p).unwrap_err();
        assert!(
            matches!(&e, Error::WrongModelKind { expected, found } if expected == "Toy" && found == "Other"),
            "{e}"
        );
        assert!(e.to_string().contains("Other"));
    }

    #[test]
    fn newer_version_is_unsupported_everywhere() {
        let dir = TempDir::new("newer");
        let p = dir.0.join("future.safetensors");
        let file = toy::<f64>().to_model_file().unwrap();
        let bytes = with_metadata(&file, |m| {
            m.insert("format_version".into(), (FORMAT_VERSION + 1).to_string());
        });
        fs::write(&p, &bytes).unwrap();
        let newer = |r: Result<_>| {
            matches!(r, Err(Error::UnsupportedVersion { found, supported })
                if found == FORMAT_VERSION + 1 && supported == FORMAT_VERSION)
        };
        assert!(newer(Toy::<f64>::load(&p).map(|_| ())));
        assert!(newer(Toy::<f64>::from_bytes(&bytes).map(|_| ())));
        assert!(newer(inspect(&p).map(|_| ())));
        // Version checked before kind: a newer file of another kind is still
        // reported as a version problem.
        assert!(newer(Other::load(&p).map(|_| ())));
    }

    #[test]
    fn bad_metadata_values_are_format_errors() {
        let file = toy::<f64>().to_model_file().unwrap();
        type Edit = Box<dyn Fn(&mut BTreeMap<String, String>)>;
        let cases: Vec<Edit> = vec![
            Box::new(|m| {
                m.insert("format".into(), "pytorch".into());
            }),
            Box::new(|m| {
                m.remove("format");
            }),
            Box::new(|m| {
                m.insert("format_version".into(), "one".into());
            }),
            Box::new(|m| {
                m.insert("format_version".into(), "0".into());
            }),
            Box::new(|m| {
                m.insert("format_version".into(), "-1".into());
            }),
            Box::new(|m| {
                m.remove("kind");
            }),
            Box::new(|m| {
                m.insert("n_features".into(), "three".into());
            }),
            Box::new(|m| {
                m.insert("hyperparameters".into(), "{not json".into());
            }),
            Box::new(|m| {
                m.insert("classes".into(), "[".into());
            }),
        ];
        for (i, edit) in cases.iter().enumerate() {
            let bytes = with_metadata(&file, edit);
            let r = Toy::<f64>::from_bytes(&bytes);
            assert!(matches!(r, Err(Error::Format { .. })), "case {i}: {r:?}");
        }
        // Plain safetensors without metadata (e.g. from PyTorch).
        let plain = encode_safetensors(&file.tensors, None).unwrap();
        assert!(matches!(
            Toy::<f64>::from_bytes(&plain),
            Err(Error::Format { reason, .. }) if reason.contains("not an oxilearn")
        ));
    }

    #[test]
    fn garbage_is_a_format_error() {
        for bytes in [
            &b""[..],
            b"\x00",
            b"hello world, not a model",
            b"\x02\x00\x00\x00\x00\x00\x00\x00{}",
            b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
            b"\x08\x00\x00\x00\x00\x00\x00\x00\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8",
        ] {
            let r = Toy::<f64>::from_bytes(bytes);
            assert!(matches!(r, Err(Error::Format { .. })), "{bytes:?}: {r:?}");
        }
    }

    #[test]
    fn unsupported_tensor_dtype_is_a_format_error() {
        // A valid safetensors file with an I32 tensor, written by hand.
        let header = br#"{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#;
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header);
        bytes.extend([1, 0, 0, 0]);
        let dir = TempDir::new("i32");
        let p = dir.0.join("i32.safetensors");
        fs::write(&p, &bytes).unwrap();
        assert!(
            matches!(read_safetensors(&p), Err(Error::Format { reason, .. }) if reason.contains("i32"))
        );
    }

    #[test]
    fn truncation_at_every_offset_is_a_format_error() {
        let dir = TempDir::new("trunc");
        let p = dir.0.join("t.safetensors");
        let full = toy::<f32>().to_bytes().unwrap();
        for cut in 0..full.len() {
            let r = Toy::<f32>::from_bytes(&full[..cut]);
            assert!(
                matches!(r, Err(Error::Format { .. })),
                "cut at {cut}: {r:?}"
            );
            fs::write(&p, &full[..cut]).unwrap();
            let r = inspect(&p);
            assert!(
                matches!(r, Err(Error::Format { .. })),
                "inspect cut at {cut}: {r:?}"
            );
        }
        // Extra trailing bytes are corruption too.
        let mut longer = full.clone();
        longer.push(0);
        assert!(matches!(
            Toy::<f32>::from_bytes(&longer),
            Err(Error::Format { .. })
        ));
    }

    #[test]
    fn atomic_save_leaves_no_temp_file_and_keeps_old_file_on_failure() {
        let dir = TempDir::new("atomic");
        let p = dir.0.join("model.safetensors");
        let good = toy::<f64>();
        good.save(&p).unwrap();
        let before = fs::read(&p).unwrap();

        let mut bad = toy::<f64>();
        bad.fail_to_serialise = true;
        assert!(matches!(bad.save(&p), Err(Error::InvalidParameter { .. })));
        assert_eq!(fs::read(&p).unwrap(), before);
        assert_eq!(dir.entries(), vec!["model.safetensors".to_string()]);

        // Overwriting replaces the file completely.
        let mut other = toy::<f64>();
        other.coef[[0, 0]] = 42.0;
        other.save(&p).unwrap();
        assert_eq!(Toy::<f64>::load(&p).unwrap(), other);
        assert_eq!(dir.entries(), vec!["model.safetensors".to_string()]);

        // A write that fails (directory missing) is an Io error naming the path.
        let missing = dir.0.join("no/such/dir/model.safetensors");
        assert!(
            matches!(good.save(&missing), Err(Error::Io { path: Some(pp), .. }) if pp == missing)
        );
        // Loading a missing file is Io as well.
        assert!(matches!(Toy::<f64>::load(&missing), Err(Error::Io { .. })));
        assert!(matches!(inspect(&missing), Err(Error::Io { .. })));
    }

    #[test]
    fn plain_safetensors_round_trip_keeps_metadata() {
        let dir = TempDir::new("plain");
        let p = dir.0.join("plain.safetensors");
        let mut tensors = BTreeMap::new();
        tensors.insert(
            "a".to_string(),
            TensorData::I64(array![[1i64, -2]].into_dyn()),
        );
        tensors.insert("b".to_string(), TensorData::F32(array![0.25f32].into_dyn()));
        let mut meta = BTreeMap::new();
        meta.insert("framework".to_string(), "test".to_string());
        write_safetensors(&p, &tensors, Some(&meta)).unwrap();
        let (t, m) = read_safetensors(&p).unwrap();
        assert_eq!((t, m), (tensors.clone(), meta));
        tensors.insert(
            "__metadata__".into(),
            TensorData::F32(array![1.0f32].into_dyn()),
        );
        assert!(matches!(
            write_safetensors(&p, &tensors, None),
            Err(Error::Format { .. })
        ));
    }

    #[test]
    fn reads_files_written_by_python_safetensors() {
        // /root/peers-venv/bin/python -c "
        // import numpy as np
        // from safetensors.numpy import save
        // b = save({'conv1.weight': np.arange(6, dtype=np.float32).reshape(1,2,3)*0.5,
        //           'idx': np.array([3,-1], dtype=np.int64)}, metadata={'format':'pt'})
        // print(b.hex())"
        const HEX: &str = "a0000000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c22696478223a7b226474797065223a22493634222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c31365d7d2c22636f6e76312e776569676874223a7b226474797065223a22463332222c227368617065223a5b312c322c335d2c22646174615f6f666673657473223a5b31362c34305d7d7d20200300000000000000ffffffffffffffff000000000000003f0000803f0000c03f0000004000002040";
        let bytes: Vec<u8> = (0..HEX.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&HEX[i..i + 2], 16).unwrap())
            .collect();
        let dir = TempDir::new("python");
        let p = dir.0.join("torch.safetensors");
        fs::write(&p, &bytes).unwrap();
        let (tensors, meta) = read_safetensors(&p).unwrap();
        assert_eq!(meta["format"], "pt");
        assert_eq!(
            tensors["conv1.weight"],
            TensorData::F32(
                ArrayD::from_shape_vec(IxDyn(&[1, 2, 3]), vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
                    .unwrap()
            )
        );
        assert_eq!(tensors["idx"], TensorData::I64(array![3i64, -1].into_dyn()));
        // Not an oxilearn model file: `format` is "pt".
        assert!(matches!(inspect(&p), Err(Error::Format { .. })));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let r = Toy::<f64>::from_bytes(&bytes);
            let ok = matches!(r, Err(Error::Format { .. }));
            prop_assert!(ok, "{:?}", r.err());
        }

        #[test]
        fn arbitrary_headers_never_panic(header in "\\PC{0,200}", tail in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
            bytes.extend(header.as_bytes());
            bytes.extend(tail);
            let r = ModelFile::from_bytes(&bytes);
            prop_assert!(r.is_err());
        }

        #[test]
        fn corrupted_files_never_panic(pos in 0usize..10_000, byte in any::<u8>()) {
            let mut bytes = toy::<f32>().to_bytes().unwrap();
            let pos = pos % bytes.len();
            bytes[pos] = byte;
            // Either still a valid model (a data byte changed) or a typed error.
            match Toy::<f32>::from_bytes(&bytes) {
                Ok(_) => {}
                Err(Error::Format { .. } | Error::UnsupportedVersion { .. } | Error::WrongModelKind { .. }) => {}
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
}
