//! The inference request and response of the Open Inference Protocol v2
//! (REST), with Triton's binary tensor data extension.
//!
//! A request body is either one JSON object, or — when the
//! `Inference-Header-Content-Length: N` header is present — a JSON object of
//! `N` bytes followed by the raw little-endian data of every input whose
//! `parameters.binary_data_size` is set, in input order. `N = 0` is a raw
//! binary request: the body is the data of the single input, in the model's
//! input datatype, and every output is returned in binary.
//!
//! An output is returned in binary when it asks for it
//! (`parameters.binary_data: true`), or when the request sets
//! `parameters.binary_data_output: true` and the output does not say
//! otherwise; the response is then the JSON header followed by the raw data,
//! with `Inference-Header-Content-Length` giving the header's length.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::model::{INPUT_NAME, Output, ServedModel};
use super::tensor::{DataType, JsonData, Numbers, numbers_from_binary, numbers_from_json};

/// The request header that announces binary tensor data.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

#[derive(Debug, Deserialize)]
struct InferRequest {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    inputs: Vec<RequestInput>,
    #[serde(default)]
    outputs: Option<Vec<RequestOutput>>,
}

#[derive(Debug, Deserialize)]
struct RequestInput {
    name: String,
    shape: Vec<u64>,
    datatype: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    #[serde(default)]
    data: Option<JsonData>,
}

#[derive(Debug, Deserialize)]
struct RequestOutput {
    name: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
}

/// Limits a request must respect.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Most rows (first dimension) of an input.
    pub max_rows: usize,
}

/// A decoded inference request, ready for the model.
#[derive(Debug)]
pub struct Decoded {
    /// The request's `id`, echoed in the response.
    pub id: Option<String>,
    /// The input values.
    pub x: Numbers,
    /// The input shape.
    pub shape: Vec<usize>,
    /// Requested output names (empty = the model's default output), with
    /// whether each is wanted in binary.
    pub outputs: Vec<(String, bool)>,
    /// Binary for the default output (`binary_data_output`).
    pub binary_default: bool,
}

impl Decoded {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }
}

fn bool_param(p: &Option<Map<String, Value>>, key: &str) -> Result<Option<bool>, ApiError> {
    match p.as_ref().and_then(|m| m.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(ApiError::bad_request(format!(
            "parameter `{key}` must be a boolean, got {v}"
        ))),
    }
}

fn uint_param(p: &Option<Map<String, Value>>, key: &str) -> Result<Option<u64>, ApiError> {
    match p.as_ref().and_then(|m| m.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            ApiError::bad_request(format!(
                "parameter `{key}` must be a non-negative integer, got {v}"
            ))
        }),
    }
}

/// Product of `shape`, refusing overflow and rows above the limit.
fn element_count(name: &str, shape: &[u64], limits: RequestLimits) -> Result<usize, ApiError> {
    if let Some(&rows) = shape.first()
        && rows > limits.max_rows as u64
    {
        return Err(ApiError::too_large(format!(
            "input `{name}` has {rows} rows; this server takes at most {} per request \
             (--max-rows); split the batch",
            limits.max_rows
        )));
    }
    shape
        .iter()
        .try_fold(1usize, |acc, &d| {
            usize::try_from(d).ok().and_then(|d| acc.checked_mul(d))
        })
        .ok_or_else(|| {
            ApiError::bad_request(format!("input `{name}`: shape {shape:?} is too large"))
        })
}

/// Decodes a request body for `model`.
///
/// `header_len` is the value of `Inference-Header-Content-Length`, if sent.
///
/// # Errors
/// 400 for malformed JSON, unknown datatypes, data that does not match its
/// datatype or shape, binary sizes that do not add up, more than one input;
/// 413 for more rows than allowed.
pub fn decode(
    body: &[u8],
    header_len: Option<usize>,
    model: &ServedModel,
    limits: RequestLimits,
) -> Result<Decoded, ApiError> {
    if header_len == Some(0) {
        return decode_raw(body, model, limits);
    }
    let (json, mut binary) = match header_len {
        Some(n) if n > body.len() => {
            return Err(ApiError::bad_request(format!(
                "Inference-Header-Content-Length is {n} but the body has only {} bytes",
                body.len()
            )));
        }
        Some(n) => body.split_at(n),
        None => (body, &[][..]),
    };
    let req: InferRequest = serde_json::from_slice(json)
        .map_err(|e| ApiError::bad_request(format!("malformed inference request JSON: {e}")))?;
    let binary_default = bool_param(&req.parameters, "binary_data_output")?.unwrap_or(false);
    let [input]: [RequestInput; 1] = req.inputs.try_into().map_err(|v: Vec<_>| {
        ApiError::bad_request(format!(
            "this model takes exactly one input tensor (`{INPUT_NAME}`, any name accepted); \
             the request has {}",
            v.len()
        ))
    })?;
    let dt = DataType::parse(&input.datatype).ok_or_else(|| {
        ApiError::bad_request(format!(
            "input `{}`: unknown datatype `{}`; use one of {:?}",
            input.name,
            input.datatype,
            DataType::ALL.map(DataType::as_str)
        ))
    })?;
    let count = element_count(&input.name, &input.shape, limits)?;
    let x = match (
        uint_param(&input.parameters, "binary_data_size")?,
        input.data,
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(format!(
                "input `{}` has both JSON `data` and `binary_data_size`",
                input.name
            )));
        }
        (Some(size), None) => {
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            if size > binary.len() {
                return Err(ApiError::bad_request(format!(
                    "input `{}` announces {size} bytes of binary data but {} remain in the body",
                    input.name,
                    binary.len()
                )));
            }
            let (raw, rest) = binary.split_at(size);
            binary = rest;
            numbers_from_binary(&input.name, dt, raw)?
        }
        (None, Some(data)) => numbers_from_json(&input.name, dt, data)?,
        (None, None) => {
            return Err(ApiError::bad_request(format!(
                "input `{}` has no `data` (and no `binary_data_size`)",
                input.name
            )));
        }
    };
    if x.len() != count {
        return Err(ApiError::bad_request(format!(
            "input `{}` has shape {:?} ({count} elements) but {} data elements",
            input.name,
            input.shape,
            x.len()
        )));
    }
    if !binary.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{} bytes after the binary data of every input",
            binary.len()
        )));
    }
    let mut outputs = Vec::new();
    for o in req.outputs.unwrap_or_default() {
        if outputs.iter().any(|(n, _)| *n == o.name) {
            return Err(ApiError::bad_request(format!(
                "output `{}` requested twice",
                o.name
            )));
        }
        let binary = bool_param(&o.parameters, "binary_data")?.unwrap_or(binary_default);
        outputs.push((o.name, binary));
    }
    Ok(Decoded {
        id: req.id,
        x,
        shape: input.shape.iter().map(|&d| d as usize).collect(),
        outputs,
        binary_default,
    })
}

/// A raw binary request: the body is the single input's data.
fn decode_raw(
    body: &[u8],
    model: &ServedModel,
    limits: RequestLimits,
) -> Result<Decoded, ApiError> {
    let input = model.input();
    let dt = DataType::parse(input.datatype).expect("models declare protocol datatypes");
    let x = numbers_from_binary(&input.name, dt, body)?;
    let row = model.row_len().ok_or_else(|| {
        ApiError::bad_request(
            "a raw binary request (Inference-Header-Content-Length: 0) needs a model with a \
             fixed input size; send a JSON header with the shape",
        )
    })?;
    if row == 0 || !x.len().is_multiple_of(row) {
        return Err(ApiError::unprocessable(format!(
            "raw binary request of {} {dt} elements is not a whole number of rows of {row}",
            x.len()
        )));
    }
    let rows = x.len() / row;
    let mut shape: Vec<u64> = vec![rows as u64];
    shape.extend(input.shape[1..].iter().map(|&d| d as u64));
    element_count(&input.name, &shape, limits)?;
    Ok(Decoded {
        id: None,
        x,
        shape: shape.into_iter().map(|d| d as usize).collect(),
        outputs: Vec::new(),
        binary_default: true,
    })
}

/// An encoded response body.
#[derive(Debug)]
pub struct Encoded {
    /// The body.
    pub body: Vec<u8>,
    /// Length of the JSON header when binary data follows it.
    pub header_len: Option<usize>,
}

/// Encodes the response for `outputs` (in request order), each in binary or
/// JSON as requested.
pub fn encode(
    model_name: &str,
    version: u64,
    id: Option<&str>,
    outputs: &[Output],
    binary: &[bool],
) -> Encoded {
    let mut json = Vec::with_capacity(
        128 + outputs
            .iter()
            .map(|o| o.shape.iter().product::<usize>() * 20)
            .sum::<usize>(),
    );
    let mut tail = Vec::new();
    let put_str = |out: &mut Vec<u8>, s: &str| {
        serde_json::to_writer(&mut *out, s).expect("strings serialise");
    };
    json.extend_from_slice(b"{\"model_name\":");
    put_str(&mut json, model_name);
    json.extend_from_slice(format!(",\"model_version\":\"{version}\"").as_bytes());
    if let Some(id) = id {
        json.extend_from_slice(b",\"id\":");
        put_str(&mut json, id);
    }
    json.extend_from_slice(b",\"outputs\":[");
    for (i, (o, &bin)) in outputs.iter().zip(binary).enumerate() {
        if i > 0 {
            json.push(b',');
        }
        json.extend_from_slice(b"{\"name\":");
        put_str(&mut json, &o.name);
        json.extend_from_slice(b",\"datatype\":\"");
        json.extend_from_slice(o.data.datatype().as_str().as_bytes());
        json.extend_from_slice(b"\",\"shape\":");
        serde_json::to_writer(&mut json, &o.shape).expect("shape serialises");
        if bin {
            let n = o.data.write_binary(&mut tail);
            json.extend_from_slice(
                format!(",\"parameters\":{{\"binary_data_size\":{n}}}}}").as_bytes(),
            );
        } else {
            json.extend_from_slice(b",\"data\":");
            o.data.write_json(&mut json);
            json.push(b'}');
        }
    }
    json.extend_from_slice(b"]}");
    if binary.iter().any(|&b| b) {
        let header_len = json.len();
        json.extend_from_slice(&tail);
        Encoded {
            body: json,
            header_len: Some(header_len),
        }
    } else {
        Encoded {
            body: json,
            header_len: None,
        }
    }
}
