//! `LogisticRegression` on sparse (CSR) records: scikit-learn 1.9's fits on
//! the same CSR matrix, the same models as on the dense form for every solver,
//! and typed errors.
//!
//! Reference values: `tests/data/logistic_sparse_reference.py` (the snippets
//! beside the calls that produced each key) →
//! `tests/data/logistic_sparse_reference.json`; the records are
//! `tests/data/svm_sparse.svmlight` (300 × 3000, under 1 % stored, an empty
//! row), read with oxilearn's svmlight reader.

use ndarray::{Array1, Array2};
use oxilearn::ClassWeight;
use oxilearn::Error;
use oxilearn::logistic::{LogisticRegression, Solver};
use oxilearn::sparse::{CsMat, Records};
use serde_json::Value;

use crate::reference::{mat, max_abs, sparse_text_records as data};

fn json() -> Value {
    crate::reference::json("logistic_sparse_reference.json")
}

#[test]
fn lbfgs_on_csr_matches_sklearn() {
    let r = json();
    let (x, y) = data();
    // LogisticRegression(C=10, tol=1e-10, max_iter=10000).fit(x, y): multinomial
    let m = LogisticRegression::new()
        .c(10.0)
        .tol(1e-10)
        .max_iter(10_000)
        .fit(&x, y.view())
        .unwrap();
    assert!(m.converged());
    let case = &r["multinomial"];
    let coef = mat(&case["coef"]);
    let scale = coef.iter().fold(1.0f64, |a, v| a.max(v.abs()));
    let e = max_abs(m.coef(), &coef);
    assert!(e < 1e-5 * scale, "coef differ by {e}");
    let b: Vec<f64> = serde_json::from_value(case["intercept"].clone()).unwrap();
    let eb = max_abs(
        &m.intercept().clone().insert_axis(ndarray::Axis(0)),
        &Array1::from(b).insert_axis(ndarray::Axis(0)),
    );
    assert!(eb < 1e-5 * scale, "intercepts differ by {eb}");
    let p = m.predict_proba(&x).unwrap();
    let ep = max_abs(&p, &mat(&case["proba"]));
    assert!(ep < 1e-6, "probabilities differ by {ep}");

    // LogisticRegression(C=1, fit_intercept=False, tol=1e-10, max_iter=10000)
    //   .fit(x, y == 0, sample_weight=1 + arange(300) % 3)
    let yb = y.mapv(|c| i64::from(c == 0));
    let w = Array1::from_iter((0..300).map(|i| 1.0 + (i % 3) as f64));
    let m = LogisticRegression::new()
        .c(1.0)
        .fit_intercept(false)
        .tol(1e-10)
        .max_iter(10_000)
        .fit_weighted(&x, yb.view(), w.view())
        .unwrap();
    let case = &r["binary_weighted"];
    let e = max_abs(m.coef(), &mat(&case["coef"]));
    assert!(e < 1e-6, "coef differ by {e}");
    let ep = max_abs(&m.predict_proba(&x).unwrap(), &mat(&case["proba"]));
    assert!(ep < 1e-6, "probabilities differ by {ep}");
}

/// A small CSR matrix (60 × 12, about a third of the entries stored, one
/// empty row), deterministic, with labels in three classes.
fn small() -> (CsMat<f64>, Array1<i64>) {
    let mut dense = Array2::<f64>::zeros((60, 12));
    for i in 0..60 {
        for j in 0..12 {
            let h = (i * 7 + j * 13 + (i * j) % 5) % 9;
            if h < 3 && i != 17 {
                dense[[i, j]] = ((i * 31 + j * 17) % 11) as f64 / 4.0 - 1.0;
            }
        }
    }
    let y = Array1::from_iter((0..60).map(|i| {
        let s: f64 = dense
            .row(i)
            .iter()
            .enumerate()
            .map(|(j, v)| v * (j as f64 - 5.0))
            .sum();
        if s > 1.0 {
            2
        } else if s < -1.0 {
            0
        } else {
            1
        }
    }));
    (CsMat::csr_from_dense(dense.view(), 0.0), y)
}

/// The CSR records and their dense form give the same model, for each
/// solver, binary and multinomial, with sample and class weights, with and
/// without an intercept.
#[test]
fn sparse_and_dense_records_give_the_same_model() {
    let (x, y) = small();
    let dense = Records::from(&x).to_dense();
    let w = Array1::from_iter((0..60).map(|i| 0.5 + (i % 4) as f64 / 2.0));
    let yb = y.mapv(|c| i64::from(c == 2));
    for solver in [Solver::Lbfgs, Solver::NewtonCholesky] {
        for fit_intercept in [true, false] {
            for (labels, cw) in [(&y, ClassWeight::None), (&yb, ClassWeight::Balanced)] {
                let lr = LogisticRegression::new()
                    .solver(solver)
                    .fit_intercept(fit_intercept)
                    .class_weight(cw)
                    .tol(1e-10)
                    .max_iter(10_000);
                let s = lr.fit_weighted(&x, labels.view(), w.view()).unwrap();
                let d = lr
                    .fit_weighted(dense.view(), labels.view(), w.view())
                    .unwrap();
                let what = format!("{solver:?}, intercept {fit_intercept}");
                let e = max_abs(s.coef(), d.coef());
                assert!(e < 1e-7, "{what}: coef differ by {e}");
                let e = max_abs(
                    &s.predict_proba(&x).unwrap(),
                    &d.predict_proba(dense.view()).unwrap(),
                );
                assert!(e < 1e-8, "{what}: probabilities differ by {e}");
                assert_eq!(s.predict(&x).unwrap(), d.predict(dense.view()).unwrap());
                assert_eq!(s.predict(dense.view()).unwrap(), s.predict(&x).unwrap());
            }
        }
    }
}

#[test]
fn bad_sparse_input_is_a_typed_error() {
    let (x, y) = small();
    let lr = LogisticRegression::new();
    assert!(matches!(
        lr.fit(&x.to_csc(), y.view()),
        Err(Error::InvalidParameter { name: "x", .. })
    ));
    let mut nan = x.clone();
    nan.data_mut()[3] = f64::INFINITY;
    assert!(matches!(
        lr.fit(&nan, y.view()),
        Err(Error::NonFinite { what: "x", .. })
    ));
    assert!(matches!(
        lr.fit(&CsMat::<f64>::zero((0, 12)), Array1::<i64>::zeros(0).view()),
        Err(Error::EmptyInput { .. })
    ));
    let m = lr.fit(&x, y.view()).unwrap();
    assert!(matches!(
        m.predict(&CsMat::<f64>::zero((2, 5))),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        m.predict_proba(&nan),
        Err(Error::NonFinite { .. })
    ));
    // rows without a stored entry are ordinary samples
    assert_eq!(m.predict(&CsMat::<f64>::zero((3, 12))).unwrap().len(), 3);
}
