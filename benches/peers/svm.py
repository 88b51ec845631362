"""scikit-learn (libsvm) timings on the SVM bench data.

The data is generated in Rust and exported by the benches
(`cargo bench --bench svm` writes target/bench-data/svm_<name>_*.npy); this
script loads the same arrays with numpy.load and times SVC fit/predict with
the same hyperparameters: RBF, C=1, gamma=0.05, tol=1e-3, cache_size=200 MB.

Run: /root/peers-venv/bin/python benches/peers/svm.py [name ...]
(default names: breast_cancer cls5000 cls20000)
"""
import os
import sys
import time

import numpy as np
from sklearn.svm import SVC

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "target", "bench-data")


def load(name):
    p = lambda part: os.path.join(ROOT, f"svm_{name}_{part}.npy")
    return tuple(np.load(p(part)) for part in ("x_train", "y_train", "x_test", "y_test"))


def best_of(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times)), out


def main(names):
    for name in names:
        try:
            xtr, ytr, xte, yte = load(name)
        except FileNotFoundError:
            print(f"{name}: no data (run `cargo bench --bench svm` first)")
            continue
        repeat = 5 if len(xtr) <= 5000 else 3
        params = dict(C=1.0, kernel="rbf", gamma=0.05, tol=1e-3, cache_size=200)
        tmin, tmed, m = best_of(lambda: SVC(**params).fit(xtr, ytr), repeat)
        pmin, pmed, pred = best_of(lambda: m.predict(xte), repeat)
        acc = float((pred == yte).mean())
        print(
            f"sklearn {name}: n_train={len(xtr)} fit min {tmin:.4f}s median {tmed:.4f}s | "
            f"predict({len(xte)}) min {pmin:.4f}s median {pmed:.4f}s | n_sv={m.support_.size} "
            f"n_iter={int(m.n_iter_[0])} acc={acc:.4f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["breast_cancer", "cls5000", "cls20000"])
