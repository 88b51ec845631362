"""Reference values for the Crammer–Singer tests of tests/it/svm_linear.rs:
scikit-learn's LinearSVC(multi_class="crammer_singer") (liblinear's MCSVM_CS).

Run: $PEERS_VENV/bin/python tests/data/linear_svm_cs_reference.py
(writes tests/data/linear_svm_cs_reference.json)

Iris standardised (population standard deviation), and the CSR records of the
sparse SVM tests (tests/data/svm_sparse.svmlight).
"""
import json
import os

import numpy as np
import sklearn
from sklearn.datasets import load_iris, load_svmlight_file
from sklearn.svm import LinearSVC

here = os.path.dirname(os.path.abspath(__file__))
iris = load_iris()
x = (iris.data - iris.data.mean(axis=0)) / iris.data.std(axis=0)
y = iris.target


def case(m, xx, yy, **fit):
    m.fit(xx, yy, **fit)
    w = np.c_[m.coef_, m.intercept_]
    return {"coef": m.coef_.tolist(), "intercept": m.intercept_.tolist(),
            "decision": m.decision_function(xx).tolist(), "n_iter": int(m.n_iter_)}


ref = {"sklearn": sklearn.__version__}
# LinearSVC(multi_class="crammer_singer", C=1, tol=1e-8, max_iter=100000).fit(x, y)
ref["iris"] = case(LinearSVC(multi_class="crammer_singer", C=1.0, tol=1e-8,
                             max_iter=100000), x, y)
# LinearSVC(multi_class="crammer_singer", C=0.5, tol=1e-8, max_iter=100000,
#           class_weight={0: 2.0, 2: 0.5}, intercept_scaling=2.0)
#   .fit(x, y, sample_weight=1 + (arange(150) % 3) / 2)
ref["iris_weighted"] = case(
    LinearSVC(multi_class="crammer_singer", C=0.5, tol=1e-8, max_iter=100000,
              class_weight={0: 2.0, 2: 0.5}, intercept_scaling=2.0),
    x, y, sample_weight=1.0 + (np.arange(150) % 3) / 2.0)
# two classes (versicolor against virginica): one row, w1 - w0
# LinearSVC(multi_class="crammer_singer", C=1, tol=1e-8, max_iter=100000).fit(x[50:], y[50:])
ref["iris_binary"] = case(LinearSVC(multi_class="crammer_singer", C=1.0, tol=1e-8,
                                    max_iter=100000), x[50:], y[50:])
# the sparse records: LinearSVC(multi_class="crammer_singer", tol=1e-8, max_iter=100000)
xs, ys = load_svmlight_file(os.path.join(here, "svm_sparse.svmlight"), n_features=3000,
                            zero_based=False)
xs.indices = xs.indices.astype(np.int32)
xs.indptr = xs.indptr.astype(np.int32)
ref["sparse"] = case(LinearSVC(multi_class="crammer_singer", tol=1e-8, max_iter=100000),
                     xs, ys.astype(int))

with open(os.path.join(here, "linear_svm_cs_reference.json"), "w") as f:
    json.dump(ref, f)
