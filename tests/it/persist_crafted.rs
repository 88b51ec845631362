//! Model files are untrusted input: crafted files (see `corpus`) load as
//! typed errors naming what is wrong, with or without a checksum, and no
//! flipped bit of a model file loads.

pub(crate) mod corpus;

use oxilearn::Error;
use oxilearn::ndarray::array;
use oxilearn::persist::Persist;
use oxilearn::svm::{FittedSvc, Svc};

#[test]
fn crafted_files_are_refused_with_located_errors() {
    let mut failures = Vec::new();
    for case in corpus::corpus() {
        if let Err(e) = case.check(&case.bytes()) {
            failures.push(e);
        }
        // Without a checksum (version 1) the loaders refuse them alike.
        if let Err(e) = case.check(&case.bytes_v1()) {
            failures.push(format!("v1: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_single_bit_flip_of_an_svc_file_loads() {
    // The case: 10 of the 1 856 single-bit flips of an Svc file's
    // tensor data loaded a non-finite parameter (format version 1 had no
    // checksum). Every bit of the file, header and data, is flipped here.
    let x = array![
        [0.0, 1.0],
        [1.0, 0.5],
        [2.0, 2.0],
        [3.0, 1.5],
        [0.5, 2.5],
        [2.5, 0.0]
    ];
    let y = array![0, 0, 1, 1, 0, 1];
    let model: FittedSvc<f64, i32> = Svc::new().fit(x.view(), y.view()).unwrap();
    let bytes = model.to_bytes().unwrap();
    let mut loaded = Vec::new();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            match FittedSvc::<f64, i32>::from_bytes(&b) {
                Err(
                    Error::Format { .. }
                    | Error::UnsupportedVersion { .. }
                    | Error::WrongModelKind { .. },
                ) => {}
                other => loaded.push(format!("byte {i} bit {bit}: {other:?}")),
            }
        }
    }
    assert!(
        loaded.is_empty(),
        "{} flips not refused:\n{}",
        loaded.len(),
        loaded.join("\n")
    );
}

/// Every loader (each kind's through `load_any_bytes`), on any bytes: `Ok` or a typed file error (the `model_file`
/// fuzz target's property, run on every `cargo test`).
fn every_loader_is_typed(bytes: &[u8]) -> Result<(), String> {
    use oxilearn::linear::{FittedLinearRegression, FittedRidgeMulti};
    use oxilearn::logistic::FittedLogisticRegression;
    use oxilearn::nn::Sequential;
    use oxilearn::preprocessing::{FittedLabelEncoder, FittedMinMaxScaler, FittedStandardScaler};
    use oxilearn::svm::{FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvr};
    fn typed<M: Persist>(bytes: &[u8]) -> Result<(), String> {
        match M::from_bytes(bytes) {
            Ok(_)
            | Err(
                Error::Format { .. }
                | Error::UnsupportedVersion { .. }
                | Error::WrongModelKind { .. },
            ) => Ok(()),
            Err(e) => Err(format!("{}: {e:?}", M::KIND)),
        }
    }
    typed::<FittedStandardScaler<f64>>(bytes)?;
    typed::<FittedMinMaxScaler<f32>>(bytes)?;
    typed::<FittedLabelEncoder<String>>(bytes)?;
    typed::<FittedLinearRegression<f64>>(bytes)?;
    typed::<FittedRidgeMulti<f32>>(bytes)?;
    typed::<FittedLogisticRegression<f64, String>>(bytes)?;
    typed::<FittedSvc<f64, i64>>(bytes)?;
    typed::<FittedSvr<f32>>(bytes)?;
    typed::<FittedNuSvc<f32, String>>(bytes)?;
    typed::<FittedNuSvr<f64>>(bytes)?;
    typed::<FittedOneClassSvm<f64>>(bytes)?;
    typed::<Sequential>(bytes)?;
    match oxilearn::compose::load_any_bytes(bytes) {
        Ok(_)
        | Err(
            Error::Format { .. } | Error::UnsupportedVersion { .. } | Error::WrongModelKind { .. },
        ) => Ok(()),
        Err(e) => Err(format!("load_any_bytes: {e:?}")),
    }
}

/// The kept files of every version and kind (`tests/fixtures/persist/`).
fn fixtures() -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/persist");
    let mut files = Vec::new();
    for version in ["v1", "v2"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(version))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        files.extend(paths.iter().map(|p| std::fs::read(p).unwrap()));
    }
    assert!(files.len() >= 18, "fixtures missing");
    files
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    #[test]
    fn mutated_model_files_give_typed_errors(
        which in 0usize..18,
        edits in proptest::collection::vec((0usize..1_000_000, proptest::prelude::any::<u8>()), 1..4),
        cut in proptest::option::of(0usize..1_000_000),
    ) {
        let mut bytes = fixtures()[which].clone();
        for (pos, byte) in edits {
            let pos = pos % bytes.len();
            bytes[pos] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        if let Err(e) = every_loader_is_typed(&bytes) {
            proptest::prop_assert!(false, "{}", e);
        }
    }
}
