"""scikit-learn peer for benches/linear_svm.rs, on the very same data.

`cargo bench -p oxilearn-benches --bench linear_svm` writes the 100 000 x 100
problem (oxilearn::data::make_classification(100000, 100, 10, 2, 0),
standardised) to ``<data_dir>/linear_svm_x.npy`` / ``linear_svm_y.npy``; this
script times scikit-learn's LinearSVC (squared hinge, L2, C = 1, tol = 1e-4,
max_iter = 1000: the defaults) with both of its solvers, ``dual=False``
(liblinear's primal trust-region Newton method) and ``dual=True`` (dual
coordinate descent), and emits one JSON record per solver (peerlib.py format)
with the primal objective each reached,

    0.5 |w|^2 + C sum_i max(0, 1 - y_i (coef . x_i + intercept))^2,   w = [coef, intercept]

(intercept_scaling = 1), so that the times compare at a matched objective.

    python benches/peers/run.py linear_svm        # threads pinned by run.py
    python benches/peers/linear_svm.py [DATA_DIR]  # standalone

Both with the Python of the venv of benches/peers/setup.sh. Timing: the primal
solver by peerlib.time_median (criterion-style: 1 s warm-up, 10 samples,
~5 s per sample budget); the dual solver runs to its iteration cap on this
problem (minutes per fit), so it is timed by one fit (``samples`` = 1).
liblinear is single-threaded.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

from peerlib import emit, load_npy, threads, time_median


def objective(m, x, y) -> float:
    import numpy as np

    yy = np.where(y == m.classes_[1], 1.0, -1.0)
    z = x @ m.coef_[0] + m.intercept_[0]
    margin = np.maximum(0.0, 1.0 - yy * z)
    w2 = m.coef_[0] @ m.coef_[0] + m.intercept_[0] ** 2
    return float(0.5 * w2 + m.C * (margin**2).sum())


def main(out_dir: str | None = None) -> list[dict]:
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    x = load_npy("linear_svm_x.npy")
    y = load_npy("linear_svm_y.npy")
    n, d = x.shape
    ours = "linear_svc/fit/squared_hinge_l2/100000x100"
    records = []
    for dual in (False, True):
        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return LinearSVC(dual=dual, random_state=0).fit(x, y)

        if dual:
            t0 = time.perf_counter()
            m = fit()
            median, calls = time.perf_counter() - t0, 1
        else:
            median, calls = time_median(fit)
            m = fit()
        config = {
            "n": n,
            "d": d,
            "dtype": str(x.dtype),
            "threads": 1,
            "dual": dual,
            "n_iter": int(m.n_iter_),
            "objective": objective(m, x, y),
            "data": "linear_svm_x.npy: make_classification(100000, 100, 10, 2, 0), standardised",
        }
        records.append(
            emit(
                {
                    "area": "linear_svm",
                    "name": f"{ours}/sklearn_dual_{str(dual).lower()}",
                    "ours": ours,
                    "peer": f"scikit-learn {sklearn.__version__} LinearSVC(dual={dual})",
                    "median_s": median,
                    "samples": calls,
                    "config": config,
                }
            )
        )
    return records


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["OXILEARN_BENCH_DATA"] = sys.argv[1]
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads())
    except ImportError:
        pass
    main()
