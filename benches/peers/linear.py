"""scikit-learn / numpy peers for benches/linear.rs, on the very same data.

`cargo bench --manifest-path benches/linfa/Cargo.toml --bench linear` writes the 80/20 training split of
`make_regression(100000, 100, noise=1, seed=42)` (80 000 x 100, f64) to
``<data_dir>/linear_{x,y}_train.npy``; this script times scikit-learn on those
rows and emits one JSON record per measurement (peerlib.py format), each naming
the criterion id it compares with (``"ours"``), so report.py pairs them.

    benches/peers/.venv/bin/python benches/peers/run.py linear      # threads pinned by run.py
    benches/peers/.venv/bin/python benches/peers/linear.py [DATA_DIR]   # standalone (pins 2 threads)

Timing: peerlib.time_median (criterion-style: 1 s warm-up, 10 samples, ~5 s).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from peerlib import blas_info, emit, load_npy, threads, time_median

SHAPE = "80000x100"


def main(out_dir: str | None = None) -> list[dict]:
    import sklearn
    from sklearn.linear_model import LinearRegression, Ridge

    x = load_npy("linear_x_train.npy")
    y = load_npy("linear_y_train.npy")
    n, d = x.shape
    kernels = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} x{i.get('num_threads')}"
        for i in blas_info()
        if i.get("user_api") == "blas"
    ]
    config = {
        "n": n,
        "d": d,
        "dtype": str(x.dtype),
        "threads": threads(),
        "blas": kernels,
        "data": "linear_{x,y}_train.npy: make_regression(100000, 100, noise=1, seed=42), 80/20 split",
    }
    sk = f"scikit-learn {sklearn.__version__}"
    cases = [
        (
            f"linear_fit/ols_f64/{SHAPE}",
            f"{sk} LinearRegression()",
            lambda: LinearRegression().fit(x, y),
            None,
        ),
        (
            f"linear_fit/ridge_f64/{SHAPE}",
            f"{sk} Ridge(alpha=1, solver='cholesky')",
            lambda: Ridge(alpha=1.0, solver="cholesky").fit(x, y),
            None,
        ),
        (
            f"linear_gram/gemm_xtx_f64/{SHAPE}",
            f"numpy {np.__version__} x.T @ x",
            lambda: x.T @ x,
            2 * n * d * d,
        ),
    ]
    records = []
    for ours, peer, fn, flops in cases:
        median, calls = time_median(fn)
        rec = {
            "area": "linear",
            "name": ours,
            "ours": ours,
            "peer": peer,
            "median_s": median,
            "samples": calls,
            "config": config,
        }
        if flops:
            rec["flops"] = flops
        records.append(emit(rec))
    # Sanity line (not a record): the fitted model, to compare with ours by eye.
    m = LinearRegression().fit(x, y)
    print(f"sklearn LinearRegression intercept {m.intercept_!r} coef[:3] {m.coef_[:3]}")
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
