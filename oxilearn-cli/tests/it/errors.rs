//! Every bad request gets a JSON `{"error": …}` with the right status, and
//! the server keeps serving.

use std::io::Write;

use serde_json::json;

use crate::common::*;

fn served(cfg: impl FnOnce(&mut oxilearn_cli::serve::ServeConfig)) -> (TempDir, TestServer) {
    let dir = TempDir::new("errors");
    put(dir.path(), "iris", 1, &logistic_iris());
    put(dir.path(), "svc", 1, &svc_iris_no_proba());
    let mut c = config(dir.path());
    cfg(&mut c);
    let s = TestServer::start(c);
    (dir, s)
}

const INFER: &str = "/v2/models/iris/infer";

fn assert_error(r: &Resp, status: u16, contains: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let msg = r.error();
    assert!(
        msg.contains(contains),
        "error `{msg}` does not mention `{contains}`"
    );
}

#[test]
fn malformed_requests_are_400() {
    let (_d, s) = served(|_| {});
    let post = |b: &[u8]| s.post(INFER, &[("Content-Type", "application/json")], b);
    assert_error(&post(b"{not json"), 400, "malformed inference request JSON");
    assert_error(&post(b""), 400, "malformed");
    assert_error(&post(b"{\"inputs\": 3}"), 400, "malformed");
    assert_error(&post(b"{\"outputs\": []}"), 400, "inputs");
    // NaN is not JSON
    assert_error(
        &post(br#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[NaN,1,2,3]}]}"#),
        400,
        "malformed",
    );
    let one = |dt: &str, data: serde_json::Value, shape: serde_json::Value| {
        s.post_json(
            INFER,
            &json!({"inputs": [{"name": "x", "shape": shape, "datatype": dt, "data": data}]}),
        )
    };
    assert_error(
        &one("FP65", json!([1, 2, 3, 4]), json!([1, 4])),
        400,
        "unknown datatype `FP65`",
    );
    assert_error(
        &one("INT64", json!([1, 2.5, 3, 4]), json!([1, 4])),
        400,
        "element 1",
    );
    assert_error(
        &one("FP64", json!([1, "2", 3, 4]), json!([1, 4])),
        400,
        "a string",
    );
    assert_error(
        &one("FP64", json!([1, 2, 3]), json!([1, 4])),
        400,
        "3 data elements",
    );
    assert_error(
        &one("FP64", json!([1, 2, 3, 4]), json!([-1, 4])),
        400,
        "malformed",
    );
    assert_error(&one("BYTES", json!(["a"]), json!([1])), 400, "BYTES");
    assert_error(
        &s.post_json(
            INFER,
            &json!({"inputs": [
                {"name": "a", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]},
                {"name": "b", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}),
        ),
        400,
        "exactly one input",
    );
    assert_error(
        &s.post_json(
            INFER,
            &json!({"inputs": [{"name": "a", "shape": [1, 4], "datatype": "FP64"}]}),
        ),
        400,
        "no `data`",
    );
    assert_error(
        &s.post_json(
            INFER,
            &infer_body(&[1, 4], &[1.0, 2.0, 3.0, 4.0], &["predict_log_odds"]),
        ),
        400,
        "no output `predict_log_odds`",
    );
    assert_error(
        &s.post_json(
            "/v2/models/svc/infer",
            &infer_body(&[1, 4], &[1.0, 2.0, 3.0, 4.0], &["predict_proba"]),
        ),
        400,
        "no output `predict_proba`",
    );
    assert_error(
        &s.post_json(
            INFER,
            &infer_body(&[1, 4], &[1.0, 2.0, 3.0, 4.0], &["predict", "predict"]),
        ),
        400,
        "twice",
    );
    assert_error(
        &s.post(INFER, &[("Inference-Header-Content-Length", "abc")], b"{}"),
        400,
        "byte count",
    );
    assert_error(
        &s.post(INFER, &[("Content-Encoding", "br")], b"{}"),
        415,
        "Content-Encoding",
    );
    // still serving
    assert_eq!(
        s.post_json(INFER, &infer_body(&[1, 4], &[1.0, 2.0, 3.0, 4.0], &[]))
            .status,
        200
    );
}

#[test]
fn unknown_models_versions_and_routes_are_404_and_wrong_methods_405() {
    let (_d, s) = served(|_| {});
    let body = infer_body(&[1, 4], &[1.0, 2.0, 3.0, 4.0], &[]);
    assert_error(
        &s.post_json("/v2/models/nope/infer", &body),
        404,
        "unknown model `nope`",
    );
    assert_error(
        &s.post_json("/v2/models/iris/versions/7/infer", &body),
        404,
        "no version `7`",
    );
    assert_error(
        &s.post_json("/v2/models/iris/versions/one/infer", &body),
        404,
        "no version `one`",
    );
    assert_error(&s.get("/v2/models/nope"), 404, "unknown model");
    assert_error(&s.get("/v3/whatever"), 404, "no route");
    assert_error(&s.get(INFER), 405, "GET");
    assert_error(&s.post("/v2/health/live", &[], b""), 405, "POST");
}

#[test]
fn data_the_model_refuses_is_422() {
    let (_d, s) = served(|_| {});
    assert_error(
        &s.post_json(INFER, &infer_body(&[2, 2], &[1.0, 2.0, 3.0, 4.0], &[])),
        422,
        "expected [n, 4]",
    );
    assert_error(
        &s.post_json(INFER, &infer_body(&[4], &[1.0, 2.0, 3.0, 4.0], &[])),
        422,
        "expected [n, 4]",
    );
    // NaN through binary data (JSON cannot carry it)
    let raw: Vec<u8> = [1.0, f64::NAN, 3.0, 4.0]
        .iter()
        .flat_map(|v: &f64| v.to_le_bytes())
        .collect();
    let header = json!({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64",
                                    "parameters": {"binary_data_size": 32}}]})
    .to_string();
    let mut body = header.clone().into_bytes();
    body.extend_from_slice(&raw);
    let len = header.len().to_string();
    assert_error(
        &s.post(INFER, &[("Inference-Header-Content-Length", &len)], &body),
        422,
        "non-finite",
    );
}

#[test]
fn bodies_and_batches_over_the_limits_are_413() {
    let (_d, s) = served(|c| {
        c.max_body_bytes = 4096;
        c.max_rows = 50;
    });
    let big = vec![0.5; 400 * 4];
    assert_error(
        &s.post_json(INFER, &infer_body(&[400, 4], &big, &[])),
        413,
        "over the limit of 4096 bytes",
    );
    let rows = vec![0.5; 51 * 4];
    let mut body = infer_body(&[51, 4], &rows, &[]).to_string();
    body.retain(|c| c != ' ');
    assert!(body.len() < 4096);
    assert_error(&s.post(INFER, &[], body.as_bytes()), 413, "at most 50");
    // chunked bodies (no Content-Length) are limited while they are read
    let chunk = vec![b' '; 3000];
    let mut raw = format!(
        "POST {INFER} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..2 {
        write!(raw, "{:x}\r\n", chunk.len()).unwrap();
        raw.extend_from_slice(&chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    assert_error(&raw_request(s.addr, &raw), 413, "over the limit");
    // a gzip bomb is stopped at the limit after decompression
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 1 << 20]).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() < 4096);
    assert_error(
        &s.post(INFER, &[("Content-Encoding", "gzip")], &gz),
        413,
        "decompressed",
    );
    // within the limits all is well, compressed or not
    let ok = infer_body(&[1, 4], &[1.0, 2.0, 3.0, 4.0], &[]).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(ok.as_bytes()).unwrap();
    let r = s.post(
        INFER,
        &[("Content-Encoding", "gzip")],
        &gz.finish().unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(ok.as_bytes()).unwrap();
    let r = s.post(
        INFER,
        &[("Content-Encoding", "deflate")],
        &z.finish().unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn garbage_on_the_socket_never_takes_the_server_down() {
    let (_d, s) = served(|_| {});
    for raw in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /v2/models/iris/infer HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST /v2/models/iris/infer HTTP/1.1\r\nContent-Length: 10\r\n\r\n{",
    ] {
        let mut c = std::net::TcpStream::connect(s.addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let _ = c.write_all(raw);
        let _ = c.shutdown(std::net::Shutdown::Write);
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut c, &mut sink);
    }
    assert_eq!(s.get("/v2/health/live").status, 200);
    assert_eq!(
        s.post_json(INFER, &infer_body(&[1, 4], &[1.0, 2.0, 3.0, 4.0], &[]))
            .status,
        200
    );
}

#[test]
fn slow_bodies_time_out_with_408() {
    let (_d, s) = served(|c| c.body_timeout = std::time::Duration::from_millis(300));
    let mut c = std::net::TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    c.write_all(
        format!(
            "POST {INFER} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut buf = Vec::new();
    let _ = std::io::Read::read_to_end(&mut c, &mut buf);
    let r = parse_response(&buf);
    assert_error(&r, 408, "did not arrive");
}
