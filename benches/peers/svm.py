"""scikit-learn (libsvm) peer of benches/svm.rs, on the very same arrays.

The data is generated in Rust and exported by the benches
(`cargo bench --manifest-path benches/linfa/Cargo.toml --bench svm` or `cargo bench -p oxilearn-benches --bench svm_memory -- <n>` writes
target/bench-data/svm_<name>_{x_train,y_train,x_test,y_test}.npy); this script
loads them and times `SVC` fit and predict with the same hyperparameters: RBF,
C=1, gamma=0.05, tol=1e-3, cache_size=200 MB, shrinking on.

Run through benches/peers/run.py (JSON records, see peerlib.py), or directly:
    benches/peers/.venv/bin/python benches/peers/svm.py [name ...]
(default names: breast_cancer cls5000 cls20000). Besides the JSON records, one
human-readable line per dataset gives n_SV, iterations and test accuracy.
"""
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.svm import SVC

try:
    import peerlib
except ImportError:  # run directly from another directory
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import peerlib

NAMES = ["breast_cancer", "cls5000", "cls20000"]
PARAMS = dict(C=1.0, kernel="rbf", gamma=0.05, tol=1e-3, cache_size=200, shrinking=True)


def load(name):
    return tuple(peerlib.load_npy(f"svm_{name}_{part}.npy") for part in ("x_train", "y_train", "x_test", "y_test"))


def fit_median(xtr, ytr):
    """Median of a few single fits (one fit is long enough to time alone)."""
    repeat = 5 if len(xtr) <= 5000 else 3
    times, m = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        m = SVC(**PARAMS).fit(xtr, ytr)
        times.append(time.perf_counter() - t)
    return float(np.median(times)), m


def main(out_dir=None, data_dir=None, names=None):
    """Prints one JSON record per measurement (run.py's contract); `out_dir` is unused."""
    if data_dir:
        os.environ["OXILEARN_BENCH_DATA"] = str(data_dir)
    peer = f"scikit-learn {sklearn.__version__} SVC (libsvm, 1 thread)"
    for name in names or NAMES:
        try:
            xtr, ytr, xte, yte = load(name)
        except FileNotFoundError as e:
            print(f"{name}: {e}")
            continue
        fit_s, m = fit_median(xtr, ytr)
        pred_s, _ = peerlib.time_median(lambda: m.predict(xte))
        acc = float((m.predict(xte) == yte).mean())
        config = dict(PARAMS, n_train=int(len(xtr)), n_test=int(len(xte)), n_features=int(xtr.shape[1]),
                      n_sv=int(m.support_.size), n_iter=int(m.n_iter_[0]), test_accuracy=acc)
        for what, secs in (("fit", fit_s), ("predict", pred_s)):
            peerlib.emit({
                "area": "svm",
                "name": f"svm_{what}/{name}",
                "ours": f"svm_{what}/{name}/oxilearn_f64",
                "peer": peer,
                "median_s": secs,
                "config": config,
            })
        print(f"sklearn {name}: n_train={len(xtr)} fit median {fit_s:.4f}s | predict({len(xte)}) "
              f"median {pred_s:.4f}s | n_sv={m.support_.size} n_iter={int(m.n_iter_[0])} acc={acc:.4f}")


if __name__ == "__main__":
    dirs = [a for a in sys.argv[1:] if os.path.isdir(a)]
    main(None, dirs[0] if dirs else None, [a for a in sys.argv[1:] if a not in dirs] or None)
