//! The content checksum of model files (format version 2 and later).
//!
//! The metadata key `checksum` holds `"crc32:"` and eight lower-case hex
//! digits: the CRC-32 (IEEE 802.3, as zlib's `crc32`) of the file's
//! *content* in a canonical order, independent of where the tensors sit in
//! the file:
//!
//! 1. every metadata entry except `checksum` itself, sorted by key:
//!    `u64le(len(key)) key u64le(len(value)) value` (UTF-8 bytes);
//! 2. every tensor, sorted by name: `u64le(len(name)) name
//!    u64le(len(dtype)) dtype u64le(ndim) u64le(dim)… u64le(len(data)) data`,
//!    with `dtype` as in the safetensors header (`"F32"`, `"F64"`, `"I64"`)
//!    and `data` the tensor's little-endian bytes.
//!
//! Any change to a value, a tensor or the model's description after the file
//! was written (a flipped bit, a truncated copy repaired by a tool, an edit)
//! is detected when the file is read. A checksum is not a signature: whoever
//! can write a file can write a matching checksum, so the loaders still
//! validate everything they read.
//!
//! Python, for files edited outside oxilearn (`safetensors` + `zlib`):
//! ```text
//! import json, struct, zlib
//! def checksum(path):
//!     raw = open(path, "rb").read()
//!     n = struct.unpack("<Q", raw[:8])[0]
//!     header = json.loads(raw[8:8 + n]); data = raw[8 + n:]
//!     meta = header.pop("__metadata__")
//!     u = lambda v: struct.pack("<Q", v)
//!     s = lambda t: u(len(t.encode())) + t.encode()
//!     c = 0
//!     for k in sorted(meta):
//!         if k != "checksum":
//!             c = zlib.crc32(s(k) + s(meta[k]), c)
//!     for name in sorted(header):
//!         t = header[name]; a, b = t["data_offsets"]
//!         c = zlib.crc32(s(name) + s(t["dtype"]) + u(len(t["shape"]))
//!                        + b"".join(u(d) for d in t["shape"]) + u(b - a) + data[a:b], c)
//!     return "crc32:%08x" % c
//! ```

use safetensors::Dtype;

/// The metadata key that holds the checksum.
pub(crate) const KEY: &str = "checksum";

/// The prefix of the checksum's value (the algorithm).
const PREFIX: &str = "crc32:";

/// One tensor as the checksum sees it.
pub(super) struct TensorBytes<'a> {
    pub name: &'a str,
    pub dtype: Dtype,
    pub shape: &'a [usize],
    pub data: &'a [u8],
}

/// The checksum value (`"crc32:…"`) of `metadata` (any order; the `checksum`
/// entry is skipped) and `tensors` (any order).
pub(super) fn content_checksum<'a>(
    metadata: impl IntoIterator<Item = (&'a str, &'a str)>,
    tensors: impl IntoIterator<Item = TensorBytes<'a>>,
) -> String {
    fn len(h: &mut crc32fast::Hasher, n: usize) {
        h.update(&(n as u64).to_le_bytes());
    }
    fn text(h: &mut crc32fast::Hasher, t: &str) {
        len(h, t.len());
        h.update(t.as_bytes());
    }
    let mut h = crc32fast::Hasher::new();
    let mut meta: Vec<(&str, &str)> = metadata.into_iter().filter(|(k, _)| *k != KEY).collect();
    meta.sort_unstable();
    for (k, v) in meta {
        text(&mut h, k);
        text(&mut h, v);
    }
    let mut tensors: Vec<TensorBytes<'a>> = tensors.into_iter().collect();
    tensors.sort_unstable_by(|a, b| a.name.cmp(b.name));
    for t in tensors {
        text(&mut h, t.name);
        text(&mut h, &format!("{:?}", t.dtype));
        len(&mut h, t.shape.len());
        for &d in t.shape {
            len(&mut h, d);
        }
        len(&mut h, t.data.len());
        h.update(t.data);
    }
    format!("{PREFIX}{:08x}", h.finalize())
}
