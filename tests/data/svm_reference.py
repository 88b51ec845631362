"""Reference values for tests/svm_reference.rs, from scikit-learn's SVC/SVR (libsvm).

Run: benches/peers/.venv/bin/python tests/data/svm_reference.py  (writes tests/data/svm_reference.json)
"""
import json

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, make_classification
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR


def dual_objective(m, x, kernel_params):
    """½·Σ c_i c_j K_ij − Σ |c_i| per binary sub-problem (binary only)."""
    k = pairwise_kernels(m.support_vectors_, m.support_vectors_, **kernel_params)
    c = m.dual_coef_[0]
    return float(0.5 * c @ k @ c - np.abs(c).sum())


def svc_case(x, y, params, kernel_params, proba_rows=None, seed=0):
    m = SVC(**params).fit(x, y)
    out = {
        "x": x.tolist(),
        "y": y.tolist(),
        "params": params,
        "gamma": float(m._gamma),
        "support": m.support_.tolist(),
        "n_support": m.n_support_.tolist(),
        "dual_coef": m.dual_coef_.tolist(),
        "intercept": m.intercept_.tolist(),
        "predict": m.predict(x).tolist(),
        "decision_ovo": SVC(**params, decision_function_shape="ovo").fit(x, y).decision_function(x).tolist(),
        "decision_ovr": m.decision_function(x).tolist(),
    }
    if len(m.classes_) == 2:
        out["objective"] = dual_objective(m, x, kernel_params)
    if proba_rows is not None:
        mp = SVC(**params, probability=True, random_state=seed).fit(x, y)
        out["proba"] = mp.predict_proba(x[:proba_rows]).tolist()
        out["probA"] = mp.probA_.tolist()
        out["probB"] = mp.probB_.tolist()
    return out


ref = {"sklearn": sklearn.__version__}

# breast cancer, standardised, RBF C=1 gamma=scale
bc = load_breast_cancer()
xb = StandardScaler().fit_transform(bc.data)
ref["breast_cancer"] = svc_case(
    xb, bc.target, {"C": 1.0, "kernel": "rbf", "gamma": "scale"},
    {"metric": "rbf", "gamma": 1.0 / (xb.shape[1] * xb.var())}, proba_rows=569)

# digits (10 classes), RBF gamma=scale, C=1 — first 600 rows to keep the file small
dg = load_digits()
xd, yd = dg.data[:600], dg.target[:600]
ref["digits"] = svc_case(xd, yd, {"C": 1.0, "kernel": "rbf", "gamma": "scale"}, None, proba_rows=600)

# generated, polynomial kernel (tight tol on both sides: at tol=1e-3 the two solvers stop at
# different points up to ~3e-3 apart in decision value)
xg, yg = make_classification(n_samples=400, n_features=10, n_informative=5, random_state=0)
ref["generated_poly"] = svc_case(
    xg, yg, {"C": 0.5, "kernel": "poly", "degree": 3, "gamma": 0.1, "coef0": 1.0, "tol": 1e-5},
    {"metric": "poly", "degree": 3, "gamma": 0.1, "coef0": 1.0})
# generated, linear kernel, 3 classes
xl, yl = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=1)
ref["generated_linear3"] = svc_case(xl, yl, {"C": 0.1, "kernel": "linear", "tol": 1e-5}, None)

# diabetes, ε-SVR, RBF gamma=scale, C=100, epsilon=5 (targets ~ 25..346)
db = load_diabetes()
xr = StandardScaler().fit_transform(db.data)
r = SVR(C=100.0, epsilon=5.0).fit(xr, db.target)
ref["diabetes_svr"] = {
    "x": xr.tolist(), "y": db.target.tolist(), "gamma": float(r._gamma),
    "support": r.support_.tolist(), "dual_coef": r.dual_coef_[0].tolist(),
    "intercept": float(r.intercept_[0]), "predict": r.predict(xr).tolist(),
}

with open(__file__.replace(".py", ".json"), "w") as f:
    json.dump(ref, f)
