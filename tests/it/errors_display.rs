//! Error messages a user can act on: one case of every [`Error`] variant the
//! public API produces, each reached through a real call (never built by
//! hand), rendered with `Display` and checked for
//!
//! - the names the user passed (`x`, `y`, `sample_weight`, the parameter, the
//!   file) — never an internal variable (`a`, `b`, a matrix of the solver);
//! - wildcard dimensions printed as `_`, never as `usize::MAX`
//!   (`18446744073709551615`);
//! - no `Debug` formatting leaking through (`Some(`, `Os {`, `"…"` quotes of
//!   a `String` field).
//!
//! A new variant must get a case here and a line in `every_variant_is_covered`
//! (which checks that each listed variant has at least one case).

use ndarray::{Array1, Array2, Array4, array};
use oxilearn::Error;
use oxilearn::compose::Pipeline;
use oxilearn::data::CsvReader;
use oxilearn::linear::{FittedLinearRegression, FittedRidge, LinearRegression, Ridge};
use oxilearn::logistic::LogisticRegression;
use oxilearn::model_selection::{SplitData, Splitter, StratifiedKFold};
use oxilearn::nn::LeNet5;
use oxilearn::persist::{Persist, inspect};
use oxilearn::preprocessing::{OneHotEncoder, StandardScaler};
use oxilearn::svm::Svc;

/// What no message may contain.
const FORBIDDEN: &[&str] = &[
    "18446744073709551615",
    "9223372036854775807",
    "4294967295",
    "Some(",
    "None",
    "Os {",
    "kind: ",
    " for a:",
    " for b:",
    " in a at",
    " in b at",
];

/// Renders `e`, checks it against [`FORBIDDEN`] and that it names every
/// string of `names`; returns the text.
fn rendered(e: &Error, names: &[&str]) -> String {
    let text = e.to_string();
    for bad in FORBIDDEN {
        assert!(!text.contains(bad), "{text:?} contains {bad:?}");
    }
    for name in names {
        assert!(text.contains(name), "{text:?} does not name {name:?}");
    }
    assert!(!text.is_empty() && !text.ends_with(' '), "{text:?}");
    text
}

fn err<T: std::fmt::Debug>(r: oxilearn::Result<T>) -> Error {
    r.expect_err("this call must fail")
}

/// A scratch directory removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "oxilearn-errors-display-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn small_regression() -> (Array2<f64>, Array1<f64>) {
    let x = array![[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [3.0, 1.0], [4.0, 3.0]];
    let y = array![1.0, 2.0, 4.5, 4.0, 7.5];
    (x, y)
}

fn small_classification() -> (Array2<f64>, Array1<usize>) {
    let x = array![
        [0.0, 0.1],
        [0.2, 0.0],
        [0.1, 0.3],
        [2.0, 2.1],
        [2.2, 1.9],
        [1.9, 2.3]
    ];
    (x, array![0, 0, 0, 1, 1, 1])
}

/// One rendered case per variant, from public calls.
fn cases() -> Vec<(Error, String)> {
    let (x, y) = small_regression();
    let (xc, yc) = small_classification();
    let mut out = Vec::new();
    let mut push = |e: Error, names: &[&str]| {
        let t = rendered(&e, names);
        out.push((e, t));
    };

    // ShapeMismatch: wrong feature count at predict; a CNN input whose
    // expected shape has wildcard dimensions (printed `_`).
    let ols = LinearRegression::new().fit(x.view(), y.view()).unwrap();
    let e = err(ols.predict(array![[1.0, 2.0, 3.0]].view()));
    push(e, &["x", "[1, 2]", "[1, 3]"]);
    let e = err(LinearRegression::new().fit(x.view(), array![1.0, 2.0].view()));
    push(e, &["y"]);
    let mut net = LeNet5::mnist().build().unwrap();
    push(
        err(net.predict_logits(Array4::<f32>::zeros((2, 3, 28, 28)).view(), 8)),
        &["_", "[2, 3, 28, 28]"],
    );

    // NonFinite: a NaN in x, in y, in sample_weight.
    let mut xn = x.clone();
    xn[[2, 1]] = f64::NAN;
    push(
        err(LinearRegression::new().fit(xn.view(), y.view())),
        &["x", "[2, 1]"],
    );
    let mut yn = y.clone();
    yn[3] = f64::INFINITY;
    push(err(Ridge::new().fit(x.view(), yn.view())), &["y", "[3]"]);
    let w = array![1.0, 1.0, f64::NAN, 1.0, 1.0];
    push(
        err(LinearRegression::new().fit_weighted(x.view(), y.view(), w.view())),
        &["sample_weight"],
    );

    // EmptyInput.
    push(
        err(LinearRegression::new().fit(
            Array2::<f64>::zeros((0, 2)).view(),
            Array1::<f64>::zeros(0).view(),
        )),
        &["x"],
    );

    // SingleClass.
    push(
        err(LogisticRegression::new().fit(xc.view(), Array1::from_elem(6, 1usize).view())),
        &["class"],
    );

    // InvalidParameter: the builder's name.
    push(
        err(Ridge::new().alpha(-1.0).fit(x.view(), y.view())),
        &["alpha", "-1"],
    );
    push(err(Svc::new().c(0.0).fit(xc.view(), yc.view())), &["C"]);

    // Format, Io, WrongModelKind, UnsupportedVersion: model files, named by path.
    let dir = Scratch::new("files");
    let garbage = dir.0.join("garbage.safetensors");
    std::fs::write(&garbage, b"definitely not a model file").unwrap();
    push(
        err(FittedLinearRegression::<f64>::load(&garbage)),
        &["garbage.safetensors"],
    );
    let missing = dir.0.join("missing.safetensors");
    push(
        err(FittedLinearRegression::<f64>::load(&missing)),
        &["missing.safetensors"],
    );
    let ols_file = dir.0.join("ols.safetensors");
    ols.save(&ols_file).unwrap();
    push(
        err(FittedRidge::<f64>::load(&ols_file)),
        &["LinearRegression", "Ridge"],
    );
    let newer = dir.0.join("newer.safetensors");
    std::fs::write(
        &newer,
        with_format_version(&std::fs::read(&ols_file).unwrap(), 99),
    )
    .unwrap();
    push(err(inspect(&newer)), &["99"]);

    // NumericalFailure: finite records whose squared norms overflow the
    // kernel (LinearRegression now solves such data by exact rescaling) —
    // the message says so and suggests scaling.
    let big = x.mapv(|v| (v + 1.0) * 1e300);
    let labels = Array1::from_shape_fn(big.nrows(), |i| i % 2);
    push(
        err(Svc::new().fit(big.view(), labels.view())),
        &["gamma", "Var(X)", "not representable", "scale the features"],
    );

    // Unsupported: class probabilities of a regression pipeline.
    let pipe = Pipeline::<f64>::new()
        .transform("std", StandardScaler::new())
        .estimator("ridge", Ridge::new())
        .fit(&x, y.view())
        .unwrap();
    push(err(pipe.predict_proba(&x)), &["predict_proba", "Ridge"]);

    // NotConverged: strict mode with one iteration.
    push(
        err(LogisticRegression::new()
            .max_iter(1)
            .strict(true)
            .fit(xc.view(), yc.view())),
        &["iterations performed: 1", "max_iter"],
    );
    // ColumnType, MissingValue, UnknownCategory: tables read from CSV, named
    // by file, line and column.
    let csv = |text: &str, name: &str| {
        CsvReader::new()
            .parse(text.as_bytes(), name)
            .expect("valid CSV")
    };
    let train = csv("island,mass\nDream,3.5\nBiscoe,4.1\n", "train.csv");
    push(err(train.to_matrix()), &["island", "categorical"]);
    push(
        err(csv("island,mass\nDream,\nBiscoe,4.1\n", "raw.csv").to_xy("mass")),
        &["raw.csv", "line 2", "mass"],
    );
    let enc = OneHotEncoder::new().fit_table(&train).unwrap();
    push(
        err(enc.transform_table(&csv("island,mass\nTorgersen,3.9\n", "new.csv"))),
        &["Torgersen", "new.csv", "line 2", "island"],
    );

    // ClassTooSmall: stratified folds with a class of one member.
    let labels = array![0usize, 0, 1, 1, 2, 0, 1];
    let data = SplitData::new(7).with_targets(labels.view()).unwrap();
    push(
        err(StratifiedKFold::new(2).split(&data)),
        &["class 2", "1 member", "2"],
    );
    out
}

/// A copy of a model file with its `format_version` metadata replaced.
fn with_format_version(bytes: &[u8], version: u32) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header["__metadata__"]["format_version"] = serde_json::Value::String(version.to_string());
    let mut text = serde_json::to_vec(&header).unwrap();
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

#[test]
fn every_message_names_user_inputs_and_no_internals() {
    for (e, text) in cases() {
        // The Debug form may hold anything; Display is what users read.
        assert_eq!(e.to_string(), text);
    }
}

#[test]
fn every_variant_is_covered() {
    let mut seen = std::collections::BTreeSet::new();
    for (e, _) in cases() {
        // `Error` is `non_exhaustive`: a variant without a line here panics.
        let name = match e {
            Error::ShapeMismatch { .. } => "ShapeMismatch",
            Error::NonFinite { .. } => "NonFinite",
            Error::EmptyInput { .. } => "EmptyInput",
            Error::SingleClass => "SingleClass",
            Error::InvalidParameter { .. } => "InvalidParameter",
            Error::Format { .. } => "Format",
            Error::UnsupportedVersion { .. } => "UnsupportedVersion",
            Error::WrongModelKind { .. } => "WrongModelKind",
            Error::Io { .. } => "Io",
            Error::NumericalFailure { .. } => "NumericalFailure",
            Error::Unsupported { .. } => "Unsupported",
            Error::NotConverged { .. } => "NotConverged",
            Error::ColumnType { .. } => "ColumnType",
            Error::MissingValue { .. } => "MissingValue",
            Error::UnknownCategory { .. } => "UnknownCategory",
            Error::ClassTooSmall { .. } => "ClassTooSmall",
            other => panic!("no case in errors_display for a new variant: {other}"),
        };
        seen.insert(name);
    }
    assert_eq!(seen.len(), 16, "variants with a case: {seen:?}");
}

#[test]
fn shape_wildcards_print_as_underscore() {
    let e = Error::ShapeMismatch {
        what: "x",
        expected: vec![Error::ANY_DIM, 3],
        got: vec![5, 4],
    };
    assert_eq!(
        e.to_string(),
        "shape mismatch for x: expected [_, 3], got [5, 4]"
    );
    let e = Error::NonFinite {
        what: "y",
        index: vec![4],
    };
    assert_eq!(
        e.to_string(),
        "non-finite value (NaN or infinity) in y at index [4]"
    );
}
