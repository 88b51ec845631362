//! Triton's binary tensor data extension: binary inputs, binary outputs,
//! mixed JSON/binary, raw binary requests, and size errors.

use serde_json::json;

use crate::common::*;

fn served() -> (TempDir, TestServer) {
    let dir = TempDir::new("binary");
    put(dir.path(), "iris", 1, &logistic_iris());
    put(dir.path(), "names", 1, &svc_iris_names());
    let s = TestServer::on(dir.path());
    (dir, s)
}

fn le_f64(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Splits a binary response into its JSON header and the data after it.
fn split(r: &Resp) -> (serde_json::Value, Vec<u8>) {
    let n: usize = r
        .header("inference-header-content-length")
        .expect("binary response header")
        .parse()
        .unwrap();
    (
        serde_json::from_slice(&r.body[..n]).unwrap(),
        r.body[n..].to_vec(),
    )
}

fn binary_request(header: &serde_json::Value, data: &[u8]) -> (Vec<u8>, String) {
    let h = header.to_string();
    let mut body = h.clone().into_bytes();
    body.extend_from_slice(data);
    (body, h.len().to_string())
}

#[test]
fn binary_in_binary_out_equals_json() {
    let (_d, s) = served();
    let (x, _) = iris();
    let n = 5;
    let data = rows(&x, n);
    let model = logistic_iris();
    let xs = x.slice(oxilearn::ndarray::s![..n, ..]);
    let header = json!({
        "inputs": [{"name": "x", "shape": [n, 4], "datatype": "FP64",
                    "parameters": {"binary_data_size": n * 4 * 8}}],
        "outputs": [{"name": "predict", "parameters": {"binary_data": true}},
                    {"name": "predict_proba", "parameters": {"binary_data": true}},
                    {"name": "decision_function"}]
    });
    let (body, len) = binary_request(&header, &le_f64(&data));
    let r = s.post(
        "/v2/models/iris/infer",
        &[
            ("Inference-Header-Content-Length", &len),
            ("Content-Type", "application/octet-stream"),
        ],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    let (j, tail) = split(&r);
    let outs = j["outputs"].as_array().unwrap();
    assert_eq!(outs[0]["parameters"]["binary_data_size"], n * 8);
    assert_eq!(outs[1]["parameters"]["binary_data_size"], n * 3 * 8);
    assert!(outs[2].get("data").is_some(), "JSON output stays JSON");
    assert_eq!(tail.len(), n * 8 + n * 3 * 8);
    let pred: Vec<i64> = tail[..n * 8]
        .chunks(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(pred, model.predict(xs).unwrap().to_vec());
    let proba: Vec<f64> = tail[n * 8..]
        .chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(
        proba,
        model
            .predict_proba(xs)
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>()
    );
    assert_eq!(
        output_f64(&j, "decision_function"),
        model
            .decision_function(xs)
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>()
    );
}

#[test]
fn binary_data_output_and_bytes_outputs() {
    let (_d, s) = served();
    let (x, _) = iris();
    let data: Vec<f64> = [0usize, 50, 100]
        .iter()
        .flat_map(|&i| x.row(i).to_vec())
        .collect();
    // FP32 binary input, every output binary by default, BYTES labels length-prefixed
    let raw: Vec<u8> = data
        .iter()
        .flat_map(|v| (*v as f32).to_le_bytes())
        .collect();
    let header = json!({
        "parameters": {"binary_data_output": true},
        "inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP32",
                    "parameters": {"binary_data_size": raw.len()}}]
    });
    let (body, len) = binary_request(&header, &raw);
    let r = s.post(
        "/v2/models/names/infer",
        &[("Inference-Header-Content-Length", &len)],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let (j, tail) = split(&r);
    assert_eq!(j["outputs"][0]["datatype"], "BYTES");
    let mut labels = Vec::new();
    let mut rest = &tail[..];
    while !rest.is_empty() {
        let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        labels.push(std::str::from_utf8(&rest[4..4 + n]).unwrap().to_string());
        rest = &rest[4 + n..];
    }
    assert_eq!(labels, ["setosa", "versicolor", "virginica"]);
    assert_eq!(
        j["outputs"][0]["parameters"]["binary_data_size"],
        tail.len()
    );
}

#[test]
fn raw_binary_request_without_a_header() {
    let (_d, s) = served();
    let (x, _) = iris();
    let data = rows(&x, 4);
    let r = s.post(
        "/v2/models/iris/infer",
        &[("Inference-Header-Content-Length", "0")],
        &le_f64(&data),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let (j, tail) = split(&r);
    assert_eq!(j["outputs"][0]["shape"], json!([4]));
    let pred: Vec<i64> = tail
        .chunks(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let model = logistic_iris();
    assert_eq!(
        pred,
        model
            .predict(x.slice(oxilearn::ndarray::s![..4, ..]))
            .unwrap()
            .to_vec()
    );
    // not a whole number of rows
    let r = s.post(
        "/v2/models/iris/infer",
        &[("Inference-Header-Content-Length", "0")],
        &le_f64(&data[..5]),
    );
    assert_eq!(r.status, 422, "{}", r.text());
}

#[test]
fn binary_sizes_that_do_not_add_up_are_400() {
    let (_d, s) = served();
    let data = le_f64(&[1.0, 2.0, 3.0, 4.0]);
    let send = |size: usize, payload: &[u8], header_len: Option<&str>| {
        let header = json!({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64",
                                        "parameters": {"binary_data_size": size}}]});
        let (body, len) = binary_request(&header, payload);
        let hl = header_len.map(str::to_string).unwrap_or(len);
        s.post(
            "/v2/models/iris/infer",
            &[("Inference-Header-Content-Length", &hl)],
            &body,
        )
    };
    let cases: [(usize, &[u8], Option<&str>, &str); 5] = [
        (40, &data, None, "remain in the body"),
        (24, &data[..24], None, "3 data elements"),
        (31, &data[..31], None, "not a whole number"),
        (
            32,
            &[data.clone(), vec![0; 8]].concat(),
            None,
            "after the binary data",
        ),
        (32, &data, Some("100000"), "has only"),
    ];
    for (size, payload, hl, msg) in cases {
        let r = send(size, payload, hl);
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.error().contains(msg), "{} vs {msg}", r.error());
    }
    // a BOOL byte other than 0/1
    let header = json!({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "BOOL",
                                    "parameters": {"binary_data_size": 4}}]});
    let (body, len) = binary_request(&header, &[0, 1, 2, 1]);
    let r = s.post(
        "/v2/models/iris/infer",
        &[("Inference-Header-Content-Length", &len)],
        &body,
    );
    assert_eq!(r.status, 400);
    assert!(r.error().contains("not 0 or 1"));
}
