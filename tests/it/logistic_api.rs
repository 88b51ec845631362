//! LogisticRegression: API behaviour, invariants and every error variant.

use std::collections::BTreeMap;

use oxilearn::Error;
use oxilearn::logistic::{
    ClassWeight, FittedLogisticRegression, LogisticRegression, Penalty, Solver,
};
use oxilearn::ndarray::{Array1, Array2, array, s};
use oxilearn::traits::{Fit, Predict, PredictProba};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Three overlapping Gaussian blobs in 4 dimensions (labels 0, 1, 2).
fn blobs(n: usize, seed: u64) -> (Array2<f64>, Array1<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::zeros((n, 4));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let c = i % 3;
        y[i] = c;
        for j in 0..4 {
            let center = if j == c { 1.5 } else { 0.0 };
            x[[i, j]] = center + rng.random_range(-1.5..1.5);
        }
    }
    (x, y)
}

fn binary(n: usize, seed: u64) -> (Array2<f64>, Array1<usize>) {
    let (x, y) = blobs(n, seed);
    (x, y.mapv(|c| usize::from(c == 1)))
}

#[test]
fn binary_positive_class_is_the_larger_label() {
    let (x, y) = binary(300, 1);
    // Labels 7 (negative) and 9 (positive, the larger one).
    let labels = y.mapv(|c| if c == 1 { 9 } else { 7 });
    let m = LogisticRegression::new()
        .fit(x.view(), labels.view())
        .unwrap();
    assert_eq!(m.classes(), [7, 9]);
    // Blob 1 is along feature 1: positive weight for the positive class.
    assert!(m.coef()[[0, 1]] > 0.5);
    let z = m.decision_function(x.view()).unwrap();
    let p = m.predict_proba(x.view()).unwrap();
    let pred = m.predict(x.view()).unwrap();
    for i in 0..x.nrows() {
        assert_eq!(pred[i] == 9, z[[i, 0]] > 0.0);
        assert_eq!(p[[i, 1]] > 0.5, z[[i, 0]] > 0.0);
    }
    // Reversing the label order flips the sign of the model.
    let flipped = y.mapv(|c| if c == 1 { 7 } else { 9 });
    let m2 = LogisticRegression::new()
        .fit(x.view(), flipped.view())
        .unwrap();
    for (a, b) in m.coef().iter().zip(m2.coef()) {
        assert!((a + b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn probabilities_are_normalised_and_consistent() {
    let (x, y) = blobs(300, 2);
    for labels in [y.clone(), y.mapv(|c| usize::from(c == 2))] {
        let m = LogisticRegression::new()
            .fit(x.view(), labels.view())
            .unwrap();
        let p = m.predict_proba(x.view()).unwrap();
        let lp = m.predict_log_proba(x.view()).unwrap();
        assert_eq!(p.ncols(), m.classes().len());
        for (row, lrow) in p.rows().into_iter().zip(lp.rows()) {
            assert!((row.sum() - 1.0).abs() < 1e-12);
            for (a, b) in row.iter().zip(lrow) {
                assert!((a.ln() - b).abs() < 1e-9);
            }
        }
        // predict = argmax of the probabilities
        let pred = m.predict(x.view()).unwrap();
        for (i, row) in p.rows().into_iter().enumerate() {
            let best = (0..row.len())
                .max_by(|&a, &b| row[a].partial_cmp(&row[b]).unwrap())
                .unwrap();
            assert_eq!(pred[i], m.classes()[best]);
        }
        assert!(m.score(x.view(), labels.view()).unwrap() > 0.6);
    }
}

#[test]
fn probabilities_are_stable_for_huge_scores() {
    let x = array![[-1.0f64], [1.0], [-2.0], [2.0]];
    let y = array![0, 1, 0, 1];
    let m = LogisticRegression::new()
        .c(1e3)
        .fit(x.view(), y.view())
        .unwrap();
    let far = array![[1e6f64], [-1e6]];
    let p = m.predict_proba(far.view()).unwrap();
    let lp = m.predict_log_proba(far.view()).unwrap();
    assert!(p.iter().all(|v| v.is_finite()) && lp.iter().all(|v| v.is_finite()));
    assert_eq!(p[[0, 1]], 1.0);
    assert!(lp[[0, 0]] < -1e3);
    let (x3, y3) = blobs(60, 3);
    let m3 = LogisticRegression::new().fit(x3.view(), y3.view()).unwrap();
    let huge = Array2::from_elem((1, 4), 1e200);
    let p3 = m3.predict_proba(huge.view()).unwrap();
    assert!((p3.sum() - 1.0).abs() < 1e-12);
}

#[test]
fn solvers_reach_the_same_optimum() {
    let (x, y) = blobs(400, 4);
    for penalty in [Penalty::L2, Penalty::None] {
        for labels in [y.clone(), y.mapv(|c| usize::from(c == 0))] {
            let fit = |solver| {
                LogisticRegression::new()
                    .penalty(penalty)
                    .tol(1e-10)
                    .max_iter(1000)
                    .solver(solver)
                    .fit(x.view(), labels.view())
                    .unwrap()
            };
            let a = fit(Solver::NewtonCholesky);
            let b = fit(Solver::Lbfgs);
            assert!(a.converged() && b.converged());
            let rel = (a.objective() - b.objective()).abs() / a.objective();
            assert!(
                rel < 1e-9,
                "{penalty:?}: objectives {} vs {}",
                a.objective(),
                b.objective()
            );
            for (u, v) in a.coef().iter().zip(b.coef()) {
                assert!(
                    (u - v).abs() < 1e-4 * (1.0 + u.abs()),
                    "{penalty:?}: {u} vs {v}"
                );
            }
            for (u, v) in a.intercept().iter().zip(b.intercept()) {
                assert!(
                    (u - v).abs() < 1e-4 * (1.0 + u.abs()),
                    "{penalty:?}: {u} vs {v}"
                );
            }
        }
    }
}

#[test]
fn multinomial_is_symmetric_like_sklearn() {
    let (x, y) = blobs(300, 5);
    for penalty in [Penalty::L2, Penalty::None] {
        let m = LogisticRegression::new()
            .penalty(penalty)
            .fit(x.view(), y.view())
            .unwrap();
        assert_eq!(m.coef().dim(), (3, 4));
        assert!(m.intercept().sum().abs() < 1e-10);
        for col in m.coef().columns() {
            assert!(col.sum().abs() < 1e-6, "{penalty:?}: {col}");
        }
    }
}

#[test]
fn class_weights_equal_sample_weights() {
    let (x, y) = blobs(300, 6);
    let cw = ClassWeight::explicit([(0, 2.0), (2, 0.5)]);
    let a = LogisticRegression::new()
        .class_weight(cw)
        .tol(1e-10)
        .fit(x.view(), y.view())
        .unwrap();
    let sw = y.mapv(|c| [2.0, 1.0, 0.5][c]);
    let b = LogisticRegression::new()
        .tol(1e-10)
        .fit_weighted(x.view(), y.view(), sw.view())
        .unwrap();
    for (u, v) in a.coef().iter().zip(b.coef()) {
        assert!((u - v).abs() < 1e-8);
    }
    // Balanced on balanced data changes nothing.
    let c = LogisticRegression::new()
        .class_weight(ClassWeight::Balanced)
        .tol(1e-10)
        .fit(x.view(), y.view())
        .unwrap();
    let d = LogisticRegression::new()
        .tol(1e-10)
        .fit(x.view(), y.view())
        .unwrap();
    for (u, v) in c.coef().iter().zip(d.coef()) {
        assert!((u - v).abs() < 1e-8);
    }
}

#[test]
fn integer_sample_weights_equal_repeated_rows() {
    let (x, y) = binary(120, 7);
    let sw = Array1::from_iter((0..120).map(|i| (i % 3) as f64));
    let a = LogisticRegression::new()
        .tol(1e-10)
        .fit_weighted(x.view(), y.view(), sw.view())
        .unwrap();
    let rows: Vec<usize> = (0..120)
        .flat_map(|i| std::iter::repeat_n(i, i % 3))
        .collect();
    let xr = x.select(oxilearn::ndarray::Axis(0), &rows);
    let yr = y.select(oxilearn::ndarray::Axis(0), &rows);
    let b = LogisticRegression::new()
        .tol(1e-10)
        .fit(xr.view(), yr.view())
        .unwrap();
    for (u, v) in a.coef().iter().zip(b.coef()) {
        assert!((u - v).abs() < 1e-7, "{u} vs {v}");
    }
    assert!((a.objective() - b.objective()).abs() < 1e-8 * b.objective());
}

#[test]
fn warm_start_from_the_optimum_converges_at_once() {
    let (x, y) = blobs(300, 8);
    for solver in [Solver::NewtonCholesky, Solver::Lbfgs] {
        let params = LogisticRegression::new().solver(solver).tol(1e-6);
        let cold = params.fit(x.view(), y.view()).unwrap();
        let warm = params
            .clone()
            .warm_start_from(&cold)
            .fit(x.view(), y.view())
            .unwrap();
        assert!(warm.converged());
        assert!(
            warm.n_iter() <= 1,
            "{solver:?}: {} iterations",
            warm.n_iter()
        );
        assert!(warm.n_iter() < cold.n_iter());
        for (u, v) in warm.coef().iter().zip(cold.coef()) {
            assert!((u - v).abs() < 1e-4);
        }
    }
}

#[test]
fn max_iter_and_strict_mode() {
    let (x, y) = blobs(300, 9);
    let m = LogisticRegression::new()
        .max_iter(1)
        .solver(Solver::Lbfgs)
        .fit(x.view(), y.view())
        .unwrap();
    assert!(!m.converged());
    assert_eq!(m.n_iter(), 1);
    let err = LogisticRegression::new()
        .max_iter(1)
        .strict(true)
        .fit(x.view(), y.view());
    assert!(matches!(err, Err(Error::NotConverged { n_iter: 1 })));
    let ok = LogisticRegression::new()
        .strict(true)
        .fit(x.view(), y.view());
    assert!(ok.unwrap().converged());
}

#[test]
fn f32_matches_f64() {
    let (x, y) = blobs(300, 10);
    let x32 = x.mapv(|v| v as f32);
    for solver in [Solver::NewtonCholesky, Solver::Lbfgs] {
        let a = LogisticRegression::new()
            .solver(solver)
            .fit(x.view(), y.view())
            .unwrap();
        let b = LogisticRegression::new()
            .solver(solver)
            .fit(x32.view(), y.view())
            .unwrap();
        assert!(b.converged(), "{solver:?}");
        for (u, v) in a.coef().iter().zip(b.coef()) {
            assert!((u - *v as f64).abs() < 1e-3, "{solver:?}: {u} vs {v}");
        }
        let p: Array2<f32> = b.predict_proba(x32.view()).unwrap();
        assert!(p.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-5));
    }
}

#[test]
fn string_labels_and_traits() {
    let (x, y) = blobs(90, 11);
    let names = ["cat", "dog", "emu"];
    let labels = y.mapv(|c| names[c].to_string());
    let params = LogisticRegression::new();
    let m: FittedLogisticRegression<f64, String> =
        Fit::fit(&params, x.view(), labels.view()).unwrap();
    assert_eq!(m.classes(), ["cat", "dog", "emu"]);
    let pred = Predict::predict(&m, x.view()).unwrap();
    assert_eq!(pred.len(), 90);
    let p = PredictProba::predict_proba(&m, x.view()).unwrap();
    assert_eq!(p.dim(), (90, 3));
    fn send_sync<T: Send + Sync>() {}
    send_sync::<LogisticRegression<String>>();
    send_sync::<FittedLogisticRegression<f32, String>>();
}

#[test]
fn zero_rows_predict_to_empty() {
    let (x, y) = binary(50, 12);
    let m = LogisticRegression::new().fit(x.view(), y.view()).unwrap();
    let empty = Array2::<f64>::zeros((0, 4));
    assert_eq!(m.predict(empty.view()).unwrap().len(), 0);
    assert_eq!(m.predict_proba(empty.view()).unwrap().dim(), (0, 2));
}

#[test]
fn every_error_variant() {
    let (x, y) = binary(40, 13);
    let p = LogisticRegression::new();
    // Hyperparameters.
    for c in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let r = p.clone().c(c).fit(x.view(), y.view());
        assert!(
            matches!(r, Err(Error::InvalidParameter { name: "C", .. })),
            "{c}"
        );
    }
    for tol in [0.0, -1e-4, f64::NAN] {
        let r = p.clone().tol(tol).fit(x.view(), y.view());
        assert!(matches!(
            r,
            Err(Error::InvalidParameter { name: "tol", .. })
        ));
    }
    let r = p
        .clone()
        .class_weight(ClassWeight::explicit([(1, -2.0)]))
        .fit(x.view(), y.view());
    assert!(matches!(
        r,
        Err(Error::InvalidParameter {
            name: "class_weight",
            ..
        })
    ));
    let r = p
        .clone()
        .class_weight(ClassWeight::Explicit(BTreeMap::from([(5, 2.0)])))
        .fit(x.view(), y.view());
    assert!(matches!(
        r,
        Err(Error::InvalidParameter {
            name: "class_weight",
            ..
        })
    ));
    let r = p
        .clone()
        .class_weight(ClassWeight::explicit([(0, 0.0), (1, 0.0)]))
        .fit(x.view(), y.view());
    assert!(matches!(
        r,
        Err(Error::InvalidParameter {
            name: "class_weight",
            ..
        })
    ));
    // Data.
    let mut bad = x.clone();
    bad[[3, 2]] = f64::NAN;
    let r = p.fit(bad.view(), y.view());
    assert!(matches!(r, Err(Error::NonFinite { ref index, .. }) if *index == vec![3, 2]));
    bad[[3, 2]] = f64::INFINITY;
    assert!(matches!(
        p.fit(bad.view(), y.view()),
        Err(Error::NonFinite { .. })
    ));
    let r = p.fit(x.view(), y.slice(s![..39]));
    assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
    let r = p.fit(x.slice(s![..0, ..]), y.slice(s![..0]));
    assert!(matches!(r, Err(Error::EmptyInput { .. })));
    let ones = Array1::from_elem(40, 1usize);
    assert!(matches!(
        p.fit(x.view(), ones.view()),
        Err(Error::SingleClass)
    ));
    // Sample weights.
    let mut w = Array1::from_elem(40, 1.0);
    w[5] = -1.0;
    let r = p.fit_weighted(x.view(), y.view(), w.view());
    assert!(matches!(
        r,
        Err(Error::InvalidParameter {
            name: "sample_weight",
            ..
        })
    ));
    w[5] = f64::NAN;
    let r = p.fit_weighted(x.view(), y.view(), w.view());
    assert!(matches!(r, Err(Error::NonFinite { .. })));
    let r = p.fit_weighted(x.view(), y.view(), w.slice(s![..3]));
    assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
    // Warm start of the wrong shape.
    let r = p
        .clone()
        .warm_start(Array2::zeros((2, 4)), Array1::zeros(2))
        .fit(x.view(), y.view());
    assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
    let r = p
        .clone()
        .warm_start(Array2::zeros((1, 4)), Array1::zeros(3))
        .fit(x.view(), y.view());
    assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
    // Not converged (strict).
    let r = p.clone().max_iter(0).strict(true).fit(x.view(), y.view());
    assert!(matches!(r, Err(Error::NotConverged { n_iter: 0 })));
    // Prediction input.
    let m = p.fit(x.view(), y.view()).unwrap();
    let wide = Array2::<f64>::zeros((2, 5));
    assert!(matches!(
        m.predict(wide.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        m.predict_proba(wide.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        m.decision_function(wide.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut nan = Array2::<f64>::zeros((2, 4));
    nan[[1, 1]] = f64::NAN;
    assert!(matches!(
        m.predict(nan.view()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        m.predict_log_proba(nan.view()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        m.score(x.view(), y.slice(s![..2])),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn save_load_round_trip() {
    use oxilearn::persist::{self, Persist};
    let (x, y) = blobs(120, 14);
    let labels = y.mapv(|c| ["a", "b", "c"][c].to_string());
    let m = LogisticRegression::new()
        .fit(x.view(), labels.view())
        .unwrap();
    let dir = std::env::temp_dir().join(format!("oxilearn-logistic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lr.safetensors");
    m.save(&path).unwrap();
    let meta = persist::inspect(&path).unwrap();
    assert_eq!(meta.kind, "LogisticRegression");
    assert_eq!(meta.n_features, Some(4));
    let back = FittedLogisticRegression::<f64, String>::load(&path).unwrap();
    assert_eq!(back.classes(), m.classes());
    assert_eq!(back.coef(), m.coef());
    assert_eq!(back.intercept(), m.intercept());
    assert_eq!(
        (back.n_iter(), back.converged()),
        (m.n_iter(), m.converged())
    );
    assert_eq!(back.objective(), m.objective());
    assert_eq!(
        back.predict_proba(x.view()).unwrap(),
        m.predict_proba(x.view()).unwrap()
    );
    // Another float type or label type is refused.
    assert!(matches!(
        FittedLogisticRegression::<f32, String>::load(&path),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        FittedLogisticRegression::<f64, u32>::load(&path),
        Err(Error::Format { .. })
    ));
    // Binary f32 through bytes.
    let x32 = x.mapv(|v| v as f32);
    let yb = y.mapv(|c| c == 1);
    let b = LogisticRegression::new()
        .fit(x32.view(), yb.view())
        .unwrap();
    let bytes = b.to_bytes().unwrap();
    let back = FittedLogisticRegression::<f32, bool>::from_bytes(&bytes).unwrap();
    assert_eq!(back.coef(), b.coef());
    assert!(matches!(
        FittedLogisticRegression::<f32, bool>::from_bytes(&bytes[..bytes.len() / 2]),
        Err(Error::Format { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
