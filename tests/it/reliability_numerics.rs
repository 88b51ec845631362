//! Extreme but finite values never yield silent garbage (#19, items 2–4):
//! each case is the minimal reproduction of a fit, scaler, metric or builder
//! that used to report success with NaN/inf/zero results. Each now gives the
//! correct result or a typed error (`NumericalFailure` naming what
//! overflowed, `InvalidParameter` for weights that sum to zero).
//!
//! Expected values: `[1, 2, 3]` standardised is `[-√1.5, 0, √1.5]`; the
//! regression metrics of `y_true = [3, -0.5, 2, 7]`, `y_pred = [2.5, 0, 2, 8]`
//! are scikit-learn's documented examples:
//! ```python
//! from sklearn.metrics import r2_score, mean_squared_error, mean_absolute_error
//! t, p = [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]
//! r2_score(t, p), mean_squared_error(t, p), mean_absolute_error(t, p)
//! # (0.9486081370449679, 0.375, 0.5)
//! ```
//! (scikit-learn 1.9 itself returns `[1e300, 2e300, 3e300]` unscaled with
//! `scale_ = 1`, and zeros from MinMaxScaler on ±1.7e308.)

use oxilearn::Error;
use oxilearn::linear::{LinearRegression, Ridge};
use oxilearn::logistic::{LogisticRegression, Penalty, Solver};
use oxilearn::metrics;
use oxilearn::nn::LeNet5;
use oxilearn::prelude::*;
use oxilearn::svm::ClassWeight;

fn numerical_failure<T>(r: oxilearn::Result<T>, what: &str) -> String {
    match r {
        Err(e @ Error::NumericalFailure { .. }) => e.to_string(),
        Err(e) => panic!("{what}: expected NumericalFailure, got {e:?}"),
        Ok(_) => panic!("{what}: expected NumericalFailure, got a model"),
    }
}

/// Two overlapping classes on a line, then a second feature (not separable:
/// the unpenalised maximum-likelihood fit is finite).
fn overlapping() -> (Array2<f64>, Array1<usize>) {
    let x = array![
        [0.0, 1.0],
        [1.0, 0.5],
        [2.0, 2.5],
        [3.0, 1.0],
        [4.0, 3.0],
        [5.0, 2.0],
        [6.0, 0.2],
        [7.0, 2.2],
        [2.5, 1.5],
        [4.5, 0.7]
    ];
    let y = array![0usize, 0, 1, 0, 1, 0, 1, 1, 0, 1];
    (x, y)
}

/// Case: LogisticRegression on records scaled by 1e300 stopped after one
/// iteration on all-zero coefficients (both solvers). Now the records are
/// rescaled exactly inside the fit: the penalty, relative to the data,
/// vanishes, so the result is the unpenalised fit in the records' units.
#[test]
fn logistic_regression_on_records_near_1e300_is_solved_by_rescaling() {
    let (x, y) = overlapping();
    for solver in [Solver::Lbfgs, Solver::NewtonCholesky] {
        let reference = LogisticRegression::new()
            .penalty(Penalty::None)
            .solver(solver)
            .fit(x.view(), y.view())
            .unwrap();
        for scale in [1e300, 1e100, -2e307] {
            let xs = x.mapv(|v| v * scale);
            let m = LogisticRegression::new()
                .solver(solver)
                .fit(xs.view(), y.view())
                .unwrap();
            assert!(m.converged(), "{solver:?} at {scale:e}");
            for (c, r) in m.coef().iter().zip(reference.coef()) {
                let c = c * scale;
                assert!(
                    (c - r).abs() <= 1e-4 * r.abs().max(1.0),
                    "{solver:?} {scale:e}: {c} vs {r}"
                );
            }
            let (b, r) = (m.intercept()[0], reference.intercept()[0]);
            assert!(
                (b - r).abs() <= 1e-4 * r.abs().max(1.0),
                "{solver:?} {scale:e}: {b} vs {r}"
            );
            assert_eq!(
                m.predict(xs.view()).unwrap(),
                reference.predict(x.view()).unwrap()
            );
        }
    }
}

/// Case: Svc on records scaled by 1e300 reported convergence with 0
/// support vectors; Svr predicted NaN. `gamma='scale'` is then 1e-600,
/// not representable, and the linear kernel's values overflow.
#[test]
fn svm_on_records_near_1e300_is_a_numerical_failure() {
    let (x, y) = overlapping();
    let xs = x.mapv(|v| v * 1e300);
    let msg = numerical_failure(Svc::new().fit(xs.view(), y.view()), "svc rbf");
    assert!(
        msg.contains("gamma") && msg.contains("scale the features"),
        "{msg}"
    );
    let msg = numerical_failure(
        Svc::new().kernel(Kernel::Linear).fit(xs.view(), y.view()),
        "svc linear",
    );
    assert!(msg.contains("linear kernel"), "{msg}");
    let t = x.column(0).mapv(|v| 2.0 * v + 1.0);
    numerical_failure(Svr::new().fit(xs.view(), t.view()), "svr rbf");
    // Records at 1e20: squared distances (1e40) leave the f32 kernel range.
    let x20 = x.mapv(|v| v * 1e20);
    numerical_failure(
        Svc::new()
            .kernel(Kernel::Rbf {
                gamma: Gamma::Value(1e-40),
            })
            .fit(x20.view(), y.view()),
        "svc rbf at 1e20",
    );
    // The ordinary scale still fits.
    assert!(Svc::new().fit(x.view(), y.view()).unwrap().converged());
}

/// Case: Svc with γ = 1e308 reported convergence with NaN/inf decisions.
#[test]
fn svc_with_gamma_1e308_is_a_numerical_failure() {
    let (x, y) = overlapping();
    let msg = numerical_failure(
        Svc::new()
            .kernel(Kernel::Rbf {
                gamma: Gamma::Value(1e308),
            })
            .fit(x.view(), y.view()),
        "gamma 1e308",
    );
    assert!(msg.contains("gamma"), "{msg}");
}

/// Case: Svc with a degree-1000 polynomial kernel reported convergence with
/// NaN/inf decisions (and could loop without end on NaN gradients).
#[test]
fn svc_with_a_degree_1000_polynomial_is_a_numerical_failure() {
    let (x, y) = overlapping();
    let msg = numerical_failure(
        Svc::new()
            .kernel(Kernel::Poly {
                degree: 1000,
                gamma: Gamma::Scale,
                coef0: 0.0,
            })
            .fit(x.view(), y.view()),
        "poly 1000",
    );
    assert!(
        msg.contains("polynomial kernel") && msg.contains("1000"),
        "{msg}"
    );
    // Degree 3 on the same records is fine.
    Svc::new()
        .kernel(Kernel::Poly {
            degree: 3,
            gamma: Gamma::Scale,
            coef0: 0.0,
        })
        .fit(x.view(), y.view())
        .unwrap();
}

/// Case: Svc with every class weight zero fitted 0 support vectors;
/// logistic regression already refused. Zero total weight is an
/// `InvalidParameter` in every model.
#[test]
fn zero_total_class_or_sample_weight_is_an_invalid_parameter() {
    let (x, y) = overlapping();
    let invalid = |r: Result<(), Error>, what: &str| match r {
        Err(Error::InvalidParameter { .. }) => {}
        other => panic!("{what}: expected InvalidParameter, got {other:?}"),
    };
    invalid(
        Svc::new()
            .class_weight(ClassWeight::explicit([(0, 0.0), (1, 0.0)]))
            .fit(x.view(), y.view())
            .map(drop),
        "svc class weights 0, 0",
    );
    invalid(
        Svc::new()
            .class_weight(ClassWeight::explicit([(0, 1.0), (1, 0.0)]))
            .fit(x.view(), y.view())
            .map(drop),
        "svc class weights 1, 0",
    );
    // Sample weights zero on a whole class.
    let w = y.mapv(|c| if c == 0 { 0.0 } else { 1.0 });
    invalid(
        Svc::new()
            .fit_weighted(x.view(), y.view(), w.view())
            .map(drop),
        "svc zero-weight class",
    );
    let zeros = Array1::<f64>::zeros(y.len());
    invalid(
        Svc::new()
            .fit_weighted(x.view(), y.view(), zeros.view())
            .map(drop),
        "svc",
    );
    invalid(
        LogisticRegression::new()
            .fit_weighted(x.view(), y.view(), zeros.view())
            .map(drop),
        "logistic",
    );
    let t = x.column(0).to_owned();
    invalid(
        LinearRegression::new()
            .fit_weighted(x.view(), t.view(), zeros.view())
            .map(drop),
        "linear regression",
    );
    invalid(
        Ridge::new()
            .fit_weighted(x.view(), t.view(), zeros.view())
            .map(drop),
        "ridge",
    );
}

/// Least squares on records of 1e±300 overflowed (1e300: a confusing
/// `NonFinite` about an internal matrix) or underflowed the gram (1e-300:
/// coefficients 0, a constant prediction). Both are solved exactly by
/// rescaling.
#[test]
fn least_squares_on_records_near_1e300_or_1e_minus_300_is_exact() {
    let (x, _) = overlapping();
    let t = x.column(0).mapv(|v| 2.0 * v + 1.0) - x.column(1).mapv(|v| 0.5 * v);
    for scale in [1e300, 1e-300, 1e200] {
        let xs = x.mapv(|v| v * scale);
        let m = LinearRegression::new().fit(xs.view(), t.view()).unwrap();
        let coef = m.coef().mapv(|c| c * scale);
        assert!(
            (coef[0] - 2.0).abs() < 1e-9 && (coef[1] + 0.5).abs() < 1e-9,
            "{scale:e}: {coef}"
        );
        assert!((m.intercept() - 1.0).abs() < 1e-9, "{scale:e}");
        let pred = m.predict(xs.view()).unwrap();
        assert!(
            pred.iter().zip(&t).all(|(p, t)| (p - t).abs() < 1e-9),
            "{scale:e}"
        );
    }
    // Targets near 1e300 too.
    let big = t.mapv(|v| v * 1e300);
    let m = LinearRegression::new().fit(x.view(), big.view()).unwrap();
    assert!((m.coef()[0] / 1e300 - 2.0).abs() < 1e-9);
    // Ridge: at 1e300 the penalty is negligible (= OLS); at 1e-300 it
    // dominates (coefficients ≈ 0, prediction ≈ mean) — both finite.
    let xs = x.mapv(|v| v * 1e300);
    let r = Ridge::new().fit(xs.view(), t.view()).unwrap();
    assert!((r.coef()[0] * 1e300 - 2.0).abs() < 1e-9, "{}", r.coef());
    // Coefficients beyond the float range are a typed error.
    let tiny = x.mapv(|v| v * 1e-300);
    let huge_t = t.mapv(|v| v * 1e20);
    numerical_failure(
        LinearRegression::new().fit(tiny.view(), huge_t.view()),
        "coef beyond f64",
    );
}

/// Case: StandardScaler on values of magnitude 1e300–1e308 overflowed its
/// variance (returning the column unscaled) or its mean (−inf columns).
#[test]
fn standard_scaler_near_the_f64_limit() {
    let r = 1.5f64.sqrt();
    let x = array![
        [1e300, 1.0, 1.7e308],
        [2e300, 2.0, -1.7e308],
        [3e300, 3.0, 1.7e308]
    ];
    let s = StandardScaler::new().fit(x.view()).unwrap();
    let z = s.transform(x.view()).unwrap();
    let expected = array![
        [-r, -r, 2f64.sqrt() / 2.0],
        [0.0, 0.0, -(2f64.sqrt())],
        [r, r, 2f64.sqrt() / 2.0]
    ];
    for (a, b) in z.iter().zip(&expected) {
        assert!((a - b).abs() < 1e-12, "{z} vs {expected}");
    }
    assert!((s.mean()[0] - 2e300).abs() < 1e285 && (s.mean()[2] - 1.7e308 / 3.0).abs() < 1e293);
    assert!((s.scale()[0] / 1e300 - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    // σ² = 6.7e599 saturates at f64::MAX (σ is exact); nothing non-finite.
    assert_eq!(s.var()[0], f64::MAX);
    assert!(
        s.var()
            .iter()
            .chain(s.scale())
            .chain(s.mean())
            .all(|v| v.is_finite())
    );
    let back = s.inverse_transform(z.view()).unwrap();
    for (a, b) in back.iter().zip(&x) {
        assert!((a - b).abs() <= 1e-12 * b.abs(), "{back}");
    }
    // Round trip through a model file.
    let loaded =
        oxilearn::preprocessing::FittedStandardScaler::<f64>::from_bytes(&s.to_bytes().unwrap())
            .unwrap();
    assert_eq!(loaded.transform(x.view()).unwrap(), z);
}

/// Case: MinMaxScaler on ±1.7e308 returned all zeros (`max − min` = inf).
#[test]
fn min_max_scaler_on_the_whole_f64_range() {
    let x: Array2<f64> = array![[1.7e308, 5.0], [-1.7e308, 7.0], [0.0, 6.0]];
    let s = MinMaxScaler::new().fit(x.view()).unwrap();
    let z = s.transform(x.view()).unwrap();
    let expected: Array2<f64> = array![[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]];
    for (a, b) in z.iter().zip(&expected) {
        assert!((a - b).abs() < 1e-12, "{z}");
    }
    let back = s.inverse_transform(z.view()).unwrap();
    for (a, b) in back.iter().zip(&x) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{back}");
    }
}

/// Case: r2_score_weighted / mean_squared_error_weighted with weights of
/// 1e308 returned NaN / 0 (the weight sum overflowed).
#[test]
fn weighted_metrics_with_weights_near_the_f64_limit() {
    let t = array![3.0, -0.5, 2.0, 7.0];
    let p = array![2.5, 0.0, 2.0, 8.0];
    let huge = array![1e308, 1e308, 1e308, 1e308];
    let r2 = metrics::r2_score_weighted(t.view(), p.view(), huge.view()).unwrap();
    assert!((r2 - 0.9486081370449679).abs() < 1e-15, "{r2}");
    let mse = metrics::mean_squared_error_weighted(t.view(), p.view(), huge.view()).unwrap();
    assert_eq!(mse, 0.375);
    let mae = metrics::mean_absolute_error_weighted(t.view(), p.view(), huge.view()).unwrap();
    assert_eq!(mae, 0.5);
    // Unequal huge weights = the same ratios in small numbers.
    let w_big = array![1e308, 5e307, 1e308, 2.5e307];
    let w_small = array![4.0, 2.0, 4.0, 1.0];
    let a = metrics::r2_score_weighted(t.view(), p.view(), w_big.view()).unwrap();
    let b = metrics::r2_score_weighted(t.view(), p.view(), w_small.view()).unwrap();
    assert!((a - b).abs() < 1e-14, "{a} vs {b}");
    let acc = metrics::accuracy_score_weighted(
        array![0, 1, 1].view(),
        array![0, 1, 0].view(),
        array![1e308, 1e308, 1e308].view(),
    )
    .unwrap();
    assert!((acc - 2.0 / 3.0).abs() < 1e-15);
    // Targets near the limit: R² is scale-free; the errors are exact where
    // representable, a typed error where not.
    let tb = t.mapv(|v| v * 1e300);
    let pb = p.mapv(|v| v * 1e300);
    let r2 = metrics::r2_score(tb.view(), pb.view()).unwrap();
    assert!((r2 - 0.9486081370449679).abs() < 1e-15, "{r2}");
    let mae = metrics::mean_absolute_error(tb.view(), pb.view()).unwrap();
    assert!((mae / 1e300 - 0.5).abs() < 1e-15);
    numerical_failure(
        metrics::mean_squared_error(tb.view(), pb.view()),
        "mse 1e600",
    );
    let mae =
        metrics::mean_absolute_error(array![1.0e308].view(), array![-0.7e308].view()).unwrap();
    assert!((mae / 1.7e308 - 1.0).abs() < 1e-15, "{mae}");
    numerical_failure(
        metrics::mean_absolute_error(array![1.7e308].view(), array![-1.7e308].view()),
        "mae 3.4e308",
    );
}

/// Case: `LeNet5::cifar10().n_classes(0).build()` gave a network that
/// predicted class 0.
#[test]
fn builders_refuse_invalid_values() {
    assert!(matches!(
        LeNet5::cifar10().n_classes(0).build(),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        LeNet5::digits().n_classes(1).build(),
        Err(Error::InvalidParameter { .. })
    ));
    // The other network builders and every layer constructor: an invalid
    // value is an `InvalidParameter` naming it, never a layer that answers.
    use oxilearn::nn::{
        AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNormConfig, Dropout,
        Dropout2d, KerasCnn, LeakyReLU, Linear, MaxPool2d, ResNet,
    };
    fn refused<T>(what: &str, name: &str, r: oxilearn::Result<T>) -> Option<String> {
        match r {
            Err(Error::InvalidParameter { name: n, .. }) if n == name => None,
            Err(e) => Some(format!("{what}: {e:?}")),
            Ok(_) => Some(format!("{what}: built")),
        }
    }
    let bn = |eps: f64, momentum: Option<f64>| BatchNormConfig {
        eps,
        momentum,
        ..BatchNormConfig::default()
    };
    let failures: Vec<String> = [
        refused(
            "KerasCnn n_classes 0",
            "n_classes",
            KerasCnn::cifar10().n_classes(0).build(),
        ),
        refused(
            "KerasCnn 0 channels",
            "input",
            KerasCnn::with_input(0, 28, 28).build(),
        ),
        refused(
            "KerasCnn 1×1 images",
            "input",
            KerasCnn::with_input(1, 1, 1).build(),
        ),
        refused(
            "ResNet depth 9",
            "depth",
            ResNet::cifar10().depth(9).build(),
        ),
        refused(
            "ResNet width 0",
            "width",
            ResNet::cifar10().width(0).build(),
        ),
        refused(
            "ResNet n_classes 1",
            "n_classes",
            ResNet::mnist().n_classes(1).build(),
        ),
        refused("Linear 0 inputs", "in_features", Linear::new(0, 3, 0)),
        refused("Linear 0 outputs", "out_features", Linear::new(3, 0, 0)),
        refused("Dropout p 1.5", "p", Dropout::new(1.5, 0)),
        refused("Dropout p NaN", "p", Dropout::new(f64::NAN, 0)),
        refused("Dropout2d p -0.1", "p", Dropout2d::new(-0.1, 0)),
        refused(
            "LeakyReLU NaN slope",
            "negative_slope",
            LeakyReLU::new(f64::NAN),
        ),
        refused("MaxPool2d kernel 0", "kernel", MaxPool2d::new(0)),
        refused("AvgPool2d kernel 0", "kernel", AvgPool2d::new(0)),
        refused(
            "AdaptiveAvgPool2d 0 × 1",
            "output_size",
            AdaptiveAvgPool2d::new(0, 1),
        ),
        refused(
            "BatchNorm2d 0 features",
            "num_features",
            BatchNorm2d::new(0),
        ),
        refused(
            "BatchNorm1d eps 0",
            "eps",
            BatchNorm1d::with_config(4, bn(0.0, Some(0.1))),
        ),
        refused(
            "BatchNorm2d momentum 2",
            "momentum",
            BatchNorm2d::with_config(4, bn(1e-5, Some(2.0))),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
