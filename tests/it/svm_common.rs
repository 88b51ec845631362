//! The common estimator checks (tests/it/common.rs) applied to the SVMs:
//! binary and one-vs-one SVC (with probabilities), and ε-SVR.

use crate::common;

use oxilearn::svm::{Kernel, Svc, Svr};

common::classifier_checks!(svc_rbf_ovo, |x, y| Svc::new().fit(x, y));
common::classifier_checks!(
    svc_binary,
    |x, y| Svc::new().fit(x, y),
    data = common::blobs(2)
);
common::classifier_checks!(
    svc_linear_proba,
    |x, y| Svc::new()
        .kernel(Kernel::Linear)
        .probability(true)
        .fit(x, y),
    proba
);
common::regressor_checks!(svr_rbf, |x, y| Svr::new().fit(x, y));
