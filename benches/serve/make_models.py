"""Data and models of the server comparison (benches/serve/compare.sh).

    python make_models.py OUT_DIR

A spam-sized binary problem (scikit-learn's make_classification: 4 601 rows,
57 features like UCI Spambase, 1 % label noise, class_sep 2: about 1 000
support vectors), standardised, 80/20 split.
Writes:
  OUT_DIR/train.csv                        features f0..f56 + label, for `oxilearn fit`
  OUT_DIR/mlserver/{svc,logistic}/         model.joblib + model-settings.json (mlserver-sklearn)
  OUT_DIR/request-1.json, request-1000.json  OIP v2 bodies (FP64 rows of the test split)
  OUT_DIR/request-{1,1000}.bin (+ .header-length)  the same rows as binary tensor data
scikit-learn's models use the hyperparameters `oxilearn fit` is given in
compare.sh: SVC(C=1, kernel="rbf", gamma="scale"), LogisticRegression(C=1).
"""

import csv
import json
import os
import sys

import joblib
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

out = sys.argv[1]
x, y = make_classification(
    n_samples=4601, n_features=57, n_informative=20, n_redundant=10,
    flip_y=0.01, class_sep=2.0, random_state=0,
)
n_train = 3680
mean, std = x[:n_train].mean(axis=0), x[:n_train].std(axis=0)
x = (x - mean) / std
xtr, ytr, xte = x[:n_train], y[:n_train], x[n_train:]

with open(os.path.join(out, "train.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow([f"f{j}" for j in range(x.shape[1])] + ["label"])
    for row, t in zip(xtr, ytr):
        w.writerow([repr(float(v)) for v in row] + [int(t)])

models = {
    "svc": SVC(C=1.0, kernel="rbf", gamma="scale").fit(xtr, ytr),
    "logistic": LogisticRegression(C=1.0, max_iter=1000).fit(xtr, ytr),
}
print(f"svc: {models['svc'].n_support_.sum()} support vectors, "
      f"test accuracy {models['svc'].score(xte, y[n_train:]):.4f}")
print(f"logistic: test accuracy {models['logistic'].score(xte, y[n_train:]):.4f}")
for name, model in models.items():
    d = os.path.join(out, "mlserver", name)
    os.makedirs(d, exist_ok=True)
    joblib.dump(model, os.path.join(d, "model.joblib"))
    with open(os.path.join(d, "model-settings.json"), "w") as f:
        json.dump({"name": name, "implementation": "mlserver_sklearn.SKLearnModel",
                   "parameters": {"uri": "./model.joblib"}}, f)

for n in (1, 1000):
    rows = np.resize(xte, (n, x.shape[1]))
    with open(os.path.join(out, f"request-{n}.json"), "w") as f:
        f.write(json.dumps({"inputs": [{"name": "input-0", "shape": [n, x.shape[1]],
                                        "datatype": "FP64", "data": rows.ravel().tolist()}]}))
    # The same rows with Triton's binary tensor data extension (what tritonclient sends by
    # default; MLServer does not take it): a JSON header, then the raw little-endian FP64
    # values; the header's length goes in the Inference-Header-Content-Length header.
    raw = np.ascontiguousarray(rows, dtype="<f8").tobytes()
    header = json.dumps({"inputs": [{"name": "input-0", "shape": [n, x.shape[1]], "datatype": "FP64",
                                     "parameters": {"binary_data_size": len(raw)}}]}).encode()
    with open(os.path.join(out, f"request-{n}.bin"), "wb") as f:
        f.write(header + raw)
    with open(os.path.join(out, f"request-{n}.bin.header-length"), "w") as f:
        f.write(str(len(header)))
