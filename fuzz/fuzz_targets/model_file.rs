//! Fuzz the model-file readers: arbitrary bytes given to the container
//! reader and to every model's loader must give `Ok` or a typed error
//! (`Format`, `UnsupportedVersion`, `WrongModelKind`), never a panic, an
//! abort, another error kind, or an allocation far beyond the input's size
//! (run with `-rss_limit_mb` / `-malloc_limit_mb`).
//!
//! `compose::load_any_bytes` reaches every kind's loader through the
//! registry (pipelines, column transformers, data steps, outlier models,
//! and the kinds added later); the concrete loaders below also run on files
//! of another kind, where only the kind check stands in the way.
//!
//! Run: `cargo +nightly fuzz run model_file` (from the repository root).
//! Seed corpus: a valid file of every kind, at format versions 1 and 2, and
//! the kept files of every version (the mutation property's seeds):
//! `OXILEARN_FUZZ_SEEDS=fuzz/corpus/model_file cargo test --test it mutation_seeds`.
//! Mutations of the version-1 seeds (no checksum) reach the loaders'
//! validation; mutations of version-2 seeds exercise the checksum.

#![no_main]

use libfuzzer_sys::fuzz_target;
use oxilearn::Error;
use oxilearn::compose::{FittedColumnTransformer, FittedPipeline, load_any_bytes};
use oxilearn::linear::{
    FittedLinearRegression, FittedLinearRegressionMulti, FittedRidge, FittedRidgeMulti,
};
use oxilearn::logistic::FittedLogisticRegression;
use oxilearn::nn::Sequential;
use oxilearn::outlier::{FittedIsolationForest, FittedLocalOutlierFactor, FittedOutlierClipper};
use oxilearn::persist::{ModelFile, Persist};
use oxilearn::preprocessing::{
    FittedKnnImputer, FittedLabelEncoder, FittedMaxAbsScaler, FittedMinMaxScaler,
    FittedMissingIndicator, FittedNormalizer, FittedOneHotEncoder, FittedOrdinalEncoder,
    FittedPowerTransformer, FittedQuantileTransformer, FittedRobustScaler, FittedSimpleImputer,
    FittedStandardScaler, FittedTargetEncoder,
};
use oxilearn::svm::{
    FittedLinearSvc, FittedLinearSvr, FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvc,
    FittedSvr,
};

fn typed<T>(r: oxilearn::Result<T>) {
    match r {
        Ok(_)
        | Err(Error::Format { .. })
        | Err(Error::UnsupportedVersion { .. })
        | Err(Error::WrongModelKind { .. }) => {}
        Err(e) => panic!("unexpected error kind: {e:?}"),
    }
}

fn load<M: Persist>(data: &[u8]) {
    typed(M::from_bytes(data));
}

fuzz_target!(|data: &[u8]| {
    typed(ModelFile::from_bytes(data));
    load::<FittedStandardScaler<f64>>(data);
    load::<FittedStandardScaler<f32>>(data);
    load::<FittedMinMaxScaler<f32>>(data);
    load::<FittedMinMaxScaler<f64>>(data);
    load::<FittedLabelEncoder<String>>(data);
    load::<FittedLabelEncoder<i64>>(data);
    load::<FittedLinearRegression<f64>>(data);
    load::<FittedLinearRegressionMulti<f32>>(data);
    load::<FittedRidge<f32>>(data);
    load::<FittedRidgeMulti<f64>>(data);
    load::<FittedLogisticRegression<f64, String>>(data);
    load::<FittedLogisticRegression<f32, i64>>(data);
    load::<FittedSvc<f64, i64>>(data);
    load::<FittedSvc<f32, String>>(data);
    load::<FittedSvr<f32>>(data);
    load::<FittedSvr<f64>>(data);
    load::<FittedNuSvc<f64, i64>>(data);
    load::<FittedNuSvc<f32, String>>(data);
    load::<FittedNuSvr<f32>>(data);
    load::<FittedNuSvr<f64>>(data);
    load::<FittedOneClassSvm<f32>>(data);
    load::<FittedOneClassSvm<f64>>(data);
    load::<FittedLinearSvc<f64, i64>>(data);
    load::<FittedLinearSvc<f32, String>>(data);
    load::<FittedLinearSvr<f32>>(data);
    load::<FittedLinearSvr<f64>>(data);
    load::<Sequential>(data);
    load::<FittedRobustScaler>(data);
    load::<FittedMaxAbsScaler>(data);
    load::<FittedNormalizer>(data);
    load::<FittedSimpleImputer>(data);
    load::<FittedMissingIndicator>(data);
    load::<FittedOneHotEncoder>(data);
    load::<FittedOrdinalEncoder>(data);
    load::<FittedPowerTransformer>(data);
    load::<FittedQuantileTransformer>(data);
    load::<FittedKnnImputer>(data);
    load::<FittedOutlierClipper>(data);
    load::<FittedIsolationForest>(data);
    load::<FittedLocalOutlierFactor>(data);
    load::<FittedTargetEncoder>(data);
    load::<FittedPipeline<i64>>(data);
    load::<FittedPipeline<f64>>(data);
    load::<FittedColumnTransformer>(data);
    typed(load_any_bytes(data));
});
