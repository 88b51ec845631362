//! The common estimator checks (scikit-learn's `estimator_checks`, in Rust).
//!
//! One suite every model applies from its own integration-test file. Each
//! macro expands to a module of `#[test]`s that run the checks on `f64` *and*
//! `f32` (the closure you pass is written once and type-checked for both):
//!
//! | check                          | what it asserts                                                        |
//! |--------------------------------|------------------------------------------------------------------------|
//! | deterministic fit              | fitting twice gives identical predictions; a 1-thread and a 3-thread rayon pool agree (≈: relative 1e-6 f64, 1e-3 f32) |
//! | one prediction per row         | n rows → n predictions (also 1 row, and 0 rows → empty result)        |
//! | any layout                     | column-major / strided input predicts as row-major input (≈ 1e-9 / 1e-4); fitting on column-major input gives the same model (≈ 1e-6 / 1e-3) |
//! | NaN / inf rejected             | at fit and at predict → `Error::NonFinite`                             |
//! | empty input rejected           | 0 rows at fit → `Error::EmptyInput`                                    |
//! | target length checked          | `y` shorter than `x` → `Error::ShapeMismatch`                          |
//! | wrong feature count rejected   | at predict → `Error::ShapeMismatch`                                    |
//! | save / load round trip         | `save` to a temp dir, `inspect` (kind, dtype, n_features, user metadata), `load` → identical predictions; `to_bytes`/`from_bytes` too; no temp file left |
//! | float type is checked on load  | an `f64` model file loaded as the `f32` model (and back) → `Error::Format` |
//! | Send + Sync                    | the fitted type is `Send + Sync + 'static` (compile time)              |
//! | classifier sanity              | predictions are labels seen in `y`; ≥ 80 % training accuracy on separated blobs |
//! | extreme but finite values      | records scaled by 1e±300 (f32: 1e±30), and regression targets too: a typed error (`NumericalFailure`, `InvalidParameter`, `NotConverged`) or a model whose predictions/outputs are finite (regressors: within the targets' range ± 10×; classifiers: labels seen in `y`) — never NaN/inf ([`check_extreme_values`]) |
//!
//! Default data: seeded synthetic sets from this module ([`regression_data`],
//! [`blobs`], [`transformer_data`]); pass `data = <expr>` to use another
//! (records are always given as `f64` and converted for the `f32` run).
//!
//! # Usage
//! In `tests/it/<model>_common.rs` (a module of the one test binary, `tests/it/main.rs`):
//! ```ignore
//! use crate::common;
//! use oxilearn::prelude::*;
//! use oxilearn::linear::LinearRegression;
//! use oxilearn::svm::Svc;
//!
//! // Regressor: the closure gets (ArrayView2<F>, ArrayView1<F>), returns Result<Fitted>,
//! // where Fitted: Predict<ArrayView2<F>> + Persist + Send + Sync.
//! common::regressor_checks!(linear_regression, |x, y| LinearRegression::new().fit(x, y));
//!
//! // Classifier: labels are usize; Fitted: Predict<ArrayView2<F>, Output = Array1<usize>>.
//! // Default data: 3 separated blobs labelled 1, 4, 6 (`common::blobs(2)` for binary).
//! common::classifier_checks!(svc, |x, y| Svc::new().fit(x, y));
//! common::classifier_checks!(svc_binary, |x, y| Svc::new().fit(x, y), data = common::blobs(2));
//!
//! // Also checks predict_proba (shape n × classes, rows sum to 1, in [0, 1]):
//! common::classifier_checks!(svc_proba, |x, y| Svc::new().probability(true).fit(x, y), proba);
//!
//! // Transformer: the closure gets ArrayView2<F>; Fitted: Transform<ArrayView2<F>, Output = Array2<F>>.
//! common::transformer_checks!(standard_scaler, |x| StandardScaler::new().fit(x));
//! ```
//! The functions behind the macros ([`check_regressor`], [`check_classifier`],
//! [`check_predict_proba`], [`check_transformer`], [`check_float_types_differ`])
//! can also be called directly.

#![allow(dead_code, unused_macros, unused_imports)]

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use oxilearn::Float;
use oxilearn::error::{Error, Result};
use oxilearn::ndarray::{Array, Array1, Array2, ArrayView1, ArrayView2, Dimension, ShapeBuilder};
use oxilearn::persist::{self, Persist};
use oxilearn::traits::{Predict, PredictProba, Transform};

// ---------------------------------------------------------------------------
// Macros
// ---------------------------------------------------------------------------

/// `regressor_checks!(name, |x, y| Params::new().fit(x, y) [, data = expr])`
/// — `expr: (Array2<f64>, Array1<f64>)`.
macro_rules! regressor_checks {
    ($name:ident, $fit:expr) => {
        $crate::common::regressor_checks!($name, $fit, data = $crate::common::regression_data());
    };
    ($name:ident, $fit:expr, data = $data:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn common_checks_f64() {
                let (x, y) = $data;
                $crate::common::check_regressor::<f64, _, _, _>(stringify!($name), $fit, &x, &y);
            }

            #[test]
            fn common_checks_f32() {
                let (x, y) = $data;
                $crate::common::check_regressor::<f32, _, _, _>(stringify!($name), $fit, &x, &y);
            }

            #[test]
            fn common_float_types_differ() {
                let (x, y) = $data;
                let (x64, y64) = $crate::common::cast_xy::<f64>(&x, &y);
                let (x32, y32) = $crate::common::cast_xy::<f32>(&x, &y);
                let fit64 = $fit;
                let fit32 = $fit;
                let m64 = fit64(x64.view(), y64.view()).expect("fit f64");
                let m32 = fit32(x32.view(), y32.view()).expect("fit f32");
                $crate::common::check_float_types_differ(&m64, &m32);
            }
        }
    };
}
pub(crate) use regressor_checks;

/// `classifier_checks!(name, |x, y| Params::new().fit(x, y) [, data = expr] [, proba])`
/// — `expr: (Array2<f64>, Array1<usize>)`.
macro_rules! classifier_checks {
    (@tests $name:ident, $fit:expr, $data:expr, { $($extra:tt)* }) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn common_checks_f64() {
                let (x, y) = $data;
                $crate::common::check_classifier::<f64, _, _>(stringify!($name), $fit, &x, &y);
            }

            #[test]
            fn common_checks_f32() {
                let (x, y) = $data;
                $crate::common::check_classifier::<f32, _, _>(stringify!($name), $fit, &x, &y);
            }

            #[test]
            fn common_float_types_differ() {
                let (x, y) = $data;
                let x64 = $crate::common::cast::<f64>(&x);
                let x32 = $crate::common::cast::<f32>(&x);
                let fit64 = $fit;
                let fit32 = $fit;
                let m64 = fit64(x64.view(), y.view()).expect("fit f64");
                let m32 = fit32(x32.view(), y.view()).expect("fit f32");
                $crate::common::check_float_types_differ(&m64, &m32);
            }

            $($extra)*
        }
    };
    ($name:ident, $fit:expr) => {
        $crate::common::classifier_checks!($name, $fit, data = $crate::common::blobs(3));
    };
    ($name:ident, $fit:expr, proba) => {
        $crate::common::classifier_checks!($name, $fit, data = $crate::common::blobs(3), proba);
    };
    ($name:ident, $fit:expr, data = $data:expr, proba) => {
        $crate::common::classifier_checks!(@tests $name, $fit, $data, {
            #[test]
            fn common_predict_proba_f64() {
                let (x, y) = $data;
                $crate::common::check_predict_proba::<f64, _, _>(stringify!($name), $fit, &x, &y);
            }

            #[test]
            fn common_predict_proba_f32() {
                let (x, y) = $data;
                $crate::common::check_predict_proba::<f32, _, _>(stringify!($name), $fit, &x, &y);
            }
        });
    };
    ($name:ident, $fit:expr, data = $data:expr) => {
        $crate::common::classifier_checks!(@tests $name, $fit, $data, {});
    };
}
pub(crate) use classifier_checks;

/// `transformer_checks!(name, |x| Params::new().fit(x) [, data = expr])`
/// — `expr: Array2<f64>`.
macro_rules! transformer_checks {
    ($name:ident, $fit:expr) => {
        $crate::common::transformer_checks!($name, $fit, data = $crate::common::transformer_data());
    };
    ($name:ident, $fit:expr, data = $data:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn common_checks_f64() {
                let x = $data;
                $crate::common::check_transformer::<f64, _, _>(stringify!($name), $fit, &x);
            }

            #[test]
            fn common_checks_f32() {
                let x = $data;
                $crate::common::check_transformer::<f32, _, _>(stringify!($name), $fit, &x);
            }

            #[test]
            fn common_float_types_differ() {
                let x = $data;
                let x64 = $crate::common::cast::<f64>(&x);
                let x32 = $crate::common::cast::<f32>(&x);
                let fit64 = $fit;
                let fit32 = $fit;
                let m64 = fit64(x64.view()).expect("fit f64");
                let m32 = fit32(x32.view()).expect("fit f32");
                $crate::common::check_float_types_differ(&m64, &m32);
            }
        }
    };
}
pub(crate) use transformer_checks;

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/// A tiny deterministic generator (SplitMix64) so the suite needs no RNG crate.
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 60 × 4 records in [-2, 2) and `y = x·[1.5, -2, 0.5, 3] + 0.7 + noise(±0.05)`.
pub fn regression_data() -> (Array2<f64>, Array1<f64>) {
    let mut rng = SplitMix::new(42);
    let w = [1.5, -2.0, 0.5, 3.0];
    let x = Array2::from_shape_simple_fn((60, 4), || rng.uniform(-2.0, 2.0));
    let y = x
        .rows()
        .into_iter()
        .map(|r| r.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + 0.7)
        .collect::<Vec<f64>>();
    let y = Array1::from_iter(y.into_iter().map(|v| v + rng.uniform(-0.05, 0.05)));
    (x, y)
}

/// Well-separated blobs: 20 rows per class, 3 features, classes labelled
/// `[1, 4, 6]` (3 classes) or `[3, 8]` (2 classes) — not `0..k`, to catch
/// label-handling bugs. Rows are interleaved by class.
///
/// # Panics
/// Unless `n_classes` is 2 or 3.
pub fn blobs(n_classes: usize) -> (Array2<f64>, Array1<usize>) {
    let labels: &[usize] = match n_classes {
        2 => &[3, 8],
        3 => &[1, 4, 6],
        _ => panic!("blobs: n_classes must be 2 or 3"),
    };
    let centres = [[-3.0, 0.0, 2.0], [3.0, 2.0, -1.0], [0.0, -3.0, -2.0]];
    let mut rng = SplitMix::new(7);
    let n = 20 * n_classes;
    let mut x = Array2::zeros((n, 3));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let c = i % n_classes;
        for j in 0..3 {
            x[[i, j]] = centres[c][j] + rng.uniform(-1.0, 1.0);
        }
        y[i] = labels[c];
    }
    (x, y)
}

/// 30 × 4 records with different offsets and spreads, and one constant column.
pub fn transformer_data() -> Array2<f64> {
    let mut rng = SplitMix::new(3);
    Array2::from_shape_fn((30, 4), |(_, j)| match j {
        0 => rng.uniform(-1.0, 1.0),
        1 => 100.0 + 20.0 * rng.uniform(0.0, 1.0),
        2 => 2.5,
        _ => 1e-3 * rng.uniform(-5.0, 5.0),
    })
}

/// `x` as `F`.
pub fn cast<F: Float>(x: &Array2<f64>) -> Array2<F> {
    x.mapv(F::from_f64_lossy)
}

/// `(x, y)` as `F`.
pub fn cast_xy<F: Float>(x: &Array2<f64>, y: &Array1<f64>) -> (Array2<F>, Array1<F>) {
    (cast(x), y.mapv(F::from_f64_lossy))
}

/// The same values in column-major layout.
fn fortran<F: Float>(x: &Array2<F>) -> Array2<F> {
    let mut f = Array2::zeros(x.raw_dim().f());
    f.assign(x);
    f
}

/// `x` with `value` at `(i, j)`.
fn poke<F: Float>(x: &Array2<F>, i: usize, j: usize, value: F) -> Array2<F> {
    let mut x = x.clone();
    x[[i, j]] = value;
    x
}

/// `x` with one more (zero) column, and without its last column.
fn wrong_widths<F: Float>(x: &Array2<F>) -> Vec<Array2<F>> {
    let (n, p) = x.dim();
    let mut wider = Array2::zeros((n, p + 1));
    wider.slice_mut(oxilearn::ndarray::s![.., ..p]).assign(x);
    let mut v = vec![wider];
    if p > 1 {
        v.push(x.slice(oxilearn::ndarray::s![.., ..p - 1]).to_owned());
    }
    v
}

// ---------------------------------------------------------------------------
// Predictions
// ---------------------------------------------------------------------------

/// An element of a prediction: floats compare with a tolerance, labels exactly.
pub trait Elem: Clone + PartialEq + Debug {
    fn close(&self, other: &Self, tol: f64) -> bool {
        let _ = tol;
        self == other
    }
    fn finite(&self) -> bool {
        true
    }
    /// The value as `f64` (`None` for labels).
    fn number(&self) -> Option<f64> {
        None
    }
}
impl Elem for f64 {
    fn number(&self) -> Option<f64> {
        Some(*self)
    }
    fn close(&self, o: &Self, tol: f64) -> bool {
        (self - o).abs() <= tol * (1.0 + self.abs().max(o.abs()))
    }
    fn finite(&self) -> bool {
        self.is_finite()
    }
}
impl Elem for f32 {
    fn number(&self) -> Option<f64> {
        Some(*self as f64)
    }
    fn close(&self, o: &Self, tol: f64) -> bool {
        (*self as f64).close(&(*o as f64), tol)
    }
    fn finite(&self) -> bool {
        self.is_finite()
    }
}
impl Elem for usize {}
impl Elem for u8 {}
impl Elem for u32 {}
impl Elem for i32 {}
impl Elem for i64 {}
impl Elem for bool {}
impl Elem for String {}
impl Elem for &'static str {}

/// What `predict`/`transform` return: one entry (or row) per input row.
pub trait Prediction: PartialEq + Debug {
    fn n_rows(&self) -> usize;
    fn close_to(&self, other: &Self, tol: f64) -> bool;
    fn all_finite(&self) -> bool;
    /// The numeric values (empty for labels).
    fn values(&self) -> Vec<f64>;
}
impl<A: Elem, D: Dimension> Prediction for Array<A, D> {
    fn n_rows(&self) -> usize {
        self.shape().first().copied().unwrap_or(1)
    }
    fn close_to(&self, other: &Self, tol: f64) -> bool {
        self.shape() == other.shape() && self.iter().zip(other).all(|(a, b)| a.close(b, tol))
    }
    fn all_finite(&self) -> bool {
        self.iter().all(Elem::finite)
    }
    fn values(&self) -> Vec<f64> {
        self.iter().filter_map(Elem::number).collect()
    }
}
impl<A: Elem> Prediction for Vec<A> {
    fn n_rows(&self) -> usize {
        self.len()
    }
    fn close_to(&self, other: &Self, tol: f64) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a.close(b, tol))
    }
    fn all_finite(&self) -> bool {
        self.iter().all(Elem::finite)
    }
    fn values(&self) -> Vec<f64> {
        self.iter().filter_map(Elem::number).collect()
    }
}

/// Tolerance for comparisons that may legitimately differ by rounding
/// (thread count, memory layout).
fn tol<F: Float>() -> f64 {
    if F::NAME == "f32" { 1e-4 } else { 1e-9 }
}

/// Tolerance when the model is *refitted* under other conditions (thread
/// count, input layout): iterative solvers may stop a hair apart when the
/// last bits of their inputs differ. Real bugs give O(1) differences.
fn refit_tol<F: Float>() -> f64 {
    if F::NAME == "f32" { 1e-3 } else { 1e-6 }
}

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/// Compile-time check: `T: Send + Sync + 'static`.
pub fn assert_send_sync<T: Send + Sync + 'static>() {}

/// A fresh directory under the target's tmp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "common-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Runs `f` in a rayon pool of `threads` threads.
fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
        .install(f)
}

fn expect_err<T: Debug>(name: &str, check: &str, r: Result<T>, ok: impl Fn(&Error) -> bool) {
    match r {
        Err(e) if ok(&e) => {}
        Err(e) => panic!("[{name}] {check}: wrong error: {e:?}"),
        Ok(v) => panic!("[{name}] {check}: expected an error, got Ok({v:?})"),
    }
}

fn is_non_finite(e: &Error) -> bool {
    matches!(e, Error::NonFinite { .. })
}
fn is_shape(e: &Error) -> bool {
    matches!(e, Error::ShapeMismatch { .. })
}
fn is_empty(e: &Error) -> bool {
    matches!(e, Error::EmptyInput { .. })
}

/// Save/load/inspect/bytes round trip: `apply` must give identical output.
fn check_persist<F: Float, M: Persist, O: Prediction>(
    name: &str,
    model: &M,
    n_features: usize,
    apply: impl Fn(&M) -> O,
) {
    let dir = temp_dir(name);
    let path = dir.join("model.safetensors");
    let mut user = BTreeMap::new();
    user.insert("tag".to_string(), "common-checks".to_string());
    model
        .save_with(&path, &user)
        .unwrap_or_else(|e| panic!("[{name}] save: {e}"));
    let meta = persist::inspect(&path).unwrap_or_else(|e| panic!("[{name}] inspect: {e}"));
    assert_eq!(meta.kind, M::KIND, "[{name}] inspect: kind");
    assert_eq!(meta.dtype, F::NAME, "[{name}] inspect: dtype");
    assert_eq!(
        meta.n_features,
        Some(n_features),
        "[{name}] inspect: n_features"
    );
    assert_eq!(meta.format_version, persist::FORMAT_VERSION);
    assert_eq!(meta.user, user, "[{name}] inspect: user metadata");
    let loaded = M::load(&path).unwrap_or_else(|e| panic!("[{name}] load: {e}"));
    assert_eq!(
        apply(&loaded),
        apply(model),
        "[{name}] save/load changed the output"
    );
    let bytes = model
        .to_bytes()
        .unwrap_or_else(|e| panic!("[{name}] to_bytes: {e}"));
    let from_bytes = M::from_bytes(&bytes).unwrap_or_else(|e| panic!("[{name}] from_bytes: {e}"));
    assert_eq!(
        apply(&from_bytes),
        apply(model),
        "[{name}] to_bytes/from_bytes changed the output"
    );
    // Saving again is deterministic, and overwriting leaves no temp files.
    model.save(&path).expect("save again");
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("read temp dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(entries.len(), 1, "[{name}] save left files: {entries:?}");
    assert_eq!(
        std::fs::read(&path).expect("read model"),
        bytes,
        "[{name}] save and to_bytes differ (or are not deterministic)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An `f64` model file must not load as the `f32` model, and vice versa.
pub fn check_float_types_differ<M64: Persist, M32: Persist>(m64: &M64, m32: &M32) {
    let b64 = m64.to_bytes().expect("to_bytes f64");
    let b32 = m32.to_bytes().expect("to_bytes f32");
    assert!(
        matches!(M32::from_bytes(&b64), Err(Error::Format { .. })),
        "an f64 model file loaded as the f32 model without a Format error"
    );
    assert!(
        matches!(M64::from_bytes(&b32), Err(Error::Format { .. })),
        "an f32 model file loaded as the f64 model without a Format error"
    );
}

// ---------------------------------------------------------------------------
// The suites
// ---------------------------------------------------------------------------

/// Runs a supervised model's checks (shared by regressors and classifiers).
fn check_supervised<F, Y, Fit, M, O>(name: &str, fit: &Fit, x: &Array2<F>, y: &Array1<Y>) -> M
where
    F: Float,
    Y: Clone + Debug + Sync,
    Fit: Fn(ArrayView2<'_, F>, ArrayView1<'_, Y>) -> Result<M> + Sync,
    M: for<'a> Predict<ArrayView2<'a, F>, Output = O> + Persist + Send + Sync + 'static,
    O: Prediction + Send,
{
    assert_send_sync::<M>();
    let (n, p) = x.dim();
    let model = fit(x.view(), y.view()).unwrap_or_else(|e| panic!("[{name}] fit: {e}"));
    let pred = model
        .predict(x.view())
        .unwrap_or_else(|e| panic!("[{name}] predict: {e}"));

    // One prediction per row, finite.
    assert_eq!(pred.n_rows(), n, "[{name}] one prediction per row");
    assert!(pred.all_finite(), "[{name}] predictions are finite");
    let one = model
        .predict(x.slice(oxilearn::ndarray::s![..1, ..]))
        .unwrap_or_else(|e| panic!("[{name}] predict one row: {e}"));
    assert_eq!(one.n_rows(), 1, "[{name}] one row → one prediction");
    let none = model
        .predict(Array2::<F>::zeros((0, p)).view())
        .unwrap_or_else(|e| panic!("[{name}] predict zero rows: {e}"));
    assert_eq!(none.n_rows(), 0, "[{name}] zero rows → empty prediction");

    // Deterministic: same data, same model; any thread count.
    let again = fit(x.view(), y.view()).expect("second fit");
    assert_eq!(
        again.predict(x.view()).expect("predict"),
        pred,
        "[{name}] fitting twice gave different predictions"
    );
    let p1 = in_pool(1, || {
        fit(x.view(), y.view())
            .expect("fit in 1-thread pool")
            .predict(x.view())
            .expect("predict")
    });
    let p3 = in_pool(3, || {
        fit(x.view(), y.view())
            .expect("fit in 3-thread pool")
            .predict(x.view())
            .expect("predict")
    });
    assert!(
        p1.close_to(&p3, refit_tol::<F>()) && p1.close_to(&pred, refit_tol::<F>()),
        "[{name}] predictions depend on the thread count"
    );

    // Any memory layout.
    let xf = fortran(x);
    let from_f = model.predict(xf.view()).expect("predict column-major");
    assert!(
        from_f.close_to(&pred, tol::<F>()),
        "[{name}] column-major input predicts differently"
    );
    let strided = x.slice(oxilearn::ndarray::s![..;2, ..]);
    let from_strided = model.predict(strided).expect("predict strided");
    assert_eq!(from_strided.n_rows(), n.div_ceil(2));
    let m_f = fit(xf.view(), y.view()).unwrap_or_else(|e| panic!("[{name}] fit column-major: {e}"));
    assert!(
        m_f.predict(x.view())
            .expect("predict")
            .close_to(&pred, refit_tol::<F>()),
        "[{name}] fitting on column-major input gives another model"
    );

    // Bad data.
    for (bad, what) in [(F::nan(), "NaN"), (F::infinity(), "inf")] {
        let xb = poke(x, n / 2, p - 1, bad);
        expect_err(
            name,
            &format!("{what} in x at fit"),
            fit(xb.view(), y.view()).map(|_| ()),
            is_non_finite,
        );
        expect_err(
            name,
            &format!("{what} in x at predict"),
            model.predict(xb.view()),
            is_non_finite,
        );
    }
    for xw in wrong_widths(x) {
        expect_err(
            name,
            &format!("predict with {} features instead of {p}", xw.ncols()),
            model.predict(xw.view()),
            is_shape,
        );
    }
    expect_err(
        name,
        "fit on zero rows",
        fit(
            Array2::<F>::zeros((0, p)).view(),
            y.slice(oxilearn::ndarray::s![..0]),
        )
        .map(|_| ()),
        is_empty,
    );
    expect_err(
        name,
        "fit with one target fewer than rows",
        fit(x.view(), y.slice(oxilearn::ndarray::s![..n - 1])).map(|_| ()),
        is_shape,
    );

    // Persistence.
    check_persist::<F, M, O>(name, &model, p, |m| m.predict(x.view()).expect("predict"));
    model
}

/// The regressor suite on `(x, y)` converted to `F`. Panics with
/// `[name] <check>: …` on the first failed check.
pub fn check_regressor<F, Fit, M, O>(name: &str, fit: Fit, x: &Array2<f64>, y: &Array1<f64>)
where
    F: Float,
    Fit: Fn(ArrayView2<'_, F>, ArrayView1<'_, F>) -> Result<M> + Sync,
    M: for<'a> Predict<ArrayView2<'a, F>, Output = O> + Persist + Send + Sync + 'static,
    O: Prediction + Send,
{
    let (x, y) = cast_xy::<F>(x, y);
    check_supervised(name, &fit, &x, &y);
    // NaN in y is rejected as well.
    let yb = {
        let mut yb = y.clone();
        yb[0] = F::nan();
        yb
    };
    expect_err(
        name,
        "NaN in y at fit",
        fit(x.view(), yb.view()).map(|_| ()),
        is_non_finite,
    );
    // Extreme records, then extreme records and targets.
    check_extreme_values(
        name,
        &x,
        |xs, _| fit(xs, y.view())?.predict(xs),
        |pred, _| regression_output_ok(pred, &y),
    );
    check_extreme_values(
        name,
        &x,
        |xs, scale| {
            let ys = y.mapv(|v| v * F::from_f64_lossy(scale));
            fit(xs, ys.view())?.predict(xs)
        },
        |pred, scale| regression_output_ok(pred, &y.mapv(|v| v * F::from_f64_lossy(scale))),
    );
}

/// The scales of the "extreme but finite values" check for `F`: 1e±300
/// for `f64`, 1e±30 for `f32` (eight decades inside the range).
pub fn extreme_scales<F: Float>() -> [f64; 2] {
    let big = 10f64.powi(F::max_value().to_f64_exact().log10().floor() as i32 - 8);
    [big, 1.0 / big]
}

/// What an estimator may answer to extreme but finite input instead of a
/// model: a typed numerical or parameter error.
fn is_extreme_refusal(e: &Error) -> bool {
    matches!(
        e,
        Error::NumericalFailure { .. }
            | Error::InvalidParameter { .. }
            | Error::NotConverged { .. }
    )
}

/// The "extreme but finite values" check (#19): `fit` on `x` scaled by each
/// of [`extreme_scales`] (and, with `y_scale`, the targets too) must give a
/// typed refusal ([`is_extreme_refusal`]) or a model whose output on the
/// same records passes `output_ok`. Reusable by any estimator or transformer
/// outside the macros: `fit_output` fits and returns the output on the
/// records (predictions or transformed values).
pub fn check_extreme_values<F, O>(
    name: &str,
    x: &Array2<F>,
    fit_output: impl Fn(ArrayView2<'_, F>, f64) -> Result<O>,
    output_ok: impl Fn(&O, f64) -> std::result::Result<(), String>,
) where
    F: Float,
{
    for scale in extreme_scales::<F>() {
        let xs = x.mapv(|v| v * F::from_f64_lossy(scale));
        assert!(
            x.iter()
                .zip(&xs)
                .all(|(a, b)| !a.is_finite() || b.is_finite()),
            "[{name}] scaled records are finite (missing values stay missing)"
        );
        match fit_output(xs.view(), scale) {
            Ok(out) => {
                if let Err(why) = output_ok(&out, scale) {
                    panic!("[{name}] extreme values (×{scale:e}): {why}");
                }
            }
            Err(e) if is_extreme_refusal(&e) => {}
            Err(e) => panic!("[{name}] extreme values (×{scale:e}): untyped refusal {e:?}"),
        }
    }
}

/// Regressor predictions must be finite and within the targets' range ± 10×.
fn regression_output_ok<F: Float, O: Prediction>(
    pred: &O,
    y: &Array1<F>,
) -> std::result::Result<(), String> {
    let v = pred.values();
    let (lo, hi) = y
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| {
            (a.min(t.to_f64_exact()), b.max(t.to_f64_exact()))
        });
    let r = (hi - lo).max(hi.abs().max(lo.abs()));
    match v
        .iter()
        .find(|p| !(p.is_finite() && **p >= lo - 10.0 * r && **p <= hi + 10.0 * r))
    {
        Some(p) => Err(format!("prediction {p} outside [{lo}, {hi}] ± 10×")),
        None => Ok(()),
    }
}

/// The classifier suite on `(x, y)` (x converted to `F`, labels `usize`).
/// Panics with `[name] <check>: …` on the first failed check.
pub fn check_classifier<F, Fit, M>(name: &str, fit: Fit, x: &Array2<f64>, y: &Array1<usize>)
where
    F: Float,
    Fit: Fn(ArrayView2<'_, F>, ArrayView1<'_, usize>) -> Result<M> + Sync,
    M: for<'a> Predict<ArrayView2<'a, F>, Output = Array1<usize>> + Persist + Send + Sync + 'static,
{
    let x = cast::<F>(x);
    let model = check_supervised(name, &fit, &x, y);
    let pred = model.predict(x.view()).expect("predict");
    let seen: BTreeSet<usize> = y.iter().copied().collect();
    assert!(
        pred.iter().all(|p| seen.contains(p)),
        "[{name}] predicted a label not in y: {pred}"
    );
    let correct = pred.iter().zip(y).filter(|(a, b)| a == b).count();
    assert!(
        correct as f64 >= 0.8 * y.len() as f64,
        "[{name}] training accuracy {correct}/{} below 80 % on separable data",
        y.len()
    );
    // A single class is rejected with SingleClass (or handled: then it must
    // predict that class).
    let one_class = Array1::from_elem(y.len(), y[0]);
    match fit(x.view(), one_class.view()) {
        Err(Error::SingleClass) => {}
        Ok(m) => assert!(
            m.predict(x.view())
                .expect("predict")
                .iter()
                .all(|p| *p == y[0]),
            "[{name}] fitted on one class but predicts others"
        ),
        Err(e) => panic!("[{name}] single class: wrong error {e:?}"),
    }
    check_extreme_values(
        name,
        &x,
        |xs, _| fit(xs, y.view())?.predict(xs),
        |pred: &Array1<usize>, _| match pred.iter().find(|p| !seen.contains(p)) {
            Some(p) => Err(format!("predicted label {p} not in y")),
            None => Ok(()),
        },
    );
}

/// `predict_proba` checks: shape `n × n_classes`, values in `[0, 1]`, rows
/// summing to 1, argmax consistent with `predict` on ≥ 95 % of rows, and
/// identical after save/load.
pub fn check_predict_proba<F, Fit, M>(name: &str, fit: Fit, x: &Array2<f64>, y: &Array1<usize>)
where
    F: Float,
    Fit: Fn(ArrayView2<'_, F>, ArrayView1<'_, usize>) -> Result<M>,
    M: for<'a> Predict<ArrayView2<'a, F>, Output = Array1<usize>>
        + for<'a> PredictProba<ArrayView2<'a, F>, Output = Array2<F>>
        + Persist,
{
    let x = cast::<F>(x);
    let classes: Vec<usize> = y
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let model = fit(x.view(), y.view()).unwrap_or_else(|e| panic!("[{name}] fit: {e}"));
    let proba = model
        .predict_proba(x.view())
        .unwrap_or_else(|e| panic!("[{name}] predict_proba: {e}"));
    assert_eq!(
        proba.dim(),
        (x.nrows(), classes.len()),
        "[{name}] proba shape"
    );
    let eps = F::from_f64_lossy(tol::<F>() * 10.0);
    for row in proba.rows() {
        assert!(
            row.iter().all(|p| *p >= F::zero() && *p <= F::one()),
            "[{name}] probabilities outside [0, 1]: {row}"
        );
        let s: F = row.sum();
        assert!((s - F::one()).abs() <= eps, "[{name}] row sums to {s}");
    }
    let pred = model.predict(x.view()).expect("predict");
    let agree = proba
        .rows()
        .into_iter()
        .zip(&pred)
        .filter(|(row, p)| {
            let best = row
                .iter()
                .enumerate()
                .fold(
                    (0, F::neg_infinity()),
                    |b, (i, v)| if *v > b.1 { (i, *v) } else { b },
                )
                .0;
            classes[best] == **p
        })
        .count();
    assert!(
        agree as f64 >= 0.95 * pred.len() as f64,
        "[{name}] argmax of predict_proba agrees with predict on only {agree}/{} rows",
        pred.len()
    );
    expect_err(
        name,
        "predict_proba with a wrong feature count",
        model.predict_proba(wrong_widths(&x)[0].view()),
        is_shape,
    );
    let back = M::from_bytes(&model.to_bytes().expect("to_bytes")).expect("from_bytes");
    assert_eq!(
        back.predict_proba(x.view()).expect("predict_proba"),
        proba,
        "[{name}] save/load changed predict_proba"
    );
}

/// The transformer suite on `x` converted to `F`. Panics with
/// `[name] <check>: …` on the first failed check.
pub fn check_transformer<F, Fit, M>(name: &str, fit: Fit, x: &Array2<f64>)
where
    F: Float + Elem,
    Fit: Fn(ArrayView2<'_, F>) -> Result<M> + Sync,
    M: for<'a> Transform<ArrayView2<'a, F>, Output = Array2<F>> + Persist + Send + Sync + 'static,
{
    assert_send_sync::<M>();
    let x = cast::<F>(x);
    let (n, p) = x.dim();
    let model = fit(x.view()).unwrap_or_else(|e| panic!("[{name}] fit: {e}"));
    let out = model
        .transform(x.view())
        .unwrap_or_else(|e| panic!("[{name}] transform: {e}"));
    assert_eq!(out.nrows(), n, "[{name}] one output row per input row");
    assert!(out.all_finite(), "[{name}] output is finite");
    check_extreme_values(
        name,
        &x,
        |xs, _| fit(xs)?.transform(xs),
        |z: &Array2<F>, _| match z.iter().find(|v| !v.is_finite()) {
            Some(v) => Err(format!("transformed value {v}")),
            None => Ok(()),
        },
    );
    let none = model
        .transform(Array2::<F>::zeros((0, p)).view())
        .unwrap_or_else(|e| panic!("[{name}] transform zero rows: {e}"));
    assert_eq!(none.nrows(), 0, "[{name}] zero rows → zero rows");

    let again = fit(x.view()).expect("second fit");
    assert_eq!(
        again.transform(x.view()).expect("transform"),
        out,
        "[{name}] fitting twice gave different output"
    );
    let t1 = in_pool(1, || {
        fit(x.view())
            .expect("fit")
            .transform(x.view())
            .expect("transform")
    });
    let t3 = in_pool(3, || {
        fit(x.view())
            .expect("fit")
            .transform(x.view())
            .expect("transform")
    });
    assert!(
        t1.close_to(&t3, refit_tol::<F>()) && t1.close_to(&out, refit_tol::<F>()),
        "[{name}] output depends on the thread count"
    );
    let xf = fortran(&x);
    assert!(
        model
            .transform(xf.view())
            .expect("transform column-major")
            .close_to(&out, tol::<F>()),
        "[{name}] column-major input transforms differently"
    );
    assert!(
        fit(xf.view())
            .expect("fit column-major")
            .transform(x.view())
            .expect("transform")
            .close_to(&out, refit_tol::<F>()),
        "[{name}] fitting on column-major input gives another model"
    );
    // Row-wise: transforming a subset gives the same rows.
    let half = model
        .transform(x.slice(oxilearn::ndarray::s![..;2, ..]))
        .expect("transform strided");
    assert!(
        half.close_to(
            &out.slice(oxilearn::ndarray::s![..;2, ..]).to_owned(),
            tol::<F>()
        ),
        "[{name}] transforming a subset of rows changes them"
    );

    for (bad, what) in [(F::nan(), "NaN"), (F::infinity(), "inf")] {
        let xb = poke(&x, n / 2, p - 1, bad);
        expect_err(
            name,
            &format!("{what} in x at fit"),
            fit(xb.view()).map(|_| ()),
            is_non_finite,
        );
        expect_err(
            name,
            &format!("{what} in x at transform"),
            model.transform(xb.view()),
            is_non_finite,
        );
    }
    for xw in wrong_widths(&x) {
        expect_err(
            name,
            &format!("transform with {} features instead of {p}", xw.ncols()),
            model.transform(xw.view()),
            is_shape,
        );
    }
    expect_err(
        name,
        "fit on zero rows",
        fit(Array2::<F>::zeros((0, p)).view()).map(|_| ()),
        is_empty,
    );

    check_persist::<F, M, Array2<F>>(name, &model, p, |m| {
        m.transform(x.view()).expect("transform")
    });
}
