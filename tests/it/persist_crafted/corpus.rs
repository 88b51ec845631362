//! A corpus of crafted model files: one minimal reproduction per way a file
//! can lie (non-finite parameters, hyperparameters `fit` refuses, sizes that
//! disagree with the tensors …). Each must load as a typed
//! [`Error::Format`] whose text names what is wrong.
//!
//! Every case is built from a valid model's file, edited through the public
//! [`ModelFile`] API and written again, so its checksum is valid: what is
//! tested is the loader's validation, not the checksum. [`Case::bytes_v1`]
//! gives the same edit as a version-1 file (no checksum at all).
//!
//! Shared by the `persist_crafted` tests and the allocation-capped
//! `memory_cap` test binary (`tests/memory_cap.rs`).

use oxilearn::Error;
use oxilearn::compose::{
    ColumnTransformer, Columns, FittedColumnTransformer, FittedPipeline, Pipeline,
};
use oxilearn::linear::{FittedLinearRegression, FittedRidge, LinearRegression, Ridge};
use oxilearn::logistic::{FittedLogisticRegression, LogisticRegression};
use oxilearn::ndarray::{Array1, Array2, array};
use oxilearn::nn::{LeNet5, Sequential};
use oxilearn::outlier::{
    FittedIsolationForest, FittedLocalOutlierFactor, FittedOutlierClipper, IsolationForest,
    LocalOutlierFactor, OutlierClipper,
};
use oxilearn::persist::{ModelFile, Persist};
use oxilearn::preprocessing::{
    FittedKnnImputer, FittedMaxAbsScaler, FittedMinMaxScaler, FittedMissingIndicator,
    FittedNormalizer, FittedOneHotEncoder, FittedOrdinalEncoder, FittedPowerTransformer,
    FittedQuantileTransformer, FittedRobustScaler, FittedSimpleImputer, FittedStandardScaler,
    KnnImputer, MaxAbsScaler, MinMaxScaler, MissingIndicator, Normalizer, OneHotEncoder,
    OrdinalEncoder, PowerTransformer, QuantileTransformer, RobustScaler, SimpleImputer,
    StandardScaler,
};
use oxilearn::preprocessing::{FittedTargetEncoder, TargetEncoder};
use oxilearn::svm::{
    FittedLinearSvc, FittedLinearSvr, FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvc,
    FittedSvr, Gamma, Kernel, LinearSvc, LinearSvr, NuSvc, NuSvr, OneClassSvm, Svc, Svr,
};
use serde_json::json;

/// Loads bytes as one model type, dropping the model.
pub type Loader = fn(&[u8]) -> oxilearn::Result<()>;

/// One crafted file.
pub struct Case {
    /// Short name (`<model>_<what>`).
    pub name: &'static str,
    /// The edited file (and the valid file it was made from).
    pub file: Crafted,
    /// The loader of the model type the file claims to hold.
    pub load: Loader,
    /// Text the error must contain (location or reason).
    pub expect: &'static str,
}

/// A valid model's file and the same file after one crafted edit.
pub struct Crafted {
    /// The file as the model wrote it (it loads).
    pub original: ModelFile,
    /// The file after the edit, as the current version writes it.
    pub edited: ModelFile,
}

impl Case {
    /// The file's bytes (current format version, valid checksum).
    pub fn bytes(&self) -> Vec<u8> {
        self.file
            .edited
            .to_bytes()
            .expect("crafted files serialise")
    }

    /// The same file as format version 1 (no checksum).
    pub fn bytes_v1(&self) -> Vec<u8> {
        let mut f = self.file.edited.clone();
        f.metadata.format_version = 1;
        f.to_bytes().expect("crafted files serialise")
    }

    /// Loads `bytes` and checks the error: `Ok(())` when it is the expected
    /// typed error, else a description of what happened.
    pub fn check(&self, bytes: &[u8]) -> Result<(), String> {
        match (self.load)(bytes) {
            Ok(()) => Err(format!("[{}] loaded", self.name)),
            Err(e @ Error::Format { .. }) if e.to_string().contains(self.expect) => Ok(()),
            Err(e) => Err(format!(
                "[{}] expected a format error containing {:?}, got {e:?}",
                self.name, self.expect
            )),
        }
    }
}

fn loader<M: Persist>(bytes: &[u8]) -> oxilearn::Result<()> {
    M::from_bytes(bytes).map(drop)
}

fn x() -> Array2<f64> {
    array![
        [1.0, -2.0, 5.0],
        [2.0, 0.0, 4.0],
        [4.0, 7.0, 5.0],
        [0.5, 1.0, 3.0],
        [3.0, 2.0, 1.0],
        [-1.0, 0.5, 2.0]
    ]
}

fn y_reg() -> Array1<f64> {
    array![1.0, -0.5, 3.0, 2.0, 0.0, 1.5]
}

fn y_cls() -> Array1<i64> {
    array![7, 3, 7, -1, 3, -1]
}

fn rbf(gamma: f64) -> Kernel {
    Kernel::Rbf {
        gamma: Gamma::Value(gamma),
    }
}

/// A valid file of model `M` edited by `edit` (the unedited file loads, so
/// a case fails for its edit alone).
fn edited<M: Persist>(model: &M, edit: impl FnOnce(&mut ModelFile)) -> Crafted {
    let original = model.to_model_file().expect("valid model");
    assert!(
        M::from_bytes(&original.to_bytes().unwrap()).is_ok(),
        "unedited {}",
        M::KIND
    );
    let mut f = original.clone();
    edit(&mut f);
    Crafted {
        original,
        edited: f,
    }
}

/// Replaces one element of the float tensor `name` (as stored: f32 or f64).
fn poison(f: &mut ModelFile, name: &str, index: &[usize], value: f64) {
    use oxilearn::persist::TensorData;
    let t = f.tensor(name).expect("tensor present").clone();
    match t {
        TensorData::F64(mut a) => {
            a[index] = value;
            f.push_f64(name, a);
        }
        TensorData::F32(mut a) => {
            a[index] = value as f32;
            f.push_f32(name, a);
        }
        TensorData::I64(_) => panic!("`{name}` is not a float tensor"),
    }
}

/// Replaces one element of the `i64` tensor `name`.
fn poison_i64(f: &mut ModelFile, name: &str, index: usize, value: i64) {
    use oxilearn::persist::TensorData;
    let Some(TensorData::I64(mut a)) = f.tensor(name).cloned() else {
        panic!("`{name}` is not an i64 tensor");
    };
    a[[index]] = value;
    f.push_i64(name, a);
}

/// Sets the hyperparameter at `path` (object keys, or array indices).
fn hyper(f: &mut ModelFile, path: &[&str], v: serde_json::Value) {
    let mut h = &mut f.metadata.hyperparameters;
    for p in path {
        h = match p.parse::<usize>() {
            Ok(i) if h.is_array() => &mut h[i],
            _ => &mut h[*p],
        };
    }
    *h = v;
}

/// Records with a categorical-looking column (small integer codes) and a
/// missing value, for the imputers and encoders.
fn x_cat() -> Array2<f64> {
    array![
        [1.0, 0.5, 2.0],
        [2.0, f64::NAN, 1.0],
        [1.0, 1.5, 2.0],
        [3.0, 2.5, 1.0],
        [2.0, 0.0, 3.0],
        [1.0, 1.0, 2.0]
    ]
}

/// Every crafted case.
pub fn corpus() -> Vec<Case> {
    let mut cases = corpus_models();
    cases.extend(corpus_data_steps());
    cases.extend(corpus_composites());
    cases
}

/// One valid file of every model kind the corpus crafts files of (every kind
/// the registry loads), in corpus order: the seeds from which the mutation
/// property reaches each kind's validation.
#[allow(dead_code)] // used by the persist_crafted tests, not by tests/memory_cap.rs
pub fn seeds() -> Vec<ModelFile> {
    let mut seen = std::collections::BTreeSet::new();
    corpus()
        .into_iter()
        .filter(|c| seen.insert(c.file.original.metadata.kind.clone()))
        .map(|c| c.file.original)
        .collect()
}

/// Crafted files of the data steps: the newer scalers, imputers, encoders
/// and outlier models.
fn corpus_data_steps() -> Vec<Case> {
    let x = x();
    let xc = x_cat();
    let robust = RobustScaler::new().fit(x.view()).unwrap();
    let maxabs = MaxAbsScaler::new().fit(x.view()).unwrap();
    let normalizer = Normalizer::new().fit(x.view()).unwrap();
    let imputer = SimpleImputer::new().fit(xc.view()).unwrap();
    let indicator = MissingIndicator::new().fit(xc.view()).unwrap();
    let onehot = OneHotEncoder::new().fit(xc.view()).unwrap();
    let ordinal = OrdinalEncoder::new().fit(xc.view()).unwrap();
    let clipper = OutlierClipper::new().fit(x.view()).unwrap();
    let target = TargetEncoder::new().fit(xc.view(), y_cls().view()).unwrap();
    let target_reg = TargetEncoder::new().fit(xc.view(), y_reg().view()).unwrap();
    let forest = IsolationForest::new()
        .n_estimators(3)
        .seed(0)
        .fit(x.view())
        .unwrap();
    let lof = LocalOutlierFactor::new()
        .n_neighbors(3)
        .novelty(true)
        .fit(x.view())
        .unwrap();
    let mut cases = vec![
        Case {
            name: "robust_scaler_inverted_quantile_range",
            file: edited(&robust, |f| {
                hyper(f, &["quantile_range"], json!([75.0, 25.0]))
            }),
            load: loader::<FittedRobustScaler>,
            expect: "hyperparameter `quantile_range`",
        },
        Case {
            name: "robust_scaler_zero_scale",
            file: edited(&robust, |f| poison(f, "scale", &[1], 0.0)),
            load: loader::<FittedRobustScaler>,
            expect: "tensor `scale` at index [1]",
        },
        Case {
            name: "robust_scaler_nan_center",
            file: edited(&robust, |f| poison(f, "center", &[2], f64::NAN)),
            load: loader::<FittedRobustScaler>,
            expect: "tensor `center` at index [2]",
        },
        Case {
            name: "max_abs_scaler_negative_max_abs",
            file: edited(&maxabs, |f| poison(f, "max_abs", &[0], -1.0)),
            load: loader::<FittedMaxAbsScaler>,
            expect: "tensor `max_abs` at index [0]",
        },
        Case {
            name: "max_abs_scaler_inf_scale",
            file: edited(&maxabs, |f| poison(f, "scale", &[2], f64::INFINITY)),
            load: loader::<FittedMaxAbsScaler>,
            expect: "tensor `scale` at index [2]",
        },
        Case {
            name: "normalizer_zero_features",
            file: edited(&normalizer, |f| f.metadata.n_features = Some(0)),
            load: loader::<FittedNormalizer>,
            expect: "n_features must be >= 1",
        },
        Case {
            name: "normalizer_unknown_norm",
            file: edited(&normalizer, |f| hyper(f, &["norm"], json!("l3"))),
            load: loader::<FittedNormalizer>,
            expect: "hyperparameters",
        },
        Case {
            name: "simple_imputer_fill_of_another_type",
            file: edited(&imputer, |f| {
                hyper(f, &["fills", "1"], json!({"text": "a"}))
            }),
            load: loader::<FittedSimpleImputer>,
            expect: "hyperparameter `fills` at index [1]",
        },
        Case {
            name: "simple_imputer_indicator_out_of_range",
            file: edited(&imputer, |f| hyper(f, &["indicator"], json!([7]))),
            load: loader::<FittedSimpleImputer>,
            expect: "indicator features",
        },
        Case {
            name: "simple_imputer_fills_count",
            file: edited(&imputer, |f| hyper(f, &["fills"], json!([{"number": 1.0}]))),
            load: loader::<FittedSimpleImputer>,
            expect: "one entry per feature",
        },
        Case {
            name: "missing_indicator_feature_out_of_range",
            file: edited(&indicator, |f| hyper(f, &["1"], json!([9]))),
            load: loader::<FittedMissingIndicator>,
            expect: "in range",
        },
        Case {
            name: "one_hot_encoder_zero_max_categories",
            file: edited(&onehot, |f| {
                hyper(f, &["params", "max_categories"], json!(0))
            }),
            load: loader::<FittedOneHotEncoder>,
            expect: "hyperparameter `max_categories`",
        },
        Case {
            name: "one_hot_encoder_dropped_column_out_of_range",
            file: edited(&onehot, |f| hyper(f, &["features", "2", "drop"], json!(99))),
            load: loader::<FittedOneHotEncoder>,
            expect: "hyperparameter `features` at index [2]",
        },
        Case {
            name: "one_hot_encoder_unsorted_categories",
            file: edited(&onehot, |f| {
                hyper(
                    f,
                    &["features", "0", "cats", "values"],
                    json!({"number": [3.0, 1.0]}),
                )
            }),
            load: loader::<FittedOneHotEncoder>,
            expect: "hyperparameter `features` at index [0]",
        },
        Case {
            name: "one_hot_encoder_unknown_column_type",
            file: edited(&onehot, |f| hyper(f, &["types", "1"], json!("complex"))),
            load: loader::<FittedOneHotEncoder>,
            expect: "hyperparameter `types` at index [1]",
        },
        Case {
            // The unknown code 0 is also the code of the first category:
            // unknown cells would silently become that category.
            name: "ordinal_encoder_unknown_value_is_a_known_code",
            file: edited(&ordinal, |f| {
                hyper(
                    f,
                    &["params", "handle_unknown"],
                    json!({"use_encoded_value": 0.0}),
                )
            }),
            load: loader::<FittedOrdinalEncoder>,
            expect: "hyperparameter `handle_unknown`",
        },
        Case {
            name: "ordinal_encoder_duplicate_categories",
            file: edited(&ordinal, |f| {
                hyper(
                    f,
                    &["features", "2", "values"],
                    json!({"number": [1.0, 1.0]}),
                )
            }),
            load: loader::<FittedOrdinalEncoder>,
            expect: "hyperparameter `features` at index [2]",
        },
        Case {
            name: "outlier_clipper_negative_multiplier",
            file: edited(&clipper, |f| hyper(f, &["rule"], json!({"iqr": -1.0}))),
            load: loader::<FittedOutlierClipper>,
            expect: "hyperparameter `rule`",
        },
        Case {
            name: "outlier_clipper_inverted_bounds",
            file: edited(&clipper, |f| poison(f, "lower", &[1], 1e9)),
            load: loader::<FittedOutlierClipper>,
            expect: "tensors `lower`/`upper` at index [1]",
        },
        Case {
            name: "outlier_clipper_nan_upper",
            file: edited(&clipper, |f| poison(f, "upper", &[0], f64::NAN)),
            load: loader::<FittedOutlierClipper>,
            expect: "tensor `upper` at index [0]",
        },
        Case {
            name: "target_encoder_one_fold",
            file: edited(&target, |f| hyper(f, &["params", "cv"], json!(1))),
            load: loader::<FittedTargetEncoder>,
            expect: "hyperparameter `cv`",
        },
        Case {
            // Two class names for a three-class (multiclass) encoder.
            name: "target_encoder_classes_disagree_with_type",
            file: edited(&target, |f| hyper(f, &["classes"], json!(["-1", "3"]))),
            load: loader::<FittedTargetEncoder>,
            expect: "hyperparameter `classes`",
        },
        Case {
            name: "target_encoder_auto_target_type",
            file: edited(&target_reg, |f| hyper(f, &["target_type"], json!("auto"))),
            load: loader::<FittedTargetEncoder>,
            expect: "hyperparameter `classes`",
        },
        Case {
            name: "target_encoder_class_frequency_above_one",
            file: edited(&target, |f| poison(f, "encodings", &[4], 1.5)),
            load: loader::<FittedTargetEncoder>,
            expect: "tensor `encodings` at index [4]",
        },
        Case {
            name: "target_encoder_nan_encoding",
            file: edited(&target_reg, |f| poison(f, "encodings", &[0], f64::NAN)),
            load: loader::<FittedTargetEncoder>,
            expect: "tensor `encodings` at index [0]",
        },
        Case {
            name: "target_encoder_encodings_too_short",
            file: edited(&target_reg, |f| {
                f.push_f64("encodings", array![0.5, 1.0].into_dyn())
            }),
            load: loader::<FittedTargetEncoder>,
            expect: "tensor `encodings`",
        },
        Case {
            name: "target_encoder_unsorted_categories",
            file: edited(&target_reg, |f| {
                hyper(
                    f,
                    &["features", "0", "values"],
                    json!({"number": [3.0, 1.0]}),
                )
            }),
            load: loader::<FittedTargetEncoder>,
            expect: "hyperparameter `features` at index [0]",
        },
        Case {
            name: "isolation_forest_zero_estimators",
            file: edited(&forest, |f| hyper(f, &["params", "n_estimators"], json!(0))),
            load: loader::<FittedIsolationForest>,
            expect: "hyperparameter `n_estimators`",
        },
        Case {
            name: "isolation_forest_nan_split",
            file: edited(&forest, |f| poison(f, "value", &[0], f64::NAN)),
            load: loader::<FittedIsolationForest>,
            expect: "tensor `value` at index [0]",
        },
        Case {
            // A child pointing back at its parent: a walk that never ends.
            name: "isolation_forest_cyclic_tree",
            file: edited(&forest, |f| poison_i64(f, "left", 0, 0)),
            load: loader::<FittedIsolationForest>,
            expect: "tree 0, node 0",
        },
        Case {
            // Outlier detectors' labels are −1/+1, whatever the file says.
            name: "isolation_forest_other_classes",
            file: edited(&forest, |f| f.metadata.classes = Some(json!([-1, 0, 1]))),
            load: loader::<FittedIsolationForest>,
            expect: "metadata `classes`",
        },
    ];
    cases.extend(lof_cases(&lof));
    cases
}

/// Crafted files of a novelty LocalOutlierFactor (6 rows, 3 neighbours).
fn lof_cases(lof: &FittedLocalOutlierFactor) -> Vec<Case> {
    let load = loader::<FittedLocalOutlierFactor>;
    vec![
        Case {
            name: "lof_zero_neighbors",
            file: edited(lof, |f| hyper(f, &["params", "n_neighbors"], json!(0))),
            load,
            expect: "hyperparameter `n_neighbors`",
        },
        Case {
            name: "lof_contamination_above_half",
            file: edited(lof, |f| {
                hyper(f, &["params", "contamination"], json!({"fraction": 0.7}))
            }),
            load,
            expect: "hyperparameter `contamination`",
        },
        Case {
            // 5 neighbours used for n_neighbors = 3.
            name: "lof_neighbors_used_disagree",
            file: edited(lof, |f| hyper(f, &["n_neighbors"], json!(5))),
            load,
            expect: "hyperparameter `n_neighbors`",
        },
        Case {
            // JSON has no NaN: serde_json writes it as null.
            name: "lof_nan_offset",
            file: edited(lof, |f| hyper(f, &["offset"], json!(null))),
            load,
            expect: "hyperparameters: invalid type: null",
        },
        Case {
            name: "lof_nan_training_row",
            file: edited(lof, |f| poison(f, "x_fit", &[4, 1], f64::NAN)),
            load,
            expect: "tensor `x_fit` at index [4, 1]",
        },
        Case {
            name: "lof_one_training_row",
            file: edited(lof, |f| {
                f.push_f64("x_fit", array![[1.0, 2.0, 3.0]].into_dyn())
            }),
            load,
            expect: "x_fit needs at least two rows",
        },
        Case {
            name: "lof_negative_k_distance",
            file: edited(lof, |f| poison(f, "k_distance", &[2], -0.5)),
            load,
            expect: "tensor `k_distance` at index [2]",
        },
        Case {
            name: "lof_zero_density",
            file: edited(lof, |f| poison(f, "lrd", &[3], 0.0)),
            load,
            expect: "tensor `lrd` at index [3]",
        },
        Case {
            // Above 1 / 1e-10, which no mean reachability reaches.
            name: "lof_density_above_guard",
            file: edited(lof, |f| poison(f, "lrd", &[0], 1e11)),
            load,
            expect: "tensor `lrd` at index [0]",
        },
        Case {
            name: "lof_positive_factor",
            file: edited(lof, |f| poison(f, "negative_outlier_factor", &[5], 0.5)),
            load,
            expect: "tensor `negative_outlier_factor` at index [5]",
        },
        Case {
            name: "lof_densities_too_short",
            file: edited(lof, |f| f.push_f64("lrd", array![1.0, 2.0].into_dyn())),
            load,
            expect: "tensor `lrd`",
        },
        Case {
            name: "lof_other_classes",
            file: edited(lof, |f| f.metadata.classes = Some(json!([0, 1]))),
            load,
            expect: "metadata `classes`",
        },
    ]
}

/// Crafted files of the composites: a pipeline and a column transformer,
/// whose parts' errors name the part.
fn corpus_composites() -> Vec<Case> {
    let x = x();
    let pipe: FittedPipeline<i64> = Pipeline::new()
        .transform("std", StandardScaler::new())
        .estimator("svc", Svc::new().kernel(rbf(0.3)))
        .fit(&x, y_cls().view())
        .unwrap();
    let column: FittedColumnTransformer = ColumnTransformer::<f64>::new()
        .transform("std", StandardScaler::new(), Columns::indices([0, 1]))
        .transform("abs", MaxAbsScaler::new(), Columns::indices([2]))
        .fit(&x, None)
        .unwrap();
    let pl = loader::<FittedPipeline<i64>>;
    let ct = loader::<FittedColumnTransformer>;
    vec![
        Case {
            name: "pipeline_duplicate_step_name",
            file: edited(&pipe, |f| hyper(f, &["steps", "1", "name"], json!("std"))),
            load: pl,
            expect: "hyperparameter `steps`",
        },
        Case {
            name: "pipeline_estimator_not_last",
            file: edited(&pipe, |f| {
                hyper(f, &["steps", "0", "role"], json!("estimator"))
            }),
            load: pl,
            expect: "hyperparameter `steps`",
        },
        Case {
            name: "pipeline_step_name_with_separator",
            file: edited(&pipe, |f| hyper(f, &["steps", "0", "name"], json!("a__b"))),
            load: pl,
            expect: "hyperparameter `steps`",
        },
        Case {
            name: "pipeline_nan_step_tensor",
            file: edited(&pipe, |f| poison(f, "steps.0.mean", &[1], f64::NAN)),
            load: pl,
            expect: "tensor `steps.0.mean` at index [1]",
        },
        Case {
            name: "pipeline_step_hyperparameter_fit_refuses",
            file: edited(&pipe, |f| {
                hyper(
                    f,
                    &["steps", "1", "hyperparameters", "hyper", "c"],
                    json!(-1.0),
                )
            }),
            load: pl,
            expect: "step 1 `svc` at hyperparameter `C`",
        },
        Case {
            name: "pipeline_step_zero_scale",
            file: edited(&pipe, |f| poison(f, "steps.0.scale", &[2], 0.0)),
            load: pl,
            expect: "step 0 `std` at tensor `scale` at index [2]",
        },
        Case {
            name: "pipeline_tensor_of_no_step",
            file: edited(&pipe, |f| {
                f.push_f64("steps.7.mean", array![1.0].into_dyn())
            }),
            load: pl,
            expect: "belongs to no step",
        },
        Case {
            name: "column_transformer_part_named_remainder",
            file: edited(&column, |f| {
                hyper(f, &["transformers", "1", "name"], json!("remainder"))
            }),
            load: ct,
            expect: "hyperparameter `transformers`",
        },
        Case {
            name: "column_transformer_column_out_of_range",
            file: edited(&column, |f| {
                hyper(f, &["transformers", "0", "columns"], json!([0, 9]))
            }),
            load: ct,
            expect: "out of range",
        },
        Case {
            name: "column_transformer_part_inf_scale",
            file: edited(&column, |f| {
                poison(f, "transformers.1.scale", &[0], f64::INFINITY)
            }),
            load: ct,
            expect: "tensor `transformers.1.scale` at index [0]",
        },
        Case {
            name: "column_transformer_part_negative_max_abs",
            file: edited(&column, |f| poison(f, "transformers.1.max_abs", &[0], -2.0)),
            load: ct,
            expect: "part 1 `abs` at tensor `max_abs` at index [0]",
        },
    ]
}

/// Crafted files of the linear, SVM, scaler and network models.
fn corpus_models() -> Vec<Case> {
    let x = x();
    let x32 = x.mapv(|v| v as f32);
    let ols = LinearRegression::new()
        .fit(x.view(), y_reg().view())
        .unwrap();
    let ridge = Ridge::new()
        .fit(x32.view(), y_reg().mapv(|v| v as f32).view())
        .unwrap();
    let logistic: FittedLogisticRegression<f64, i64> = LogisticRegression::new()
        .fit(x.view(), y_cls().view())
        .unwrap();
    let svc: FittedSvc<f64, i64> = Svc::new()
        .kernel(rbf(0.3))
        .fit(x.view(), y_cls().view())
        .unwrap();
    let svr: FittedSvr<f32> = Svr::new()
        .kernel(rbf(0.3))
        .fit(x32.view(), y_reg().mapv(|v| v as f32).view())
        .unwrap();
    let nusvc: FittedNuSvc<f64, i64> = NuSvc::new()
        .nu(0.5)
        .kernel(rbf(0.3))
        .fit(x.view(), y_cls().view())
        .unwrap();
    let nusvr: FittedNuSvr<f64> = NuSvr::new()
        .kernel(rbf(0.3))
        .fit(x.view(), y_reg().view())
        .unwrap();
    let oneclass: FittedOneClassSvm<f32> = OneClassSvm::new()
        .nu(0.5)
        .kernel(rbf(0.3))
        .fit(x32.view())
        .unwrap();
    let linsvc: FittedLinearSvc<f64, i64> = LinearSvc::new().fit(x.view(), y_cls().view()).unwrap();
    let linsvr: FittedLinearSvr<f32> = LinearSvr::new()
        .fit(x32.view(), y_reg().mapv(|v| v as f32).view())
        .unwrap();
    let standard = StandardScaler::new().fit(x.view()).unwrap();
    let minmax = MinMaxScaler::new().fit(x32.view()).unwrap();
    let net = LeNet5::digits().seed(1).build().unwrap();
    let dropout_net = Sequential::new()
        .seed(2)
        .add("flatten", oxilearn::nn::Flatten::new())
        .add("fc", oxilearn::nn::Linear::lazy(3).unwrap())
        .add("drop", oxilearn::nn::Dropout::unseeded(0.5).unwrap())
        .with_input_shape(&[1, 2, 2])
        .unwrap();
    let power = PowerTransformer::new().fit(x.view()).unwrap();
    let quantile = QuantileTransformer::new()
        .n_quantiles(4)
        .fit(x.view())
        .unwrap();
    let knn = KnnImputer::new().n_neighbors(2).fit(x.view()).unwrap();

    let lr = loader::<FittedLinearRegression<f64>>;
    let rg = loader::<FittedRidge<f32>>;
    let lg = loader::<FittedLogisticRegression<f64, i64>>;
    let sc = loader::<FittedSvc<f64, i64>>;
    let sr = loader::<FittedSvr<f32>>;
    let nc = loader::<FittedNuSvc<f64, i64>>;
    let nr = loader::<FittedNuSvr<f64>>;
    let oc = loader::<FittedOneClassSvm<f32>>;
    let ls = loader::<FittedLinearSvc<f64, i64>>;
    let lv = loader::<FittedLinearSvr<f32>>;
    let ss = loader::<FittedStandardScaler<f64>>;
    let mm = loader::<FittedMinMaxScaler<f32>>;
    let sq = loader::<Sequential>;
    let pw = loader::<FittedPowerTransformer>;
    let qt = loader::<FittedQuantileTransformer>;
    let kn = loader::<FittedKnnImputer>;

    vec![
        // LinearRegression
        Case {
            name: "linear_regression_nan_coef",
            file: edited(&ols, |f| poison(f, "coef", &[0, 1], f64::NAN)),
            load: lr,
            expect: "tensor `coef` at index [0, 1]",
        },
        Case {
            name: "linear_regression_inf_intercept",
            file: edited(&ols, |f| poison(f, "intercept", &[0], f64::INFINITY)),
            load: lr,
            expect: "tensor `intercept` at index [0]",
        },
        Case {
            name: "linear_regression_rank_beyond_features",
            file: edited(&ols, |f| hyper(f, &["rank"], json!(99))),
            load: lr,
            expect: "rank 99",
        },
        Case {
            name: "linear_regression_huge_n_features",
            file: edited(&ols, |f| f.metadata.n_features = Some(1 << 40)),
            load: lr,
            expect: "tensor `coef`",
        },
        // Ridge
        Case {
            name: "ridge_negative_alpha",
            file: edited(&ridge, |f| hyper(f, &["alpha"], json!({ "Scalar": -1.0 }))),
            load: rg,
            expect: "hyperparameter `alpha`",
        },
        Case {
            name: "ridge_alpha_count",
            file: edited(&ridge, |f| {
                hyper(f, &["alpha"], json!({ "PerTarget": [1.0, 2.0] }))
            }),
            load: rg,
            expect: "2 penalties (alpha) for 1 targets",
        },
        Case {
            name: "ridge_nan_coef",
            file: edited(&ridge, |f| poison(f, "coef", &[0, 2], f64::NAN)),
            load: rg,
            expect: "tensor `coef` at index [0, 2]",
        },
        // LogisticRegression
        Case {
            name: "logistic_negative_c",
            file: edited(&logistic, |f| hyper(f, &["c"], json!(-1.0))),
            load: lg,
            expect: "hyperparameter `C`",
        },
        Case {
            name: "logistic_zero_tol",
            file: edited(&logistic, |f| hyper(f, &["tol"], json!(0.0))),
            load: lg,
            expect: "hyperparameter `tol`",
        },
        Case {
            name: "logistic_unknown_class_weight",
            file: edited(&logistic, |f| hyper(f, &["class_weight"], json!("heavy"))),
            load: lg,
            expect: "hyperparameter `class_weight`",
        },
        Case {
            name: "logistic_nan_coef",
            file: edited(&logistic, |f| poison(f, "coef", &[2, 0], f64::NAN)),
            load: lg,
            expect: "tensor `coef` at index [2, 0]",
        },
        Case {
            name: "logistic_nan_objective",
            file: edited(&logistic, |f| poison(f, "objective", &[0], f64::NAN)),
            load: lg,
            expect: "tensor `objective` at index [0]",
        },
        Case {
            name: "logistic_unsorted_classes",
            file: edited(&logistic, |f| f.metadata.classes = Some(json!([7, 3, -1]))),
            load: lg,
            expect: "sorted",
        },
        Case {
            name: "logistic_many_classes",
            file: edited(&logistic, |f| {
                f.metadata.classes = Some(json!((0..100_000).collect::<Vec<i64>>()))
            }),
            load: lg,
            expect: "tensor `coef`",
        },
        // Svc (the cases)
        Case {
            name: "svc_nan_dual_coef",
            file: edited(&svc, |f| poison(f, "dual_coef", &[1, 0], f64::NAN)),
            load: sc,
            expect: "tensor `dual_coef` at index [1, 0]",
        },
        Case {
            name: "svc_inf_support_vectors",
            file: edited(&svc, |f| {
                poison(f, "support_vectors", &[0, 2], f64::INFINITY)
            }),
            load: sc,
            expect: "tensor `support_vectors` at index [0, 2]",
        },
        Case {
            name: "svc_negative_gamma",
            file: edited(&svc, |f| hyper(f, &["kernel", "Rbf", "gamma"], json!(-1.0))),
            load: sc,
            expect: "hyperparameter `gamma`",
        },
        Case {
            name: "svc_zero_c",
            file: edited(&svc, |f| hyper(f, &["hyper", "c"], json!(0.0))),
            load: sc,
            expect: "hyperparameter `C`",
        },
        Case {
            name: "svc_nan_intercept",
            file: edited(&svc, |f| poison(f, "intercept", &[2], f64::NAN)),
            load: sc,
            expect: "tensor `intercept` at index [2]",
        },
        Case {
            name: "svc_many_classes",
            file: edited(&svc, |f| {
                f.metadata.classes = Some(json!((0..100_000).collect::<Vec<i64>>()))
            }),
            load: sc,
            expect: "inconsistent",
        },
        // Svr
        Case {
            name: "svr_nan_dual_coef",
            file: edited(&svr, |f| poison(f, "dual_coef", &[1], f64::NAN)),
            load: sr,
            expect: "tensor `dual_coef` at index [1]",
        },
        Case {
            name: "svr_negative_epsilon",
            file: edited(&svr, |f| hyper(f, &["hyper", "epsilon"], json!(-0.5))),
            load: sr,
            expect: "hyperparameter `epsilon`",
        },
        Case {
            name: "svr_zero_gamma",
            file: edited(&svr, |f| hyper(f, &["kernel", "Rbf", "gamma"], json!(0.0))),
            load: sr,
            expect: "hyperparameter `gamma`",
        },
        // NuSvc, NuSvr, OneClassSvm
        Case {
            name: "nusvc_nu_above_one",
            file: edited(&nusvc, |f| hyper(f, &["hyper", "nu"], json!(1.5))),
            load: nc,
            expect: "hyperparameter `nu`",
        },
        Case {
            name: "nusvc_nan_dual_coef",
            file: edited(&nusvc, |f| poison(f, "dual_coef", &[0, 1], f64::NAN)),
            load: nc,
            expect: "tensor `dual_coef` at index [0, 1]",
        },
        Case {
            name: "nusvr_zero_nu",
            file: edited(&nusvr, |f| hyper(f, &["hyper", "nu"], json!(0.0))),
            load: nr,
            expect: "hyperparameter `nu`",
        },
        Case {
            name: "nusvr_inf_intercept",
            file: edited(&nusvr, |f| poison(f, "intercept", &[0], f64::INFINITY)),
            load: nr,
            expect: "tensor `intercept` at index [0]",
        },
        Case {
            name: "oneclass_negative_nu",
            file: edited(&oneclass, |f| hyper(f, &["hyper", "nu"], json!(-0.1))),
            load: oc,
            expect: "hyperparameter `nu`",
        },
        Case {
            name: "oneclass_nan_offset",
            file: edited(&oneclass, |f| poison(f, "offset", &[0], f64::NAN)),
            load: oc,
            expect: "tensor `offset` at index [0]",
        },
        Case {
            name: "oneclass_unsorted_support",
            file: edited(&oneclass, |f| {
                let n = f.tensor("support").unwrap().shape()[0];
                f.push_i64(
                    "support",
                    oxilearn::ndarray::Array1::from_iter((0..n as i64).rev()).into_dyn(),
                );
            }),
            load: oc,
            expect: "ascending",
        },
        // The newer kernel SVMs conform like Svc and Svr: non-finite
        // parameters, kernels fit refuses, ν outside (0, 1], classes and
        // sizes that disagree with the tensors.
        Case {
            name: "nusvc_inf_support_vectors",
            file: edited(&nusvc, |f| {
                poison(f, "support_vectors", &[1, 2], f64::INFINITY)
            }),
            load: nc,
            expect: "tensor `support_vectors` at index [1, 2]",
        },
        Case {
            name: "nusvc_zero_gamma",
            file: edited(&nusvc, |f| {
                hyper(f, &["kernel", "Rbf", "gamma"], json!(0.0))
            }),
            load: nc,
            expect: "hyperparameter `gamma`",
        },
        Case {
            name: "nusvc_negative_user_gamma",
            file: edited(&nusvc, |f| {
                hyper(
                    f,
                    &["hyper", "kernel", "Rbf", "gamma"],
                    json!({ "Value": -1.0 }),
                )
            }),
            load: nc,
            expect: "hyperparameter `gamma`",
        },
        Case {
            name: "nusvc_nan_nu",
            file: edited(&nusvc, |f| hyper(f, &["hyper", "nu"], json!("NaN"))),
            load: nc,
            expect: "hyperparameters",
        },
        Case {
            name: "nusvc_file_without_nu",
            file: edited(&nusvc, |f| hyper(f, &["hyper", "nu"], json!(null))),
            load: nc,
            expect: "must record `nu`",
        },
        Case {
            name: "nusvc_many_classes",
            file: edited(&nusvc, |f| {
                f.metadata.classes = Some(json!((0..100_000).collect::<Vec<i64>>()))
            }),
            load: nc,
            expect: "inconsistent",
        },
        Case {
            name: "nusvc_one_class",
            file: edited(&nusvc, |f| f.metadata.classes = Some(json!([3]))),
            load: nc,
            expect: "at least two",
        },
        Case {
            name: "nusvc_n_support_beyond_support",
            file: edited(&nusvc, |f| poison_i64(f, "n_support", 0, 1_000_000)),
            load: nc,
            expect: "inconsistent",
        },
        Case {
            name: "nusvc_negative_n_support",
            file: edited(&nusvc, |f| poison_i64(f, "n_support", 1, -3)),
            load: nc,
            expect: "tensor `n_support` at index [1]",
        },
        Case {
            name: "nusvc_dual_coef_rows",
            file: edited(&nusvc, |f| {
                let n_sv = f.tensor("support").unwrap().shape()[0];
                f.push_f64("dual_coef", oxilearn::ndarray::ArrayD::zeros(vec![1, n_sv]));
            }),
            load: nc,
            expect: "tensor `dual_coef` of the NuSvc model file has shape",
        },
        Case {
            name: "nusvc_huge_n_features",
            file: edited(&nusvc, |f| f.metadata.n_features = Some(1 << 40)),
            load: nc,
            expect: "tensor `support_vectors`",
        },
        Case {
            name: "nusvc_nan_probability_slope",
            file: edited(&nusvc, |f| {
                f.push_f64(
                    "prob_a",
                    oxilearn::ndarray::ArrayD::from_elem(vec![3], f64::NAN),
                );
                f.push_f64("prob_b", oxilearn::ndarray::ArrayD::zeros(vec![3]));
            }),
            load: nc,
            expect: "tensor `prob_a` at index [0]",
        },
        Case {
            name: "nusvr_inf_support_vectors",
            file: edited(&nusvr, |f| {
                poison(f, "support_vectors", &[0, 0], f64::NEG_INFINITY)
            }),
            load: nr,
            expect: "tensor `support_vectors` at index [0, 0]",
        },
        Case {
            name: "nusvr_negative_gamma",
            file: edited(&nusvr, |f| {
                hyper(f, &["kernel", "Rbf", "gamma"], json!(-2.0))
            }),
            load: nr,
            expect: "hyperparameter `gamma`",
        },
        Case {
            name: "nusvr_nu_above_one",
            file: edited(&nusvr, |f| hyper(f, &["hyper", "nu"], json!(1.0000001))),
            load: nr,
            expect: "hyperparameter `nu`",
        },
        Case {
            name: "nusvr_nan_dual_coef",
            file: edited(&nusvr, |f| poison(f, "dual_coef", &[2], f64::NAN)),
            load: nr,
            expect: "tensor `dual_coef` at index [2]",
        },
        Case {
            name: "nusvr_dual_coef_length",
            file: edited(&nusvr, |f| {
                f.push_f64("dual_coef", oxilearn::ndarray::ArrayD::zeros(vec![1]));
            }),
            load: nr,
            expect: "tensor `dual_coef` of the NuSvr model file has shape [1]",
        },
        Case {
            name: "nusvr_negative_support",
            file: edited(&nusvr, |f| poison_i64(f, "support", 0, -1)),
            load: nr,
            expect: "tensor `support` at index [0]",
        },
        Case {
            name: "nusvr_file_without_nu",
            file: edited(&nusvr, |f| hyper(f, &["hyper", "nu"], json!(null))),
            load: nr,
            expect: "must record `nu`",
        },
        Case {
            name: "oneclass_inf_support_vectors",
            file: edited(&oneclass, |f| {
                poison(f, "support_vectors", &[0, 1], f64::INFINITY)
            }),
            load: oc,
            expect: "tensor `support_vectors` at index [0, 1]",
        },
        Case {
            name: "oneclass_negative_gamma",
            file: edited(&oneclass, |f| {
                hyper(f, &["kernel", "Rbf", "gamma"], json!(-1.0))
            }),
            load: oc,
            expect: "hyperparameter `gamma`",
        },
        Case {
            name: "oneclass_nu_above_one",
            file: edited(&oneclass, |f| hyper(f, &["hyper", "nu"], json!(2.0))),
            load: oc,
            expect: "hyperparameter `nu`",
        },
        Case {
            name: "oneclass_nan_dual_coef",
            file: edited(&oneclass, |f| poison(f, "dual_coef", &[0], f64::NAN)),
            load: oc,
            expect: "tensor `dual_coef` at index [0]",
        },
        Case {
            name: "oneclass_other_classes",
            file: edited(&oneclass, |f| f.metadata.classes = Some(json!([-1, 0, 1]))),
            load: oc,
            expect: "metadata `classes`",
        },
        Case {
            name: "oneclass_support_vector_rows",
            file: edited(&oneclass, |f| {
                let n_sv = f.tensor("support").unwrap().shape()[0];
                f.push_f32(
                    "support_vectors",
                    oxilearn::ndarray::ArrayD::zeros(vec![n_sv + 1, 3]),
                );
            }),
            load: oc,
            expect: "tensor `support_vectors` of the OneClassSvm model file has shape",
        },
        Case {
            name: "oneclass_huge_n_features",
            file: edited(&oneclass, |f| f.metadata.n_features = Some(1 << 40)),
            load: oc,
            expect: "tensor `support_vectors`",
        },
        // LinearSvc, LinearSvr
        Case {
            name: "linear_svc_zero_c",
            file: edited(&linsvc, |f| hyper(f, &["hyper", "c"], json!(0.0))),
            load: ls,
            expect: "hyperparameter `C`",
        },
        Case {
            name: "linear_svc_l1_hinge",
            file: edited(&linsvc, |f| {
                hyper(f, &["hyper", "penalty"], json!("l1"));
                hyper(f, &["hyper", "loss"], json!("hinge"));
            }),
            load: ls,
            expect: "hyperparameter `penalty`",
        },
        Case {
            name: "linear_svc_primal_hinge",
            file: edited(&linsvc, |f| {
                hyper(f, &["hyper", "solver"], json!("primal"));
                hyper(f, &["hyper", "loss"], json!("hinge"));
            }),
            load: ls,
            expect: "hyperparameter `solver`",
        },
        Case {
            name: "linear_svc_unknown_solver",
            file: edited(&linsvc, |f| hyper(f, &["hyper", "solver"], json!("newton"))),
            load: ls,
            expect: "hyperparameters",
        },
        Case {
            name: "linear_svc_nan_coef",
            file: edited(&linsvc, |f| poison(f, "coef", &[2, 1], f64::NAN)),
            load: ls,
            expect: "tensor `coef` at index [2, 1]",
        },
        Case {
            name: "linear_svc_coef_rows",
            file: edited(&linsvc, |f| {
                f.push_f64(
                    "coef",
                    oxilearn::ndarray::Array2::<f64>::zeros((1, 3)).into_dyn(),
                );
            }),
            load: ls,
            expect: "tensor `coef`",
        },
        Case {
            name: "linear_svc_n_iter_beyond_max_iter",
            file: edited(&linsvc, |f| poison_i64(f, "n_iter", 1, 5000)),
            load: ls,
            expect: "n_iter beyond max_iter",
        },
        Case {
            name: "linear_svc_intercept_without_fit_intercept",
            file: edited(&linsvc, |f| {
                hyper(f, &["hyper", "fit_intercept"], json!(false))
            }),
            load: ls,
            expect: "non-zero intercept",
        },
        Case {
            name: "linear_svr_negative_epsilon",
            file: edited(&linsvr, |f| hyper(f, &["hyper", "epsilon"], json!(-0.5))),
            load: lv,
            expect: "hyperparameter `epsilon`",
        },
        Case {
            name: "linear_svr_inf_intercept",
            file: edited(&linsvr, |f| poison(f, "intercept", &[0], f64::INFINITY)),
            load: lv,
            expect: "tensor `intercept` at index [0]",
        },
        Case {
            name: "linear_svr_coef_length",
            file: edited(&linsvr, |f| f.metadata.n_features = Some(7)),
            load: lv,
            expect: "tensor `coef`",
        },
        // Scalers
        Case {
            name: "standard_scaler_zero_scale",
            file: edited(&standard, |f| poison(f, "scale", &[1], 0.0)),
            load: ss,
            expect: "finite positive",
        },
        Case {
            name: "standard_scaler_nan_mean",
            file: edited(&standard, |f| poison(f, "mean", &[0], f64::NAN)),
            load: ss,
            expect: "tensor `mean` at index [0]",
        },
        Case {
            name: "min_max_scaler_inverted_range",
            file: edited(&minmax, |f| hyper(f, &["feature_range"], json!([1.0, 0.0]))),
            load: mm,
            expect: "feature_range",
        },
        // Sequential
        Case {
            // The 3 KB file that aborted the process: fc1 of
            // 10⁹ × 10⁹ (4·10¹⁸ bytes) described by the metadata alone.
            name: "sequential_huge_linear",
            file: edited(&net, |f| {
                hyper(
                    f,
                    &["layers", "7", "1", "in_features"],
                    json!(1_000_000_000),
                );
                hyper(
                    f,
                    &["layers", "7", "1", "out_features"],
                    json!(1_000_000_000),
                );
            }),
            load: sq,
            expect: "fc1.weight",
        },
        Case {
            name: "sequential_nan_weight",
            file: edited(&net, |f| poison(f, "fc1.weight", &[3, 5], f64::NAN)),
            load: sq,
            expect: "tensor `fc1.weight` at index [3, 5]",
        },
        Case {
            // The dropout streams kept in the metadata are checked too.
            name: "sequential_bad_dropout_state",
            file: edited(&dropout_net, |f| {
                hyper(
                    f,
                    &["layer_states", "drop", "word_pos"],
                    json!("not a number"),
                )
            }),
            load: sq,
            expect: "hyperparameter `layer_states`",
        },
        Case {
            name: "sequential_state_of_no_layer",
            file: edited(&dropout_net, |f| {
                hyper(f, &["layer_states", "nope"], json!({}))
            }),
            load: sq,
            expect: "unknown layer `nope`",
        },
        // PowerTransformer
        Case {
            name: "power_transformer_nan_lambda",
            file: edited(&power, |f| poison(f, "lambdas", &[1], f64::NAN)),
            load: pw,
            expect: "tensor `lambdas` at index [1]",
        },
        Case {
            name: "power_transformer_unknown_method",
            file: edited(&power, |f| hyper(f, &["method"], json!("cube-root"))),
            load: pw,
            expect: "cube-root",
        },
        Case {
            name: "power_transformer_feature_count",
            file: edited(&power, |f| f.metadata.n_features = Some(1 << 40)),
            load: pw,
            expect: "tensor `lambdas`",
        },
        Case {
            name: "power_transformer_zero_scale",
            file: edited(&power, |f| poison(f, "scale", &[2], 0.0)),
            load: pw,
            expect: "finite positive",
        },
        // QuantileTransformer
        Case {
            name: "quantile_transformer_unsorted_quantiles",
            file: edited(&quantile, |f| poison(f, "quantiles", &[2, 1], -100.0)),
            load: qt,
            expect: "tensor `quantiles` at index [2, 1]",
        },
        Case {
            name: "quantile_transformer_zero_n_quantiles",
            file: edited(&quantile, |f| hyper(f, &["n_quantiles"], json!(0))),
            load: qt,
            expect: "hyperparameter `n_quantiles`",
        },
        Case {
            name: "quantile_transformer_more_quantiles_than_asked",
            file: edited(&quantile, |f| hyper(f, &["n_quantiles"], json!(2))),
            load: qt,
            expect: "4 quantiles for n_quantiles = 2",
        },
        Case {
            name: "quantile_transformer_inf_quantile",
            file: edited(&quantile, |f| {
                poison(f, "quantiles", &[3, 0], f64::INFINITY)
            }),
            load: qt,
            expect: "tensor `quantiles` at index [3, 0]",
        },
        // KnnImputer
        Case {
            name: "knn_imputer_zero_neighbors",
            file: edited(&knn, |f| hyper(f, &["n_neighbors"], json!(0))),
            load: kn,
            expect: "hyperparameter `n_neighbors`",
        },
        Case {
            name: "knn_imputer_nan_fit_value",
            file: edited(&knn, |f| poison(f, "fit_x", &[1, 2], f64::NAN)),
            load: kn,
            expect: "tensor `fit_x` at index [1, 2]",
        },
        Case {
            name: "knn_imputer_mask_shape",
            file: edited(&knn, |f| {
                f.push_i64("fit_missing", Array2::<i64>::zeros((2, 3)).into_dyn())
            }),
            load: kn,
            expect: "tensor `fit_missing`",
        },
        Case {
            name: "knn_imputer_mask_value",
            file: edited(&knn, |f| {
                let mut m = Array2::<i64>::zeros((6, 3));
                m[[4, 1]] = 7;
                f.push_i64("fit_missing", m.into_dyn())
            }),
            load: kn,
            expect: "tensor `fit_missing` at index [4, 1]",
        },
    ]
}
