//! The common estimator checks (tests/it/common.rs) applied to the linear
//! models: every solver and the intercept on/off.

use crate::common;

use oxilearn::linear::{LinearRegression, Ridge, RidgeSolver};

common::regressor_checks!(linear_regression, |x, y| LinearRegression::new().fit(x, y));
common::regressor_checks!(linear_regression_no_intercept, |x, y| {
    LinearRegression::new().fit_intercept(false).fit(x, y)
});
common::regressor_checks!(ridge_auto, |x, y| Ridge::new().fit(x, y));
common::regressor_checks!(ridge_cholesky, |x, y| Ridge::new()
    .alpha(0.5)
    .solver(RidgeSolver::Cholesky)
    .fit(x, y));
common::regressor_checks!(ridge_svd, |x, y| Ridge::new()
    .alpha(2.0)
    .solver(RidgeSolver::Svd)
    .fit(x, y));
