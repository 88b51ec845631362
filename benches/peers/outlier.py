"""scikit-learn peer for benches/outlier.rs, on the very same data.

`cargo bench -p oxilearn-benches --bench outlier` writes the 100 000 x 20 rows
(the features of make_regression(100000, 20, noise=1, seed=7)) to
``<data_dir>/outlier_x.npy``; this script times, on them, scikit-learn's
IsolationForest fit + score_samples on all rows (100 trees, max_samples "auto",
n_jobs = the pinned thread count), LocalOutlierFactor fit_predict on the first
20 000 rows (20 neighbours; the faster of its default neighbour search and brute
force; n_jobs = the pinned thread count) and OneClassSVM fit + score_samples on
the first 5 000 rows (its defaults: RBF, gamma "scale", nu 0.5, tol 1e-3, a
200 MB kernel cache; libsvm, one thread), and emits one JSON record each
(peerlib.py format).

    benches/peers/.venv/bin/python benches/peers/run.py outlier   # threads pinned by run.py
    python benches/peers/outlier.py [DATA_DIR]                    # standalone (2 threads),
                                                                  # in the venv of benches/peers/setup.sh

Timing: peerlib.time_median (criterion-style: 1 s warm-up, 10 samples, ~5 s).
"""

from __future__ import annotations

import os
import sys

from peerlib import emit, load_npy, threads, time_median


def main(out_dir: str | None = None) -> list[dict]:
    import numpy as np
    import sklearn
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor
    from sklearn.svm import OneClassSVM

    x = load_npy("outlier_x.npy")
    n, d = x.shape
    config = {
        "n": n,
        "d": d,
        "dtype": str(x.dtype),
        "threads": threads(),
        "data": "outlier_x.npy: features of make_regression(100000, 20, noise=1, seed=7)",
    }

    def fit_score():
        f = IsolationForest(random_state=0, n_jobs=threads()).fit(x)
        return f.score_samples(x)

    median, calls = time_median(fit_score)
    ours = "isolation_forest/fit_score_samples/100000x20"
    records = [
        emit(
            {
                "area": "outlier",
                "name": ours,
                "ours": ours,
                "peer": f"scikit-learn {sklearn.__version__} IsolationForest(n_jobs={threads()}) fit + score_samples",
                "median_s": median,
                "samples": calls,
                "config": config,
            }
        )
    ]

    head = np.ascontiguousarray(x[:20_000])
    # scikit-learn's best neighbour search here: its default (a k-d tree for
    # 20 features) and brute force are both timed, the faster one reported.
    best = None
    for algorithm in ("auto", "brute"):

        def lof_fit_predict(algorithm=algorithm):
            lof = LocalOutlierFactor(n_neighbors=20, algorithm=algorithm, n_jobs=threads())
            return lof.fit_predict(head)

        median, calls = time_median(lof_fit_predict)
        if best is None or median < best[0]:
            best = (median, calls, algorithm)
    median, calls, algorithm = best
    ours = "local_outlier_factor/fit_predict/20000x20/k20"
    records.append(
        emit(
            {
                "area": "outlier",
                "name": ours,
                "ours": ours,
                "peer": f"scikit-learn {sklearn.__version__} LocalOutlierFactor(n_neighbors=20, algorithm='{algorithm}', n_jobs={threads()}) fit_predict (faster of 'auto' and 'brute')",
                "median_s": median,
                "samples": calls,
                "config": {**config, "n": head.shape[0]},
            }
        )
    )

    small = np.ascontiguousarray(x[:5_000])

    def ocsvm_fit_score():
        m = OneClassSVM().fit(small)
        return m.score_samples(small)

    median, calls = time_median(ocsvm_fit_score)
    ours = "one_class_svm/fit_score_samples/5000x20"
    records.append(
        emit(
            {
                "area": "outlier",
                "name": ours,
                "ours": ours,
                "peer": f"scikit-learn {sklearn.__version__} OneClassSVM() fit + score_samples (libsvm, one thread)",
                "median_s": median,
                "samples": calls,
                "config": {**config, "n": small.shape[0]},
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
