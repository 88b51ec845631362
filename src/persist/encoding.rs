//! The safetensors encoding: tensors and a string map to bytes and back.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use safetensors::Dtype;

use super::checksum::{self, TensorBytes};
use super::io::write_atomic;
use super::{BYTES_SOURCE, MAX_HEADER_BYTES, N_LEN};
use crate::error::{Error, Result};
use crate::persist::TensorInfo;

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

pub(super) fn dtype_name(d: Dtype) -> String {
    format!("{d:?}").to_ascii_lowercase()
}

/// A decoded safetensors buffer.
pub(crate) struct Decoded {
    /// The `__metadata__` map, if any.
    pub metadata: Option<HashMap<String, String>>,
    /// Name, dtype and shape of each tensor, sorted by name.
    pub infos: Vec<TensorInfo>,
    /// The tensors, sorted by name.
    pub tensors: Vec<(String, TensorData)>,
    /// The content checksum of what was read ([`checksum`](super::checksum)).
    pub checksum: String,
}

/// Parses a whole safetensors buffer (validated by the `safetensors` crate:
/// header bound, offsets, exact length) into metadata and tensors.
pub(crate) fn decode_safetensors(bytes: &[u8], source: &str) -> Result<Decoded> {
    let (n, header) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::format(source, format!("not a valid safetensors file: {e}")))?;
    let data_start = N_LEN + n;
    let data = &bytes[data_start..];
    let mut names = header.offset_keys();
    names.sort();
    let mut infos = Vec::with_capacity(names.len());
    let mut tensors = Vec::with_capacity(names.len());
    let mut raws = Vec::with_capacity(names.len());
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
        raws.push((info.dtype, raw));
        tensors.push((name, t));
    }
    let metadata = header.metadata().clone();
    let checksum = checksum::content_checksum(
        metadata
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
        infos
            .iter()
            .zip(&raws)
            .map(|(info, &(dtype, data))| TensorBytes {
                name: &info.name,
                dtype,
                shape: &info.shape,
                data,
            }),
    );
    Ok(Decoded {
        metadata,
        infos,
        tensors,
        checksum,
    })
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
///
/// With `with_checksum`, the metadata gains the content checksum
/// ([`checksum`](super::checksum)) of itself and the tensors.
pub(crate) fn encode_safetensors(
    tensors: &BTreeMap<String, TensorData>,
    metadata: Option<&BTreeMap<String, String>>,
    with_checksum: bool,
) -> Result<Vec<u8>> {
    let mut order: Vec<(&String, &TensorData)> = tensors.iter().collect();
    order.sort_by(|(na, a), (nb, b)| {
        b.safetensors_dtype()
            .cmp(&a.safetensors_dtype())
            .then(na.cmp(nb))
    });
    if order
        .iter()
        .any(|(name, _)| name.as_str() == "__metadata__")
    {
        return Err(Error::format(
            BYTES_SOURCE,
            "a tensor may not be named `__metadata__`",
        ));
    }
    let blobs: Vec<Vec<u8>> = order.iter().map(|(_, t)| t.le_bytes()).collect();
    let checksum = with_checksum.then(|| {
        checksum::content_checksum(
            metadata
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str())),
            order
                .iter()
                .zip(&blobs)
                .map(|((name, t), data)| TensorBytes {
                    name,
                    dtype: t.safetensors_dtype(),
                    shape: t.shape(),
                    data,
                }),
        )
    });
    // serde_json's map keeps keys sorted (or in insertion order with
    // `preserve_order`); insertion below is sorted either way.
    let mut header = serde_json::Map::new();
    let mut entries: Vec<(String, serde_json::Value)> = Vec::with_capacity(order.len() + 1);
    if metadata.is_some() || checksum.is_some() {
        let mut meta: BTreeMap<&str, &str> = metadata
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(c) = &checksum {
            meta.insert(checksum::KEY, c);
        }
        let meta: serde_json::Map<String, serde_json::Value> = meta
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
            .collect();
        entries.push(("__metadata__".to_string(), serde_json::Value::Object(meta)));
    }
    let mut offset = 0usize;
    for ((name, t), bytes) in order.iter().zip(&blobs) {
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
    let decoded = decode_safetensors(&bytes, &path.display().to_string())?;
    Ok((
        decoded.tensors.into_iter().collect(),
        decoded.metadata.unwrap_or_default().into_iter().collect(),
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
    let bytes = encode_safetensors(tensors, metadata, false)?;
    write_atomic(path.as_ref(), &bytes)
}
