//! Model files of every released format version must keep loading.
//!
//! `tests/fixtures/persist/v<N>/` holds files written by the build that
//! introduced format version N. When `FORMAT_VERSION` is bumped, keep these
//! files and their tests, add a `v<N+1>` directory, and make each model's
//! `from_model_file` dispatch on `file.metadata.format_version`.
//!
//! Regenerate the files of the *current* version (only when creating a new
//! version directory): `OXILEARN_WRITE_FIXTURES=1 cargo test --test persist_compat`.

use std::path::PathBuf;

use oxilearn::linear::{FittedLinearRegression, FittedRidge, LinearRegression, Ridge};
use oxilearn::logistic::{FittedLogisticRegression, LogisticRegression};
use oxilearn::ndarray::{Array2, Array4, array};
use oxilearn::nn::{LeNet5, Sequential};
use oxilearn::persist::{self, FORMAT_VERSION, ModelFile, Persist};
use oxilearn::preprocessing::{
    FittedLabelEncoder, FittedMinMaxScaler, FittedStandardScaler, LabelEncoder, MinMaxScaler,
    StandardScaler,
};
use oxilearn::svm::{FittedSvc, FittedSvr, Gamma, Kernel, Svc, Svr};

fn dir(version: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/persist/v{version}"))
}

fn x() -> Array2<f64> {
    array![
        [1.0, -2.0, 5.0],
        [2.0, 0.0, 5.0],
        [4.0, 7.0, 5.0],
        [0.5, 1.0, 5.0]
    ]
}

fn current_models() -> (
    FittedStandardScaler<f64>,
    FittedMinMaxScaler<f32>,
    FittedLabelEncoder<String>,
) {
    let s = StandardScaler::new().fit(x().view()).unwrap();
    let m = MinMaxScaler::new()
        .feature_range(-1.0, 1.0)
        .fit(x().mapv(|v| v as f32).view())
        .unwrap();
    let labels = array!["spam".to_string(), "ham".to_string(), "eggs".to_string()];
    let e = LabelEncoder::new().fit(labels.view()).unwrap();
    (s, m, e)
}

#[test]
fn write_fixtures_when_asked() {
    if std::env::var_os("OXILEARN_WRITE_FIXTURES").is_none() {
        return;
    }
    let d = dir(FORMAT_VERSION);
    std::fs::create_dir_all(&d).unwrap();
    let (s, m, e) = current_models();
    let mut user = std::collections::BTreeMap::new();
    user.insert("tag".to_string(), format!("fixture-v{FORMAT_VERSION}"));
    s.save_with(d.join("standard_scaler_f64.safetensors"), &user)
        .unwrap();
    m.save_with(d.join("min_max_scaler_f32.safetensors"), &user)
        .unwrap();
    e.save_with(d.join("label_encoder_string.safetensors"), &user)
        .unwrap();
    let m = models();
    m.ols
        .save(d.join("linear_regression_f64.safetensors"))
        .unwrap();
    m.ridge.save(d.join("ridge_f32.safetensors")).unwrap();
    m.logistic
        .save(d.join("logistic_regression_f64_string.safetensors"))
        .unwrap();
    m.svc.save(d.join("svc_f64_i64.safetensors")).unwrap();
    m.svr.save(d.join("svr_f32.safetensors")).unwrap();
    m.net
        .save(d.join("sequential_lenet5_digits.safetensors"))
        .unwrap();
}

/// One fitted model of every other kind (written to `v1/` by the build that
/// introduced format version 1; the tests below read them back).
struct Models {
    ols: FittedLinearRegression<f64>,
    ridge: FittedRidge<f32>,
    logistic: FittedLogisticRegression<f64, String>,
    svc: FittedSvc<f64, i64>,
    svr: FittedSvr<f32>,
    net: Sequential,
}

fn targets() -> (
    oxilearn::ndarray::Array1<f64>,
    oxilearn::ndarray::Array1<i64>,
) {
    (array![1.0, -0.5, 3.0, 2.0], array![7, 3, 7, -1])
}

fn models() -> Models {
    let x = x();
    let x32 = x.mapv(|v| v as f32);
    let (yr, yc) = targets();
    let labels = yc.mapv(|c| format!("c{c}"));
    let rbf = Kernel::Rbf {
        gamma: Gamma::Value(0.3),
    };
    Models {
        ols: LinearRegression::new().fit(x.view(), yr.view()).unwrap(),
        ridge: Ridge::new()
            .alpha(0.5)
            .fit(x32.view(), yr.mapv(|v| v as f32).view())
            .unwrap(),
        logistic: LogisticRegression::new()
            .c(2.0)
            .fit(x.view(), labels.view())
            .unwrap(),
        svc: Svc::new()
            .c(3.0)
            .kernel(rbf)
            .fit(x.view(), yc.view())
            .unwrap(),
        svr: Svr::new()
            .epsilon(0.1)
            .kernel(rbf)
            .fit(x32.view(), yr.mapv(|v| v as f32).view())
            .unwrap(),
        net: LeNet5::digits().seed(3).n_classes(4).build().unwrap(),
    }
}

/// The probe images of the LeNet-5 fixture: 2 images of 1 × 8 × 8.
fn images() -> Array4<f32> {
    Array4::from_shape_fn((2, 1, 8, 8), |(n, _, i, j)| {
        ((n * 64 + i * 8 + j) as f32 * 0.37).sin()
    })
}

#[test]
fn v1_files_load_with_their_values() {
    let d = dir(1);
    let meta = persist::inspect(d.join("standard_scaler_f64.safetensors")).unwrap();
    assert_eq!(
        (meta.format_version, meta.kind.as_str(), meta.dtype.as_str()),
        (1, "StandardScaler", "f64")
    );
    assert_eq!(meta.user["tag"], "fixture-v1");

    let s = FittedStandardScaler::<f64>::load(d.join("standard_scaler_f64.safetensors")).unwrap();
    assert_eq!(s.mean(), &array![1.875, 1.5, 5.0]);
    assert_eq!(s.var(), &array![1.796875, 11.25, 0.0]);
    assert_eq!(s.scale()[2], 1.0);
    assert_eq!(s.n_samples_seen(), 4);

    let m = FittedMinMaxScaler::<f32>::load(d.join("min_max_scaler_f32.safetensors")).unwrap();
    assert_eq!(m.data_min(), &array![0.5f32, -2.0, 5.0]);
    let t = m.transform(array![[4.0f32, 7.0, 5.0]].view()).unwrap();
    assert!(
        t.iter()
            .zip([1.0f32, 1.0, -1.0])
            .all(|(a, b)| (a - b).abs() < 1e-6),
        "{t}"
    );

    let e = FittedLabelEncoder::<String>::load(d.join("label_encoder_string.safetensors")).unwrap();
    assert_eq!(e.classes(), &["eggs", "ham", "spam"]);
}

/// Today's writer must produce the same content as the files of the current
/// version (apart from the crate version, user metadata and so the
/// checksum): a layout change without a version bump fails here.
#[test]
fn current_writer_matches_the_current_version_fixtures() {
    let (s, m, e) = current_models();
    let fresh = [
        s.to_model_file().unwrap(),
        m.to_model_file().unwrap(),
        e.to_model_file().unwrap(),
    ];
    let names = [
        "standard_scaler_f64",
        "min_max_scaler_f32",
        "label_encoder_string",
    ];
    for (mut fresh, name) in fresh.into_iter().zip(names) {
        let mut stored =
            ModelFile::read(dir(FORMAT_VERSION).join(format!("{name}.safetensors"))).unwrap();
        stored.metadata.crate_version = fresh.metadata.crate_version.clone();
        stored.metadata.user.clear();
        fresh.metadata.tensors = stored.metadata.tensors.clone();
        // Compare through bytes: same metadata map and same tensors.
        assert_eq!(
            stored.to_bytes().unwrap(),
            fresh.to_bytes().unwrap(),
            "{name}"
        );
    }
}

fn close<'a>(got: impl IntoIterator<Item = &'a f64>, want: &[f64], tol: f64) -> bool {
    let got: Vec<f64> = got.into_iter().copied().collect();
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= tol * w.abs().max(1.0))
}

fn close32<'a>(got: impl IntoIterator<Item = &'a f32>, want: &[f32]) -> bool {
    let got: Vec<f64> = got.into_iter().map(|&v| f64::from(v)).collect();
    let want: Vec<f64> = want.iter().map(|&v| f64::from(v)).collect();
    close(got.iter(), &want, 1e-5)
}

/// Every model kind's v1 file loads and predicts what the model that wrote
/// it predicted (values printed by the writing build, with the fixture
/// inputs `x()` / `images()`).
#[test]
fn v1_files_of_every_model_kind_load_and_predict() {
    files_of_every_model_kind_load_and_predict(1);
}

/// The v2 files hold the same models as the v1 files (v2 only adds the
/// content checksum), so they predict the same values.
#[test]
fn v2_files_of_every_model_kind_load_and_predict() {
    files_of_every_model_kind_load_and_predict(2);
    let meta = persist::inspect(dir(2).join("svc_f64_i64.safetensors")).unwrap();
    assert_eq!(meta.format_version, 2);
    assert!(meta.checksum.is_some_and(|c| c.starts_with("crc32:")));
}

fn files_of_every_model_kind_load_and_predict(version: u32) {
    let d = dir(version);
    let x = x();
    let x32 = x.mapv(|v| v as f32);

    let ols =
        FittedLinearRegression::<f64>::load(d.join("linear_regression_f64.safetensors")).unwrap();
    let p = ols.predict(x.view()).unwrap();
    let want = [
        0.1317056396148557,
        0.43775790921595625,
        2.722145804676754,
        2.2083906464924343,
    ];
    assert!(close(&p, &want, 1e-12), "{p}");

    let ridge = FittedRidge::<f32>::load(d.join("ridge_f32.safetensors")).unwrap();
    let p = ridge.predict(x32.view()).unwrap();
    assert!(
        close32(&p, &[0.21074367, 0.5682483, 2.7428684, 1.9781395]),
        "{p}"
    );

    let lg = FittedLogisticRegression::<f64, String>::load(
        d.join("logistic_regression_f64_string.safetensors"),
    )
    .unwrap();
    assert_eq!(lg.classes(), &["c-1", "c3", "c7"]);
    let p = lg.predict_proba(x.view()).unwrap();
    let want = [
        0.17974980278912395,
        0.4067490658780339,
        0.41350113133284216,
        0.10183195441063832,
        0.36903390405131503,
        0.5291341415380466,
        0.08084277490575625,
        0.1226192630803437,
        0.7965379620139,
        0.6375700311917674,
        0.10166550505300703,
        0.2607644637552256,
    ];
    assert!(close(&p, &want, 1e-10), "{p}");

    let svc = FittedSvc::<f64, i64>::load(d.join("svc_f64_i64.safetensors")).unwrap();
    assert_eq!(svc.classes(), &[-1, 3, 7]);
    assert_eq!(svc.predict(x.view()).unwrap().to_vec(), vec![7, 3, 7, -1]);
    let p = svc.decision_function(x.view()).unwrap();
    let want = [
        -0.18573559918753846,
        0.8580548360658988,
        2.222224137205594,
        0.8344494316976545,
        2.222208574180485,
        -0.16773770906538482,
        0.8333727170840098,
        -0.16665136565113345,
        2.2221979173257966,
        2.222213483335825,
        0.8480251619604671,
        -0.17913968494283034,
    ];
    assert!(close(&p, &want, 1e-10), "{p}");

    let svr = FittedSvr::<f32>::load(d.join("svr_f32.safetensors")).unwrap();
    let p = svr.predict(x32.view()).unwrap();
    assert!(close32(&p, &[1.1, 0.87854046, 2.8001611, 1.9]), "{p}");

    let mut net = Sequential::load(d.join("sequential_lenet5_digits.safetensors")).unwrap();
    let p = net.predict_logits(images().view(), 8).unwrap();
    let want = [
        0.010963459,
        0.021987468,
        0.15973514,
        -0.014798621,
        -0.0005612923,
        0.023764255,
        0.15113452,
        -0.006352501,
    ];
    assert!(close32(&p, &want), "{p}");
}
