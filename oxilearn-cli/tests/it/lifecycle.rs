//! Concurrent clients, compute off the executor, timeouts, and graceful
//! shutdown of the real binary on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::*;

#[test]
fn concurrent_clients_all_get_correct_answers() {
    let dir = TempDir::new("concurrent");
    put(dir.path(), "iris", 1, &logistic_iris());
    put(dir.path(), "d", 1, &ridge_diabetes(1.0));
    let s = TestServer::on(dir.path());
    let (x, _) = iris();
    let want = logistic_iris().predict(x.view()).unwrap().to_vec();
    let (xd, _) = diabetes();
    let want_d = ridge_diabetes(1.0).predict(xd.view()).unwrap().to_vec();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (s, x, want, xd, want_d) = (&s, &x, &want, &xd, &want_d);
            scope.spawn(move || {
                for i in 0..25 {
                    if (t + i) % 2 == 0 {
                        let row = (t * 25 + i) % 150;
                        let r = s.post_json(
                            "/v2/models/iris/infer",
                            &infer_body(&[1, 4], &x.row(row).to_vec(), &[]),
                        );
                        assert_eq!(r.status, 200, "{}", r.text());
                        assert_eq!(output(&r.json(), "predict")["data"], json!([want[row]]));
                    } else {
                        let r = s.post_json(
                            "/v2/models/d/infer",
                            &infer_body(&[442, 10], &xd.iter().copied().collect::<Vec<_>>(), &[]),
                        );
                        assert_eq!(r.status, 200, "{}", r.text());
                        assert_eq!(&output_f64(&r.json(), "predict"), want_d);
                    }
                }
            });
        }
    });
    assert!(start.elapsed() < Duration::from_secs(60));
    let m = s.get("/metrics").text();
    assert!(m.contains(r#"oxilearn_inference_requests_total{model="iris",version="1"} 100"#));
    assert!(m.contains(r#"oxilearn_inference_requests_total{model="d",version="1"} 100"#));
}

#[test]
fn health_and_metrics_answer_while_the_models_are_busy() {
    let dir = TempDir::new("busy");
    put(dir.path(), "svc", 1, &svc_iris_names());
    let mut c = config(dir.path());
    c.threads = 1;
    let s = TestServer::start(c);
    let big: Vec<f64> = (0..20_000 * 4)
        .map(|i| ((i % 13) as f64) / 6.0 - 1.0)
        .collect();
    let body = infer_body(&[20_000, 4], &big, &["predict_proba"]);
    std::thread::scope(|scope| {
        let jobs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| s.post_json("/v2/models/svc/infer", &body).status))
            .collect();
        // while the single compute thread is busy, the executor still answers
        let start = Instant::now();
        let mut seen_busy = false;
        while !seen_busy && start.elapsed() < Duration::from_secs(20) {
            assert_eq!(s.get("/v2/health/ready").status, 200);
            let m = s.get("/metrics").text();
            seen_busy = m
                .lines()
                .any(|l| l.starts_with("oxilearn_inflight_requests ") && !l.ends_with(" 0"));
        }
        assert!(seen_busy, "never saw a request in flight");
        for j in jobs {
            assert_eq!(j.join().unwrap(), 200);
        }
    });
}

#[test]
fn inference_over_the_request_timeout_is_504() {
    let dir = TempDir::new("timeout");
    put(dir.path(), "svc", 1, &svc_iris_names());
    let mut c = config(dir.path());
    c.request_timeout = Duration::from_micros(1);
    let s = TestServer::start(c);
    let big = vec![0.25; 5_000 * 4];
    let r = s.post_json(
        "/v2/models/svc/infer",
        &infer_body(&[5_000, 4], &big, &["predict_proba"]),
    );
    assert_eq!(r.status, 504, "{}", r.text());
    assert!(r.error().contains("--request-timeout"));
    assert_eq!(s.get("/v2/health/live").status, 200);
}

/// The binary, started on an ephemeral port; returns the child and its address.
fn spawn_binary(
    models: &std::path::Path,
) -> (
    std::process::Child,
    String,
    BufReader<std::process::ChildStderr>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxilearn"))
        .args([
            "--log-format",
            "json",
            "serve",
            "--port",
            "0",
            "--threads",
            "1",
            "--models",
        ])
        .arg(models)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut line = String::new();
    while addr.is_none() {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "binary exited early");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["message"] == "oxilearn serve listening" {
            addr = Some(v["addr"].as_str().unwrap().to_string());
        }
    }
    (child, addr.unwrap(), err)
}

#[test]
fn sigterm_drains_in_flight_requests_then_exits_cleanly() {
    let dir = TempDir::new("sigterm");
    put(dir.path(), "iris", 1, &logistic_iris());
    let (mut child, addr, mut logs) = spawn_binary(dir.path());
    let sock: std::net::SocketAddr = addr.parse().unwrap();
    // wait for readiness
    let start = Instant::now();
    while request(sock, "GET", "/v2/health/ready", &[], b"").status != 200 {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    // an idle keep-alive connection must not hold up the shutdown
    let mut idle = TcpStream::connect(sock).unwrap();
    idle.write_all(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // a request in flight: headers and half the body sent
    let body = infer_body(&[1, 4], &[0.1, 0.2, 0.3, 0.4], &[]).to_string();
    let (a, b) = body.as_bytes().split_at(body.len() / 2);
    let mut inflight = TcpStream::connect(sock).unwrap();
    inflight
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        inflight,
        "POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    inflight.write_all(a).unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // the server says it is draining
    let mut line = String::new();
    loop {
        line.clear();
        assert!(logs.read_line(&mut line).unwrap() > 0, "no drain log");
        if line.contains("shutting down") {
            break;
        }
    }
    // the in-flight request completes normally
    inflight.write_all(b).unwrap();
    let mut buf = Vec::new();
    inflight.read_to_end(&mut buf).unwrap();
    let r = parse_response(&buf);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model_name"], "iris");
    // and the process exits 0, soon
    let start = Instant::now();
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(code.success(), "exit status {code:?}");
    let mut rest = String::new();
    logs.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("shut down cleanly"), "{rest}");
    // new connections are refused
    assert!(TcpStream::connect(sock).is_err());
    drop(idle);
}

#[test]
fn the_binary_reports_a_missing_repository_and_exits_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_oxilearn"))
        .args([
            "serve",
            "--port",
            "0",
            "--models",
            "/nonexistent/oxilearn-models",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/oxilearn-models") && err.contains("not a readable directory"),
        "{err}"
    );
}
