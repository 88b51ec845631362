"""scikit-learn peers of benches/svm_family.rs, on the very same data.

`cargo bench -p oxilearn-benches --bench svm_family` writes to the bench-data
directory the kernel SVM bench's cls5000 arrays (``svm_cls5000_*.npy``) and the
hashed n-gram matrices in the svmlight format (0-based indices, 131 072
features): ``svm_sparse_ngrams5000_{train,test}.svmlight`` and
``linear_svm_ngrams50000.svmlight``. This script times, with the hyperparameters
of the Rust side:

- ``NuSVC(nu=0.5)`` and ``OneClassSVM(nu=0.5)``, RBF gamma = 0.05, tol = 1e-3,
  cache_size = 200, on the cls5000 training rows (libsvm, one thread);
- ``SVC()`` (RBF, gamma "scale", C = 1, tol = 1e-3, cache_size = 200) on the
  sparse n-gram training rows as a CSR matrix (libsvm's sparse path);
- ``LinearSVC()`` (squared hinge, L2, C = 1, tol = 1e-4) on the 50 000-row
  sparse n-gram matrix, with ``dual=True`` (liblinear's dual coordinate
  descent, what ``dual="auto"`` picks for n < d) and ``dual=False`` (primal
  trust-region Newton), each record carrying the primal objective
  ``0.5 |w|^2 + C sum max(0, 1 - y (x.coef + b))^2``, ``w = [coef, b]``.

Each record carries the support-vector count or objective in its ``config``.

    python benches/peers/run.py svm_family
    python benches/peers/svm_family.py [DATA_DIR]
"""

from __future__ import annotations

import os
import sys
import time
import warnings

try:
    import peerlib
except ImportError:  # run directly from another directory
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import peerlib

N_FEATURES = 1 << 17


def fit_median(make, *args, repeat=5):
    """Median of single fits (each long enough to time alone) and the last model."""
    import numpy as np

    times, m = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        m = make().fit(*args)
        times.append(time.perf_counter() - t)
    return float(np.median(times)), m


def svmlight(name):
    from sklearn.datasets import load_svmlight_file

    path = peerlib.data_dir() / f"{name}.svmlight"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run cargo bench -p oxilearn-benches --bench svm_family")
    x, y = load_svmlight_file(str(path), n_features=N_FEATURES, zero_based=True)
    # libsvm's and liblinear's wrappers take 32-bit CSR indices only
    x.indices = x.indices.astype("int32")
    x.indptr = x.indptr.astype("int32")
    return x, y


def primal_objective(m, x, y) -> float:
    import numpy as np

    yy = np.where(y == m.classes_[1], 1.0, -1.0)
    z = x @ m.coef_[0] + m.intercept_[0]
    margin = np.maximum(0.0, 1.0 - yy * z)
    w2 = m.coef_[0] @ m.coef_[0] + m.intercept_[0] ** 2
    return float(0.5 * w2 + m.C * (margin**2).sum())


def main(out_dir=None, data_dir=None):
    """Prints one JSON record per measurement (run.py's contract); `out_dir` is unused."""
    import numpy as np
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import SVC, LinearSVC, NuSVC, OneClassSVM

    if data_dir:
        os.environ["OXILEARN_BENCH_DATA"] = str(data_dir)
    v = sklearn.__version__
    records = []

    def emit(name, peer, secs, config, variant="sklearn"):
        records.append(peerlib.emit({
            "area": "svm_family",
            "name": f"svm_family/{name}/{variant}",
            "ours": f"svm_family/{name}",
            "peer": f"scikit-learn {v} {peer}",
            "median_s": secs,
            "config": config,
        }))

    rbf = dict(kernel="rbf", gamma=0.05, tol=1e-3, cache_size=200)
    xtr = peerlib.load_npy("svm_cls5000_x_train.npy")
    ytr = peerlib.load_npy("svm_cls5000_y_train.npy")
    secs, m = fit_median(lambda: NuSVC(nu=0.5, **rbf), xtr, ytr)
    emit("nusvc_fit/cls5000", "NuSVC (libsvm, 1 thread)", secs,
         dict(rbf, nu=0.5, n=len(xtr), n_sv=int(m.support_.size), n_iter=int(m.n_iter_[0])))
    print(f"sklearn NuSVC cls5000: {secs:.4f}s, {m.support_.size} SVs, {int(m.n_iter_[0])} iterations")
    secs, m = fit_median(lambda: OneClassSVM(nu=0.5, **rbf), xtr)
    n_iter = int(np.ravel(m.n_iter_)[0])
    emit("oneclass_fit/cls5000", "OneClassSVM (libsvm, 1 thread)", secs,
         dict(rbf, nu=0.5, n=len(xtr), n_sv=int(m.support_.size), n_iter=n_iter))
    print(f"sklearn OneClassSVM cls5000: {secs:.4f}s, {m.support_.size} SVs, {n_iter} iterations")

    xs, ys = svmlight("svm_sparse_ngrams5000_train")
    xt, yt = svmlight("svm_sparse_ngrams5000_test")
    secs, m = fit_median(lambda: SVC(C=1.0, tol=1e-3, cache_size=200), xs, ys, repeat=3)
    acc = float((m.predict(xt) == yt).mean())
    emit("svc_fit_sparse/ngrams5000", "SVC on CSR (libsvm sparse, 1 thread)", secs,
         dict(n=xs.shape[0], d=xs.shape[1], nnz=int(xs.nnz), gamma=float(m._gamma),
              n_sv=int(m.support_.size), n_iter=int(m.n_iter_[0]), test_accuracy=acc))
    print(f"sklearn SVC sparse ngrams5000: {secs:.4f}s, {m.support_.size} SVs, "
          f"{int(m.n_iter_[0])} iterations, gamma {m._gamma:.6f}, test accuracy {acc:.4f}")

    x, y = svmlight("linear_svm_ngrams50000")
    for dual in (True, False):
        def make(dual=dual):
            class Quiet(LinearSVC):
                def fit(self, *a, **k):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        return super().fit(*a, **k)
            return Quiet(dual=dual, random_state=0)

        secs, m = fit_median(make, x, y, repeat=5)
        obj = primal_objective(m, x, y)
        emit("linear_svc_fit_sparse/ngrams50000",
             f"LinearSVC(dual={dual}) on CSR (liblinear, 1 thread)", secs,
             dict(n=x.shape[0], d=x.shape[1], nnz=int(x.nnz), dual=dual,
                  n_iter=int(m.n_iter_), objective=obj),
             variant=f"sklearn_dual_{str(dual).lower()}")
        print(f"sklearn LinearSVC(dual={dual}) ngrams50000: {secs:.4f}s, objective {obj:.6f}, "
              f"n_iter {int(m.n_iter_)}")
    return records


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["OXILEARN_BENCH_DATA"] = sys.argv[1]
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=peerlib.threads())
    except ImportError:
        pass
    main()
