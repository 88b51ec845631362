"""scikit-learn peer for benches/outlier.rs, on the very same data.

`cargo bench -p oxilearn-benches --bench outlier` writes the 100 000 x 20 rows
(the features of make_regression(100000, 20, noise=1, seed=7)) to
``<data_dir>/outlier_x.npy``; this script times scikit-learn's IsolationForest
fit + score_samples on them (100 trees, max_samples "auto", n_jobs = the pinned
thread count) and emits one JSON record (peerlib.py format).

    benches/peers/.venv/bin/python benches/peers/run.py outlier     # threads pinned by run.py
    /work/peers-venv/bin/python benches/peers/outlier.py [DATA_DIR]  # standalone (2 threads)

Timing: peerlib.time_median (criterion-style: 1 s warm-up, 10 samples, ~5 s).
"""

from __future__ import annotations

import os
import sys

from peerlib import emit, load_npy, threads, time_median


def main(out_dir: str | None = None) -> list[dict]:
    import sklearn
    from sklearn.ensemble import IsolationForest

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
    return [
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


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["OXILEARN_BENCH_DATA"] = sys.argv[1]
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads())
    except ImportError:
        pass
    main()
