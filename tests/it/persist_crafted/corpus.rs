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
use oxilearn::linear::{FittedLinearRegression, FittedRidge, LinearRegression, Ridge};
use oxilearn::logistic::{FittedLogisticRegression, LogisticRegression};
use oxilearn::ndarray::{Array1, Array2, array};
use oxilearn::nn::{LeNet5, Sequential};
use oxilearn::persist::{ModelFile, Persist};
use oxilearn::preprocessing::{
    FittedMinMaxScaler, FittedStandardScaler, MinMaxScaler, StandardScaler,
};
use oxilearn::svm::{FittedSvc, FittedSvr, Gamma, Kernel, Svc, Svr};
use serde_json::json;

/// Loads bytes as one model type, dropping the model.
pub type Loader = fn(&[u8]) -> oxilearn::Result<()>;

/// One crafted file.
pub struct Case {
    /// Short name (`<model>_<what>`).
    pub name: &'static str,
    /// The edited file, as the current version writes it.
    pub file: ModelFile,
    /// The loader of the model type the file claims to hold.
    pub load: Loader,
    /// Text the error must contain (location or reason).
    pub expect: &'static str,
}

impl Case {
    /// The file's bytes (current format version, valid checksum).
    pub fn bytes(&self) -> Vec<u8> {
        self.file.to_bytes().expect("crafted files serialise")
    }

    /// The same file as format version 1 (no checksum).
    pub fn bytes_v1(&self) -> Vec<u8> {
        let mut f = self.file.clone();
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
fn edited<M: Persist>(model: &M, edit: impl FnOnce(&mut ModelFile)) -> ModelFile {
    let mut f = model.to_model_file().expect("valid model");
    assert!(
        M::from_bytes(&f.to_bytes().unwrap()).is_ok(),
        "unedited {}",
        M::KIND
    );
    edit(&mut f);
    f
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

/// Every crafted case.
pub fn corpus() -> Vec<Case> {
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
    let standard = StandardScaler::new().fit(x.view()).unwrap();
    let minmax = MinMaxScaler::new().fit(x32.view()).unwrap();
    let net = LeNet5::digits().seed(1).build().unwrap();

    let lr = loader::<FittedLinearRegression<f64>>;
    let rg = loader::<FittedRidge<f32>>;
    let lg = loader::<FittedLogisticRegression<f64, i64>>;
    let sc = loader::<FittedSvc<f64, i64>>;
    let sr = loader::<FittedSvr<f32>>;
    let ss = loader::<FittedStandardScaler<f64>>;
    let mm = loader::<FittedMinMaxScaler<f32>>;
    let sq = loader::<Sequential>;

    // Sets the hyperparameter at `path` (object keys, or array indices).
    let hyper = |f: &mut ModelFile, path: &[&str], v: serde_json::Value| {
        let mut h = &mut f.metadata.hyperparameters;
        for p in path {
            h = match p.parse::<usize>() {
                Ok(i) if h.is_array() => &mut h[i],
                _ => &mut h[*p],
            };
        }
        *h = v;
    };

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
    ]
}
