//! `LinearSvc` with Crammer and Singer's joint multiclass problem against
//! scikit-learn 1.9's `LinearSVC(multi_class="crammer_singer")` (liblinear).
//!
//! Reference values: `tests/data/linear_svm_cs_reference.py` (the snippets
//! beside the calls that produced each key) →
//! `tests/data/linear_svm_cs_reference.json`.

use ndarray::{Array1, Array2, Axis, s};
use oxilearn::persist::Persist;
use oxilearn::sparse::Records;
use oxilearn::svm::{FittedLinearSvc, LinearSvc, LinearSvcMultiClass};
use oxilearn::{ClassWeight, Error};
use serde_json::Value;

use crate::reference::{mat, max_abs, sparse_text_records};

fn json() -> Value {
    crate::reference::json("linear_svm_cs_reference.json")
}

/// Iris, standardised with the population standard deviation.
fn iris() -> (Array2<f64>, Array1<i64>) {
    let d = oxilearn::datasets::iris();
    let mean = d.records.mean_axis(Axis(0)).unwrap();
    let std = d.records.std_axis(Axis(0), 0.0);
    ((&d.records - &mean) / &std, d.targets.mapv(|c| c as i64))
}

fn cs() -> LinearSvc<i64> {
    LinearSvc::new()
        .multi_class(LinearSvcMultiClass::CrammerSinger)
        .tol(1e-8)
        .max_iter(100_000)
}

/// Coefficients, intercepts and decision values within the solver
/// tolerance of the reference case.
fn check(case: &Value, m: &FittedLinearSvc<f64, i64>, decision: Array2<f64>, tol: f64) {
    assert!(m.converged());
    let e = max_abs(m.coef(), &mat(&case["coef"]));
    assert!(e < tol, "coef differ by {e}");
    let b: Vec<f64> = serde_json::from_value(case["intercept"].clone()).unwrap();
    let eb = max_abs(
        &m.intercept().clone().insert_axis(Axis(0)),
        &Array1::from(b).insert_axis(Axis(0)),
    );
    assert!(eb < tol, "intercepts differ by {eb}");
    // two classes: scikit-learn's decision values are 1-D
    let dref = if case["decision"][0].is_array() {
        mat(&case["decision"])
    } else {
        let v: Vec<f64> = serde_json::from_value(case["decision"].clone()).unwrap();
        Array1::from(v).insert_axis(Axis(1))
    };
    let ed = max_abs(&decision, &dref);
    assert!(ed < tol, "decision values differ by {ed}");
}

#[test]
fn crammer_singer_matches_liblinear_on_iris() {
    let r = json();
    let (x, y) = iris();
    // LinearSVC(multi_class="crammer_singer", C=1, tol=1e-8, max_iter=100000).fit(x, y)
    let m = cs().fit(x.view(), y.view()).unwrap();
    check(&r["iris"], &m, m.decision_function(x.view()).unwrap(), 1e-5);
    assert_eq!(m.coef().dim(), (3, 4));

    // LinearSVC(multi_class="crammer_singer", C=0.5, tol=1e-8, max_iter=100000,
    //           class_weight={0: 2.0, 2: 0.5}, intercept_scaling=2.0)
    //   .fit(x, y, sample_weight=1 + (arange(150) % 3) / 2)
    let w = Array1::from_iter((0..150).map(|i| 1.0 + (i % 3) as f64 / 2.0));
    let m = cs()
        .c(0.5)
        .intercept_scaling(2.0)
        .class_weight(ClassWeight::explicit([(0, 2.0), (2, 0.5)]))
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    check(
        &r["iris_weighted"],
        &m,
        m.decision_function(x.view()).unwrap(),
        1e-5,
    );

    // two classes: LinearSVC(multi_class="crammer_singer", C=1, tol=1e-8,
    //   max_iter=100000).fit(x[50:], y[50:]) — one row, w₁ − w₀
    let (xb, yb) = (x.slice(s![50.., ..]), y.slice(s![50..]));
    let m = cs().fit(xb, yb).unwrap();
    assert_eq!(m.coef().dim(), (1, 4));
    check(
        &r["iris_binary"],
        &m,
        m.decision_function(xb).unwrap(),
        1e-5,
    );
    assert_eq!(m.predict(xb).unwrap().len(), 100);
}

#[test]
fn crammer_singer_on_csr_matches_liblinear_and_the_dense_fit() {
    let r = json();
    let (x, y) = sparse_text_records();
    // LinearSVC(multi_class="crammer_singer", tol=1e-8, max_iter=100000).fit(xs, ys)
    let m = cs().fit(&x, y.view()).unwrap();
    check(&r["sparse"], &m, m.decision_function(&x).unwrap(), 1e-5);
    let dense = Records::from(&x).to_dense();
    let md = cs().fit(dense.view(), y.view()).unwrap();
    let e = max_abs(m.coef(), md.coef());
    assert!(e < 1e-9, "dense and sparse coefficients differ by {e}");
    assert_eq!(m.n_iter(), md.n_iter());
}

#[test]
fn crammer_singer_objective_persistence_and_errors() {
    let (x, y) = iris();
    let m = cs().fit(x.view(), y.view()).unwrap();
    let path = std::env::temp_dir().join(format!("oxilearn_cs_{}.safetensors", std::process::id()));
    m.save(&path).unwrap();
    let back = FittedLinearSvc::<f64, i64>::load(&path).unwrap();
    assert_eq!(back.coef(), m.coef());
    assert_eq!(
        back.predict(x.view()).unwrap(),
        m.predict(x.view()).unwrap()
    );
    std::fs::remove_file(&path).ok();
    // the reported objective is the Crammer–Singer primal at the model:
    // ½Σₘ‖(coefₘ, interceptₘ)‖² + C·Σᵢ (maxₘ (eᵢᵐ + zᵢₘ) − z_{i,yᵢ})
    let z = m.decision_function(x.view()).unwrap();
    let mut f = 0.5 * (m.coef().mapv(|v| v * v).sum() + m.intercept().mapv(|v| v * v).sum());
    for (row, &yi) in z.rows().into_iter().zip(&y) {
        let worst = (0..3)
            .map(|c| row[c] + if c as i64 == yi { 0.0 } else { 1.0 })
            .fold(f64::NEG_INFINITY, f64::max);
        f += worst - row[yi as usize];
    }
    let o = m.objective()[0];
    assert!((o - f).abs() < 1e-9 * f, "objective {o} vs {f}");
    // invalid settings are typed errors
    assert!(matches!(
        cs().c(-1.0).fit(x.view(), y.view()),
        Err(Error::InvalidParameter { name: "C", .. })
    ));
    assert!(matches!(
        cs().fit(x.view(), Array1::from_elem(150, 1i64).view()),
        Err(Error::SingleClass)
    ));
}
