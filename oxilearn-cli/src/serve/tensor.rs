//! Tensor data types of the Open Inference Protocol, and the conversions
//! between the wire (JSON arrays, Triton's binary tensor data) and the dense
//! `f64` / `f32` buffers models take.
//!
//! JSON `data` may be flat or nested (`[[1, 2], [3, 4]]`); either way the
//! element count must equal the product of `shape`. Integer datatypes accept
//! only integral JSON numbers within the type's range, `BOOL` accepts `true` /
//! `false`, floating types accept any number. Binary data is little-endian,
//! row-major, without padding; `BYTES` elements are a 4-byte little-endian
//! length followed by the bytes.

use std::fmt;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::error::ApiError;

/// A tensor element type of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `BOOL`, one byte (0 or 1).
    Bool,
    /// `UINT8`.
    U8,
    /// `UINT16`.
    U16,
    /// `UINT32`.
    U32,
    /// `UINT64`.
    U64,
    /// `INT8`.
    I8,
    /// `INT16`.
    I16,
    /// `INT32`.
    I32,
    /// `INT64`.
    I64,
    /// `FP16` (IEEE half precision).
    F16,
    /// `FP32`.
    F32,
    /// `FP64`.
    F64,
    /// `BF16` (bfloat16).
    Bf16,
    /// `BYTES`: length-prefixed byte strings.
    Bytes,
}

impl DataType {
    /// Every datatype, in the protocol's table order.
    pub const ALL: [DataType; 14] = [
        DataType::Bool,
        DataType::U8,
        DataType::U16,
        DataType::U32,
        DataType::U64,
        DataType::I8,
        DataType::I16,
        DataType::I32,
        DataType::I64,
        DataType::F16,
        DataType::F32,
        DataType::F64,
        DataType::Bytes,
        DataType::Bf16,
    ];

    /// The protocol's name (`"FP64"`, `"INT64"` …).
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Bool => "BOOL",
            DataType::U8 => "UINT8",
            DataType::U16 => "UINT16",
            DataType::U32 => "UINT32",
            DataType::U64 => "UINT64",
            DataType::I8 => "INT8",
            DataType::I16 => "INT16",
            DataType::I32 => "INT32",
            DataType::I64 => "INT64",
            DataType::F16 => "FP16",
            DataType::F32 => "FP32",
            DataType::F64 => "FP64",
            DataType::Bf16 => "BF16",
            DataType::Bytes => "BYTES",
        }
    }

    /// Parses a protocol name (case-sensitive, as the protocol says).
    pub fn parse(s: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Bytes per element in binary form (`None` for `BYTES`).
    pub fn size(self) -> Option<usize> {
        Some(match self {
            DataType::Bool | DataType::U8 | DataType::I8 => 1,
            DataType::U16 | DataType::I16 | DataType::F16 | DataType::Bf16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 => 4,
            DataType::U64 | DataType::I64 | DataType::F64 => 8,
            DataType::Bytes => return None,
        })
    }

    /// The inclusive integer range of an integer type.
    fn int_range(self) -> Option<(f64, f64)> {
        Some(match self {
            DataType::U8 => (0.0, u8::MAX as f64),
            DataType::U16 => (0.0, u16::MAX as f64),
            DataType::U32 => (0.0, u32::MAX as f64),
            DataType::U64 => (0.0, u64::MAX as f64),
            DataType::I8 => (i8::MIN as f64, i8::MAX as f64),
            DataType::I16 => (i16::MIN as f64, i16::MAX as f64),
            DataType::I32 => (i32::MIN as f64, i32::MAX as f64),
            DataType::I64 => (i64::MIN as f64, i64::MAX as f64),
            _ => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The elements of a JSON `data` array, flattened in row-major order.
///
/// Numbers are kept as `f64` (what every classical model computes in; a
/// 64-bit integer beyond 2⁵³ loses its low bits, as it would in the model);
/// what kinds of JSON values were seen is recorded so that the datatype can
/// be checked once the whole input object is read (`datatype` may follow
/// `data` in the object).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct JsonData {
    /// Numbers (booleans as 0 / 1), in order. Empty when strings were seen.
    pub numbers: Vec<f64>,
    /// Strings, in order (for `BYTES`).
    pub strings: Vec<String>,
    /// Index of the first boolean, if any.
    pub first_bool: Option<usize>,
    /// Index of the first number, if any.
    pub first_number: Option<usize>,
    /// Index of the first string, if any.
    pub first_string: Option<usize>,
    /// Number of elements.
    pub len: usize,
}

impl JsonData {
    /// Index of the first element that is not an integer, if any (checked
    /// only for integer datatypes, not on every number while parsing).
    pub fn first_fraction(&self) -> Option<usize> {
        self.numbers
            .iter()
            .position(|v| !(v.is_finite() && v.fract() == 0.0))
    }

    fn push_number(&mut self, v: f64) {
        if self.first_number.is_none() {
            self.first_number = Some(self.len);
        }
        self.numbers.push(v);
        self.len += 1;
    }
}

impl<'de> Deserialize<'de> for JsonData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = JsonData::default();
        FlattenSeed {
            out: &mut out,
            depth: 0,
        }
        .deserialize(d)?;
        Ok(out)
    }
}

/// Nesting deeper than this is refused (a tensor has few dimensions; this
/// only stops pathological inputs).
const MAX_NESTING: usize = 32;

struct FlattenSeed<'a> {
    out: &'a mut JsonData,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for FlattenSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FlattenSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a (possibly nested) array of numbers, booleans or strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth >= MAX_NESTING {
            return Err(de::Error::custom(format!(
                "tensor data nested deeper than {MAX_NESTING} levels"
            )));
        }
        if self.depth == 0
            && let Some(n) = seq.size_hint()
        {
            self.out.numbers.reserve(n.min(1 << 20));
        }
        while seq
            .next_element_seed(FlattenSeed {
                out: self.out,
                depth: self.depth + 1,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.out.push_number(v);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.out.push_number(v as f64);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.out.push_number(v as f64);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        if self.out.first_bool.is_none() {
            self.out.first_bool = Some(self.out.len);
        }
        self.out.numbers.push(if v { 1.0 } else { 0.0 });
        self.out.len += 1;
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.visit_string(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        if self.out.first_string.is_none() {
            self.out.first_string = Some(self.out.len);
        }
        self.out.strings.push(v);
        self.out.len += 1;
        Ok(())
    }
}

/// Decoded numeric elements of one input tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum Numbers {
    /// Values as `f64` (every datatype but `FP32`).
    F64(Vec<f64>),
    /// `FP32` values, kept in single precision (CNNs compute in `f32`).
    F32(Vec<f32>),
}

impl Numbers {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Numbers::F64(v) => v.len(),
            Numbers::F32(v) => v.len(),
        }
    }

    /// The values as `f64` (copies unless already `f64`).
    pub fn into_f64(self) -> Vec<f64> {
        match self {
            Numbers::F64(v) => v,
            Numbers::F32(v) => v.into_iter().map(f64::from).collect(),
        }
    }

    /// The values as `f32` (rounds `f64` values to nearest).
    pub fn into_f32(self) -> Vec<f32> {
        match self {
            Numbers::F32(v) => v,
            Numbers::F64(v) => v.into_iter().map(|x| x as f32).collect(),
        }
    }
}

fn element_error(name: &str, dt: DataType, index: usize, what: &str) -> ApiError {
    ApiError::bad_request(format!(
        "input `{name}` has datatype {dt} but element {index} of its data is {what}"
    ))
}

/// Checks JSON elements against `dt` and converts them.
///
/// # Errors
/// 400 when an element does not fit `dt` (a fraction or out-of-range value for
/// an integer type, a string for a numeric type, a number for `BOOL`), or for
/// `BYTES`/`FP16`/`BF16`, which no model of this server takes.
pub fn numbers_from_json(name: &str, dt: DataType, data: JsonData) -> Result<Numbers, ApiError> {
    if let Some(i) = data.first_string {
        return Err(element_error(name, dt, i, "a string"));
    }
    match dt {
        DataType::Bytes | DataType::F16 | DataType::Bf16 => Err(ApiError::bad_request(format!(
            "input `{name}`: datatype {dt} is not supported in JSON by this server; \
             send FP32, FP64 or an integer type"
        ))),
        DataType::Bool => {
            if let Some(i) = data.first_number {
                return Err(element_error(
                    name,
                    dt,
                    i,
                    "a number (BOOL takes true/false)",
                ));
            }
            Ok(Numbers::F64(data.numbers))
        }
        DataType::F32 | DataType::F64 => {
            if let Some(i) = data.first_bool {
                return Err(element_error(name, dt, i, "a boolean"));
            }
            if dt == DataType::F32 {
                Ok(Numbers::F32(
                    data.numbers.into_iter().map(|x| x as f32).collect(),
                ))
            } else {
                Ok(Numbers::F64(data.numbers))
            }
        }
        _ => {
            if let Some(i) = data.first_bool {
                return Err(element_error(name, dt, i, "a boolean"));
            }
            if let Some(i) = data.first_fraction() {
                return Err(element_error(
                    name,
                    dt,
                    i,
                    &format!("{} (not an integer)", data.numbers[i]),
                ));
            }
            let (lo, hi) = dt.int_range().expect("integer type");
            if let Some((i, v)) = data
                .numbers
                .iter()
                .enumerate()
                .find(|(_, v)| **v < lo || **v > hi)
            {
                return Err(element_error(name, dt, i, &format!("{v}, out of range")));
            }
            Ok(Numbers::F64(data.numbers))
        }
    }
}

/// Decodes little-endian binary tensor data of type `dt`.
///
/// # Errors
/// 400 when the byte count is not a multiple of the element size, for a `BOOL`
/// byte other than 0 or 1, and for `BYTES` (no model takes strings).
pub fn numbers_from_binary(name: &str, dt: DataType, raw: &[u8]) -> Result<Numbers, ApiError> {
    let Some(size) = dt.size() else {
        return Err(ApiError::bad_request(format!(
            "input `{name}`: datatype BYTES is not supported by this model; send numbers"
        )));
    };
    if !raw.len().is_multiple_of(size) {
        return Err(ApiError::bad_request(format!(
            "input `{name}`: {} bytes of binary data is not a whole number of {dt} elements ({size} bytes each)",
            raw.len()
        )));
    }
    macro_rules! le {
        ($t:ty) => {
            raw.chunks_exact(size)
                .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk size")) as f64)
                .collect()
        };
    }
    Ok(match dt {
        DataType::F32 => Numbers::F32(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
        ),
        DataType::F64 => Numbers::F64(le!(f64)),
        DataType::I8 => Numbers::F64(le!(i8)),
        DataType::I16 => Numbers::F64(le!(i16)),
        DataType::I32 => Numbers::F64(le!(i32)),
        DataType::I64 => Numbers::F64(le!(i64)),
        DataType::U8 => Numbers::F64(le!(u8)),
        DataType::U16 => Numbers::F64(le!(u16)),
        DataType::U32 => Numbers::F64(le!(u32)),
        DataType::U64 => Numbers::F64(le!(u64)),
        DataType::Bool => {
            if let Some(i) = raw.iter().position(|&b| b > 1) {
                return Err(ApiError::bad_request(format!(
                    "input `{name}`: BOOL element {i} is the byte {}, not 0 or 1",
                    raw[i]
                )));
            }
            Numbers::F64(raw.iter().map(|&b| f64::from(b)).collect())
        }
        DataType::F16 => Numbers::F32(
            raw.chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
        ),
        DataType::Bf16 => Numbers::F32(
            raw.chunks_exact(2)
                .map(|c| f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16))
                .collect(),
        ),
        DataType::Bytes => unreachable!("handled above"),
    })
}

/// IEEE 754 binary16 → binary32 (exact: every half is a float).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f32::from(h & 0x3ff);
    match exp {
        0 => sign * frac * 2f32.powi(-24),
        31 if frac == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f32.powi(e - 15),
    }
}

/// The values of one output tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputData {
    /// `FP64` values.
    F64(Vec<f64>),
    /// `FP32` values.
    F32(Vec<f32>),
    /// `INT64` values.
    I64(Vec<i64>),
    /// `BYTES` values (UTF-8 strings: string class labels).
    Bytes(Vec<String>),
}

impl OutputData {
    /// The protocol datatype.
    pub fn datatype(&self) -> DataType {
        match self {
            OutputData::F64(_) => DataType::F64,
            OutputData::F32(_) => DataType::F32,
            OutputData::I64(_) => DataType::I64,
            OutputData::Bytes(_) => DataType::Bytes,
        }
    }

    /// Appends the binary form (little endian; `BYTES` length-prefixed);
    /// returns the number of bytes written.
    pub fn write_binary(&self, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        match self {
            OutputData::F64(v) => {
                out.reserve(v.len() * 8);
                v.iter()
                    .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
            }
            OutputData::F32(v) => {
                out.reserve(v.len() * 4);
                v.iter()
                    .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
            }
            OutputData::I64(v) => {
                out.reserve(v.len() * 8);
                v.iter()
                    .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
            }
            OutputData::Bytes(v) => {
                for s in v {
                    // Labels are short; a label over 4 GiB cannot come from a model file.
                    let n = u32::try_from(s.len()).expect("label shorter than 4 GiB");
                    out.extend_from_slice(&n.to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
            }
        }
        out.len() - start
    }

    /// Appends the JSON array form (shortest round-trip floats). Non-finite
    /// floats, which JSON cannot express, are written as `null`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        fn list<T>(out: &mut Vec<u8>, v: &[T], mut one: impl FnMut(&mut Vec<u8>, &T)) {
            out.push(b'[');
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                one(out, x);
            }
            out.push(b']');
        }
        // Writing to a Vec cannot fail; numbers and strings always serialise.
        let put = |out: &mut Vec<u8>, x: &dyn erased::Json| x.write(out);
        match self {
            OutputData::F64(v) => list(out, v, |o, x| {
                if x.is_finite() {
                    put(o, x)
                } else {
                    o.extend_from_slice(b"null")
                }
            }),
            OutputData::F32(v) => list(out, v, |o, x| {
                if x.is_finite() {
                    put(o, x)
                } else {
                    o.extend_from_slice(b"null")
                }
            }),
            OutputData::I64(v) => list(out, v, |o, x| put(o, x)),
            OutputData::Bytes(v) => list(out, v, |o, x| put(o, x)),
        }
    }
}

/// Serialisation of one JSON scalar into a byte buffer.
mod erased {
    pub trait Json {
        fn write(&self, out: &mut Vec<u8>);
    }
    impl<T: serde::Serialize> Json for T {
        fn write(&self, out: &mut Vec<u8>) {
            serde_json::to_writer(out, self).expect("numbers and strings serialise into a Vec");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> JsonData {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn flattens_nested_data_in_row_major_order() {
        let d = parse("[[1, 2.5], [3, -4]]");
        assert_eq!(d.numbers, vec![1.0, 2.5, 3.0, -4.0]);
        assert_eq!((d.len, d.first_fraction()), (4, Some(1)));
    }

    #[test]
    fn integer_types_refuse_fractions_and_out_of_range_values() {
        let e = numbers_from_json("x", DataType::I64, parse("[1, 2.5]")).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(e.message.contains("element 1"), "{}", e.message);
        let e = numbers_from_json("x", DataType::U8, parse("[1, 256]")).unwrap_err();
        assert!(e.message.contains("out of range"), "{}", e.message);
        let e = numbers_from_json("x", DataType::I8, parse("[-129]")).unwrap_err();
        assert!(e.message.contains("out of range"), "{}", e.message);
        assert_eq!(
            numbers_from_json("x", DataType::I32, parse("[-3, 4]")).unwrap(),
            Numbers::F64(vec![-3.0, 4.0])
        );
    }

    #[test]
    fn float_types_take_integers_but_not_strings_or_booleans() {
        assert_eq!(
            numbers_from_json("x", DataType::F32, parse("[1, 0.5]")).unwrap(),
            Numbers::F32(vec![1.0, 0.5])
        );
        assert!(numbers_from_json("x", DataType::F64, parse("[\"1\"]")).is_err());
        assert!(numbers_from_json("x", DataType::F64, parse("[true]")).is_err());
        assert!(numbers_from_json("x", DataType::Bool, parse("[1]")).is_err());
        assert_eq!(
            numbers_from_json("x", DataType::Bool, parse("[true, false]")).unwrap(),
            Numbers::F64(vec![1.0, 0.0])
        );
    }

    #[test]
    fn pathological_nesting_is_refused_without_overflowing_the_stack() {
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(serde_json::from_str::<JsonData>(&deep).is_err());
    }

    #[test]
    fn binary_decoding_checks_sizes_and_values() {
        let raw: Vec<u8> = [1.5f64, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        assert_eq!(
            numbers_from_binary("x", DataType::F64, &raw).unwrap(),
            Numbers::F64(vec![1.5, -2.0])
        );
        assert!(numbers_from_binary("x", DataType::F64, &raw[..7]).is_err());
        assert!(numbers_from_binary("x", DataType::Bool, &[0, 2]).is_err());
        let raw: Vec<u8> = [-7i32, 9].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(
            numbers_from_binary("x", DataType::I32, &raw).unwrap(),
            Numbers::F64(vec![-7.0, 9.0])
        );
    }

    #[test]
    fn half_precision_decodes_exactly() {
        // 0x3c00 = 1.0, 0xc000 = -2.0, 0x0001 = 2^-24 (smallest subnormal), 0x7c00 = inf
        for (h, f) in [
            (0x3c00u16, 1.0f32),
            (0xc000, -2.0),
            (0x0001, 2f32.powi(-24)),
        ] {
            assert_eq!(f16_to_f32(h), f);
        }
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
        // bfloat16 0x3fc0 = 1.5
        assert_eq!(
            numbers_from_binary("x", DataType::Bf16, &0x3fc0u16.to_le_bytes()).unwrap(),
            Numbers::F32(vec![1.5])
        );
    }

    #[test]
    fn outputs_encode_as_json_and_binary() {
        let mut j = Vec::new();
        OutputData::F64(vec![0.5, f64::NAN, 2.0]).write_json(&mut j);
        assert_eq!(std::str::from_utf8(&j).unwrap(), "[0.5,null,2.0]");
        let mut j = Vec::new();
        OutputData::Bytes(vec!["a\"b".into(), "c".into()]).write_json(&mut j);
        assert_eq!(std::str::from_utf8(&j).unwrap(), r#"["a\"b","c"]"#);
        let mut b = Vec::new();
        assert_eq!(OutputData::Bytes(vec!["ab".into()]).write_binary(&mut b), 6);
        assert_eq!(b, [2, 0, 0, 0, b'a', b'b']);
        let mut b = Vec::new();
        assert_eq!(OutputData::I64(vec![-1]).write_binary(&mut b), 8);
        assert_eq!(b, (-1i64).to_le_bytes());
    }
}
