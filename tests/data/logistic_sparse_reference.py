"""Reference values for tests/it/logistic_sparse.rs: scikit-learn's LogisticRegression
fitted on a CSR matrix.

Run: $PEERS_VENV/bin/python tests/data/logistic_sparse_reference.py
(writes tests/data/logistic_sparse_reference.json)

The records are tests/data/svm_sparse.svmlight (300 text-like rows × 3000 columns, under
1 % stored, row 5 empty; written by svm_sparse_reference.py), read as CSR.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression

here = os.path.dirname(os.path.abspath(__file__))
x, y = load_svmlight_file(os.path.join(here, "svm_sparse.svmlight"), n_features=3000,
                          zero_based=False)
y = y.astype(int)
ref = {"sklearn": sklearn.__version__}


def case(m, xx, yy, **fit):
    m.fit(xx, yy, **fit)
    return {"coef": m.coef_.tolist(), "intercept": m.intercept_.tolist(),
            "proba": m.predict_proba(xx).tolist(), "n_iter": int(np.max(m.n_iter_))}


# LogisticRegression(C=10, tol=1e-10, max_iter=10000): lbfgs, multinomial over 3 classes
ref["multinomial"] = case(LogisticRegression(C=10.0, tol=1e-10, max_iter=10000), x, y)

# binary (class 0 against the rest), no intercept, sample_weight = 1 + (i % 3)
ref["binary_weighted"] = case(
    LogisticRegression(C=1.0, fit_intercept=False, tol=1e-10, max_iter=10000),
    x, (y == 0).astype(int), sample_weight=1.0 + np.arange(300) % 3)

with open(os.path.join(here, "logistic_sparse_reference.json"), "w") as f:
    json.dump(ref, f)
