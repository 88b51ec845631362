//! Shared helpers for the byte readers: file access, gzip detection and a
//! bounds-checked cursor that turns every short read into `Error::Format`.

use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// The two magic bytes that start a gzip member.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads a whole file, mapping failures to `Error::Io` with the path.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Writes `bytes` to `path`, gzip-compressed when the path ends in `.gz`.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let out = if gz {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).map_err(|e| Error::io(path, e))?;
        enc.finish().map_err(|e| Error::io(path, e))?
    } else {
        bytes.to_vec()
    };
    std::fs::write(path, out).map_err(|e| Error::io(path, e))
}

/// Largest decompressed size [`maybe_gunzip`] accepts (2 GiB). Deflate expands
/// by up to ~1000×, so a few megabytes of crafted gzip could otherwise demand
/// gigabytes; the largest real input (MNIST training images) is 47 MB.
pub(crate) const MAX_GUNZIP_BYTES: u64 = 2 << 30;

/// Returns the decompressed bytes if `bytes` starts with the gzip magic,
/// otherwise borrows them unchanged. A stream that decompresses to more than
/// [`MAX_GUNZIP_BYTES`] is refused with `Error::Format`.
pub(crate) fn maybe_gunzip<'a>(
    bytes: &'a [u8],
    source_name: &str,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    maybe_gunzip_capped(bytes, source_name, MAX_GUNZIP_BYTES)
}

/// [`maybe_gunzip`] with an explicit cap on the decompressed size.
pub(crate) fn maybe_gunzip_capped<'a>(
    bytes: &'a [u8],
    source_name: &str,
    max_bytes: u64,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    // Read one byte past the cap so that "exactly at the cap" and "over it" differ.
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| Error::format(source_name, format!("invalid gzip stream: {e}")))?;
    if out.len() as u64 > max_bytes {
        return Err(Error::format(
            source_name,
            format!("gzip stream decompresses to more than {max_bytes} bytes (the limit)"),
        ));
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Display name of a path for error messages.
pub(crate) fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// A bounds-checked reader over a byte slice.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    source_name: &'a str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8], source_name: &'a str) -> Self {
        Cursor {
            data,
            pos: 0,
            source_name,
        }
    }

    /// Bytes left after the cursor.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// A `Format` error located at the cursor.
    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::Format {
            source_name: self.source_name.to_string(),
            location: Some(format!("byte {}", self.pos)),
            reason: reason.into(),
        }
    }

    /// The next `n` bytes, or a "truncated" error.
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "truncated: {what} needs {n} bytes, {} left",
                self.remaining()
            )));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16_le(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32_le(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u32_be(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Product of `dims`, or `None` on overflow.
pub(crate) fn checked_product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Quantises an intensity in `[0, 1]` to a byte (`round(v · 255)`).
pub(crate) fn to_byte(v: f32) -> u8 {
    (v * 255.0).round().clamp(0.0, 255.0) as u8
}

/// Checks that every value is finite and in `[0, 1]` (image writers).
pub(crate) fn check_unit_interval<'a>(
    values: impl Iterator<Item = &'a f32>,
    what: &'static str,
) -> Result<()> {
    for (i, &v) in values.enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                what,
                index: vec![i],
            });
        }
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::invalid(
                what,
                format!("pixel values must be in [0, 1]; element {i} (flat) is {v}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gunzip_passes_plain_bytes_through() {
        let plain = b"not gzip";
        let out = maybe_gunzip(plain, "x").unwrap();
        assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
        assert_eq!(&*out, plain);
    }

    #[test]
    fn gunzip_accepts_exactly_the_cap_and_refuses_one_byte_more() {
        let data = vec![7u8; 4096];
        let packed = gz(&data);
        assert!(packed.len() < 100, "zeros-like data compresses well");
        let out = maybe_gunzip_capped(&packed, "bomb.gz", 4096).unwrap();
        assert_eq!(&*out, &data[..]);
        let err = maybe_gunzip_capped(&packed, "bomb.gz", 4095).unwrap_err();
        match err {
            Error::Format {
                source_name,
                reason,
                ..
            } => {
                assert_eq!(source_name, "bomb.gz");
                assert!(reason.contains("4095"), "{reason}");
            }
            other => panic!("expected Format, got {other:?}"),
        }
    }

    #[test]
    fn gunzip_garbage_after_magic_is_a_format_error() {
        let err = maybe_gunzip(&[0x1f, 0x8b, 1, 2, 3], "junk.gz").unwrap_err();
        assert!(matches!(err, Error::Format { .. }), "{err:?}");
    }
}
