//! The common estimator checks (tests/it/common.rs) applied to the SVMs:
//! binary and one-vs-one SVC (with probabilities), ε-SVR, ν-SVC, ν-SVR, the
//! linear SVMs, and the one-class SVM's extreme-values check (it has no
//! labels to check).

use crate::common;

use oxilearn::svm::{
    Kernel, LinearSvc, LinearSvcLoss, LinearSvmPenalty, LinearSvr, LinearSvrLoss, NuSvc, NuSvr,
    OneClassSvm, Svc, Svr,
};

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
common::classifier_checks!(nusvc_rbf_ovo, |x, y| NuSvc::new().nu(0.3).fit(x, y));
common::classifier_checks!(
    nusvc_linear_proba,
    |x, y| NuSvc::new()
        .nu(0.3)
        .kernel(Kernel::Linear)
        .probability(true)
        .fit(x, y),
    proba
);
common::regressor_checks!(nusvr_rbf, |x, y| NuSvr::new().fit(x, y));
common::classifier_checks!(linear_svc_ovr, |x, y| LinearSvc::new().fit(x, y));
common::classifier_checks!(
    linear_svc_binary_hinge,
    |x, y| LinearSvc::new().loss(LinearSvcLoss::Hinge).fit(x, y),
    data = common::blobs(2)
);
common::classifier_checks!(linear_svc_l1, |x, y| LinearSvc::new()
    .penalty(LinearSvmPenalty::L1)
    .fit(x, y));
common::regressor_checks!(linear_svr, |x, y| LinearSvr::new().c(10.0).fit(x, y));
common::regressor_checks!(linear_svr_squared, |x, y| LinearSvr::new()
    .loss(LinearSvrLoss::SquaredEpsilonInsensitive)
    .fit(x, y));

/// Records scaled by 1e±300: a typed refusal or finite scores/decisions and
/// `±1` predictions, never NaN.
#[test]
fn one_class_svm_extreme_values() {
    let x = common::transformer_data();
    for kernel in [Kernel::default(), Kernel::Linear] {
        common::check_extreme_values(
            &format!("one_class_svm {kernel:?}"),
            &x,
            |xs, _| {
                let m = OneClassSvm::new().kernel(kernel).fit(xs)?;
                Ok((m.decision_function(xs)?, m.predict(xs)?))
            },
            |(d, p), _| {
                if let Some(v) = d.iter().find(|v| !v.is_finite()) {
                    return Err(format!("decision {v}"));
                }
                match p.iter().find(|&&l| l != 1 && l != -1) {
                    Some(l) => Err(format!("label {l}")),
                    None => Ok(()),
                }
            },
        );
    }
}
