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

/// Iris as CSV with species names (raw features), in `dir`.
fn iris_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let d = oxilearn::datasets::iris();
    let mut s = String::from("species,sepal_length,sepal_width,petal_length,petal_width\n");
    for (row, &t) in d.records.rows().into_iter().zip(&d.targets) {
        s.push_str(&d.target_names[t]);
        for v in row {
            s.push_str(&format!(",{v}"));
        }
        s.push('\n');
    }
    let p = dir.join("iris.csv");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn fit_then_predict_round_trip_matches_the_library() {
    let dir = TempDir::new("fit");
    let csv = iris_csv(dir.path());
    let model = dir.path().join("models/iris/1/model.safetensors");
    let out = oxilearn(&[
        "fit",
        "svc",
        "--data",
        csv.to_str().unwrap(),
        "--target",
        "species",
        "--set",
        "C=10",
        "--set",
        "probability=true",
        "--meta",
        "tag=v1",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fitted Svc on 150 rows × 4 features"), "{err}");
    let meta = oxilearn::persist::inspect(&model).unwrap();
    assert_eq!(meta.kind, "Svc");
    assert_eq!(meta.user["tag"], "v1");
    assert_eq!(meta.user["training_rows"], "150");
    assert_eq!(meta.user["target"], "species");

    // predict: columns are matched by name (the target column is ignored)
    let preds = dir.path().join("pred.csv");
    let out = oxilearn(&[
        "predict",
        "-m",
        model.to_str().unwrap(),
        "-d",
        csv.to_str().unwrap(),
        "--proba",
        "-o",
        preds.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&preds).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "prediction,proba_setosa,proba_versicolor,proba_virginica"
    );
    let d = oxilearn::datasets::iris();
    let names = d.targets.mapv(|t| d.target_names[t].clone());
    let lib = oxilearn::prelude::Svc::new()
        .c(10.0)
        .probability(true)
        .fit(d.records.view(), names.view())
        .unwrap();
    let want = lib.predict(d.records.view()).unwrap();
    let proba = lib.predict_proba(d.records.view()).unwrap();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 150);
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[0], want[i]);
        for k in 0..3 {
            assert_eq!(cells[1 + k].parse::<f64>().unwrap(), proba[[i, k]]);
        }
    }
}

#[test]
fn fit_from_a_config_file_and_npy_data() {
    let dir = TempDir::new("fit-config");
    let (x, y) = diabetes();
    oxilearn::data::write_npy(dir.path().join("x.npy"), x.view()).unwrap();
    oxilearn::data::write_npy(dir.path().join("y.npy"), y.view()).unwrap();
    let cfg = dir.path().join("fit.toml");
    std::fs::write(
        &cfg,
        format!(
            "model = \"ridge\"\ndata = \"{d}/x.npy\"\nlabels = \"{d}/y.npy\"\nout = \"{d}/ridge.safetensors\"\n\
             [params]\nalpha = 10\n[metadata]\nowner = \"tests\"\n",
            d = dir.path().display()
        ),
    )
    .unwrap();
    let out = oxilearn(&["fit", "--config", cfg.to_str().unwrap(), "--quiet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join("ridge.safetensors");
    let back =
        <oxilearn::linear::FittedRidge<f64> as oxilearn::persist::Persist>::load(&path).unwrap();
    let want = ridge_diabetes(10.0);
    assert_eq!(back.coef(), want.coef());
    assert_eq!(
        oxilearn::persist::inspect(&path).unwrap().user["owner"],
        "tests"
    );
    // predict on .npy to standard output
    let out = oxilearn(&[
        "predict",
        "-m",
        path.to_str().unwrap(),
        "-d",
        dir.path().join("x.npy").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<f64> = text.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    assert_eq!(got, want.predict(x.view()).unwrap().to_vec());
}

#[test]
fn fit_and_predict_errors_say_what_to_fix() {
    let dir = TempDir::new("fit-errors");
    let csv = iris_csv(dir.path());
    let m = dir.path().join("m.safetensors");
    let run = |args: &[&str]| {
        let out = oxilearn(args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[
        "fit",
        "svc",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "--set",
        "gama=0.1",
        "-o",
        m.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("gama"), "{err}");
    let (code, err) = run(&[
        "fit",
        "ridge",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "-o",
        m.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("holds strings"), "{err}");
    let (code, err) = run(&[
        "fit",
        "svc",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "colour",
        "-o",
        m.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no column `colour`"), "{err}");
    let (code, err) = run(&[
        "fit",
        "-d",
        csv.to_str().unwrap(),
        "-o",
        m.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("which estimator"), "{err}");
    let (code, _) = run(&["fit", "forest", "-d", "x.csv"]);
    assert_eq!(code, Some(2));
    assert!(!m.exists(), "nothing is written on failure");
    // predicting with a model on data of the wrong width
    put(dir.path(), "d", 1, &ridge_diabetes(1.0));
    let model = dir.path().join("d/1/model.safetensors");
    let (code, err) = run(&[
        "predict",
        "-m",
        model.to_str().unwrap(),
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("has 4 feature columns but the model takes 10"),
        "{err}"
    );
}

#[test]
fn health_exits_zero_when_ready_and_one_otherwise() {
    let dir = TempDir::new("health");
    put(dir.path(), "iris", 1, &svc_iris_names());
    let server = TestServer::on(dir.path());
    let port = server.addr.port().to_string();
    let out = oxilearn(&["health", "--port", &port]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("/v2/health/ready: 200 OK"));
    let out = oxilearn(&["health", "--port", &port, "--path", "/v2/models/iris/ready"]);
    assert!(out.status.success(), "{out:?}");
    // a model that does not exist: 404 → exit 1, the status named
    let out = oxilearn(&["health", "--port", &port, "--path", "/v2/models/nope/ready"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HTTP status 404"), "{err}");
    drop(server);
    // nothing listening any more: refused → exit 1 quickly
    let out = oxilearn(&["health", "--port", &port, "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect"), "{err}");
    let out = oxilearn(&["health", "--timeout=0"]);
    assert_eq!(out.status.code(), Some(1));
}

/// `predict` output as lines after the header.
fn predicted(model: &std::path::Path, data: &std::path::Path) -> Vec<String> {
    let out = oxilearn(&[
        "predict",
        "-m",
        model.to_str().unwrap(),
        "-d",
        data.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn fit_pipelines_from_flags_and_from_a_config_equal_the_library() {
    use oxilearn::compose::Pipeline;
    use oxilearn::prelude::{LogisticRegression, Svc};
    use oxilearn::preprocessing::{ImputeStrategy, RobustScaler, SimpleImputer, StandardScaler};
    let dir = TempDir::new("fit-pipeline");
    let csv = iris_csv(dir.path());
    let d = oxilearn::datasets::iris();
    let names = d.targets.mapv(|t| d.target_names[t].clone());

    // flags: standard scaler → svc
    let model = dir.path().join("svc.safetensors");
    let out = oxilearn(&[
        "fit",
        "svc",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "--preprocess",
        "standard",
        "--set",
        "C=10",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pipeline standard_scaler → svc;"), "{err}");
    let meta = oxilearn::persist::inspect(&model).unwrap();
    assert_eq!(meta.kind, "Pipeline");
    let steps: Vec<String> = meta.steps().unwrap().into_iter().map(|s| s.kind).collect();
    assert_eq!(steps, ["StandardScaler", "Svc"]);
    let lib = Pipeline::<String>::new()
        .transform("standard_scaler", StandardScaler::new())
        .estimator("svc", Svc::<String>::new().c(10.0))
        .fit(&d.records, names.view())
        .unwrap();
    assert_eq!(
        predicted(&model, &csv),
        lib.predict(&d.records).unwrap().to_vec()
    );

    // config: median imputer → robust scaler → logistic, on a table with missing cells
    let mut x = d.records.clone();
    let mut text = String::from("sepal_length,sepal_width,petal_length,petal_width,species\n");
    for (i, (row, name)) in d.records.rows().into_iter().zip(&names).enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(j, v)| {
                if (i + j) % 11 == 0 {
                    x[[i, j]] = f64::NAN;
                    if i % 2 == 0 {
                        String::new()
                    } else {
                        "NA".into()
                    }
                } else {
                    v.to_string()
                }
            })
            .collect();
        text.push_str(&format!("{},{name}\n", cells.join(",")));
    }
    let gappy = dir.path().join("gappy.csv");
    std::fs::write(&gappy, text).unwrap();
    let model = dir.path().join("logistic.safetensors");
    let cfg = dir.path().join("fit.toml");
    std::fs::write(
        &cfg,
        format!(
            "model = \"logistic\"\ndata = \"{}\"\ntarget = \"species\"\nout = \"{}\"\n\
             [params]\nmax_iter = 500\n\
             [[preprocess]]\nkind = \"simple_imputer\"\nstrategy = \"median\"\n\
             [[preprocess]]\nkind = \"robust\"\nname = \"scale\"\nquantile_range = [10, 90]\n",
            gappy.display(),
            model.display()
        ),
    )
    .unwrap();
    let out = oxilearn(&["fit", "--config", cfg.to_str().unwrap(), "--quiet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = Pipeline::<String>::new()
        .transform(
            "simple_imputer",
            SimpleImputer::new().strategy(ImputeStrategy::Median),
        )
        .transform("scale", RobustScaler::new().quantile_range(10.0, 90.0))
        .estimator(
            "logistic",
            LogisticRegression::<String>::new().max_iter(500),
        )
        .fit(&x, names.view())
        .unwrap();
    // predict reads the missing cells too, since the pipeline starts with an imputer
    assert_eq!(predicted(&model, &gappy), lib.predict(&x).unwrap().to_vec());
    // without an imputer first, a missing cell is refused with a hint
    let out = oxilearn(&[
        "fit",
        "logistic",
        "-d",
        gappy.to_str().unwrap(),
        "-t",
        "species",
        "-p",
        "standard",
        "-o",
        dir.path().join("no.safetensors").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing value") && err.contains("simple_imputer"),
        "{err}"
    );
    // an unknown step names the known ones
    let out = oxilearn(&[
        "fit",
        "svc",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "-p",
        "pca",
        "-o",
        dir.path().join("no.safetensors").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown preprocessing step `pca`") && err.contains("robust_scaler"),
        "{err}"
    );
    assert!(!dir.path().join("no.safetensors").exists());
}

#[test]
fn fit_an_isolation_forest_without_a_target() {
    use oxilearn::outlier::{Contamination, IsolationForest};
    let dir = TempDir::new("fit-iforest");
    let csv = iris_csv(dir.path());
    let model = dir.path().join("if.safetensors");
    // the species column is left out by naming it; the forest takes no target
    let out = oxilearn(&[
        "fit",
        "isolation-forest",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "--set",
        "contamination=0.05",
        "--set",
        "random_state=7",
        "--set",
        "n_estimators=50",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("50 trees") && err.contains("flagged as outliers"),
        "{err}"
    );
    assert_eq!(
        oxilearn::persist::inspect(&model).unwrap().kind,
        "IsolationForest"
    );
    let d = oxilearn::datasets::iris();
    let lib = IsolationForest::new()
        .contamination(Contamination::Fraction(0.05))
        .seed(7)
        .n_estimators(50)
        .fit(d.records.view())
        .unwrap();
    let want: Vec<String> = lib
        .predict(d.records.view())
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(predicted(&model, &csv), want);
    assert!(want.iter().any(|v| v == "-1") && want.iter().any(|v| v == "1"));
    // a bad hyperparameter value is refused with what is allowed
    let out = oxilearn(&[
        "fit",
        "isolation-forest",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "--set",
        "max_samples=lots",
        "-o",
        dir.path().join("no.safetensors").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_samples must be"));
}

#[test]
fn fit_the_nu_svms_and_the_one_class_svm_equal_the_library() {
    use oxilearn::svm::{NuSvc, NuSvr, OneClassSvm};
    let dir = TempDir::new("fit-nu");
    let csv = iris_csv(dir.path());
    let d = oxilearn::datasets::iris();
    let fit = |args: &[&str], kind: &str| {
        let model = dir.path().join(format!("{kind}.safetensors"));
        let mut all = vec!["fit"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", model.to_str().unwrap()]);
        let out = oxilearn(&all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("fitted {kind} on 150 rows")), "{err}");
        assert!(err.contains("support vectors"), "{err}");
        assert_eq!(oxilearn::persist::inspect(&model).unwrap().kind, kind);
        model
    };
    let csv_s = csv.to_str().unwrap();

    // ν-SVC on the species names
    let model = fit(
        &["nu-svc", "-d", csv_s, "-t", "species", "--set", "nu=0.3"],
        "NuSvc",
    );
    let names = d.targets.mapv(|t| d.target_names[t].clone());
    let lib = NuSvc::new()
        .nu(0.3)
        .fit(d.records.view(), names.view())
        .unwrap();
    assert_eq!(
        predicted(&model, &csv),
        lib.predict(d.records.view()).unwrap().to_vec()
    );

    // one-class SVM: no target (the species column is named to leave it out)
    let model = fit(
        &[
            "one-class-svm",
            "-d",
            csv_s,
            "-t",
            "species",
            "--set",
            "nu=0.1",
            "--set",
            "gamma=0.5",
        ],
        "OneClassSvm",
    );
    let lib = OneClassSvm::new()
        .nu(0.1)
        .kernel(oxilearn::svm::Kernel::Rbf {
            gamma: oxilearn::svm::Gamma::Value(0.5),
        })
        .fit(d.records.view())
        .unwrap();
    let want: Vec<String> = lib
        .predict(d.records.view())
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert!(want.iter().any(|v| v == "-1") && want.iter().any(|v| v == "1"));
    assert_eq!(predicted(&model, &csv), want);

    // ν-SVR: petal width from the other three measurements
    let mut s = String::from("sepal_length,sepal_width,petal_length,petal_width\n");
    for row in d.records.rows() {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    let numeric = dir.path().join("iris-numeric.csv");
    std::fs::write(&numeric, s).unwrap();
    let model = fit(
        &[
            "nu-svr",
            "-d",
            numeric.to_str().unwrap(),
            "--set",
            "nu=0.4",
            "--set",
            "C=2",
        ],
        "NuSvr",
    );
    let x = d.records.slice(ndarray::s![.., ..3]);
    let y = d.records.column(3);
    let lib = NuSvr::new().nu(0.4).c(2.0).fit(x, y).unwrap();
    let want = lib.predict(x).unwrap();
    let got = predicted(&model, &numeric);
    assert_eq!(got.len(), 150);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.parse::<f64>().unwrap(), *w);
    }

    // a bad hyperparameter is refused
    let out = oxilearn(&[
        "fit",
        "one-class-svm",
        "-d",
        csv_s,
        "-t",
        "species",
        "--set",
        "C=3",
        "-o",
        dir.path().join("no.safetensors").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `C`"));
}

#[test]
fn fit_the_linear_svms_equal_the_library() {
    use oxilearn::svm::{LinearSvc, LinearSvcLoss, LinearSvr};
    let dir = TempDir::new("fit-linear-svm");
    let csv = iris_csv(dir.path());
    let d = oxilearn::datasets::iris();
    let model = dir.path().join("linsvc.safetensors");
    let out = oxilearn(&[
        "fit",
        "linear-svc",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "--set",
        "C=0.5",
        "--set",
        "loss=hinge",
        "--set",
        "max_iter=5000",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fitted LinearSvc on 150 rows"), "{err}");
    assert!(err.contains("iterations (converged:"), "{err}");
    assert_eq!(
        oxilearn::persist::inspect(&model).unwrap().kind,
        "LinearSvc"
    );
    let names = d.targets.mapv(|t| d.target_names[t].clone());
    let lib = LinearSvc::new()
        .c(0.5)
        .loss(LinearSvcLoss::Hinge)
        .max_iter(5000)
        .fit(d.records.view(), names.view())
        .unwrap();
    assert_eq!(
        predicted(&model, &csv),
        lib.predict(d.records.view()).unwrap().to_vec()
    );

    // LinearSvr from a config file: petal width from the other measurements
    let mut s = String::from("sepal_length,sepal_width,petal_length,petal_width\n");
    for row in d.records.rows() {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    let numeric = dir.path().join("iris-numeric.csv");
    std::fs::write(&numeric, s).unwrap();
    let config = dir.path().join("fit.toml");
    let model = dir.path().join("linsvr.safetensors");
    std::fs::write(
        &config,
        format!(
            "model = \"linear_svr\"\ndata = {:?}\nout = {:?}\n[params]\nC = 0.5\nepsilon = 0.05\n",
            numeric.to_str().unwrap(),
            model.to_str().unwrap()
        ),
    )
    .unwrap();
    let out = oxilearn(&["fit", "--config", config.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let x = d.records.slice(ndarray::s![.., ..3]);
    let lib = LinearSvr::new()
        .c(0.5)
        .epsilon(0.05)
        .fit(x, d.records.column(3))
        .unwrap();
    let want = lib.predict(x).unwrap();
    let got = predicted(&model, &numeric);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.parse::<f64>().unwrap(), *w);
    }

    // scikit-learn's names for the losses; others are refused with what is allowed
    let out = oxilearn(&[
        "fit",
        "linear-svc",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "--set",
        "loss=log",
        "-o",
        dir.path().join("no.safetensors").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loss must be squared_hinge or hinge"));

    // dual=false: the primal Newton solver, as the library's
    let model = dir.path().join("primal.safetensors");
    let out = oxilearn(&[
        "fit",
        "linear-svc",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "--set",
        "dual=false",
        "--set",
        "C=0.5",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = LinearSvc::new()
        .c(0.5)
        .solver(oxilearn::svm::LinearSvcSolver::Primal)
        .fit(d.records.view(), names.view())
        .unwrap();
    assert_eq!(
        predicted(&model, &csv),
        lib.predict(d.records.view()).unwrap().to_vec()
    );
    let out = oxilearn(&[
        "fit",
        "linear-svc",
        "-d",
        csv.to_str().unwrap(),
        "-t",
        "species",
        "--set",
        "dual=maybe",
        "-o",
        dir.path().join("no.safetensors").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dual must be auto, true or false"));
}
