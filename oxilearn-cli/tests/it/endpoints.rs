//! Every endpoint on a repository holding every servable model kind; the
//! predictions must equal the library's on the same rows.

use oxilearn::ndarray::{Array2, Array4};
use oxilearn::nn::Mode;
use serde_json::json;

use crate::common::*;

/// A repository with one model of each kind, and the server on it.
fn served() -> (TempDir, TestServer) {
    let dir = TempDir::new("endpoints");
    let root = dir.path();
    put(root, "iris-logistic", 1, &logistic_iris());
    put(root, "iris-svc", 1, &svc_iris_names());
    put(root, "iris-svc-noproba", 1, &svc_iris_no_proba());
    put(root, "diabetes", 1, &ridge_diabetes(1.0));
    put(root, "lenet", 1, &lenet());
    let scaler = oxilearn::prelude::StandardScaler::new()
        .fit(diabetes().0.view())
        .unwrap();
    put(root, "scaler", 1, &scaler);
    let server = TestServer::on(root);
    (dir, server)
}

#[test]
fn health_server_metadata_and_index() {
    let (_dir, s) = served();
    let r = s.get("/v2/health/live");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(s.get("/v2/health/ready").status, 200);
    let meta = s.get("/v2").json();
    assert_eq!(meta["name"], "oxilearn");
    assert!(
        meta["extensions"]
            .as_array()
            .unwrap()
            .contains(&json!("binary_tensor_data"))
    );
    let index = s.post_json("/v2/repository/index", &json!({})).json();
    let names: Vec<&str> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "diabetes",
            "iris-logistic",
            "iris-svc",
            "iris-svc-noproba",
            "lenet",
            "scaler"
        ]
    );
    assert!(
        index
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["state"] == "READY" && e["version"] == "1" && e["reason"] == "")
    );
    // GET works too, and {"ready": true} filters
    assert_eq!(s.get("/v2/repository/index").json(), index);
    assert_eq!(
        s.post_json("/v2/repository/index", &json!({"ready": true}))
            .json(),
        index
    );
}

#[test]
fn model_metadata_declares_every_input_and_output() {
    let (_dir, s) = served();
    let m = s.get("/v2/models/iris-svc").json();
    assert_eq!(m["name"], "iris-svc");
    assert_eq!(m["versions"], json!(["1"]));
    assert_eq!(m["platform"], "oxilearn_safetensors");
    assert_eq!(
        m["inputs"],
        json!([{"name": "input", "datatype": "FP64", "shape": [-1, 4]}])
    );
    assert_eq!(
        m["outputs"],
        json!([
            {"name": "predict", "datatype": "BYTES", "shape": [-1]},
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]},
            {"name": "decision_function", "datatype": "FP64", "shape": [-1, 3]},
        ])
    );
    assert_eq!(m["parameters"]["kind"], "Svc");
    assert_eq!(
        m["parameters"]["classes"],
        json!(["setosa", "versicolor", "virginica"])
    );
    assert_eq!(m["parameters"]["state"], "READY");
    // the versioned URL answers the same
    assert_eq!(s.get("/v2/models/iris-svc/versions/1").json(), m);

    // without probabilities there is no predict_proba
    let m = s.get("/v2/models/iris-svc-noproba").json();
    let outs: Vec<&str> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(outs, ["predict", "decision_function"]);
    assert_eq!(m["outputs"][0]["datatype"], "INT64");

    let m = s.get("/v2/models/diabetes").json();
    assert_eq!(m["inputs"][0]["shape"], json!([-1, 10]));
    assert_eq!(
        m["outputs"],
        json!([{"name": "predict", "datatype": "FP64", "shape": [-1]}])
    );
    let m = s.get("/v2/models/scaler").json();
    assert_eq!(
        m["outputs"],
        json!([{"name": "transform", "datatype": "FP64", "shape": [-1, 10]}])
    );
    let m = s.get("/v2/models/lenet").json();
    assert_eq!(
        m["inputs"],
        json!([{"name": "input", "datatype": "FP32", "shape": [-1, 1, 8, 8]}])
    );
    assert_eq!(m["outputs"][1]["shape"], json!([-1, 10]));
}

#[test]
fn model_ready_answers_per_version() {
    let (_dir, s) = served();
    assert_eq!(s.get("/v2/models/diabetes/ready").status, 200);
    assert_eq!(s.get("/v2/models/diabetes/versions/1/ready").status, 200);
    assert_eq!(s.get("/v2/models/diabetes/versions/2/ready").status, 404);
    assert_eq!(s.get("/v2/models/nope/ready").status, 404);
}

#[test]
fn classifier_outputs_equal_the_library() {
    let (_dir, s) = served();
    let (x, _) = iris();
    let n = 7;
    let xs = x.slice(oxilearn::ndarray::s![..n, ..]).to_owned();
    let model = logistic_iris();
    let r = s.post_json(
        "/v2/models/iris-logistic/infer",
        &json!({
            "id": "req-42",
            "inputs": [{"name": "x", "shape": [n, 4], "datatype": "FP64", "data": rows(&x, n)}],
            "outputs": [{"name": "predict"}, {"name": "predict_proba"}, {"name": "decision_function"}]
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let j = r.json();
    assert_eq!(j["id"], "req-42");
    assert_eq!(j["model_name"], "iris-logistic");
    assert_eq!(j["model_version"], "1");
    let pred: Vec<i64> = output(&j, "predict")["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(pred, model.predict(xs.view()).unwrap().to_vec());
    assert_eq!(output(&j, "predict")["datatype"], "INT64");
    assert_eq!(output(&j, "predict")["shape"], json!([n]));
    // floats travel as shortest round-trip decimals: bit-identical
    let proba = output_f64(&j, "predict_proba");
    assert_eq!(
        proba,
        model
            .predict_proba(xs.view())
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>()
    );
    assert_eq!(output(&j, "predict_proba")["shape"], json!([n, 3]));
    assert_eq!(
        output_f64(&j, "decision_function"),
        model
            .decision_function(xs.view())
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>()
    );
    // no `outputs`: the default output only
    let j = s
        .post_json(
            "/v2/models/iris-logistic/infer",
            &infer_body(&[n, 4], &rows(&x, n), &[]),
        )
        .json();
    assert_eq!(j["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(j["outputs"][0]["name"], "predict");
    assert!(j.get("id").is_none());
}

#[test]
fn string_labels_come_back_as_bytes_and_nested_data_is_accepted() {
    let (_dir, s) = served();
    let (x, _) = iris();
    let model = svc_iris_names();
    let nested: Vec<Vec<f64>> = (0..3).map(|i| x.row(i * 50).to_vec()).collect();
    let r = s.post_json(
        "/v2/models/iris-svc/infer",
        &json!({"inputs": [{"name": "input", "shape": [3, 4], "datatype": "FP64", "data": nested}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(output(&j, "predict")["datatype"], "BYTES");
    let rows3 = Array2::from_shape_fn((3, 4), |(i, k)| x[[i * 50, k]]);
    let want: Vec<String> = model.predict(rows3.view()).unwrap().to_vec();
    assert_eq!(want, ["setosa", "versicolor", "virginica"]);
    assert_eq!(output(&j, "predict")["data"], json!(want));
}

#[test]
fn integer_and_fp32_inputs_are_converted() {
    let (_dir, s) = served();
    let model = ridge_diabetes(1.0);
    // integer features (as a client with an int64 array sends them)
    let xi = Array2::from_shape_fn((2, 10), |(i, k)| (i as f64) - (k as f64));
    let r = s.post_json(
        "/v2/models/diabetes/infer",
        &json!({"inputs": [{"name": "input", "shape": [2, 10], "datatype": "INT64",
                "data": xi.iter().map(|v| *v as i64).collect::<Vec<_>>()}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        output_f64(&r.json(), "predict"),
        model.predict(xi.view()).unwrap().to_vec()
    );
    // FP32 values are widened exactly
    let xf = Array2::from_shape_fn((1, 10), |(_, k)| 0.01 * k as f64);
    let data32: Vec<f32> = xf.iter().map(|v| *v as f32).collect();
    let widened =
        Array2::from_shape_vec((1, 10), data32.iter().map(|v| f64::from(*v)).collect()).unwrap();
    let r = s.post_json(
        "/v2/models/diabetes/infer",
        &json!({"inputs": [{"name": "input", "shape": [1, 10], "datatype": "FP32", "data": data32}]}),
    );
    assert_eq!(
        output_f64(&r.json(), "predict"),
        model.predict(widened.view()).unwrap().to_vec()
    );
}

#[test]
fn transformer_and_network_outputs_equal_the_library() {
    let (_dir, s) = served();
    let (x, _) = diabetes();
    let scaler = oxilearn::prelude::StandardScaler::new()
        .fit(x.view())
        .unwrap();
    let r = s.post_json(
        "/v2/models/scaler/infer",
        &infer_body(&[2, 10], &rows(&x, 2), &[]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let want = scaler
        .transform(x.slice(oxilearn::ndarray::s![..2, ..]))
        .unwrap();
    assert_eq!(
        output_f64(&r.json(), "transform"),
        want.iter().copied().collect::<Vec<_>>()
    );

    let mut net = lenet();
    let imgs = Array4::from_shape_fn((3, 1, 8, 8), |(n, _, h, w)| {
        ((n * 64 + h * 8 + w) % 17) as f32 / 16.0
    });
    let logits = net.forward(imgs.view(), Mode::Eval).unwrap().to_owned();
    let r = s.post_json(
        "/v2/models/lenet/infer",
        &json!({
            "inputs": [{"name": "images", "shape": [3, 1, 8, 8], "datatype": "FP32",
                        "data": imgs.iter().copied().collect::<Vec<f32>>()}],
            "outputs": [{"name": "logits"}, {"name": "predict"}, {"name": "predict_proba"}]
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    let got: Vec<f32> = output_f64(&j, "logits").iter().map(|&v| v as f32).collect();
    assert_eq!(got, logits.iter().copied().collect::<Vec<_>>());
    let argmax: Vec<i64> = logits
        .rows()
        .into_iter()
        .map(|r| (0..r.len()).fold(0, |b, i| if r[i] > r[b] { i } else { b }) as i64)
        .collect();
    assert_eq!(output(&j, "predict")["data"], json!(argmax));
    let p = output_f64(&j, "predict_proba");
    for row in p.chunks(10) {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn metrics_count_requests_per_model_and_version() {
    let (_dir, s) = served();
    let (x, _) = iris();
    for _ in 0..3 {
        let r = s.post_json(
            "/v2/models/iris-logistic/infer",
            &infer_body(&[2, 4], &rows(&x, 2), &[]),
        );
        assert_eq!(r.status, 200);
    }
    let bad = s.post_json(
        "/v2/models/iris-logistic/infer",
        &infer_body(&[1, 3], &[1.0, 2.0, 3.0], &[]),
    );
    assert_eq!(bad.status, 422);
    let r = s.get("/metrics");
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let m = r.text();
    let line = |prefix: &str| -> f64 {
        m.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in\n{m}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        line(r#"oxilearn_inference_requests_total{model="iris-logistic",version="1"}"#),
        4.0
    );
    assert_eq!(
        line(r#"oxilearn_inference_rows_total{model="iris-logistic",version="1"}"#),
        6.0
    );
    assert_eq!(
        line(r#"oxilearn_inference_errors_total{model="iris-logistic",version="1",status="422"}"#),
        1.0
    );
    assert_eq!(
        line(
            r#"oxilearn_inference_request_duration_seconds_count{model="iris-logistic",version="1"}"#
        ),
        4.0
    );
    assert!(m.contains(r#"oxilearn_inference_phase_duration_seconds_count{model="iris-logistic",version="1",phase="predict"} 3"#));
    assert_eq!(line(r#"oxilearn_model_versions{state="READY"}"#), 6.0);
    assert!(line(r#"oxilearn_http_requests_total{route="infer",status="200"}"#) >= 3.0);
    // an unknown model name creates no per-model series
    assert_eq!(s.post_json("/v2/models/zzz/infer", &json!({})).status, 404);
    assert!(!s.get("/metrics").text().contains("zzz"));
}
