//! The command line: `inspect`, usage errors and exit codes.

use std::process::Command;

use crate::common::*;

fn oxilearn(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_oxilearn"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn inspect_prints_metadata_as_text_and_json() {
    let dir = TempDir::new("inspect");
    put(dir.path(), "iris", 1, &svc_iris_names());
    let file = dir.path().join("iris/1/model.safetensors");
    let file = file.to_str().unwrap();
    let out = oxilearn(&["inspect", file, "--serving"]);
    assert!(out.status.success(), "{:?}", out);
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "kind            Svc",
        "n_features      4",
        r#"classes         ["setosa","versicolor","virginica"]"#,
        "support_vectors",
        "output  predict_proba      FP64   [-1, 3]",
        "input   input              FP64   [-1, 4]",
    ] {
        assert!(text.contains(want), "`{want}` not in\n{text}");
    }
    let out = oxilearn(&["inspect", "--json", file]);
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["kind"], "Svc");
    assert_eq!(j["n_features"], 4);
    assert!(j.get("serving").is_none());
}

#[test]
fn bad_files_and_bad_usage_have_distinct_exit_codes() {
    let dir = TempDir::new("inspect-bad");
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"not a model").unwrap();
    let out = oxilearn(&["inspect", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: cannot inspect"), "{err}");
    assert!(err.contains("bad.safetensors"), "{err}");
    let out = oxilearn(&["inspect", "/nonexistent/m.safetensors"]);
    assert_eq!(out.status.code(), Some(1));
    let out = oxilearn(&["inspect"]);
    assert_eq!(out.status.code(), Some(2));
    let out = oxilearn(&["serve", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = oxilearn(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["inspect", "serve", "Exit status"] {
        assert!(help.contains(cmd), "{help}");
    }
}
