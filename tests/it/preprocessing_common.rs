//! The common estimator checks (tests/it/common.rs) applied to the scalers.

use crate::common;

use oxilearn::prelude::*;

common::transformer_checks!(standard_scaler, |x| StandardScaler::new().fit(x));
common::transformer_checks!(standard_scaler_no_mean, |x| StandardScaler::new()
    .with_mean(false)
    .fit(x));
common::transformer_checks!(min_max_scaler, |x| MinMaxScaler::new().fit(x));
common::transformer_checks!(
    min_max_scaler_clipped,
    |x| MinMaxScaler::new()
        .feature_range(-1.0, 1.0)
        .clip(true)
        .fit(x),
    data = common::regression_data().0
);
common::transformer_checks!(
    standard_scaler_iris,
    |x| StandardScaler::new().fit(x),
    data = oxilearn::datasets::iris().records
);
