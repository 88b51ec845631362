//! Svc / Svr behaviour: typed errors, f32/f64, precomputed kernels, shrinking,
//! class weights, probabilities, progress, persistence.

use ndarray::{Array1, Array2, Axis, array, s};
use oxilearn::Error;
use oxilearn::datasets;
use oxilearn::persist::Persist;
use oxilearn::svm::{ClassWeight, DecisionShape, FittedSvc, FittedSvr, Gamma, Kernel, Svc, Svr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Standardised breast_cancer (first `n` rows).
fn breast_cancer(n: usize) -> (Array2<f64>, Array1<usize>) {
    let d = datasets::breast_cancer();
    let x = d.records.slice(s![..n, ..]).to_owned();
    let mean = x.mean_axis(Axis(0)).unwrap();
    let std = x.std_axis(Axis(0), 0.0);
    ((&x - &mean) / &std, d.targets.slice(s![..n]).to_owned())
}

fn rbf(g: f64) -> Kernel {
    Kernel::Rbf {
        gamma: Gamma::Value(g),
    }
}

#[test]
fn bad_input_gives_typed_errors() {
    let (x, y) = breast_cancer(40);
    let e = |r: oxilearn::Result<FittedSvc<f64, usize>>| r.expect_err("must fail");
    assert!(matches!(
        e(Svc::new().c(0.0).fit(x.view(), y.view())),
        Error::InvalidParameter { name: "C", .. }
    ));
    assert!(matches!(
        e(Svc::new().c(-1.0).fit(x.view(), y.view())),
        Error::InvalidParameter { name: "C", .. }
    ));
    assert!(matches!(
        e(Svc::new().kernel(rbf(0.0)).fit(x.view(), y.view())),
        Error::InvalidParameter { name: "gamma", .. }
    ));
    assert!(matches!(
        e(Svc::new().tol(0.0).fit(x.view(), y.view())),
        Error::InvalidParameter { name: "tol", .. }
    ));
    let one = Array1::from_elem(40, 3usize);
    assert!(matches!(
        e(Svc::new().fit(x.view(), one.view())),
        Error::SingleClass
    ));
    let mut xn = x.clone();
    xn[[3, 2]] = f64::NAN;
    assert!(matches!(
        e(Svc::new().fit(xn.view(), y.view())),
        Error::NonFinite { .. }
    ));
    xn[[3, 2]] = f64::INFINITY;
    assert!(matches!(
        e(Svc::new().fit(xn.view(), y.view())),
        Error::NonFinite { .. }
    ));
    assert!(matches!(
        e(Svc::new().fit(x.view(), y.slice(s![..10]))),
        Error::ShapeMismatch { .. }
    ));
    assert!(matches!(
        e(Svc::new()
            .class_weight(ClassWeight::explicit([(7, 1.0)]))
            .fit(x.view(), y.view())),
        Error::InvalidParameter {
            name: "class_weight",
            ..
        }
    ));
    assert!(matches!(
        e(Svc::new()
            .kernel(Kernel::Precomputed)
            .fit(x.view(), y.view())),
        Error::ShapeMismatch { .. }
    ));
    let empty = Array2::<f64>::zeros((0, 3));
    assert!(matches!(
        e(Svc::new().fit(empty.view(), Array1::<usize>::zeros(0).view())),
        Error::EmptyInput { .. }
    ));
    // predictions: feature count, NaN, probabilities without probability(true)
    let m = Svc::new().fit(x.view(), y.view()).unwrap();
    assert!(matches!(
        m.predict(x.slice(s![.., ..5])),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(m.predict(xn.view()), Err(Error::NonFinite { .. })));
    assert!(matches!(
        m.predict_proba(x.view()),
        Err(Error::InvalidParameter {
            name: "probability",
            ..
        })
    ));
    // Svr
    let yr = x.column(0).to_owned();
    let er = |r: oxilearn::Result<FittedSvr<f64>>| r.expect_err("must fail");
    assert!(matches!(
        er(Svr::new().epsilon(-0.1).fit(x.view(), yr.view())),
        Error::InvalidParameter {
            name: "epsilon",
            ..
        }
    ));
    assert!(matches!(
        er(Svr::new().c(0.0).fit(x.view(), yr.view())),
        Error::InvalidParameter { name: "C", .. }
    ));
    assert!(matches!(
        er(Svr::new()
            .kernel(Kernel::Sigmoid {
                gamma: Gamma::Value(-2.0),
                coef0: 0.0
            })
            .fit(x.view(), yr.view())),
        Error::InvalidParameter { name: "gamma", .. }
    ));
    let mut yn = yr.clone();
    yn[0] = f64::NAN;
    assert!(matches!(
        er(Svr::new().fit(x.view(), yn.view())),
        Error::NonFinite { .. }
    ));
}

#[test]
fn f32_agrees_with_f64() {
    let (x, y) = breast_cancer(300);
    let m64 = Svc::new().fit(x.view(), y.view()).unwrap();
    let x32 = x.mapv(|v| v as f32);
    let m32 = Svc::new().fit(x32.view(), y.view()).unwrap();
    assert_eq!(
        m64.predict(x.view()).unwrap(),
        m32.predict(x32.view()).unwrap()
    );
    let d64 = m64.decision_function(x.view()).unwrap();
    let d32 = m32.decision_function(x32.view()).unwrap();
    let err = d64
        .iter()
        .zip(&d32)
        .map(|(a, b)| (a - *b as f64).abs())
        .fold(0.0, f64::max);
    assert!(err < 5e-3, "f32 vs f64 decision values differ by {err}");
    let r32 = Svr::new().fit(x32.view(), x32.column(1)).unwrap();
    assert_eq!(r32.predict(x32.view()).unwrap().len(), 300);
}

#[test]
fn precomputed_kernel_equals_builtin() {
    let (x, y) = breast_cancer(200);
    let (train, test) = (x.slice(s![..150, ..]), x.slice(s![150.., ..]));
    let g = 0.03;
    let k = |a: ndarray::ArrayView2<f64>, b: ndarray::ArrayView2<f64>| {
        Array2::from_shape_fn((a.nrows(), b.nrows()), |(i, j)| {
            let d = &a.row(i) - &b.row(j);
            (-g * d.dot(&d)).exp()
        })
    };
    let yt = y.slice(s![..150]);
    let built = Svc::new().kernel(rbf(g)).fit(train, yt).unwrap();
    let pre = Svc::new()
        .kernel(Kernel::Precomputed)
        .fit(k(train, train).view(), yt)
        .unwrap();
    assert_eq!(built.support(), pre.support());
    let kt = k(test, train);
    let (a, b) = (
        built.decision_function(test).unwrap(),
        pre.decision_function(kt.view()).unwrap(),
    );
    assert!(a.iter().zip(&b).all(|(u, v)| (u - v).abs() < 1e-4));
    assert!(matches!(
        pre.predict(test),
        Err(Error::ShapeMismatch { .. })
    ));
    // Svr too
    let yr = x.column(0).slice(s![..150]).to_owned();
    let r1 = Svr::new().kernel(rbf(g)).fit(train, yr.view()).unwrap();
    let r2 = Svr::new()
        .kernel(Kernel::Precomputed)
        .fit(k(train, train).view(), yr.view())
        .unwrap();
    let (p1, p2) = (r1.predict(test).unwrap(), r2.predict(kt.view()).unwrap());
    assert!(p1.iter().zip(&p2).all(|(u, v)| (u - v).abs() < 1e-4));
}

#[test]
fn shrinking_and_tiny_cache_do_not_change_the_solution() {
    let d = datasets::digits();
    let x = d.records.slice(s![..400, ..]).to_owned();
    let y = d.targets.slice(s![..400]).to_owned();
    let base = Svc::new().tol(1e-5).fit(x.view(), y.view()).unwrap();
    let plain = Svc::new()
        .tol(1e-5)
        .shrinking(false)
        .cache_size(0.001) // two rows
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(base.support(), plain.support());
    let tiny = Svc::new()
        .tol(1e-5)
        .cache_size(0.01) // a few rows, with shrinking
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(base.support(), tiny.support());
    for (a, b) in base.objective().iter().zip(tiny.objective()) {
        assert!((a - b).abs() <= 1e-6 * a.abs(), "{a} vs {b}");
    }
    for (a, b) in base.objective().iter().zip(plain.objective()) {
        assert!((a - b).abs() <= 1e-6 * a.abs(), "{a} vs {b}");
    }
    let (da, db) = (
        base.decision_function(x.view()).unwrap(),
        plain.decision_function(x.view()).unwrap(),
    );
    assert!(da.iter().zip(&db).all(|(u, v)| (u - v).abs() < 1e-4));
}

#[test]
fn evicting_cache_with_shrinking_gives_the_same_solution() {
    let (x, y) = breast_cancer(569);
    let base = Svc::new().fit(x.view(), y.view()).unwrap();
    for mb in [0.05, 0.01, 0.002] {
        let small = Svc::new().cache_size(mb).fit(x.view(), y.view()).unwrap();
        assert_eq!(base.support(), small.support(), "cache {mb} MB");
        let (a, b) = (base.objective()[0], small.objective()[0]);
        assert!((a - b).abs() <= 1e-6 * a.abs(), "{a} vs {b}");
    }
}

#[test]
fn class_weight_moves_the_boundary() {
    let (x, y) = breast_cancer(300);
    let plain = Svc::new().fit(x.view(), y.view()).unwrap();
    let heavy = Svc::new()
        .class_weight(ClassWeight::explicit([(0, 10.0), (1, 1.0)]))
        .fit(x.view(), y.view())
        .unwrap();
    let count0 = |m: &FittedSvc<f64, usize>| {
        m.predict(x.view())
            .unwrap()
            .iter()
            .filter(|&&c| c == 0)
            .count()
    };
    assert!(count0(&heavy) >= count0(&plain));
    // weights equal to per-sample weights
    let w = y.mapv(|c| if c == 0 { 10.0 } else { 1.0 });
    let weighted = Svc::new()
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    assert_eq!(weighted.support(), heavy.support());
    let balanced = Svc::new()
        .class_weight(ClassWeight::Balanced)
        .fit(x.view(), y.view())
        .unwrap();
    assert!(balanced.converged());
    // "balanced" is n / (n_classes · count), the rule every classifier shares;
    // as scikit-learn's SVC, sample weights do not enter the counts.
    let n0 = y.iter().filter(|&&c| c == 0).count() as f64;
    let n = y.len() as f64;
    let explicit_weights = ClassWeight::explicit([(0, n / (2.0 * n0)), (1, n / (2.0 * (n - n0)))]);
    let explicit = Svc::new()
        .class_weight(explicit_weights.clone())
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(balanced.support(), explicit.support());
    assert_eq!(balanced.dual_coef(), explicit.dual_coef());
    let sw = Array1::from_iter((0..y.len()).map(|i| 1.0 + (i % 3) as f64));
    let balanced_w = Svc::new()
        .class_weight(ClassWeight::Balanced)
        .fit_weighted(x.view(), y.view(), sw.view())
        .unwrap();
    let explicit_w = Svc::new()
        .class_weight(explicit_weights)
        .fit_weighted(x.view(), y.view(), sw.view())
        .unwrap();
    assert_eq!(balanced_w.support(), explicit_w.support());
    let d = (&balanced_w.dual_coef() - &explicit_w.dual_coef())
        .mapv(f64::abs)
        .fold(0.0, |a: f64, &v| a.max(v));
    assert!(d < 1e-12, "{d}");
}

#[test]
fn probabilities_are_distributions_and_seeded() {
    let d = datasets::iris();
    let (x, y) = (d.records.view(), d.targets.view());
    let m = Svc::new().probability(true).seed(7).fit(x, y).unwrap();
    let p = m.predict_proba(x).unwrap();
    assert_eq!(p.shape(), &[150, 3]);
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-9 && row.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }
    let again = Svc::new().probability(true).seed(7).fit(x, y).unwrap();
    assert_eq!(p, again.predict_proba(x).unwrap());
    assert_eq!(m.prob_a().len(), 3);
    // probabilities agree with the predicted class on confident rows
    let pred = m.predict(x).unwrap();
    let agree = p
        .rows()
        .into_iter()
        .zip(&pred)
        .filter(|(r, c)| r[**c] >= r.iter().cloned().fold(0.0, f64::max) - 1e-12)
        .count();
    assert!(agree >= 140, "{agree}");
}

#[test]
fn decision_shapes() {
    let d = datasets::iris();
    let (x, y) = (d.records.view(), d.targets.view());
    let ovo = Svc::new()
        .decision_shape(DecisionShape::Ovo)
        .fit(x, y)
        .unwrap();
    assert_eq!(ovo.decision_function(x).unwrap().shape(), &[150, 3]);
    let ovr = Svc::new().fit(x, y).unwrap();
    let d = ovr.decision_function(x).unwrap();
    let pred = ovr.predict(x).unwrap();
    // argmax of the ovr shape is the voted class
    for (row, c) in d.rows().into_iter().zip(&pred) {
        let best = (0..3).fold(0, |b, k| if row[k] > row[b] { k } else { b });
        assert_eq!(best, *c);
    }
    assert_eq!(ovr.dual_coef().shape(), &[2, ovr.support().len()]);
    assert_eq!(ovr.intercept().len(), 3);
}

#[test]
fn progress_and_iteration_cap() {
    let (x, y) = breast_cancer(569);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let m = Svc::new()
        .tol(1e-8)
        .max_iter(Some(20))
        .progress(move |p| {
            assert_eq!(p.n_tasks, 1);
            c.fetch_add(1, Ordering::SeqCst);
        })
        .fit(x.view(), y.view())
        .unwrap();
    assert!(!m.converged());
    assert_eq!(m.n_iter(), &[20]);
    assert!(calls.load(Ordering::SeqCst) >= 1);
    assert!(matches!(
        Svc::new().max_iter(Some(0)).fit(x.view(), y.view()),
        Err(Error::InvalidParameter {
            name: "max_iter",
            ..
        })
    ));
}

#[test]
fn kernels_separate_simple_data() {
    let x = array![
        [0.0, 0.0],
        [0.3, 0.1],
        [0.1, 0.4],
        [2.0, 2.0],
        [2.2, 1.8],
        [1.9, 2.3]
    ];
    let y = array!["lo", "lo", "lo", "hi", "hi", "hi"];
    for k in [
        Kernel::Linear,
        Kernel::Poly {
            degree: 2,
            gamma: Gamma::Auto,
            coef0: 1.0,
        },
        rbf(0.5),
        Kernel::Sigmoid {
            gamma: Gamma::Value(0.1),
            coef0: 0.0,
        },
    ] {
        let m = Svc::new()
            .c(10.0)
            .kernel(k)
            .fit(x.view(), y.view())
            .unwrap();
        assert_eq!(m.predict(x.view()).unwrap(), y, "{k:?}");
        assert_eq!(m.classes(), &["hi", "lo"]);
    }
}

#[test]
fn save_load_round_trip() {
    let d = datasets::iris();
    let (x, y) = (d.records.view(), d.targets.view());
    let m = Svc::new().probability(true).fit(x, y).unwrap();
    let bytes = m.to_bytes().unwrap();
    let back = FittedSvc::<f64, usize>::from_bytes(&bytes).unwrap();
    assert_eq!(back.predict(x).unwrap(), m.predict(x).unwrap());
    assert_eq!(back.predict_proba(x).unwrap(), m.predict_proba(x).unwrap());
    assert_eq!(back.support(), m.support());
    // wrong dtype and wrong kind fail cleanly
    assert!(matches!(
        FittedSvc::<f32, usize>::from_bytes(&bytes),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        FittedSvr::<f64>::from_bytes(&bytes),
        Err(Error::WrongModelKind { .. })
    ));
    assert!(FittedSvc::<f64, usize>::from_bytes(&bytes[..bytes.len() / 2]).is_err());
    let r = Svr::new().fit(x, x.column(0)).unwrap();
    let dir = std::env::temp_dir().join(format!("oxilearn-svr-{}.oxl", std::process::id()));
    r.save(&dir).unwrap();
    let rb = FittedSvr::<f64>::load(&dir).unwrap();
    std::fs::remove_file(&dir).ok();
    assert_eq!(rb.predict(x).unwrap(), r.predict(x).unwrap());
    // precomputed models round-trip too
    let k = x.dot(&x.t());
    let pm = Svc::new()
        .kernel(Kernel::Precomputed)
        .fit(k.view(), y)
        .unwrap();
    let pb = FittedSvc::<f64, usize>::from_bytes(&pm.to_bytes().unwrap()).unwrap();
    assert_eq!(pb.predict(k.view()).unwrap(), pm.predict(k.view()).unwrap());
}

#[test]
fn fitted_models_are_send_sync_and_deterministic() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<FittedSvc<f32, String>>();
    assert_send_sync::<FittedSvr<f64>>();
    assert_send_sync::<Svc<String>>();
    let (x, y) = breast_cancer(200);
    let a = Svc::new().fit(x.view(), y.view()).unwrap();
    let b = Svc::new().fit(x.view(), y.view()).unwrap();
    assert_eq!(
        a.decision_function(x.view()).unwrap(),
        b.decision_function(x.view()).unwrap()
    );
    assert_eq!(a.predict(x.slice(s![..0, ..])).unwrap().len(), 0);
}
