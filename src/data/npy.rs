//! NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) for `f32`, `f64`,
//! `i64` and `u8` arrays of any rank.
//!
//! The writer emits version 1.0 (2.0 when the header would not fit), little
//! endian, C order, with the header padded so the data starts on a 64-byte
//! boundary — what `numpy.save` writes, so `numpy.load` reads the same bytes
//! the Rust benches write. The reader also accepts big-endian data and
//! `fortran_order: True`, and returns a C-order array.
//!
//! Malformed input (wrong magic, unknown version, a header that is not the
//! expected dictionary, a dtype other than the one asked for, a shape whose
//! size disagrees with the data length) gives [`Error::Format`]; sizes are
//! checked against the actual byte count before anything is allocated.

use std::path::Path;

use ndarray::{Array, ArrayD, ArrayView, Dimension, IxDyn, ShapeBuilder};

use super::bytes::{self, Cursor};
use crate::error::{Error, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
const SOURCE: &str = "npy";

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i64 {}
    impl Sealed for u8 {}
}

/// Element types `.npy` files can hold here: `f32` (`<f4`), `f64` (`<f8`),
/// `i64` (`<i8`) and `u8` (`|u1`). Sealed.
///
/// # Example
/// ```
/// use oxilearn::data::NpyElement;
/// assert_eq!(<f64 as NpyElement>::DESCR, "<f8");
/// assert_eq!(<u8 as NpyElement>::DESCR, "|u1");
/// ```
pub trait NpyElement: Copy + sealed::Sealed {
    /// The numpy dtype string this crate writes (little endian).
    const DESCR: &'static str;
    /// numpy kind character (`f`, `i`, `u`).
    #[doc(hidden)]
    const KIND: char;
    /// Size in bytes.
    #[doc(hidden)]
    const SIZE: usize;
    /// Decodes one element from `SIZE` bytes.
    #[doc(hidden)]
    fn decode(b: &[u8], little_endian: bool) -> Self;
    /// Appends the little-endian bytes of `self`.
    #[doc(hidden)]
    fn encode(self, out: &mut Vec<u8>);
}

macro_rules! npy_element {
    ($t:ty, $descr:literal, $kind:literal) => {
        impl NpyElement for $t {
            const DESCR: &'static str = $descr;
            const KIND: char = $kind;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn decode(b: &[u8], little_endian: bool) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                if little_endian {
                    <$t>::from_le_bytes(a)
                } else {
                    <$t>::from_be_bytes(a)
                }
            }
            fn encode(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}

npy_element!(f32, "<f4", 'f');
npy_element!(f64, "<f8", 'f');
npy_element!(i64, "<i8", 'i');
npy_element!(u8, "|u1", 'u');

/// A value of the header dictionary.
#[derive(Debug)]
enum PyValue {
    Str(String),
    Bool(bool),
    Int(usize),
    Tuple(Vec<PyValue>),
}

/// A tiny parser for the Python literal subset numpy writes in headers.
struct HeaderParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl HeaderParser<'_> {
    fn err(&self, reason: impl Into<String>) -> Error {
        Error::Format {
            source_name: SOURCE.into(),
            location: Some(format!("header character {}", self.pos)),
            reason: reason.into(),
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(format!("expected `{}`", c as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<PyValue> {
        if depth > 4 {
            return Err(self.err("nesting too deep"));
        }
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos] != q {
                    self.pos += 1;
                }
                if self.pos >= self.s.len() {
                    return Err(self.err("unterminated string"));
                }
                let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                self.pos += 1;
                Ok(PyValue::Str(text))
            }
            Some(b'(') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(b')') {
                        self.pos += 1;
                        return Ok(PyValue::Tuple(items));
                    }
                    items.push(self.value(depth + 1)?);
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b')') => {}
                        _ => return Err(self.err("expected `,` or `)` in tuple")),
                    }
                }
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
                    self.pos += 1;
                }
                // Python 2 era headers may write `3L`.
                let digits = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
                if self.s.get(self.pos) == Some(&b'L') {
                    self.pos += 1;
                }
                digits
                    .parse()
                    .map(PyValue::Int)
                    .map_err(|_| self.err("integer out of range"))
            }
            Some(_) if self.s[self.pos..].starts_with(b"True") => {
                self.pos += 4;
                Ok(PyValue::Bool(true))
            }
            Some(_) if self.s[self.pos..].starts_with(b"False") => {
                self.pos += 5;
                Ok(PyValue::Bool(false))
            }
            _ => Err(self.err("expected a string, integer, boolean or tuple")),
        }
    }

    /// Parses `{'descr': …, 'fortran_order': …, 'shape': (…), }`.
    fn header(&mut self) -> Result<(String, bool, Vec<usize>)> {
        self.expect(b'{')?;
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            let key = match self.value(0)? {
                PyValue::Str(k) => k,
                _ => return Err(self.err("dictionary keys must be strings")),
            };
            self.expect(b':')?;
            let val = self.value(0)?;
            match (key.as_str(), val) {
                ("descr", PyValue::Str(d)) => descr = Some(d),
                ("fortran_order", PyValue::Bool(b)) => fortran = Some(b),
                ("shape", PyValue::Tuple(items)) => {
                    let dims = items
                        .into_iter()
                        .map(|v| match v {
                            PyValue::Int(d) => Ok(d),
                            _ => Err(self.err("shape entries must be integers")),
                        })
                        .collect::<Result<Vec<_>>>()?;
                    shape = Some(dims);
                }
                (k, _) => return Err(self.err(format!("unexpected or mistyped key `{k}`"))),
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
        match (descr, fortran, shape) {
            (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
            _ => Err(self.err("header lacks one of `descr`, `fortran_order`, `shape`")),
        }
    }
}

/// Parses a `.npy` file from memory into an array of element type `T` and
/// dimensionality `D` (`Ix1`, `Ix2`, … or `IxDyn` for any rank).
///
/// # Errors
/// [`Error::Format`] for malformed bytes, a dtype that is not `T` (either
/// byte order accepted), or a rank other than `D`'s.
///
/// # Example
/// ```
/// use oxilearn::data::{encode_npy, parse_npy};
/// use oxilearn::ndarray::{array, Array2, ArrayD};
///
/// let a = array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let bytes = encode_npy(a.view());
/// assert_eq!(&bytes[..6], b"\x93NUMPY");
/// let back: Array2<f64> = parse_npy(&bytes)?;
/// assert_eq!(back, a);
/// let dynamic: ArrayD<f64> = parse_npy(&bytes)?;
/// assert_eq!(dynamic.shape(), &[2, 3]);
/// assert!(parse_npy::<f32, oxilearn::ndarray::Ix2>(&bytes).is_err()); // stored as f64
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn parse_npy<T: NpyElement, D: Dimension>(data: &[u8]) -> Result<Array<T, D>> {
    let mut c = Cursor::new(data, SOURCE);
    if c.take(6, "magic")? != MAGIC {
        return Err(Error::Format {
            source_name: SOURCE.into(),
            location: Some("byte 0".into()),
            reason: "not a .npy file (magic \\x93NUMPY missing)".into(),
        });
    }
    let major = c.u8("major version")?;
    let _minor = c.u8("minor version")?;
    let header_len = match major {
        1 => c.u16_le("header length")? as usize,
        2 | 3 => c.u32_le("header length")? as usize,
        v => return Err(c.error(format!("unsupported .npy format version {v}"))),
    };
    let header = c.take(header_len, "header")?;
    let (descr, fortran, shape) = HeaderParser { s: header, pos: 0 }.header()?;

    let descr_bytes = descr.as_bytes();
    let (order, rest) = match descr_bytes.first() {
        Some(b @ (b'<' | b'>' | b'|' | b'=')) => (*b, &descr[1..]),
        _ => (b'=', descr.as_str()),
    };
    let expected = &T::DESCR[1..];
    if rest != expected || (order == b'|' && T::SIZE != 1) {
        return Err(Error::format(
            SOURCE,
            format!(
                "dtype `{descr}` does not match the requested element type `{}` ({})",
                T::DESCR,
                T::KIND
            ),
        ));
    }
    let little = match order {
        b'>' => false,
        b'<' | b'|' => true,
        _ => cfg!(target_endian = "little"),
    };
    if let Some(nd) = D::NDIM
        && nd != shape.len()
    {
        return Err(Error::format(
            SOURCE,
            format!("array has {} dimensions, expected {nd}", shape.len()),
        ));
    }
    let count = bytes::checked_product(&shape)
        .ok_or_else(|| Error::format(SOURCE, format!("shape {shape:?} overflows")))?;
    let n_bytes = count
        .checked_mul(T::SIZE)
        .ok_or_else(|| Error::format(SOURCE, format!("shape {shape:?} overflows")))?;
    if n_bytes != c.remaining() {
        return Err(c.error(format!(
            "shape {shape:?} of `{descr}` needs {n_bytes} data bytes, file has {}",
            c.remaining()
        )));
    }
    let body = c.take(n_bytes, "data")?;
    let values: Vec<T> = body
        .chunks_exact(T::SIZE)
        .map(|b| T::decode(b, little))
        .collect();
    let dim = IxDyn(&shape);
    let array: ArrayD<T> = if fortran {
        let f = Array::from_shape_vec(dim.f(), values)
            .map_err(|e| Error::format(SOURCE, e.to_string()))?;
        f.as_standard_layout().into_owned()
    } else {
        Array::from_shape_vec(dim, values).map_err(|e| Error::format(SOURCE, e.to_string()))?
    };
    array
        .into_dimensionality::<D>()
        .map_err(|e| Error::format(SOURCE, e.to_string()))
}

/// Reads a `.npy` file (see [`parse_npy`]).
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Format`] as
/// [`parse_npy`].
///
/// # Example
/// ```
/// use oxilearn::data::{read_npy, write_npy};
/// use oxilearn::ndarray::{array, Array1};
///
/// let path = std::env::temp_dir().join("oxilearn-doc-y.npy");
/// write_npy(&path, array![1i64, -2, 3].view())?;
/// let y: Array1<i64> = read_npy(&path)?;
/// assert_eq!(y, array![1, -2, 3]);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn read_npy<T: NpyElement, D: Dimension>(path: impl AsRef<Path>) -> Result<Array<T, D>> {
    let path = path.as_ref();
    parse_npy(&bytes::read_file(path)?).map_err(|e| match e {
        Error::Format {
            location, reason, ..
        } => Error::Format {
            source_name: bytes::display_name(path),
            location,
            reason,
        },
        other => other,
    })
}

/// Encodes an array (any layout; written in C order) as `.npy` bytes, as
/// `numpy.save` would.
///
/// # Example
/// ```
/// use oxilearn::data::encode_npy;
/// use oxilearn::ndarray::array;
///
/// let bytes = encode_npy(array![1u8, 2, 3].view());
/// assert_eq!(bytes.len() % 64, 3); // header padded to 64 bytes, then 3 data bytes
/// let header = std::str::from_utf8(&bytes[10..128]).unwrap();
/// assert!(header.starts_with("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }"));
/// ```
pub fn encode_npy<T: NpyElement, D: Dimension>(array: ArrayView<'_, T, D>) -> Vec<u8> {
    let shape = match array.shape() {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        T::DESCR
    );
    // magic (6) + version (2) + length (2 or 4) + header + '\n' ≡ 0 (mod 64)
    let v1 = header.len() + 1 + 10 <= u16::MAX as usize;
    let prefix = if v1 { 10 } else { 12 };
    let total = (prefix + header.len() + 1).div_ceil(64) * 64;
    header.push_str(&" ".repeat(total - prefix - header.len() - 1));
    header.push('\n');
    let mut out = Vec::with_capacity(total + array.len() * T::SIZE);
    out.extend_from_slice(MAGIC);
    if v1 {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    for &v in array.iter() {
        v.encode(&mut out);
    }
    out
}

/// Writes an array as a `.npy` file ([`encode_npy`]).
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
///
/// # Example
/// See [`read_npy`].
pub fn write_npy<T: NpyElement, D: Dimension>(
    path: impl AsRef<Path>,
    array: ArrayView<'_, T, D>,
) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, encode_npy(array)).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Array3, Ix1, Ix2, array};

    // Bytes of numpy.save for np.array([[1.5, -2.0]], dtype='<f8'):
    // import numpy as np, io; b = io.BytesIO(); np.save(b, np.array([[1.5, -2.0]])); b.getvalue()
    fn numpy_bytes() -> Vec<u8> {
        let mut v =
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"
                .to_vec();
        v.resize(127, b' ');
        v.push(b'\n');
        v.extend_from_slice(&1.5f64.to_le_bytes());
        v.extend_from_slice(&(-2.0f64).to_le_bytes());
        v
    }

    #[test]
    fn writer_matches_numpy_bytes() {
        let a = array![[1.5f64, -2.0]];
        assert_eq!(encode_npy(a.view()), numpy_bytes());
        let back: Array2<f64> = parse_npy(&numpy_bytes()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn round_trips_all_types_and_ranks() {
        let a = Array3::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 12 + j * 4 + k) as f32 - 5.5);
        assert_eq!(parse_npy::<f32, _>(&encode_npy(a.view())).unwrap(), a);
        // Non-standard layout is written in logical (C) order.
        let t = a.view().permuted_axes([2, 0, 1]);
        assert_eq!(parse_npy::<f32, _>(&encode_npy(t)).unwrap(), t);
        let i = array![i64::MIN, 0, i64::MAX];
        assert_eq!(parse_npy::<i64, Ix1>(&encode_npy(i.view())).unwrap(), i);
        let u = Array2::from_shape_fn((3, 2), |(r, c)| (r * 2 + c) as u8);
        assert_eq!(parse_npy::<u8, Ix2>(&encode_npy(u.view())).unwrap(), u);
        let s = ndarray::arr0(4.25f64);
        assert_eq!(
            parse_npy::<f64, ndarray::Ix0>(&encode_npy(s.view())).unwrap(),
            s
        );
        let e = Array2::<f64>::zeros((0, 3));
        assert_eq!(
            parse_npy::<f64, Ix2>(&encode_npy(e.view())).unwrap().dim(),
            (0, 3)
        );
    }

    #[test]
    fn fortran_order_and_big_endian() {
        // np.asfortranarray([[1, 2, 3], [4, 5, 6]]).astype('>f4'): column-major, big endian.
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        let h = "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }\n";
        v.extend_from_slice(&(h.len() as u16).to_le_bytes());
        v.extend_from_slice(h.as_bytes());
        for x in [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        let a: Array2<f32> = parse_npy(&v).unwrap();
        assert_eq!(a, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert!(a.is_standard_layout());
    }

    #[test]
    fn version_2_header() {
        let mut v = b"\x93NUMPY\x02\x00".to_vec();
        let h = "{'shape': (2,), 'fortran_order': False, 'descr': '<i8'}\n";
        v.extend_from_slice(&(h.len() as u32).to_le_bytes());
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(&7i64.to_le_bytes());
        v.extend_from_slice(&(-7i64).to_le_bytes());
        assert_eq!(parse_npy::<i64, Ix1>(&v).unwrap(), array![7, -7]);
    }

    #[test]
    fn malformed_inputs_are_format_errors() {
        let good = numpy_bytes();
        let fmt = |b: &[u8]| matches!(parse_npy::<f64, IxDyn>(b), Err(Error::Format { .. }));
        assert!(fmt(&[]));
        assert!(fmt(&good[..5]));
        assert!(fmt(&good[..9]));
        assert!(fmt(&good[..50]));
        assert!(fmt(&good[..good.len() - 1]));
        assert!(fmt(&[good.clone(), vec![0]].concat()));
        let mut v = good.clone();
        v[6] = 9; // version
        assert!(fmt(&v));
        let mut v = good.clone();
        v[8] = 0xff; // header length beyond the file
        v[9] = 0xff;
        assert!(fmt(&v));
        for header in [
            "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
            "{'descr': '<f8', 'fortran_order': False}",
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': ((2,),)}",
            "{'descr': 'O', 'fortran_order': False, 'shape': (2,)}",
            "{'descr': '<f8, 'fortran_order': False, 'shape': (2,)}",
            "not a dict",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (((((((1,),),),),),),)}",
        ] {
            let mut v = b"\x93NUMPY\x01\x00".to_vec();
            v.extend_from_slice(&(header.len() as u16).to_le_bytes());
            v.extend_from_slice(header.as_bytes());
            v.extend_from_slice(&[0; 16]);
            assert!(fmt(&v), "{header}");
        }
        // Wrong element type / rank.
        assert!(matches!(
            parse_npy::<i64, IxDyn>(&good),
            Err(Error::Format { .. })
        ));
        assert!(matches!(
            parse_npy::<f64, Ix1>(&good),
            Err(Error::Format { .. })
        ));
    }
}
