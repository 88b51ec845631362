"""Reference values for tests/it/svm_sparse.rs: scikit-learn's kernel SVMs (libsvm's
sparse path) fitted on a CSR matrix.

Run: $PEERS_VENV/bin/python tests/data/svm_sparse_reference.py
(writes tests/data/svm_sparse.svmlight and tests/data/svm_sparse_reference.json)

The data imitate text features: 300 documents × 3000 terms, under 1 % of the
entries stored, small term counts, rows scaled to unit length (as tf-idf does);
row 5 has no stored entry at all. Three classes with their own vocabularies
(8 % of the labels redrawn at random) and a regression target from a sparse
linear rule plus noise. The matrix is written once in the svmlight
format (1-based indices, exact values) and the test reads it back with
oxilearn's svmlight reader; only results are stored in the JSON.
"""
import json
import os

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.datasets import dump_svmlight_file
from sklearn.preprocessing import normalize
from sklearn.svm import SVC, SVR, NuSVC, NuSVR, OneClassSVM

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261205)
n, d, k = 300, 3000, 3
# each class has a 40-term vocabulary; a document takes 20 of its class's terms
# and 6 terms from the whole vocabulary, each with a count of 1 to 3
topic = [rng.choice(d, 40, replace=False) for _ in range(k)]
y = rng.integers(0, k, n)
rows, cols, vals = [], [], []
for i in range(n):
    terms = np.unique(np.r_[rng.choice(topic[y[i]], 20, replace=False),
                            rng.choice(d, 6, replace=False)])
    rows += [i] * len(terms)
    cols += terms.tolist()
    vals += rng.integers(1, 4, len(terms)).astype(float).tolist()
x = sp.csr_matrix((vals, (rows, cols)), shape=(n, d)).tolil()
x[5, :] = 0
x = normalize(x.tocsr())
x.eliminate_zeros()
x.sort_indices()
# 8 % of the labels redrawn at random (noise)
flip = rng.random(n) < 0.08
y = np.where(flip, rng.integers(0, k, n), y)
w = np.zeros(d)
w[topic[0]] = rng.standard_normal(40)
t = x @ w + 0.05 * rng.standard_normal(n)
# the file stores the class labels; the regression target goes into the JSON
dump_svmlight_file(x, y, os.path.join(here, "svm_sparse.svmlight"), zero_based=False)


def classifier(m):
    return {
        "support": m.support_.tolist(),
        "n_support": m.n_support_.tolist(),
        "dual_coef": m.dual_coef_.toarray().tolist(),
        "intercept": m.intercept_.tolist(),
        "decision": m.decision_function(x).tolist(),
        "predict": m.predict(x).tolist(),
    }


def regressor(m):
    return {
        "support": m.support_.tolist(),
        "dual_coef": m.dual_coef_.toarray()[0].tolist(),
        "intercept": float(m.intercept_[0]),
        "predict": m.predict(x).tolist(),
    }


ref = {"sklearn": sklearn.__version__, "target": t.tolist()}

# SVC(C=1), RBF gamma="scale" (Var over all n·d entries), one-vs-one
m = SVC(C=1.0, decision_function_shape="ovo").fit(x, y)
ref["svc_rbf"] = classifier(m) | {"gamma": m._gamma}

# SVC(kernel="poly", degree=2, gamma=1, coef0=1, C=1), one-vs-one
m = SVC(kernel="poly", degree=2, gamma=1.0, coef0=1.0, C=1.0,
        decision_function_shape="ovo").fit(x, y)
ref["svc_poly"] = classifier(m)

# NuSVC(nu=0.3), RBF gamma="scale", one-vs-one
m = NuSVC(nu=0.3, decision_function_shape="ovo").fit(x, y)
ref["nusvc_rbf"] = classifier(m)

# SVR(C=10, epsilon=0.1), RBF gamma="scale", target t
m = SVR(C=10.0, epsilon=0.1).fit(x, t)
ref["svr_rbf"] = regressor(m)

# NuSVR(nu=0.2, C=10), linear kernel, target t
m = NuSVR(nu=0.2, C=10.0, kernel="linear").fit(x, t)
ref["nusvr_linear"] = regressor(m)

# OneClassSVM(nu=0.1), RBF gamma="scale"
m = OneClassSVM(nu=0.1).fit(x)
ref["oneclass_rbf"] = {
    "support": m.support_.tolist(),
    "dual_coef": m.dual_coef_.toarray()[0].tolist(),
    "offset": float(m.offset_[0]),
    "score_samples": m.score_samples(x).tolist(),
    "predict": m.predict(x).tolist(),
}

with open(os.path.join(here, "svm_sparse_reference.json"), "w") as f:
    json.dump(ref, f)
