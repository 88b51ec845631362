//! NuSvc / OneClassSvm against libsvm through scikit-learn 1.9.1.
//!
//! Reference values: `tests/data/svm_nu_reference.py` (the snippets, one per
//! case, beside the calls that produced each key) →
//! `tests/data/svm_nu_reference.json`. Breast cancer (standardised) is read
//! from `tests/data/svm_reference.json`, iris from the bundled dataset.

use ndarray::{Array1, Array2, Axis};
use oxilearn::Error;
use oxilearn::persist::Persist;
use oxilearn::svm::{
    DecisionShape, FittedNuSvc, FittedOneClassSvm, Gamma, Kernel, NuSvc, OneClassSvm,
};
use serde_json::Value;

fn json(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference file")).unwrap()
}

fn mat(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

fn mat_or_col(v: &Value) -> Array2<f64> {
    if v[0].is_array() {
        mat(v)
    } else {
        vecf(v).insert_axis(Axis(1))
    }
}

fn vecf(v: &Value) -> Array1<f64> {
    Array1::from(serde_json::from_value::<Vec<f64>>(v.clone()).unwrap())
}

fn veci(v: &Value) -> Vec<i64> {
    serde_json::from_value(v.clone()).unwrap()
}

fn vecu(v: &Value) -> Vec<usize> {
    serde_json::from_value(v.clone()).unwrap()
}

fn max_abs(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn breast_cancer() -> (Array2<f64>, Array1<i64>) {
    let r = json("svm_reference.json");
    let case = &r["breast_cancer"];
    (mat(&case["x"]), Array1::from(veci(&case["y"])))
}

fn iris() -> (Array2<f64>, Array1<i64>) {
    let ds = oxilearn::datasets::iris();
    (ds.records.clone(), ds.targets.mapv(|c| c as i64))
}

/// Support set, decision values (ovo), intercepts and predictions of a
/// fitted ν-SVC against the reference case.
fn check_nusvc(case: &Value, model: &FittedNuSvc<f64, i64>, x: &Array2<f64>, tol: f64) {
    assert!(model.converged());
    assert_eq!(model.support(), vecu(&case["support"]).as_slice());
    assert_eq!(model.n_support(), vecu(&case["n_support"]).as_slice());
    let d = model.decision_function(x.view()).unwrap();
    let err = max_abs(&d, &mat_or_col(&case["decision"]));
    assert!(err < tol, "decision values differ by {err}");
    let b = model.intercept();
    let berr = max_abs(
        &b.insert_axis(Axis(1)),
        &vecf(&case["intercept"]).insert_axis(Axis(1)),
    );
    assert!(berr < tol, "intercepts differ by {berr}");
    // libsvm's tolerance bounds the KKT gap, so the objective and the
    // decision values, not each dual coefficient: those are compared as
    // Svc's (within 1 % of the bound C, here the margin scale 1/r = the
    // largest |coefficient|).
    for (p, (o, o_ref)) in model
        .objective()
        .iter()
        .zip(vecf(&case["objective"]))
        .enumerate()
    {
        assert!(
            (o - o_ref).abs() < 1e-3 * o_ref.abs(),
            "pair {p}: objective {o} vs {o_ref}"
        );
    }
    let dual = model.dual_coef();
    let dual_ref = mat(&case["dual_coef"]);
    let bound = dual_ref.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let derr = max_abs(&dual, &dual_ref);
    assert!(
        derr < 1e-2 * bound,
        "dual coefficients differ by {derr} (bound {bound})"
    );
    assert_eq!(
        model.predict(x.view()).unwrap().to_vec(),
        veci(&case["predict"])
    );
}

#[test]
fn nusvc_breast_cancer_matches_libsvm() {
    // NuSVC(nu=0.2).fit(xb, yb): RBF, gamma="scale"
    let r = json("svm_nu_reference.json");
    let case = &r["nusvc_breast_cancer"];
    let (x, y) = breast_cancer();
    let model = NuSvc::new().nu(0.2).fit(x.view(), y.view()).unwrap();
    check_nusvc(case, &model, &x, 1e-3);
    // NuSVC(nu=0.2, probability=True, random_state=0): libsvm draws its CV
    // folds with another RNG, so the sigmoid comes from other held-out
    // values: compared loosely, as Svc's probabilities.
    let mp = NuSvc::new()
        .nu(0.2)
        .probability(true)
        .fit(x.view(), y.view())
        .unwrap();
    let p = mp.predict_proba(x.view()).unwrap();
    let mean_err = (&p - &mat(&case["proba"])).mapv(f64::abs).mean().unwrap();
    assert!(mean_err < 1e-2, "mean |Δp| = {mean_err}");
}

#[test]
fn nusvc_iris_linear_and_weighted_poly_match_libsvm() {
    let r = json("svm_nu_reference.json");
    let (x, y) = iris();
    // NuSVC(nu=0.15, kernel="linear", decision_function_shape="ovo", tol=1e-5)
    let model = NuSvc::new()
        .nu(0.15)
        .kernel(Kernel::Linear)
        .tol(1e-5)
        .decision_shape(DecisionShape::Ovo)
        .fit(x.view(), y.view())
        .unwrap();
    check_nusvc(&r["nusvc_iris_linear"], &model, &x, 1e-4);
    // NuSVC(nu=0.5, kernel="poly", degree=2, gamma=0.5, coef0=1, "ovo", tol=1e-5)
    //   .fit(xi, yi, sample_weight=1 + (arange(150) % 3))
    let w = Array1::from_iter((0..150).map(|i| 1.0 + (i % 3) as f64));
    let model = NuSvc::new()
        .nu(0.5)
        .kernel(Kernel::Poly {
            degree: 2,
            gamma: Gamma::Value(0.5),
            coef0: 1.0,
        })
        .tol(1e-5)
        .decision_shape(DecisionShape::Ovo)
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    check_nusvc(&r["nusvc_iris_poly_weighted"], &model, &x, 1e-4);
}

#[test]
fn nusvc_degenerate_margin_scale_matches_libsvm_up_to_scale() {
    // NuSVC(nu=0.1, kernel="linear", decision_function_shape="ovo", tol=1e-5) on iris:
    // on the separable pairs nu * 100 / 2 = 5 is whole, every alpha of one label
    // ends at a bound, and the multiplier of that label's sum is any point of
    // an interval (libsvm's pick is a floating-point accident), so are rho and
    // r. The nu solution alpha is unique: same support and predictions.
    let r = json("svm_nu_reference.json");
    let case = &r["nusvc_iris_linear_degenerate"];
    let (x, y) = iris();
    let model = NuSvc::new()
        .nu(0.1)
        .kernel(Kernel::Linear)
        .tol(1e-5)
        .decision_shape(DecisionShape::Ovo)
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(model.support(), vecu(&case["support"]).as_slice());
    assert_eq!(
        model.predict(x.view()).unwrap().to_vec(),
        veci(&case["predict"])
    );
    // decision = (w_nu . x - rho) / r with w_nu unique and (rho, r) from the
    // interval: per pair, an affine image of libsvm's values.
    let d = model.decision_function(x.view()).unwrap();
    let d_ref = mat(&case["decision"]);
    for p in 0..d.ncols() {
        let (col, col_ref) = (d.column(p), d_ref.column(p));
        let (m, m_ref) = (col.mean().unwrap(), col_ref.mean().unwrap());
        let (c, c_ref) = (col.mapv(|v| v - m), col_ref.mapv(|v| v - m_ref));
        let scale = c.dot(&c_ref) / c_ref.dot(&c_ref);
        assert!((0.9..1.1).contains(&scale), "pair {p}: scale {scale}");
        let err = c
            .iter()
            .zip(&c_ref)
            .fold(0.0f64, |a, (v, w)| a.max((v - scale * w).abs()));
        assert!(
            err < 1e-4,
            "pair {p}: decision values not affine in libsvm's ({err})"
        );
    }
}

#[test]
fn infeasible_nu_is_a_typed_error_at_libsvms_threshold() {
    // iris class 0 (50 rows) vs the first 10 rows of class 1:
    // NuSVC(nu=0.33) fits, NuSVC(nu=0.34) raises "specified nu is infeasible"
    let r = json("svm_nu_reference.json");
    assert_eq!(r["nusvc_feasible_0.33"], Value::Bool(true));
    assert_eq!(r["nusvc_feasible_0.34"], "specified nu is infeasible");
    let (x, y) = iris();
    let x = x.slice(ndarray::s![..60, ..]).to_owned();
    let y = y.slice(ndarray::s![..60]).to_owned();
    assert!(NuSvc::new().nu(0.33).fit(x.view(), y.view()).is_ok());
    let e = NuSvc::new().nu(0.34).fit(x.view(), y.view()).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidParameter { name: "nu", reason } if reason.contains("infeasible")),
        "{e}"
    );
    for bad in [0.0, -0.1, 1.5, f64::NAN] {
        assert!(matches!(
            NuSvc::new().nu(bad).fit(x.view(), y.view()),
            Err(Error::InvalidParameter { name: "nu", .. })
        ));
        assert!(matches!(
            OneClassSvm::new().nu(bad).fit(x.view()),
            Err(Error::InvalidParameter { name: "nu", .. })
        ));
    }
}

#[test]
fn oneclass_breast_cancer_matches_libsvm() {
    // OneClassSVM(nu=0.05).fit(xb): RBF, gamma="scale"
    let r = json("svm_nu_reference.json");
    let case = &r["oneclass_breast_cancer"];
    let (x, _) = breast_cancer();
    let model = OneClassSvm::new().nu(0.05).fit(x.view()).unwrap();
    assert!(model.converged());
    assert_eq!(model.support(), vecu(&case["support"]).as_slice());
    let off = case["offset"].as_f64().unwrap();
    assert!(
        (model.offset() - off).abs() < 1e-3 * off.abs().max(1.0),
        "offset {} vs {off}",
        model.offset()
    );
    let col = |a: Array1<f64>| a.insert_axis(Axis(1));
    let derr = max_abs(
        &col(model.dual_coef().to_owned()),
        &col(vecf(&case["dual_coef"])),
    );
    assert!(derr < 1e-3, "dual coefficients differ by {derr}");
    let d = model.decision_function(x.view()).unwrap();
    let err = max_abs(&col(d), &col(vecf(&case["decision"])));
    assert!(err < 1e-3, "decision values differ by {err}");
    let s = model.score_samples(x.view()).unwrap();
    let serr = max_abs(&col(s), &col(vecf(&case["score_samples"])));
    assert!(serr < 1e-3, "scores differ by {serr}");
    assert_eq!(
        model.predict(x.view()).unwrap().to_vec(),
        veci(&case["predict"])
    );
}

#[test]
fn oneclass_weighted_sigmoid_matches_libsvm() {
    // OneClassSVM(nu=0.3, kernel="sigmoid", gamma=0.1, coef0=0.5, tol=1e-6)
    //   .fit(xi, sample_weight=1 + (arange(150) % 4) / 2)
    let r = json("svm_nu_reference.json");
    let case = &r["oneclass_iris_sigmoid_weighted"];
    let (x, _) = iris();
    let w = Array1::from_iter((0..150).map(|i| 1.0 + (i % 4) as f64 / 2.0));
    let model = OneClassSvm::new()
        .nu(0.3)
        .kernel(Kernel::Sigmoid {
            gamma: Gamma::Value(0.1),
            coef0: 0.5,
        })
        .tol(1e-6)
        .fit_weighted(x.view(), w.view())
        .unwrap();
    assert_eq!(model.support(), vecu(&case["support"]).as_slice());
    let col = |a: Array1<f64>| a.insert_axis(Axis(1));
    let d = model.decision_function(x.view()).unwrap();
    let err = max_abs(&col(d), &col(vecf(&case["decision"])));
    assert!(err < 1e-4, "decision values differ by {err}");
    assert_eq!(
        model.predict(x.view()).unwrap().to_vec(),
        veci(&case["predict"])
    );
}

#[test]
fn nu_models_save_load_and_refuse_the_other_kind() {
    let (x, y) = iris();
    let dir = std::env::temp_dir().join(format!("oxilearn_svm_nu_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let nusvc = NuSvc::new().nu(0.3).fit(x.view(), y.view()).unwrap();
    let p = dir.join("nusvc.safetensors");
    nusvc.save(&p).unwrap();
    let back = FittedNuSvc::<f64, i64>::load(&p).unwrap();
    assert_eq!(back.nu(), 0.3);
    assert_eq!(
        back.decision_function(x.view()).unwrap(),
        nusvc.decision_function(x.view()).unwrap()
    );
    // a NuSvc file is not an Svc file, and the reverse
    assert!(oxilearn::svm::FittedSvc::<f64, i64>::load(&p).is_err());
    let oc = OneClassSvm::new().nu(0.1).fit(x.view()).unwrap();
    let q = dir.join("oneclass.safetensors");
    oc.save(&q).unwrap();
    let back = FittedOneClassSvm::<f64>::load(&q).unwrap();
    assert_eq!(
        back.score_samples(x.view()).unwrap(),
        oc.score_samples(x.view()).unwrap()
    );
    assert_eq!(back.offset(), oc.offset());
    assert!(FittedNuSvc::<f64, i64>::load(&q).is_err());
    // f32 fits too
    let x32 = x.mapv(|v| v as f32);
    let oc32 = OneClassSvm::new().nu(0.1).fit(x32.view()).unwrap();
    assert_eq!(oc32.support(), oc.support());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn nu_models_reject_bad_input() {
    let (x, y) = iris();
    let mut bad = x.clone();
    bad[[3, 1]] = f64::NAN;
    assert!(matches!(
        OneClassSvm::new().fit(bad.view()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        NuSvc::new().fit(bad.view(), y.view()),
        Err(Error::NonFinite { .. })
    ));
    let empty = Array2::<f64>::zeros((0, 4));
    assert!(matches!(
        OneClassSvm::new().fit(empty.view()),
        Err(Error::EmptyInput { .. })
    ));
    let oc = OneClassSvm::new().fit(x.view()).unwrap();
    assert!(matches!(
        oc.predict(Array2::<f64>::zeros((2, 3)).view()),
        Err(Error::ShapeMismatch { .. })
    ));
    let zero = Array1::<f64>::zeros(150);
    assert!(
        OneClassSvm::new()
            .fit_weighted(x.view(), zero.view())
            .is_err()
    );
    assert!(matches!(
        NuSvc::new().fit(x.view(), Array1::from_elem(150, 1i64).view()),
        Err(Error::SingleClass)
    ));
}

/// `(support, dual_coef, intercept, predict)` of a ν-SVR against the case.
fn check_nusvr(case: &Value, model: &oxilearn::svm::FittedNuSvr<f64>, x: &Array2<f64>, tol: f64) {
    assert!(model.converged());
    assert_eq!(model.support(), vecu(&case["support"]).as_slice());
    let col = |a: Array1<f64>| a.insert_axis(Axis(1));
    let scale = vecf(&case["dual_coef"])
        .mapv(f64::abs)
        .fold(1.0, |a: f64, &v| a.max(v));
    let derr = max_abs(
        &col(model.dual_coef().to_owned()),
        &col(vecf(&case["dual_coef"])),
    );
    assert!(derr < tol * scale, "dual coefficients differ by {derr}");
    let b = case["intercept"].as_f64().unwrap();
    assert!(
        (model.intercept() - b).abs() < tol * b.abs().max(1.0),
        "intercept {} vs {b}",
        model.intercept()
    );
    let p = model.predict(x.view()).unwrap();
    let pref = vecf(&case["predict"]);
    let perr = max_abs(&col(p), &col(pref.clone()));
    let pscale = pref.mapv(f64::abs).fold(1.0, |a: f64, &v| a.max(v));
    assert!(perr < tol * pscale, "predictions differ by {perr}");
}

#[test]
fn nusvr_diabetes_matches_libsvm() {
    // NuSVR(nu=0.3, C=50).fit(xd, yd): RBF, gamma="scale", diabetes standardised
    let r = json("svm_nu_reference.json");
    let d = json("svm_reference.json");
    let x = mat(&d["diabetes_svr"]["x"]);
    let y = vecf(&d["diabetes_svr"]["y"]);
    let model = oxilearn::svm::NuSvr::new()
        .nu(0.3)
        .c(50.0)
        .fit(x.view(), y.view())
        .unwrap();
    check_nusvr(&r["nusvr_diabetes"], &model, &x, 1e-3);
    assert!(model.score(x.view(), y.view()).unwrap() > 0.5);
}

#[test]
fn nusvr_linear_weighted_matches_libsvm() {
    // NuSVR(nu=0.6, C=2, kernel="linear", tol=1e-6)
    //   .fit(xd[:100], yd[:100], sample_weight=linspace(0.5, 2.0, 100))
    let r = json("svm_nu_reference.json");
    let d = json("svm_reference.json");
    let x = mat(&d["diabetes_svr"]["x"])
        .slice(ndarray::s![..100, ..])
        .to_owned();
    let y = vecf(&d["diabetes_svr"]["y"])
        .slice(ndarray::s![..100])
        .to_owned();
    let w = Array1::linspace(0.5, 2.0, 100);
    let model = oxilearn::svm::NuSvr::new()
        .nu(0.6)
        .c(2.0)
        .kernel(Kernel::Linear)
        .tol(1e-6)
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    check_nusvr(&r["nusvr_linear_weighted"], &model, &x, 1e-4);
}

#[test]
fn nu_models_are_compose_estimators_and_load_through_the_registry() {
    use oxilearn::compose::registry::{Role, role_of_kind};
    use oxilearn::compose::{AnyModel, Estimator, Features, load_any_bytes};
    let (x, y) = iris();
    let xf = Features::from(&x);
    for (kind, role) in [
        ("NuSvc", Role::Classifier),
        ("NuSvr", Role::Regressor),
        ("OneClassSvm", Role::Classifier),
    ] {
        assert_eq!(role_of_kind(kind), Some(role), "{kind}");
    }

    // NuSvc as a boxed classifier, saved, loaded back as what it is.
    let est: Box<dyn Estimator<i64>> = Box::new(NuSvc::new().nu(0.3).probability(true));
    assert!(
        est.params()
            .contains(&("nu".to_string(), "0.3".to_string()))
    );
    let fitted = est.fit(xf, y.view()).unwrap();
    assert_eq!(fitted.kind(), "NuSvc");
    assert_eq!(fitted.classes(), Some(&[0i64, 1, 2][..]));
    let proba = fitted.predict_proba(xf).unwrap();
    assert_eq!(proba.dim(), (150, 3));
    let bytes = fitted.to_model_file().unwrap().to_bytes().unwrap();
    match load_any_bytes(&bytes).unwrap() {
        AnyModel::Classifier(m) => {
            assert_eq!(m.kind(), "NuSvc");
            assert_eq!(m.predict(xf).unwrap(), fitted.predict(xf).unwrap());
            assert_eq!(m.predict_proba(xf).unwrap(), proba);
        }
        other => panic!("unexpected {other:?}"),
    }

    // NuSvr: a weighted regressor.
    let yr = x.column(3).to_owned();
    let est: Box<dyn Estimator<f64>> = Box::new(oxilearn::svm::NuSvr::new().nu(0.4));
    let w = Array1::from_iter((0..150).map(|i| 1.0 + (i % 2) as f64));
    let fitted = est.fit_weighted(xf, yr.view(), w.view()).unwrap();
    assert_eq!(fitted.kind(), "NuSvr");
    assert!(fitted.score(xf, yr.view()).unwrap() > 0.8);
    let bytes = fitted.to_model_file().unwrap().to_bytes().unwrap();
    match load_any_bytes(&bytes).unwrap() {
        AnyModel::Regressor(m) => assert_eq!(m.predict(xf).unwrap(), fitted.predict(xf).unwrap()),
        other => panic!("unexpected {other:?}"),
    }

    // OneClassSvm: an outlier detector with labels -1/+1, y ignored.
    let est: Box<dyn Estimator<i64>> = Box::new(OneClassSvm::new().nu(0.1));
    let fitted = est.fit(xf, Array1::<i64>::zeros(150).view()).unwrap();
    assert_eq!(fitted.classes(), Some(&[-1i64, 1][..]));
    let direct = OneClassSvm::new().nu(0.1).fit(x.view()).unwrap();
    assert_eq!(
        fitted.predict(xf).unwrap(),
        direct.predict(x.view()).unwrap()
    );
    assert_eq!(
        fitted.score_samples(xf).unwrap(),
        direct.score_samples(x.view()).unwrap()
    );
    assert_eq!(
        fitted.decision_function(xf).unwrap().column(0).to_owned(),
        direct.decision_function(x.view()).unwrap()
    );
    let bytes = direct.to_bytes().unwrap();
    match load_any_bytes(&bytes).unwrap() {
        AnyModel::Classifier(m) => {
            assert_eq!(m.kind(), "OneClassSvm");
            assert_eq!(m.predict(xf).unwrap(), direct.predict(x.view()).unwrap());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        oxilearn::compose::registry::load_classifier::<String>(
            oxilearn::persist::ModelFile::from_bytes(&bytes).unwrap()
        )
        .is_err()
    );
}
