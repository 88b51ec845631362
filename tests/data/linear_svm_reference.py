"""Reference values for tests/it/svm_linear.rs: scikit-learn's LinearSVC and LinearSVR (liblinear).

Run with the Python of the venv of benches/peers/setup.sh: python tests/data/linear_svm_reference.py  (writes tests/data/linear_svm_reference.json)
scikit-learn 1.9.1. Data: breast cancer standardised (the matrix of svm_reference.json), iris
standardised and diabetes standardised (stored here, `x`), all bundled sets.

Per case: the fit at the test's tolerance (`coef`, `intercept`, `decision`, `predict`, `n_iter`,
`objective` per coefficient row) and the optimum (`coef_opt`, `intercept_opt`, `objective_opt`:
scikit-learn at a far tighter tolerance, refined by L-BFGS where the objective is smooth).
The objective is the primal that liblinear minimises, computed here from the coefficients:
  classification, per one-vs-rest row k (one row for two classes, positive = classes_[1]):
    R(w) + sum_i C_i * loss(y_i * w.x_i),  w = [coef_k, intercept_k / intercept_scaling],
    x_i = [x_i, intercept_scaling]; R = 0.5 |w|^2 (l2) or |w|_1 (l1);
    C_i = C * sample_weight_i * (class_weight[k] if y_i == k else 1) for three or more classes,
    C_i = C * sample_weight_i * class_weight[y_i] for two (liblinear's costs);
  regression: 0.5 |w|^2 + sum_i C * sample_weight_i * max(0, |y_i - w.x_i| - epsilon)^p.
"""
import json

import numpy as np
import sklearn
from scipy.optimize import minimize
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC, LinearSVR


def augmented(m, x):
    return np.c_[x, np.full(len(x), m.intercept_scaling)] if m.fit_intercept else x


def weights(m, k):
    return np.r_[m.coef_[k], m.intercept_[k] / m.intercept_scaling] if m.fit_intercept else m.coef_[k]


def svc_problems(m, y, sw):
    """(labels +-1, costs) per coefficient row."""
    classes = m.classes_
    cw = m.class_weight or {}
    if cw == "balanced":
        from sklearn.utils.class_weight import compute_class_weight
        cw = dict(zip(classes, compute_class_weight("balanced", classes=classes, y=y, sample_weight=sw)))
    if len(classes) == 2:
        yy = np.where(y == classes[1], 1.0, -1.0)
        c = m.C * sw * np.array([cw.get(v, 1.0) for v in y])
        return [(yy, c)]
    return [(np.where(y == k, 1.0, -1.0), m.C * sw * np.where(y == k, cw.get(k, 1.0), 1.0)) for k in classes]


def svc_objective(m, x, k, yy, c, w=None):
    w = weights(m, k) if w is None else w
    marg = np.maximum(0.0, 1.0 - yy * (augmented(m, x) @ w))
    loss = marg if m.loss == "hinge" else marg ** 2
    reg = np.abs(w).sum() if m.penalty == "l1" else 0.5 * w @ w
    return reg + c @ loss


def svc_case(params, x, y, sw=None, tol=1e-4):
    sw = np.ones(len(y)) if sw is None else sw
    m = LinearSVC(tol=tol, random_state=0, **params).fit(x, y, sample_weight=sw)
    opt = LinearSVC(tol=1e-10, max_iter=1_000_000, random_state=0, **params).fit(x, y, sample_weight=sw)
    probs = svc_problems(m, y, sw)
    coef_opt, icpt_opt, obj_opt = [], [], []
    for k, (yy, c) in enumerate(probs):
        w0 = weights(opt, k)
        if opt.loss == "squared_hinge" and opt.penalty == "l2":  # smooth: refine
            r = minimize(lambda w: svc_objective(opt, x, k, yy, c, w), w0, method="L-BFGS-B",
                         options={"gtol": 1e-12, "ftol": 1e-16, "maxiter": 10000})
            w0 = r.x if r.fun <= svc_objective(opt, x, k, yy, c, w0) else w0
        obj_opt.append(svc_objective(opt, x, k, yy, c, w0))
        if opt.fit_intercept:
            coef_opt.append(w0[:-1].tolist())
            icpt_opt.append(w0[-1] * opt.intercept_scaling)
        else:
            coef_opt.append(w0.tolist())
            icpt_opt.append(0.0)
    return {
        "coef": m.coef_.tolist(), "intercept": np.atleast_1d(m.intercept_).tolist(),
        "objective": [svc_objective(m, x, k, yy, c) for k, (yy, c) in enumerate(probs)],
        "n_iter": int(m.n_iter_),
        "decision": m.decision_function(x).tolist(), "predict": m.predict(x).tolist(),
        "coef_opt": coef_opt, "intercept_opt": icpt_opt, "objective_opt": obj_opt,
    }


def svr_objective(m, x, y, sw, w):
    r = np.maximum(0.0, np.abs(y - augmented(m, x) @ w) - m.epsilon)
    loss = r if m.loss == "epsilon_insensitive" else r ** 2
    return 0.5 * w @ w + (m.C * sw) @ loss


def svr_case(params, x, y, sw=None, tol=1e-4):
    sw = np.ones(len(y)) if sw is None else sw
    m = LinearSVR(tol=tol, random_state=0, **params).fit(x, y, sample_weight=sw)
    opt = LinearSVR(tol=1e-10, max_iter=1_000_000, random_state=0, **params).fit(x, y, sample_weight=sw)
    wr = lambda mm: np.r_[mm.coef_, np.atleast_1d(mm.intercept_)[0] / mm.intercept_scaling] if mm.fit_intercept else mm.coef_
    w0 = wr(opt)
    if opt.loss == "squared_epsilon_insensitive":
        r = minimize(lambda w: svr_objective(opt, x, y, sw, w), w0, method="L-BFGS-B",
                     options={"gtol": 1e-12, "ftol": 1e-16, "maxiter": 10000})
        w0 = r.x if r.fun <= svr_objective(opt, x, y, sw, w0) else w0
    return {
        "coef": m.coef_.tolist(), "intercept": float(np.atleast_1d(m.intercept_)[0]),
        "objective": svr_objective(m, x, y, sw, wr(m)), "n_iter": int(m.n_iter_),
        "predict": m.predict(x).tolist(),
        "coef_opt": (w0[:-1] if opt.fit_intercept else w0).tolist(),
        "intercept_opt": float(w0[-1] * opt.intercept_scaling) if opt.fit_intercept else 0.0,
        "objective_opt": svr_objective(opt, x, y, sw, w0),
    }


ref = {"sklearn": sklearn.__version__}
xb = StandardScaler().fit_transform(load_breast_cancer().data)
yb = load_breast_cancer().target
xi = StandardScaler().fit_transform(load_iris().data)
yi = load_iris().target
xd = StandardScaler().fit_transform(load_diabetes().data)
yd = load_diabetes().target / 100.0
ref["iris_x"] = xi.tolist()
ref["diabetes_x"] = xd.tolist()
ref["diabetes_y"] = yd.tolist()
rng = np.random.RandomState(0)
sw_iris = rng.uniform(0.5, 2.0, len(yi))
ref["iris_sample_weight"] = sw_iris.tolist()
sw_diab = rng.uniform(0.5, 2.0, len(yd))
ref["diabetes_sample_weight"] = sw_diab.tolist()

# LinearSVC(C=0.1, dual=True): squared hinge, l2, tol=1e-4; breast cancer
ref["bc_squared_hinge"] = svc_case({"C": 0.1, "dual": True}, xb, yb)
# LinearSVC(loss="hinge", C=0.5, dual=True)
ref["bc_hinge"] = svc_case({"loss": "hinge", "C": 0.5, "dual": True}, xb, yb)
# LinearSVC(C=0.1, dual=True, intercept_scaling=10, class_weight="balanced")
ref["bc_scaling_balanced"] = svc_case({"C": 0.1, "dual": True, "intercept_scaling": 10.0, "class_weight": "balanced"}, xb, yb)
# LinearSVC(penalty="l1", dual=False, C=0.5)
ref["bc_l1"] = svc_case({"penalty": "l1", "dual": False, "C": 0.5}, xb, yb)
# LinearSVC(dual=True) on iris: one-vs-rest, three rows
ref["iris_ovr"] = svc_case({"dual": True}, xi, yi)
# LinearSVC(loss="hinge", C=2, fit_intercept=False, dual=True) on iris
ref["iris_hinge_no_intercept"] = svc_case({"loss": "hinge", "C": 2.0, "fit_intercept": False, "dual": True}, xi, yi)
# LinearSVC(C=0.7, intercept_scaling=2, class_weight={0: 2, 2: 0.5}, dual=True), sample weights
ref["iris_weighted"] = svc_case({"C": 0.7, "intercept_scaling": 2.0, "class_weight": {0: 2.0, 2: 0.5}, "dual": True}, xi, yi, sw_iris)
# LinearSVC(penalty="l1", dual=False, C=1) on iris (one-vs-rest, L1)
ref["iris_l1"] = svc_case({"penalty": "l1", "dual": False}, xi, yi)
# LinearSVC(C=0.1, dual=False): squared hinge, l2, liblinear's primal trust-region Newton method
ref["bc_primal"] = svc_case({"C": 0.1, "dual": False}, xb, yb)
# LinearSVC(C=0.7, intercept_scaling=2, class_weight={0: 2, 2: 0.5}, dual=False), sample weights
ref["iris_primal_weighted"] = svc_case({"C": 0.7, "intercept_scaling": 2.0, "class_weight": {0: 2.0, 2: 0.5}, "dual": False}, xi, yi, sw_iris)

# LinearSVR(epsilon=0.1, C=0.1, dual=True) on diabetes (y / 100)
ref["diabetes_eps"] = svr_case({"epsilon": 0.1, "C": 0.1, "dual": True}, xd, yd)
# LinearSVR(loss="squared_epsilon_insensitive", epsilon=0.2, C=0.5, dual=True), sample weights
ref["diabetes_sq_weighted"] = svr_case({"loss": "squared_epsilon_insensitive", "epsilon": 0.2, "C": 0.5, "dual": True}, xd, yd, sw_diab)
# LinearSVR(C=0.1, intercept_scaling=5, dual=True): epsilon = 0 (default)
ref["diabetes_scaling"] = svr_case({"C": 0.1, "intercept_scaling": 5.0, "dual": True}, xd, yd)

with open(__file__.replace(".py", ".json"), "w") as f:
    json.dump(ref, f)
for k, v in ref.items():
    if isinstance(v, dict):
        print(k, v["n_iter"], v["objective"], v["objective_opt"])
