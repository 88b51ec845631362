"""Reference values for tests/it/svm_nu.rs: scikit-learn's NuSVC, NuSVR and OneClassSVM (libsvm).

Run: benches/peers/.venv/bin/python tests/data/svm_nu_reference.py  (writes tests/data/svm_nu_reference.json)
The data are the bundled sets (iris raw; breast cancer and diabetes standardised as in
svm_reference.py, whose JSON holds those matrices): only results are stored here.
"""
import json

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.preprocessing import StandardScaler
from sklearn.svm import NuSVC, NuSVR, OneClassSVM


def pair_objectives(m, x):
    """Per class pair (0,1), (0,2), ..., (1,2), ...: the C-SVC objective
    1/2 d^T K d of the pair's dual coefficients d (libsvm's nu objective / r^2)."""
    params = {"gamma": m._gamma, "degree": m.degree, "coef0": m.coef0}
    params = {k: v for k, v in params.items() if k in {"linear": [], "rbf": ["gamma"],
              "poly": ["gamma", "degree", "coef0"], "sigmoid": ["gamma", "coef0"]}[m.kernel]}
    sv, d, ns = m.support_vectors_, m.dual_coef_, m.n_support_
    start = np.r_[0, np.cumsum(ns)]
    out = []
    for i in range(len(ns)):
        for j in range(i + 1, len(ns)):
            rows = np.r_[start[i]:start[i + 1], start[j]:start[j + 1]]
            coef = np.r_[d[j - 1, start[i]:start[i + 1]], d[i, start[j]:start[j + 1]]]
            k = pairwise_kernels(sv[rows], metric=m.kernel, **params)
            out.append(0.5 * coef @ k @ coef)
    return out


def classifier(m, x, proba_rows=None, proba_model=None):
    out = {
        "objective": pair_objectives(m, x),
        "support": m.support_.tolist(),
        "n_support": m.n_support_.tolist(),
        "dual_coef": m.dual_coef_.tolist(),
        "intercept": m.intercept_.tolist(),
        "predict": m.predict(x).tolist(),
        "decision": m.decision_function(x).tolist(),
    }
    if proba_model is not None:
        out["proba"] = proba_model.predict_proba(x[:proba_rows]).tolist()
    return out


ref = {"sklearn": sklearn.__version__}
xb = StandardScaler().fit_transform(load_breast_cancer().data)
yb = load_breast_cancer().target
iris = load_iris()
xi, yi = iris.data, iris.target
xd = StandardScaler().fit_transform(load_diabetes().data)
yd = load_diabetes().target

# NuSVC(nu=0.2), RBF gamma="scale", breast cancer standardised; probabilities (random_state=0)
m = NuSVC(nu=0.2).fit(xb, yb)
mp = NuSVC(nu=0.2, probability=True, random_state=0).fit(xb, yb)
ref["nusvc_breast_cancer"] = classifier(m, xb, 569, mp)

# NuSVC(nu=0.15, kernel="linear", decision_function_shape="ovo", tol=1e-5), iris (3 classes)
m = NuSVC(nu=0.15, kernel="linear", decision_function_shape="ovo", tol=1e-5).fit(xi, yi)
mp = NuSVC(nu=0.15, kernel="linear", tol=1e-5, probability=True, random_state=0).fit(xi, yi)
ref["nusvc_iris_linear"] = classifier(m, xi, 150, mp)

# The same with nu=0.1: on the separable pairs nu * 100 / 2 = 5 is whole, every alpha of
# one label is at a bound and the margin scale r is any point of an interval (libsvm's
# pick is a floating-point accident): compared up to that scale.
m = NuSVC(nu=0.1, kernel="linear", decision_function_shape="ovo", tol=1e-5).fit(xi, yi)
ref["nusvc_iris_linear_degenerate"] = classifier(m, xi)

# NuSVC(nu=0.5, kernel="poly", degree=2, gamma=0.5, coef0=1, tol=1e-5) on iris with sample weights 1 + (i % 3)
w = 1.0 + (np.arange(150) % 3)
m = NuSVC(nu=0.5, kernel="poly", degree=2, gamma=0.5, coef0=1.0, decision_function_shape="ovo", tol=1e-5)
m.fit(xi, yi, sample_weight=w)
ref["nusvc_iris_poly_weighted"] = classifier(m, xi)

# Infeasible nu: iris classes 0 (50 rows) vs the first 10 rows of class 1;
# nu * (50 + 10) / 2 > 10 for nu > 1/3
xs, ys = np.r_[xi[:50], xi[50:60]], np.r_[yi[:50], yi[50:60]]
for nu in (0.33, 0.34):
    try:
        NuSVC(nu=nu).fit(xs, ys)
        ref[f"nusvc_feasible_{nu}"] = True
    except ValueError as e:
        ref[f"nusvc_feasible_{nu}"] = str(e)

# NuSVR(nu=0.3, C=50), RBF gamma="scale", diabetes standardised
r = NuSVR(nu=0.3, C=50.0).fit(xd, yd)
ref["nusvr_diabetes"] = {
    "support": r.support_.tolist(), "dual_coef": r.dual_coef_[0].tolist(),
    "intercept": float(r.intercept_[0]), "predict": r.predict(xd).tolist(),
}

# NuSVR(nu=0.6, C=2, kernel="linear", tol=1e-6) on the first 100 diabetes rows, sample weights
w = np.linspace(0.5, 2.0, 100)
r = NuSVR(nu=0.6, C=2.0, kernel="linear", tol=1e-6).fit(xd[:100], yd[:100], sample_weight=w)
ref["nusvr_linear_weighted"] = {
    "support": r.support_.tolist(), "dual_coef": r.dual_coef_[0].tolist(),
    "intercept": float(r.intercept_[0]), "predict": r.predict(xd[:100]).tolist(),
}

# OneClassSVM(nu=0.05), RBF gamma="scale", breast cancer standardised
o = OneClassSVM(nu=0.05).fit(xb)
ref["oneclass_breast_cancer"] = {
    "support": o.support_.tolist(), "dual_coef": o.dual_coef_[0].tolist(),
    "offset": float(o.offset_[0]), "decision": o.decision_function(xb).tolist(),
    "score_samples": o.score_samples(xb).tolist(), "predict": o.predict(xb).tolist(),
}

# OneClassSVM(nu=0.3, kernel="sigmoid", gamma=0.1, coef0=0.5, tol=1e-6) on iris, sample weights
w = 1.0 + (np.arange(150) % 4) / 2
o = OneClassSVM(nu=0.3, kernel="sigmoid", gamma=0.1, coef0=0.5, tol=1e-6).fit(xi, sample_weight=w)
ref["oneclass_iris_sigmoid_weighted"] = {
    "support": o.support_.tolist(), "dual_coef": o.dual_coef_[0].tolist(),
    "offset": float(o.offset_[0]), "decision": o.decision_function(xi).tolist(),
    "predict": o.predict(xi).tolist(),
}

with open("tests/data/svm_nu_reference.json", "w") as f:
    json.dump(ref, f)
