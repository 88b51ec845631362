//! The model-file container: [`ModelFile`] and its metadata, the checks
//! made when a file is read, and [`inspect`].

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayD, Dimension};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::checksum;
use super::encoding::{TensorData, decode_safetensors, dtype_name, encode_safetensors};
use super::io::write_atomic;
use super::{BYTES_SOURCE, FORMAT_NAME, FORMAT_VERSION, MAX_HEADER_BYTES, N_LEN, keys};
use crate::Float;
use crate::error::{Error, Result};

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
    /// The content checksum recorded in the file (`"crc32:…"`, format
    /// version 2 and later; see [`crate::persist`] for what it covers).
    /// `None` for version-1 files and for files not yet written: it is
    /// computed when the file is written and verified when it is read.
    #[serde(default)]
    pub checksum: Option<String>,
    /// The tensors in the file, sorted by name.
    pub tensors: Vec<TensorInfo>,
}

/// A model file in memory: metadata plus named tensors.
///
/// Models build one in [`Persist::to_model_file`] (with the `with_*` and
/// `push_*` methods) and take it apart in [`Persist::from_model_file`] (with
/// the `take_*` methods, which check dtype and shape, and that floats are
/// finite).
///
/// [`Persist::to_model_file`]: crate::persist::Persist::to_model_file
/// [`Persist::from_model_file`]: crate::persist::Persist::from_model_file
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
    pub(super) tensors: BTreeMap<String, TensorData>,
    /// What errors name: the path read, or `"model file"`.
    source: String,
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
                checksum: None,
                tensors: Vec::new(),
            },
            tensors: BTreeMap::new(),
            source: BYTES_SOURCE.to_string(),
        }
    }

    /// An empty file for one part of this composite file (a pipeline step,
    /// a column-transformer part) of model `kind` and dtype `dtype`, at this
    /// file's format and crate versions. Its errors name this file's source
    /// and `part` (e.g. ``"model.safetensors, step 1 `svc`"``), so a part's
    /// refused tensor or hyperparameter is located in the composite file.
    pub(crate) fn part(&self, kind: &str, dtype: &str, part: &str) -> ModelFile {
        let mut sub = ModelFile::new(kind, dtype);
        sub.metadata.format_version = self.metadata.format_version;
        sub.metadata.crate_version = self.metadata.crate_version.clone();
        sub.source = format!("{}, {part}", self.source);
        sub
    }

    /// An [`Error::Format`] about this file (named by its path when it was
    /// read from one), for loaders that find an inconsistent value.
    pub fn format_error(&self, reason: impl Into<String>) -> Error {
        Error::format(&self.source, reason)
    }

    /// An [`Error::Format`] about this file at `location` (e.g. ``"tensor
    /// `coef` at index [0, 3]"``).
    pub fn format_error_at(&self, location: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Format {
            source_name: self.source.clone(),
            location: Some(location.into()),
            reason: reason.into(),
        }
    }

    /// Turns the result of a model's hyperparameter validation (the same
    /// function its `fit` calls) into this file's error: a file whose
    /// hyperparameters `fit` would refuse is a corrupt or crafted file, so
    /// [`Error::InvalidParameter`] becomes [`Error::Format`] naming the
    /// hyperparameter. Other errors pass through.
    ///
    /// # Errors
    /// [`Error::Format`] when `validation` failed with `InvalidParameter`.
    ///
    /// # Example
    /// ```
    /// use oxilearn::persist::ModelFile;
    /// use oxilearn::Error;
    /// let file = ModelFile::new("Toy", "f64");
    /// let gamma = -1.0;
    /// let check = if gamma > 0.0 { Ok(()) } else { Err(Error::invalid("gamma", "must be > 0")) };
    /// let e = file.check_hyperparameters(check).unwrap_err();
    /// assert!(matches!(e, Error::Format { location: Some(l), .. } if l.contains("gamma")));
    /// ```
    pub fn check_hyperparameters(&self, validation: Result<()>) -> Result<()> {
        validation.map_err(|e| match e {
            Error::InvalidParameter { name, reason } => self.format_error_at(
                format!("hyperparameter `{name}`"),
                format!(
                    "{reason} (a {} fit refuses this value: the file is corrupt or crafted)",
                    self.metadata.kind
                ),
            ),
            other => other,
        })
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

    /// Removes and returns the tensor `name`. Every value of a float tensor
    /// must be finite: model parameters never are NaN or infinite, so such a
    /// value means a corrupt or crafted file.
    ///
    /// # Errors
    /// [`Error::Format`] when the file has no such tensor, or naming the
    /// tensor and the index of its first non-finite value.
    pub fn take(&mut self, name: &str) -> Result<TensorData> {
        let data = self.tensors.remove(name).ok_or_else(|| {
            self.format_error(format!(
                "{} model file has no tensor `{name}`",
                self.metadata.kind
            ))
        })?;
        let bad = match &data {
            TensorData::F32(a) => first_non_finite(a),
            TensorData::F64(a) => first_non_finite(a),
            TensorData::I64(_) => None,
        };
        if let Some((index, value)) = bad {
            return Err(self.format_error_at(
                format!("tensor `{name}` at index {index:?}"),
                format!(
                    "{value} in a {} model parameter (parameters must be finite)",
                    self.metadata.kind
                ),
            ));
        }
        Ok(data)
    }

    fn wrong_dtype(&self, name: &str, found: &str, expected: &str) -> Error {
        self.format_error(format!(
            "tensor `{name}` of the {} model file has dtype {found}, expected {expected} \
                 (the file's model dtype is {})",
            self.metadata.kind, self.metadata.dtype
        ))
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
            .map_err(|e| self.format_error(format!("tensor `{name}`: {e}")))
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
            .map_err(|e| self.format_error(format!("tensor `{name}`: {e}")))
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
        Err(self.format_error(format!(
            "tensor `{name}` of the {} model file has shape {got:?}, expected [{}]",
            self.metadata.kind,
            expected.join(", ")
        )))
    }

    /// The hyperparameters, deserialised.
    ///
    /// # Errors
    /// [`Error::Format`] when they do not deserialise into `T`.
    pub fn hyperparameters<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.metadata.hyperparameters)
            .map_err(|e| self.format_error(format!("hyperparameters: {e}")))
    }

    /// The class labels, deserialised.
    ///
    /// # Errors
    /// [`Error::Format`] when absent or not a JSON array of `T`.
    pub fn classes<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let v = self.metadata.classes.as_ref().ok_or_else(|| {
            self.format_error(format!(
                "{} model file has no `classes`",
                self.metadata.kind
            ))
        })?;
        Vec::<T>::deserialize(v).map_err(|e| self.format_error(format!("classes: {e}")))
    }

    /// `Ok` when the file's class labels are exactly `expected` (models
    /// whose labels are fixed, such as the outlier detectors' −1/+1, record
    /// them for registries that choose a label type from the file).
    ///
    /// # Errors
    /// [`Error::Format`] when absent, not a JSON array of `T`, or other labels.
    pub(crate) fn expect_classes<T>(&self, expected: &[T]) -> Result<()>
    where
        T: DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let found: Vec<T> = self.classes()?;
        if found != expected {
            return Err(self.format_error_at(
                "metadata `classes`",
                format!(
                    "a {} model's classes are {expected:?}; the file lists {} labels that differ",
                    self.metadata.kind,
                    found.len()
                ),
            ));
        }
        Ok(())
    }

    /// The feature count.
    ///
    /// # Errors
    /// [`Error::Format`] when the file does not record one.
    pub fn n_features(&self) -> Result<usize> {
        self.metadata.n_features.ok_or_else(|| {
            self.format_error(format!(
                "{} model file has no `n_features`",
                self.metadata.kind
            ))
        })
    }

    /// `Err(Format)` unless the file's model dtype is `dtype`.
    ///
    /// # Errors
    /// [`Error::Format`] naming both dtypes.
    pub fn expect_dtype(&self, dtype: &str) -> Result<()> {
        if self.metadata.dtype != dtype {
            return Err(self.format_error(format!(
                "{} model file has dtype {}, expected {dtype}",
                self.metadata.kind, self.metadata.dtype
            )));
        }
        Ok(())
    }

    /// The `__metadata__` string map written to the container.
    pub(super) fn metadata_map(&self) -> Result<BTreeMap<String, String>> {
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
        // Version 1 files had no checksum; a version-1 file read and written
        // again stays a valid version-1 file.
        let with_checksum = self.metadata.format_version >= 2;
        encode_safetensors(&self.tensors, Some(&self.metadata_map()?), with_checksum)
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
        let decoded = decode_safetensors(bytes, source)?;
        let mut metadata = parse_metadata(decoded.metadata.as_ref(), source)?;
        if let Some(recorded) = &metadata.checksum
            && *recorded != decoded.checksum
        {
            return Err(Error::Format {
                source_name: source.to_string(),
                location: Some(format!("metadata `{}`", checksum::KEY)),
                reason: format!(
                    "content checksum {} does not match the recorded {recorded}: the file was \
                     corrupted or modified after it was written",
                    decoded.checksum
                ),
            });
        }
        metadata.tensors = decoded.infos;
        Ok(ModelFile {
            metadata,
            tensors: decoded.tensors.into_iter().collect(),
            source: source.to_string(),
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
    // Container-level differences between versions, one arm per version.
    let checksum = match format_version {
        // Version 1: no checksum (a `checksum` key, if any, means nothing).
        1 => None,
        // Version 2: the content checksum is required (verified by the caller
        // that has the tensor data).
        2 => Some(get(checksum::KEY)?.clone()),
        _ => unreachable!("checked above: 1 <= format_version <= FORMAT_VERSION"),
    };
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
        checksum,
        tensors: Vec::new(),
    })
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
/// See the [module documentation](crate::persist).
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
    let expected_len = ((N_LEN + n) as u64).checked_add(header.data_len() as u64);
    if expected_len != Some(file_len) {
        return Err(fmt(
            "header",
            format!(
                "header describes {} bytes but the file has {file_len} (truncated or corrupted)",
                expected_len.map_or_else(|| "too many".to_string(), |l| l.to_string())
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

/// The multi-index and value of the first non-finite element, if any.
fn first_non_finite<T: Copy + Into<f64>>(a: &ArrayD<T>) -> Option<(Vec<usize>, f64)> {
    if a.iter().all(|&v| v.into().is_finite()) {
        return None;
    }
    a.indexed_iter()
        .map(|(i, &v)| (i, v.into()))
        .find(|(_, v)| !v.is_finite())
        .map(|(i, v)| (i.slice().to_vec(), v))
}
