//! The kernel SVMs on sparse (CSR) records: the same models as libsvm's sparse
//! path through scikit-learn 1.9, the same models as on the dense form of the
//! same data, sparse support vectors that save and load, and typed errors.
//!
//! Reference values: `tests/data/svm_sparse_reference.py` (the snippets, one per
//! case, beside the calls that produced each key) →
//! `tests/data/svm_sparse_reference.json`; the records are
//! `tests/data/svm_sparse.svmlight`, written by the same script and read here
//! with oxilearn's svmlight reader.

use ndarray::{Array1, Array2, Axis};
use oxilearn::Error;
use oxilearn::persist::Persist;
use oxilearn::sparse::{CsMat, Records};
use oxilearn::svm::{
    DecisionShape, FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvc, FittedSvr, Gamma,
    Kernel, NuSvc, NuSvr, OneClassSvm, Svc, Svr,
};
use serde_json::Value;

use crate::reference::{col, mat, max_abs, sparse_text_records as data, vecf, vecu};

fn json() -> Value {
    crate::reference::json("svm_sparse_reference.json")
}

/// Support set, decision values (one-vs-one), intercepts, dual coefficients
/// and predictions of a fitted classifier against the case. libsvm's `tol`
/// bounds the KKT gap, so the decision values are compared to `tol` and the
/// dual coefficients to 1 % of the largest.
fn check_classifier(case: &Value, model: &FittedSvc<f64, i64>, x: &CsMat<f64>, tol: f64) {
    assert!(model.converged());
    assert_eq!(model.support(), vecu(&case["support"]).as_slice());
    assert_eq!(model.n_support(), vecu(&case["n_support"]).as_slice());
    let d = model.decision_function(x).unwrap();
    let err = max_abs(&d, &mat(&case["decision"]));
    assert!(err < tol, "decision values differ by {err}");
    let berr = max_abs(&col(model.intercept()), &col(vecf(&case["intercept"])));
    assert!(berr < tol, "intercepts differ by {berr}");
    let dual_ref = mat(&case["dual_coef"]);
    let bound = dual_ref.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let derr = max_abs(&model.dual_coef(), &dual_ref);
    assert!(derr < 1e-2 * bound, "dual coefficients differ by {derr}");
    let pred: Vec<i64> = serde_json::from_value(case["predict"].clone()).unwrap();
    assert_eq!(model.predict(x).unwrap().to_vec(), pred);
    // The support vectors are the training rows, kept sparse.
    let sv = model.support_vectors();
    assert!(sv.is_sparse());
    let dense = Records::from(x).to_dense();
    assert_eq!(sv.to_dense(), dense.select(Axis(0), model.support()));
}

/// Support set, dual coefficients, intercept and predictions of a regressor.
fn check_regressor(case: &Value, model: &FittedSvr<f64>, x: &CsMat<f64>, tol: f64) {
    assert!(model.converged());
    assert_eq!(model.support(), vecu(&case["support"]).as_slice());
    let dref = vecf(&case["dual_coef"]);
    let scale = dref.mapv(f64::abs).fold(1.0, |a: f64, &v| a.max(v));
    let derr = max_abs(&col(model.dual_coef().to_owned()), &col(dref));
    assert!(derr < tol * scale, "dual coefficients differ by {derr}");
    let b = case["intercept"].as_f64().unwrap();
    assert!(
        (model.intercept() - b).abs() < tol * b.abs().max(1.0),
        "intercept {} vs {b}",
        model.intercept()
    );
    let perr = max_abs(
        &col(model.predict(x).unwrap()),
        &col(vecf(&case["predict"])),
    );
    assert!(perr < tol, "predictions differ by {perr}");
    assert!(model.support_vectors().is_sparse());
}

#[test]
fn svc_and_nusvc_on_csr_match_libsvm() {
    let r = json();
    let (x, y) = data();
    // SVC(C=1.0, decision_function_shape="ovo"): RBF, gamma="scale"
    let m = Svc::new()
        .c(1.0)
        .decision_shape(DecisionShape::Ovo)
        .fit(&x, y.view())
        .unwrap();
    let g = r["svc_rbf"]["gamma"].as_f64().unwrap();
    assert!(
        (m.gamma() - g).abs() < 1e-12 * g,
        "gamma {} vs {g}",
        m.gamma()
    );
    check_classifier(&r["svc_rbf"], &m, &x, 1e-3);
    // SVC(kernel="poly", degree=2, gamma=1.0, coef0=1.0, C=1.0, decision_function_shape="ovo")
    let m = Svc::new()
        .kernel(Kernel::Poly {
            degree: 2,
            gamma: Gamma::Value(1.0),
            coef0: 1.0,
        })
        .decision_shape(DecisionShape::Ovo)
        .fit(&x, y.view())
        .unwrap();
    check_classifier(&r["svc_poly"], &m, &x, 1e-3);
    // NuSVC(nu=0.3, decision_function_shape="ovo"): RBF, gamma="scale"
    let m = NuSvc::new()
        .nu(0.3)
        .decision_shape(DecisionShape::Ovo)
        .fit(&x, y.view())
        .unwrap();
    check_classifier(&r["nusvc_rbf"], &m, &x, 1e-3);
}

#[test]
fn svr_nusvr_and_oneclass_on_csr_match_libsvm() {
    let r = json();
    let (x, _) = data();
    let t = vecf(&r["target"]);
    // SVR(C=10.0, epsilon=0.1): RBF, gamma="scale"
    let m = Svr::new().c(10.0).epsilon(0.1).fit(&x, t.view()).unwrap();
    check_regressor(&r["svr_rbf"], &m, &x, 1e-3);
    // NuSVR(nu=0.2, C=10.0, kernel="linear")
    let m = NuSvr::new()
        .nu(0.2)
        .c(10.0)
        .kernel(Kernel::Linear)
        .fit(&x, t.view())
        .unwrap();
    check_regressor(&r["nusvr_linear"], &m, &x, 1e-3);
    // OneClassSVM(nu=0.1): RBF, gamma="scale"
    let case = &r["oneclass_rbf"];
    let m = OneClassSvm::new().nu(0.1).fit(&x).unwrap();
    assert!(m.converged());
    // The support sets agree but for samples whose reference α is far below
    // libsvm's tolerance (sample 30: α = 1.6e-13, which libsvm's last step
    // left non-zero; ours ends at exactly 0).
    let (sup, sup_ref) = (m.support(), vecu(&case["support"]));
    let dref = vecf(&case["dual_coef"]);
    for (i, t) in sup_ref.iter().enumerate() {
        assert!(
            sup.contains(t) || dref[i] < 1e-9,
            "sample {t}, α {}",
            dref[i]
        );
    }
    assert!(sup.iter().all(|t| sup_ref.contains(t)));
    let dual_of = |support: &[usize], coef: &Array1<f64>| {
        let mut full = Array1::<f64>::zeros(300);
        for (&t, &a) in support.iter().zip(coef) {
            full[t] = a;
        }
        col(full)
    };
    let off = case["offset"].as_f64().unwrap();
    assert!((m.offset() - off).abs() < 1e-3 * off.abs().max(1.0));
    let derr = max_abs(
        &dual_of(sup, &m.dual_coef().to_owned()),
        &dual_of(&sup_ref, &dref),
    );
    assert!(derr < 1e-3, "dual coefficients differ by {derr}");
    let serr = max_abs(
        &col(m.score_samples(&x).unwrap()),
        &col(vecf(&case["score_samples"])),
    );
    assert!(serr < 1e-3, "scores differ by {serr}");
    // Predictions agree wherever the reference decision is clear of 0 by
    // more than the tolerance (the free support vectors lie on the boundary,
    // where the sign is rounding).
    let pred: Vec<i64> = serde_json::from_value(case["predict"].clone()).unwrap();
    let scores = vecf(&case["score_samples"]);
    let ours = m.predict(&x).unwrap();
    let mut clear = 0;
    for t in 0..300 {
        if (scores[t] - off).abs() > 1e-3 {
            assert_eq!(ours[t], pred[t], "sample {t}");
            clear += 1;
        }
    }
    assert!(clear > 50, "{clear} clear decisions");
}

/// Fitting the CSR records and their dense form gives the same model (the
/// kernel values agree to rounding, so the solver takes the same path), and
/// either model predicts dense and sparse rows alike.
#[test]
fn sparse_and_dense_records_give_the_same_models() {
    let (x, y) = data();
    let dense = Records::from(&x).to_dense();
    let w = Array1::from_iter((0..300).map(|i| 0.5 + (i % 5) as f64 / 4.0));
    // Dense RBF rows are evaluated in f32 on centred records, sparse ones in
    // f64 (then rounded to the f32 cache): the two solutions agree to the
    // cache's rounding (relative 1e-5 of the values' scale); the other
    // kernels compute the same f64 dot products on both paths.
    let close = |a: &Array2<f64>, b: &Array2<f64>, rbf: bool, what: &str| {
        let e = max_abs(a, b);
        let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let tol = if rbf { 1e-5 * scale } else { 1e-12 * scale };
        assert!(e < tol, "{what}: differ by {e}");
    };
    for kernel in [
        Kernel::Rbf {
            gamma: Gamma::Scale,
        },
        Kernel::Linear,
        Kernel::Poly {
            degree: 3,
            gamma: Gamma::Auto,
            coef0: 0.5,
        },
        Kernel::Sigmoid {
            gamma: Gamma::Value(0.5),
            coef0: 0.0,
        },
    ] {
        let rbf = matches!(kernel, Kernel::Rbf { .. });
        // Platt scaling (5-fold CV per class pair) once, on the RBF kernel.
        let svc = Svc::new().kernel(kernel).tol(1e-6).probability(rbf);
        let s = svc.fit_weighted(&x, y.view(), w.view()).unwrap();
        let d = svc.fit_weighted(dense.view(), y.view(), w.view()).unwrap();
        assert_eq!(s.support(), d.support(), "{kernel:?}");
        // Var(X) summed over the stored entries or over all n·d: equal to rounding
        let (gs, gd) = (s.gamma(), d.gamma());
        assert!((gs - gd).abs() <= 1e-9 * gd, "gamma {gs} vs {gd}");
        close(&s.dual_coef(), &d.dual_coef(), rbf, "dual_coef");
        let ds = s.decision_function(&x).unwrap();
        close(
            &ds,
            &d.decision_function(dense.view()).unwrap(),
            rbf,
            "decision",
        );
        close(
            &ds,
            &s.decision_function(dense.view()).unwrap(),
            rbf,
            "dense rows",
        );
        close(&ds, &d.decision_function(&x).unwrap(), rbf, "sparse rows");
        if rbf {
            close(
                &s.predict_proba(&x).unwrap(),
                &d.predict_proba(dense.view()).unwrap(),
                rbf,
                "proba",
            );
        }

        let target = Array1::from_iter((0..300).map(|i| (i % 7) as f64 / 7.0));
        let svr = Svr::new().kernel(kernel).tol(1e-6);
        let s = svr.fit_weighted(&x, target.view(), w.view()).unwrap();
        let d = svr
            .fit_weighted(dense.view(), target.view(), w.view())
            .unwrap();
        assert_eq!(s.support(), d.support(), "{kernel:?}");
        close(
            &col(s.predict(&x).unwrap()),
            &col(d.predict(dense.view()).unwrap()),
            rbf,
            "svr",
        );

        let oc = OneClassSvm::new().kernel(kernel).nu(0.2).tol(1e-6);
        let s = oc.fit_weighted(&x, w.view()).unwrap();
        let d = oc.fit_weighted(dense.view(), w.view()).unwrap();
        assert_eq!(s.support(), d.support(), "{kernel:?}");
        close(
            &col(s.score_samples(&x).unwrap()),
            &col(d.score_samples(dense.view()).unwrap()),
            rbf,
            "score_samples",
        );
    }
}

#[test]
fn models_fitted_on_sparse_records_save_and_load_sparse_support_vectors() {
    let (x, y) = data();
    let t = y.mapv(|v| v as f64);
    let dir = std::env::temp_dir().join(format!("oxilearn_svm_sparse_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("m.safetensors");

    let svc = Svc::new().fit(&x, y.view()).unwrap();
    svc.save(&p).unwrap();
    let back = FittedSvc::<f64, i64>::load(&p).unwrap();
    assert!(back.support_vectors().is_sparse());
    assert_eq!(
        back.decision_function(&x).unwrap(),
        svc.decision_function(&x).unwrap()
    );

    let nusvc = NuSvc::new().nu(0.3).fit(&x, y.view()).unwrap();
    nusvc.save(&p).unwrap();
    let back = FittedNuSvc::<f64, i64>::load(&p).unwrap();
    assert_eq!(
        back.decision_function(&x).unwrap(),
        nusvc.decision_function(&x).unwrap()
    );

    let svr = Svr::new().fit(&x, t.view()).unwrap();
    svr.save(&p).unwrap();
    let back = FittedSvr::<f64>::load(&p).unwrap();
    assert_eq!(back.predict(&x).unwrap(), svr.predict(&x).unwrap());

    let nusvr = NuSvr::new().fit(&x, t.view()).unwrap();
    nusvr.save(&p).unwrap();
    let back = FittedNuSvr::<f64>::load(&p).unwrap();
    assert_eq!(back.predict(&x).unwrap(), nusvr.predict(&x).unwrap());

    let oc = OneClassSvm::new().fit(&x).unwrap();
    oc.save(&p).unwrap();
    let back = FittedOneClassSvm::<f64>::load(&p).unwrap();
    assert!(back.support_vectors().is_sparse());
    assert_eq!(
        back.score_samples(&x).unwrap(),
        oc.score_samples(&x).unwrap()
    );

    // A file whose CSR arrays were tampered with is a format error, not a panic.
    use oxilearn::persist::ModelFile;
    let file = svc.to_model_file().unwrap();
    for (name, bad) in [
        ("support_vectors_indices", vec![2_999_999i64]),
        ("support_vectors_indptr", vec![0i64, 5, 3]),
    ] {
        let mut f = ModelFile::from_bytes(&file.to_bytes().unwrap()).unwrap();
        let mut a = f.take_i64(name).unwrap();
        for (v, b) in a.iter_mut().zip(&bad) {
            *v = *b;
        }
        f.push_i64(name, a);
        let err = FittedSvc::<f64, i64>::from_model_file(f).unwrap_err();
        assert!(matches!(err, Error::Format { .. }), "{name}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_sparse_input_is_a_typed_error() {
    let (x, y) = data();
    // CSC storage
    let csc = x.to_csc();
    assert!(matches!(
        Svc::new().fit(&csc, y.view()),
        Err(Error::InvalidParameter { name: "x", .. })
    ));
    // NaN among the stored values
    let mut nan = x.clone();
    nan.data_mut()[7] = f64::NAN;
    assert!(matches!(
        OneClassSvm::new().fit(&nan),
        Err(Error::NonFinite { what: "x", .. })
    ));
    // no rows / no columns
    let empty = CsMat::<f64>::zero((0, 10));
    assert!(matches!(
        Svr::new().fit(&empty, Array1::<f64>::zeros(0).view()),
        Err(Error::EmptyInput { .. })
    ));
    // a precomputed kernel must be dense
    let k = CsMat::<f64>::eye(300);
    assert!(matches!(
        Svc::new().kernel(Kernel::Precomputed).fit(&k, y.view()),
        Err(Error::InvalidParameter { name: "x", .. })
    ));
    // feature count at prediction, NaN at prediction
    let m = Svc::new().fit(&x, y.view()).unwrap();
    let narrow = CsMat::<f64>::zero((2, 10));
    assert!(matches!(
        m.predict(&narrow),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(m.predict(&nan), Err(Error::NonFinite { .. })));
    // rows without any stored entry are ordinary samples
    let zeros = CsMat::<f64>::zero((3, 3000));
    assert_eq!(m.predict(&zeros).unwrap().len(), 3);
}
