"""scikit-learn peers for benches/linear.rs, on the very same data.

`cargo bench --bench linear` writes the 80/20 training split of the
100k x 100 regression problem to target/bench-data/linear_{x,y}_train.npy;
this script times scikit-learn on it and prints medians.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        /root/peers-venv/bin/python benches/peers/linear.py [target/bench-data]

Threads: BLAS pools limited to 2 with threadpoolctl (the machine has 2 cores);
the active BLAS configuration (library, version, kernel) is printed.
"""

import os
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.linear_model import LinearRegression, Ridge
from threadpoolctl import threadpool_info, threadpool_limits

THREADS = 2
REPEAT = 7


def median_seconds(fit, repeat=REPEAT):
    fit()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fit()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join("target", "bench-data")
    x = np.load(os.path.join(data, "linear_x_train.npy"))
    y = np.load(os.path.join(data, "linear_y_train.npy"))
    print(f"data: x {x.shape} {x.dtype} (C-contiguous {x.flags.c_contiguous}), y {y.shape}")
    print(f"numpy {np.__version__}, scikit-learn {sklearn.__version__}")
    with threadpool_limits(limits=THREADS):
        for pool in threadpool_info():
            print(
                "pool: {internal_api} {version} threads={num_threads} kernel={arch}".format(
                    internal_api=pool.get("internal_api"),
                    version=pool.get("version"),
                    num_threads=pool.get("num_threads"),
                    arch=pool.get("architecture"),
                )
            )
        print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
        cases = [
            ("sklearn LinearRegression()", lambda: LinearRegression().fit(x, y)),
            (
                "sklearn Ridge(alpha=1, solver='cholesky')",
                lambda: Ridge(alpha=1.0, solver="cholesky").fit(x, y),
            ),
            ("numpy x.T @ x (GEMM)", lambda: x.T @ x),
        ]
        for name, fit in cases:
            med, lo, hi = median_seconds(fit)
            print(f"{name:45s} median {med * 1e3:9.2f} ms  (min {lo * 1e3:.2f}, max {hi * 1e3:.2f}, n={REPEAT})")
        # Sanity: the models agree with ours to the printed digits.
        m = LinearRegression().fit(x, y)
        print("LinearRegression intercept", repr(m.intercept_), "coef[:3]", m.coef_[:3])


if __name__ == "__main__":
    main()
