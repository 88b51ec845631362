//! Model files are untrusted input: crafted files (see `corpus`) load as
//! typed errors naming what is wrong, with or without a checksum, and no
//! flipped bit of a model file loads.

pub(crate) mod corpus;

use oxilearn::Error;
use oxilearn::ndarray::{Array1, Array2, array};
use oxilearn::persist::Persist;
use oxilearn::svm::{
    FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvc, NuSvc, NuSvr, OneClassSvm, Svc,
};

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

/// Every single-bit flip of `bytes` (header and data) is refused by `M`'s
/// loader with a typed file error; the flips that load, listed.
fn flips_that_load<M: Persist>(bytes: &[u8]) -> Vec<String> {
    let mut loaded = Vec::new();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.to_vec();
            b[i] ^= 1 << bit;
            match M::from_bytes(&b) {
                Err(
                    Error::Format { .. }
                    | Error::UnsupportedVersion { .. }
                    | Error::WrongModelKind { .. },
                ) => {}
                other => loaded.push(format!(
                    "{} byte {i} bit {bit}: {:?}",
                    M::KIND,
                    other.map(drop)
                )),
            }
        }
    }
    loaded
}

fn two_classes() -> (Array2<f64>, Array1<i32>) {
    let x = array![
        [0.0, 1.0],
        [1.0, 0.5],
        [2.0, 2.0],
        [3.0, 1.5],
        [0.5, 2.5],
        [2.5, 0.0]
    ];
    (x, array![0, 0, 1, 1, 0, 1])
}

#[test]
fn no_single_bit_flip_of_an_svc_file_loads() {
    // The case: 10 of the 1 856 single-bit flips of an Svc file's
    // tensor data loaded a non-finite parameter (format version 1 had no
    // checksum). Every bit of the file, header and data, is flipped here.
    let (x, y) = two_classes();
    let model: FittedSvc<f64, i32> = Svc::new().fit(x.view(), y.view()).unwrap();
    let loaded = flips_that_load::<FittedSvc<f64, i32>>(&model.to_bytes().unwrap());
    assert!(
        loaded.is_empty(),
        "{} flips not refused:\n{}",
        loaded.len(),
        loaded.join("\n")
    );
}

#[test]
fn no_single_bit_flip_of_a_nu_svm_file_loads() {
    // The same for the ν formulations and the one-class SVM (the checksum is
    // the container's, so every kind has it).
    let (x, y) = two_classes();
    let nusvc: FittedNuSvc<f64, i32> = NuSvc::new().nu(0.5).fit(x.view(), y.view()).unwrap();
    let nusvr: FittedNuSvr<f32> = NuSvr::new()
        .fit(
            x.mapv(|v| v as f32).view(),
            y.mapv(|v| v as f32 * 2.0 - 1.0).view(),
        )
        .unwrap();
    let oneclass: FittedOneClassSvm<f64> = OneClassSvm::new().nu(0.5).fit(x.view()).unwrap();
    let mut loaded = flips_that_load::<FittedNuSvc<f64, i32>>(&nusvc.to_bytes().unwrap());
    loaded.extend(flips_that_load::<FittedNuSvr<f32>>(
        &nusvr.to_bytes().unwrap(),
    ));
    loaded.extend(flips_that_load::<FittedOneClassSvm<f64>>(
        &oneclass.to_bytes().unwrap(),
    ));
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
    use oxilearn::svm::{
        FittedLinearSvc, FittedLinearSvr, FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvr,
    };
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
    typed::<FittedLinearSvc<f64, String>>(bytes)?;
    typed::<FittedLinearSvr<f32>>(bytes)?;
    typed::<Sequential>(bytes)?;
    match oxilearn::compose::load_any_bytes(bytes) {
        Ok(_)
        | Err(
            Error::Format { .. } | Error::UnsupportedVersion { .. } | Error::WrongModelKind { .. },
        ) => Ok(()),
        Err(e) => Err(format!("load_any_bytes: {e:?}")),
    }
}

/// The kept files of every version and kind (`tests/fixtures/persist/`),
/// then a valid file of every kind the registry loads ([`corpus::seeds`]),
/// each as format version 1 (no checksum: mutations reach the loader's own
/// checks) and as the current version (mutations meet the checksum).
fn seed_files() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
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
        for mut file in corpus::seeds() {
            files.push(file.to_bytes().unwrap());
            file.metadata.format_version = 1;
            files.push(file.to_bytes().unwrap());
        }
        files
    })
}

#[test]
fn mutation_seeds_cover_every_model_kind() {
    use oxilearn::compose::registry::role_of_kind;
    let kinds: std::collections::BTreeSet<String> = corpus::seeds()
        .into_iter()
        .map(|f| f.metadata.kind)
        .collect();
    let every = [
        "ColumnTransformer",
        "IsolationForest",
        "KnnImputer",
        "LinearRegression",
        "LinearSvc",
        "LinearSvr",
        "LocalOutlierFactor",
        "LogisticRegression",
        "MaxAbsScaler",
        "MinMaxScaler",
        "MissingIndicator",
        "Normalizer",
        "NuSvc",
        "NuSvr",
        "OneClassSvm",
        "OneHotEncoder",
        "OrdinalEncoder",
        "OutlierClipper",
        "Pipeline",
        "PowerTransformer",
        "QuantileTransformer",
        "Ridge",
        "RobustScaler",
        "Sequential",
        "SimpleImputer",
        "StandardScaler",
        "Svc",
        "Svr",
        "TargetEncoder",
    ];
    assert_eq!(kinds, every.iter().map(|k| k.to_string()).collect());
    for kind in every {
        assert!(
            role_of_kind(kind).is_some() || ["Pipeline", "ColumnTransformer"].contains(&kind),
            "{kind} unknown to the registry"
        );
    }
    // Every kind's seed loads through the registry, at both versions.
    for mut file in corpus::seeds() {
        oxilearn::compose::load_any_bytes(&file.to_bytes().unwrap()).unwrap();
        file.metadata.format_version = 1;
        oxilearn::compose::load_any_bytes(&file.to_bytes().unwrap()).unwrap();
    }
    // The seed corpus of the `model_file` fuzz target, when asked:
    // `OXILEARN_FUZZ_SEEDS=fuzz/corpus/model_file cargo test --test it mutation_seeds`.
    if let Some(dir) = std::env::var_os("OXILEARN_FUZZ_SEEDS") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        for (i, bytes) in seed_files().iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:03}.safetensors")), bytes).unwrap();
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

    #[test]
    fn mutated_model_files_give_typed_errors(
        which in proptest::prelude::any::<proptest::sample::Index>(),
        edits in proptest::collection::vec((0usize..1_000_000, proptest::prelude::any::<u8>()), 1..4),
        cut in proptest::option::of(0usize..1_000_000),
    ) {
        let seeds = seed_files();
        let mut bytes = seeds[which.index(seeds.len())].clone();
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
