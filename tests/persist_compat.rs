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

use oxilearn::ndarray::{Array2, array};
use oxilearn::persist::{self, FORMAT_VERSION, ModelFile, Persist};
use oxilearn::preprocessing::{
    FittedLabelEncoder, FittedMinMaxScaler, FittedStandardScaler, LabelEncoder, MinMaxScaler,
    StandardScaler,
};

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

/// While the current version is 1, today's writer must produce the same
/// content as the v1 files (apart from the crate version): a layout change
/// without a version bump fails here.
#[test]
fn current_writer_matches_the_current_version_fixtures() {
    if FORMAT_VERSION != 1 {
        return;
    }
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
        let mut stored = ModelFile::read(dir(1).join(format!("{name}.safetensors"))).unwrap();
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
