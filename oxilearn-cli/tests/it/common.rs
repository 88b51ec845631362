//! Helpers: temporary model repositories with real fitted models, an
//! in-process server on an ephemeral loopback port, and a small HTTP/1.1
//! client over `TcpStream` (so malformed requests can be sent byte for byte).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oxilearn::datasets;
use oxilearn::ndarray::{Array1, Array2, Axis};
use oxilearn::nn::LeNet5;
use oxilearn::persist::Persist;
use oxilearn::prelude::*;
use oxilearn_cli::serve::{ServeConfig, Server};

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "oxilearn-cli-it-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Saves `model` as `root/name/version/model.safetensors`.
pub fn put<M: Persist>(root: &Path, name: &str, version: u64, model: &M) {
    let dir = root.join(name).join(version.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    model.save(dir.join("model.safetensors")).unwrap();
}

/// Writes raw bytes as a version's model file.
pub fn put_bytes(root: &Path, name: &str, version: u64, bytes: &[u8]) {
    let dir = root.join(name).join(version.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.safetensors"), bytes).unwrap();
}

/// Iris (150 × 4, 3 classes), features standardised.
pub fn iris() -> (Array2<f64>, Array1<i64>) {
    let d = datasets::iris();
    let x = StandardScaler::new()
        .fit(d.records.view())
        .unwrap()
        .transform(d.records.view())
        .unwrap();
    (x, d.targets.mapv(|t| t as i64))
}

/// Iris labels as species names.
pub fn iris_names() -> Array1<String> {
    let d = datasets::iris();
    d.targets.mapv(|t| d.target_names[t].clone())
}

/// Diabetes regression (442 × 10).
pub fn diabetes() -> (Array2<f64>, Array1<f64>) {
    let d = datasets::diabetes();
    (d.records, d.targets)
}

pub fn logistic_iris() -> oxilearn::logistic::FittedLogisticRegression<f64, i64> {
    let (x, y) = iris();
    LogisticRegression::new().fit(x.view(), y.view()).unwrap()
}

pub fn svc_iris_names() -> oxilearn::svm::FittedSvc<f64, String> {
    let (x, _) = iris();
    Svc::new()
        .probability(true)
        .fit(x.view(), iris_names().view())
        .unwrap()
}

pub fn svc_iris_no_proba() -> oxilearn::svm::FittedSvc<f64, i64> {
    let (x, y) = iris();
    Svc::new().fit(x.view(), y.view()).unwrap()
}

pub fn ridge_diabetes(alpha: f64) -> oxilearn::linear::FittedRidge<f64> {
    let (x, y) = diabetes();
    Ridge::new().alpha(alpha).fit(x.view(), y.view()).unwrap()
}

pub fn lenet() -> oxilearn::nn::Sequential {
    LeNet5::digits().seed(3).build().unwrap()
}

/// The first `n` rows of `x`, row-major.
pub fn rows(x: &Array2<f64>, n: usize) -> Vec<f64> {
    x.slice_axis(Axis(0), (0..n).into())
        .iter()
        .copied()
        .collect()
}

/// An in-process server with its own runtime; shut down on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    rt: Option<tokio::runtime::Runtime>,
    server: Option<Server>,
}

/// A config for tests: loopback, ephemeral port, fast polling.
pub fn config(models: &Path) -> ServeConfig {
    ServeConfig {
        models: models.to_path_buf(),
        host: "127.0.0.1".into(),
        port: 0,
        threads: 2,
        poll_interval: Duration::from_millis(100),
        shutdown_timeout: Duration::from_secs(10),
        ..ServeConfig::default()
    }
}

impl TestServer {
    pub fn start(config: ServeConfig) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(Server::start(config)).unwrap();
        let s = TestServer {
            addr: server.addr(),
            rt: Some(rt),
            server: Some(server),
        };
        // ready, or not ready for another reason than the first scan
        s.wait_until(|s| {
            let r = s.get("/v2/health/ready");
            r.status == 200 || !r.text().contains("still being loaded")
        });
        s
    }

    /// Starts on `models` with the test config.
    pub fn on(models: &Path) -> Self {
        Self::start(config(models))
    }

    /// Polls `cond` every 20 ms for up to 10 s.
    pub fn wait_until(&self, cond: impl Fn(&Self) -> bool) {
        let start = Instant::now();
        while !cond(self) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "condition not met within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        request(self.addr, "GET", path, &[], b"")
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Resp {
        request(
            self.addr,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        request(self.addr, "POST", path, headers, body)
    }

    fn stop(&mut self) {
        if let (Some(rt), Some(server)) = (self.rt.take(), self.server.take()) {
            rt.block_on(server.shutdown()).unwrap();
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `error` message of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message in {}", self.text()))
            .to_string()
    }
}

/// One request on a fresh connection (`Connection: close`).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    raw_request(addr, &raw)
}

/// Sends `raw` bytes and parses the response (read until the server closes).
pub fn raw_request(addr: SocketAddr, raw: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(raw).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    parse_response(&buf)
}

pub fn parse_response(buf: &[u8]) -> Resp {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(buf)));
    let head = std::str::from_utf8(&buf[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let mut body = buf[end + 4..].to_vec();
    if let Some((_, n)) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        let n: usize = n.parse().unwrap();
        assert!(body.len() >= n, "truncated body");
        body.truncate(n);
    }
    Resp {
        status,
        headers,
        body,
    }
}

/// An OIP inference request with one FP64 input.
pub fn infer_body(shape: &[usize], data: &[f64], outputs: &[&str]) -> serde_json::Value {
    let mut body = serde_json::json!({
        "inputs": [{"name": "input-0", "shape": shape, "datatype": "FP64", "data": data}]
    });
    if !outputs.is_empty() {
        body["outputs"] = outputs
            .iter()
            .map(|o| serde_json::json!({ "name": o }))
            .collect();
    }
    body
}

/// The `data` of output `name` as f64s.
pub fn output_f64(resp: &serde_json::Value, name: &str) -> Vec<f64> {
    output(resp, name)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

pub fn output<'a>(resp: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    resp["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no output {name} in {resp}"))
}
