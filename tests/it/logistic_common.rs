//! The common estimator checks (tests/it/common.rs) applied to LogisticRegression:
//! multinomial and binary, each solver, with predict_proba.

use crate::common;

use oxilearn::logistic::{LogisticRegression, Solver};

common::classifier_checks!(
    logistic_multinomial_newton,
    |x, y| LogisticRegression::new()
        .solver(Solver::NewtonCholesky)
        .fit(x, y),
    proba
);
common::classifier_checks!(
    logistic_multinomial_lbfgs,
    |x, y| LogisticRegression::new().solver(Solver::Lbfgs).fit(x, y),
    proba
);
common::classifier_checks!(
    logistic_binary_newton,
    |x, y| LogisticRegression::new()
        .solver(Solver::NewtonCholesky)
        .fit(x, y),
    data = common::blobs(2),
    proba
);
common::classifier_checks!(
    logistic_binary_lbfgs,
    |x, y| LogisticRegression::new().solver(Solver::Lbfgs).fit(x, y),
    data = common::blobs(2),
    proba
);
