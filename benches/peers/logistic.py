"""scikit-learn peer timings for benches/logistic.rs, on the very same data.

Run `cargo bench --bench logistic` first: it writes
target/bench-data/logistic_{binary,digits}_{x,y}.npy. Then, from the crate root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /root/peers-venv/bin/python benches/peers/logistic.py

Thread counts are set with threadpoolctl: binary with 2 BLAS/OpenMP threads,
digits lbfgs single-threaded. Prints the median of several fits, the objective
C·Σℓ + ½‖W‖² and the reference optimum (newton-cholesky at tol 1e-10).
"""
import json
import pathlib
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

warnings.simplefilter("ignore", ConvergenceWarning)
DATA = pathlib.Path(__file__).resolve().parents[2] / "target" / "bench-data"
C = 1.0


def load(name):
    return np.load(DATA / f"logistic_{name}_x.npy"), np.load(DATA / f"logistic_{name}_y.npy")


def objective(m, X, y):
    P = m.predict_proba(X)
    idx = np.searchsorted(m.classes_, y)
    return C * -np.log(P[np.arange(len(y)), idx]).sum() + 0.5 * np.sum(m.coef_**2)


def timed(make, X, y, repeats):
    times = []
    for _ in range(repeats):
        m = make()
        t = time.perf_counter()
        m.fit(X, y)
        times.append(time.perf_counter() - t)
    return float(np.median(times)), m


def run(name, X, y, solver, threads, repeats):
    with threadpool_limits(limits=threads):
        t, m = timed(lambda: LogisticRegression(C=C, tol=1e-4, max_iter=100, solver=solver), X, y, repeats)
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=1000, solver="newton-cholesky").fit(X, y)
    out = {
        "data": name,
        "solver": solver,
        "threads": threads,
        "median_s": t,
        "n_iter": int(np.max(m.n_iter_)),
        "objective": objective(m, X, y),
        "optimum": objective(ref, X, y),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    import sklearn
    print(json.dumps({"sklearn": sklearn.__version__, "numpy": np.__version__}))
    Xb, yb = load("binary")
    run("binary", Xb, yb, "newton-cholesky", 2, 7)
    run("binary", Xb, yb, "lbfgs", 2, 7)
    Xd, yd = load("digits")
    run("digits", Xd, yd, "lbfgs", 1, 7)
    run("digits", Xd, yd, "newton-cholesky", 1, 7)
