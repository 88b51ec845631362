//! Versions and hot reload: new versions are served without restart, broken
//! files are reported and never take anything down.

use serde_json::json;

use crate::common::*;

/// Predictions of the diabetes model served under `path`.
fn predict(s: &TestServer, path: &str) -> (u16, serde_json::Value) {
    let (x, _) = diabetes();
    let r = s.post_json(path, &infer_body(&[2, 10], &rows(&x, 2), &[]));
    let j = if r.body.is_empty() {
        json!(null)
    } else {
        r.json()
    };
    (r.status, j)
}

fn want(alpha: f64) -> Vec<f64> {
    let (x, _) = diabetes();
    ridge_diabetes(alpha)
        .predict(x.slice(oxilearn::ndarray::s![..2, ..]))
        .unwrap()
        .to_vec()
}

fn state(s: &TestServer, name: &str, version: &str) -> (String, String) {
    let index = s.post_json("/v2/repository/index", &json!({})).json();
    let e = index
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name && e["version"] == version)
        .cloned()
        .unwrap_or(json!({"state": "ABSENT", "reason": ""}));
    (
        e["state"].as_str().unwrap().to_string(),
        e["reason"].as_str().unwrap().to_string(),
    )
}

#[test]
fn unversioned_requests_go_to_the_newest_ready_version() {
    let dir = TempDir::new("versions");
    put(dir.path(), "d", 1, &ridge_diabetes(1.0));
    put(dir.path(), "d", 2, &ridge_diabetes(100.0));
    let s = TestServer::on(dir.path());
    let (st, j) = predict(&s, "/v2/models/d/infer");
    assert_eq!(st, 200);
    assert_eq!(j["model_version"], "2");
    assert_eq!(output_f64(&j, "predict"), want(100.0));
    let (_, j) = predict(&s, "/v2/models/d/versions/1/infer");
    assert_eq!(j["model_version"], "1");
    assert_eq!(output_f64(&j, "predict"), want(1.0));
    assert_eq!(s.get("/v2/models/d").json()["versions"], json!(["1", "2"]));
}

#[test]
fn new_versions_load_without_restart_and_removed_ones_unload() {
    let dir = TempDir::new("hot");
    put(dir.path(), "d", 1, &ridge_diabetes(1.0));
    let s = TestServer::on(dir.path());
    assert_eq!(predict(&s, "/v2/models/d/infer").1["model_version"], "1");

    // written atomically (temporary file + rename) by `save`
    put(dir.path(), "d", 2, &ridge_diabetes(10.0));
    s.wait_until(|s| predict(s, "/v2/models/d/infer").1["model_version"] == "2");
    assert_eq!(
        output_f64(&predict(&s, "/v2/models/d/infer").1, "predict"),
        want(10.0)
    );
    // version 1 still answers when asked for
    assert_eq!(predict(&s, "/v2/models/d/versions/1/infer").0, 200);

    // a new model appears
    put(dir.path(), "e", 1, &ridge_diabetes(5.0));
    s.wait_until(|s| predict(s, "/v2/models/e/infer").0 == 200);

    // a version whose file is replaced in place is reloaded
    put(dir.path(), "d", 1, &ridge_diabetes(1000.0));
    s.wait_until(|s| {
        output_f64(&predict(s, "/v2/models/d/versions/1/infer").1, "predict") == want(1000.0)
    });

    // removing version 2 falls back to version 1
    std::fs::remove_dir_all(dir.path().join("d/2")).unwrap();
    s.wait_until(|s| predict(s, "/v2/models/d/infer").1["model_version"] == "1");
    assert_eq!(predict(&s, "/v2/models/d/versions/2/infer").0, 404);

    // removing the model
    std::fs::remove_dir_all(dir.path().join("e")).unwrap();
    s.wait_until(|s| predict(s, "/v2/models/e/infer").0 == 404);
}

#[test]
fn broken_files_are_reported_and_never_take_anything_down() {
    let dir = TempDir::new("broken");
    put(dir.path(), "d", 1, &ridge_diabetes(1.0));
    put_bytes(dir.path(), "bad", 1, b"this is not a model file");
    let s = TestServer::start(config(dir.path()));
    // live, but not ready: `bad` has no READY version
    assert_eq!(s.get("/v2/health/live").status, 200);
    s.wait_until(|s| state(s, "bad", "1").0 == "UNAVAILABLE");
    let r = s.get("/v2/health/ready");
    assert_eq!(r.status, 503);
    assert!(r.error().contains("bad"), "{}", r.text());
    let (_, reason) = state(&s, "bad", "1");
    assert!(reason.contains("model.safetensors"), "{reason}");
    // metadata reports it; inference says why; the ready endpoint says no
    let m = s.get("/v2/models/bad").json();
    assert_eq!(m["parameters"]["ready"], false);
    assert_eq!(m["parameters"]["state"], "UNAVAILABLE");
    assert_eq!(m["parameters"]["reason"], json!(reason));
    assert_eq!(s.get("/v2/models/bad/ready").status, 400);
    let r = s.post_json("/v2/models/bad/infer", &infer_body(&[1, 1], &[1.0], &[]));
    assert_eq!(r.status, 503);
    assert!(r.error().contains("UNAVAILABLE"));
    assert_eq!(predict(&s, "/v2/models/d/infer").0, 200);

    // a broken newer version: the older one keeps serving unversioned requests
    put_bytes(dir.path(), "d", 2, &[0u8; 100]);
    s.wait_until(|s| state(s, "d", "2").0 == "UNAVAILABLE");
    let (st, j) = predict(&s, "/v2/models/d/infer");
    assert_eq!((st, j["model_version"].as_str()), (200, Some("1")));
    assert_eq!(predict(&s, "/v2/models/d/versions/2/infer").0, 503);

    // a truncated copy of a real file (a copy in progress) is refused too
    let good = {
        use oxilearn::persist::Persist;
        ridge_diabetes(7.0).to_bytes().unwrap()
    };
    put_bytes(dir.path(), "d", 3, &good[..good.len() / 2]);
    s.wait_until(|s| state(s, "d", "3").0 == "UNAVAILABLE");
    // ... and served once complete
    put_bytes(dir.path(), "d", 3, &good);
    s.wait_until(|s| state(s, "d", "3").0 == "READY");
    assert_eq!(
        output_f64(&predict(&s, "/v2/models/d/infer").1, "predict"),
        want(7.0)
    );

    // a READY version whose file is overwritten with garbage keeps serving its loaded model
    put_bytes(dir.path(), "d", 3, b"garbage");
    s.wait_until(|s| state(s, "d", "3").1.contains("failed to load"));
    assert_eq!(state(&s, "d", "3").0, "READY");
    assert_eq!(
        output_f64(&predict(&s, "/v2/models/d/infer").1, "predict"),
        want(7.0)
    );

    // a version directory without a model file
    std::fs::create_dir_all(dir.path().join("d/4")).unwrap();
    s.wait_until(|s| state(s, "d", "4").0 == "UNAVAILABLE");
    assert!(state(&s, "d", "4").1.contains("model.safetensors"));

    // fixing `bad` makes the server ready
    put(dir.path(), "bad", 1, &ridge_diabetes(1.0));
    s.wait_until(|s| s.get("/v2/health/ready").status == 200);
}

#[test]
fn the_load_endpoint_rescans_at_once() {
    let dir = TempDir::new("load");
    put(dir.path(), "d", 1, &ridge_diabetes(1.0));
    let mut c = config(dir.path());
    c.poll_interval = std::time::Duration::ZERO; // scan at start only
    let s = TestServer::start(c);
    put(dir.path(), "d", 2, &ridge_diabetes(3.0));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(predict(&s, "/v2/models/d/infer").1["model_version"], "1");
    assert_eq!(s.post("/v2/repository/models/d/load", &[], b"").status, 200);
    assert_eq!(predict(&s, "/v2/models/d/infer").1["model_version"], "2");
    assert_eq!(
        s.post("/v2/repository/models/nothing/load", &[], b"")
            .status,
        404
    );
    put_bytes(dir.path(), "x", 1, b"junk");
    let r = s.post("/v2/repository/models/x/load", &[], b"");
    assert_eq!(r.status, 400);
    assert!(r.error().contains("no loadable version"), "{}", r.text());
}

#[test]
fn non_version_entries_and_invalid_names_are_ignored() {
    let dir = TempDir::new("layout");
    put(dir.path(), "d", 1, &ridge_diabetes(1.0));
    std::fs::create_dir_all(dir.path().join("d/latest")).unwrap();
    std::fs::create_dir_all(dir.path().join("d/0")).unwrap();
    std::fs::write(dir.path().join("d/README"), "notes").unwrap();
    std::fs::create_dir_all(dir.path().join(".cache/1")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
    let s = TestServer::on(dir.path());
    let index = s.post_json("/v2/repository/index", &json!({})).json();
    assert_eq!(
        index,
        json!([{"name": "d", "version": "1", "state": "READY", "reason": ""}])
    );
}
