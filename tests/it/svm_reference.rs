//! Svc / Svr against libsvm through scikit-learn (same parameters).
//!
//! Reference values come from `tests/data/svm_reference.py`
//! (`benches/peers/.venv/bin/python tests/data/svm_reference.py`, scikit-learn's
//! `SVC`/`SVR`), stored in `tests/data/svm_reference.json` with the data.

use ndarray::{Array1, Array2};
use oxilearn::svm::{DecisionShape, Gamma, Kernel, Svc, Svr};
use serde_json::Value;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/svm_reference.json"
    ))
    .expect("reference file");
    serde_json::from_str(&text).expect("valid JSON")
}

fn mat(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
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

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Fraction of the support set in common (Jaccard index).
fn sv_overlap(a: &[usize], b: &[usize]) -> f64 {
    let sa: std::collections::BTreeSet<_> = a.iter().collect();
    let sb: std::collections::BTreeSet<_> = b.iter().collect();
    sa.intersection(&sb).count() as f64 / sa.union(&sb).count() as f64
}

/// Checks a classification case: SV set, decision values (ovo and ovr),
/// predictions, intercepts; returns the fitted model.
fn check_svc(case: &Value, svc: Svc<i64>, dec_tol: f64) -> oxilearn::svm::FittedSvc<f64, i64> {
    let x = mat(&case["x"]);
    let y = Array1::from(veci(&case["y"]));
    let model = svc
        .clone()
        .decision_shape(DecisionShape::Ovo)
        .fit(x.view(), y.view())
        .unwrap();
    assert!(model.converged());
    if model.gamma() > 0.0 {
        let g = case["gamma"].as_f64().unwrap();
        assert!((model.gamma() - g).abs() < 1e-12 * g.max(1.0));
    }
    let support = vecu(&case["support"]);
    let n_sv_ref = support.len() as f64;
    let n_sv = model.support().len() as f64;
    assert!(
        (n_sv - n_sv_ref).abs() <= (0.01 * n_sv_ref).max(1.0),
        "SV count {n_sv} vs libsvm {n_sv_ref}"
    );
    assert!(sv_overlap(model.support(), &support) > 0.98);
    // decision values (ovo; binary: one column)
    let d_ref = mat_or_col(&case["decision_ovo"]);
    let d = model.decision_function(x.view()).unwrap();
    let err = max_abs_diff(&d, &d_ref);
    assert!(err < dec_tol, "decision values differ by {err}");
    // predictions
    let p = model.predict(x.view()).unwrap();
    let p_ref = veci(&case["predict"]);
    let mismatches = p.iter().zip(&p_ref).filter(|(a, b)| a != b).count();
    assert_eq!(mismatches, 0, "predictions differ");
    // intercepts
    let b = model.intercept();
    let b_ref = vecf(&case["intercept"]);
    let berr = (&b - &b_ref)
        .mapv(f64::abs)
        .fold(0.0, |a: f64, &v| a.max(v));
    assert!(berr < dec_tol, "intercepts differ by {berr}");
    // ovr shape: votes + bounded confidences. A pair whose decision value is
    // within the solver tolerance of 0 may vote the other way, so rows with
    // such a pair are skipped.
    let ovr = svc.fit(x.view(), y.view()).unwrap();
    let ovr_ref = mat_or_col(&case["decision_ovr"]);
    let ovr_d = ovr.decision_function(x.view()).unwrap();
    let ovo_ref = mat_or_col(&case["decision_ovo"]);
    let mut checked = 0;
    for i in 0..x.nrows() {
        if ovo_ref.row(i).iter().any(|v| v.abs() < dec_tol) {
            continue;
        }
        checked += 1;
        for (a, b) in ovr_d.row(i).iter().zip(ovr_ref.row(i)) {
            assert!(
                (a - b).abs() < dec_tol,
                "ovr decision values differ at row {i}: {a} vs {b}"
            );
        }
    }
    assert!(checked as f64 > 0.9 * x.nrows() as f64);
    model
}

fn mat_or_col(v: &Value) -> Array2<f64> {
    if v[0].is_array() {
        mat(v)
    } else {
        vecf(v).insert_axis(ndarray::Axis(1))
    }
}

#[test]
fn breast_cancer_rbf_matches_libsvm() {
    // SVC(C=1, kernel="rbf", gamma="scale") on StandardScaler-ed breast_cancer
    let r = reference();
    let case = &r["breast_cancer"];
    let model = check_svc(case, Svc::new(), 1e-3);
    let obj = case["objective"].as_f64().unwrap();
    let rel = (model.objective()[0] - obj).abs() / obj.abs();
    assert!(rel < 1e-3, "objective {} vs {obj}", model.objective()[0]);
    assert_eq!(model.n_support(), vecu(&case["n_support"]).as_slice());
}

#[test]
fn breast_cancer_probabilities_match_libsvm() {
    // SVC(probability=True, random_state=0): Platt on 5-fold CV decision values.
    // The folds are drawn by a different RNG than libsvm's, so the sigmoid is
    // fitted on other (equally valid) held-out values: compare loosely.
    let r = reference();
    let case = &r["breast_cancer"];
    let x = mat(&case["x"]);
    let y = Array1::from(veci(&case["y"]));
    let model = Svc::new()
        .probability(true)
        .fit(x.view(), y.view())
        .unwrap();
    let p = model.predict_proba(x.view()).unwrap();
    let p_ref = mat(&case["proba"]);
    let mean_err = (&p - &p_ref).mapv(f64::abs).mean().unwrap();
    assert!(mean_err < 1e-2, "mean |Δp| = {mean_err}");
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-9);
    }
}

#[test]
fn digits_multiclass_matches_libsvm() {
    // SVC(C=1, kernel="rbf", gamma="scale") on the first 600 digits (10 classes)
    let r = reference();
    let case = &r["digits"];
    let model = check_svc(case, Svc::new(), 1e-3);
    assert_eq!(model.classes().len(), 10);
    assert_eq!(model.dual_coef().shape(), &[9, model.support().len()]);
    let dual_ref = mat(&case["dual_coef"]);
    if model.support() == vecu(&case["support"]).as_slice() {
        let err = max_abs_diff(&model.dual_coef(), &dual_ref);
        assert!(err < 1e-2, "dual coefficients differ by {err}");
    }
}

#[test]
fn digits_probabilities_match_libsvm() {
    let r = reference();
    let case = &r["digits"];
    let x = mat(&case["x"]);
    let y = Array1::from(veci(&case["y"]));
    let model = Svc::new()
        .probability(true)
        .fit(x.view(), y.view())
        .unwrap();
    let p = model.predict_proba(x.view()).unwrap();
    let p_ref = mat(&case["proba"]);
    let mean_err = (&p - &p_ref).mapv(f64::abs).mean().unwrap();
    assert!(mean_err < 1e-2, "mean |Δp| = {mean_err}");
    // argmax of probabilities agrees with libsvm's on nearly every row
    let agree = p
        .rows()
        .into_iter()
        .zip(p_ref.rows())
        .filter(|(a, b)| argmax(a.iter()) == argmax(b.iter()))
        .count();
    assert!(agree as f64 >= 0.99 * p.nrows() as f64);
}

fn argmax<'a>(it: impl Iterator<Item = &'a f64>) -> usize {
    it.enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv { (i, v) } else { (bi, bv) }
        })
        .0
}

#[test]
fn generated_poly_matches_libsvm() {
    // SVC(C=0.5, kernel="poly", degree=3, gamma=0.1, coef0=1, tol=1e-5) on make_classification(400, 10)
    let r = reference();
    let case = &r["generated_poly"];
    let svc = Svc::new().c(0.5).tol(1e-5).kernel(Kernel::Poly {
        degree: 3,
        gamma: Gamma::Value(0.1),
        coef0: 1.0,
    });
    let model = check_svc(case, svc, 1e-3);
    let obj = case["objective"].as_f64().unwrap();
    assert!((model.objective()[0] - obj).abs() / obj.abs() < 1e-3);
}

#[test]
fn generated_linear_three_classes_matches_libsvm() {
    // SVC(C=0.1, kernel="linear", tol=1e-5) on make_classification(300, 6, n_classes=3)
    let r = reference();
    check_svc(
        &r["generated_linear3"],
        Svc::new().c(0.1).tol(1e-5).kernel(Kernel::Linear),
        1e-3,
    );
}

#[test]
fn diabetes_svr_matches_libsvm() {
    // SVR(C=100, epsilon=5, gamma="scale") on StandardScaler-ed diabetes
    let r = reference();
    let case = &r["diabetes_svr"];
    let x = mat(&case["x"]);
    let y = vecf(&case["y"]);
    let model = Svr::new()
        .c(100.0)
        .epsilon(5.0)
        .fit(x.view(), y.view())
        .unwrap();
    assert!(model.converged());
    let support = vecu(&case["support"]);
    let n_ref = support.len() as f64;
    assert!((model.support().len() as f64 - n_ref).abs() <= (0.01 * n_ref).max(1.0));
    assert!(sv_overlap(model.support(), &support) > 0.98);
    let p = model.predict(x.view()).unwrap();
    let p_ref = vecf(&case["predict"]);
    let err = (&p - &p_ref)
        .mapv(f64::abs)
        .fold(0.0, |a: f64, &v| a.max(v));
    // targets are O(100): compare relative to their scale
    assert!(err < 1e-3 * 100.0, "predictions differ by {err}");
    assert!((model.intercept() - case["intercept"].as_f64().unwrap()).abs() < 0.1);
}
