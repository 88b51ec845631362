"""scikit-learn peers for benches/logistic.rs, on the very same data.

`cargo bench --manifest-path benches/linfa/Cargo.toml --bench logistic` writes target/bench-data/logistic_{binary,digits}_{x,y}.npy
(and logistic_objectives.json: the objective each oxilearn solver reaches). Run
through run.py, or alone from the crate root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE benches/peers/.venv/bin/python benches/peers/logistic.py

Every fit: C = 1, tol = 1e-4 (scikit-learn's defaults), f64, the full data
(binary: the 40000 x 100 training split; digits: 1797 x 64, 10 classes).
Timing: peerlib.time_median (criterion-like: warm-up, 10 samples, median).
One JSON record per measurement with the criterion id it pairs with ("ours"),
its objective C·Σℓ + ½‖W‖², iterations, and the reference optimum
(newton-cholesky at tol 1e-10).

Threads: binary fits use the thread count run.py pinned (2). The digits
target is against *single-threaded* lbfgs, so the digits fits run inside
threadpool_limits(1) (recorded in each record's config).

Digits objectives differ between solvers at max_iter = 100 (lbfgs stops at
≈18.3, not converged; the optimum is ≈17.03). Digits lbfgs records:
* ``lbfgs`` (max_iter = 100, the default) pairs with oxilearn-lbfgs-matched:
  our L-BFGS at the smallest max_iter whose objective is ≤ scikit-learn's
  (the bench finds it; the constant is in benches/logistic.rs), i.e. the
  time each needs to reach the same objective;
* ``lbfgs vs ours to tol``: the same measurement beside oxilearn-lbfgs (our
  default fit, to tol 1e-4, which ends at a lower objective);
* ``lbfgs-matched``: the smallest max_iter at which scikit-learn's lbfgs
  reaches an objective ≤ the one oxilearn's Newton–Cholesky (= Auto) reaches
  at tol 1e-4, paired with oxilearn-newton-cholesky: the same objective, the
  time each library needs to get there.
"""
from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peerlib  # noqa: E402

C = 1.0
TOL = 1e-4
BINARY = "logistic/binary_40000x100/f64"
DIGITS = "logistic/digits_multinomial_1797x64/f64"


def objective(m, X, y) -> float:
    P = m.predict_proba(X)
    idx = np.searchsorted(m.classes_, y)
    return float(C * -np.log(P[np.arange(len(y)), idx]).sum() + 0.5 * np.sum(m.coef_**2))


def ours_objectives() -> dict[str, float]:
    path = peerlib.data_dir() / "logistic_objectives.json"
    return json.loads(path.read_text()) if path.exists() else {}


def measure(name, ours, X, y, threads, optimum, extra=None, **params):
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    params = {"C": C, "tol": TOL, **params}
    make = lambda: LogisticRegression(**params).fit(X, y)
    with threadpool_limits(limits=threads):
        median, calls = peerlib.time_median(make)
        m = make()
    obj = objective(m, X, y)
    return peerlib.emit({
        "area": "logistic",
        "name": name,
        "ours": ours,
        "peer": f"scikit-learn {sklearn.__version__} {params['solver']}, {threads} thr",
        "median_s": median,
        "samples": calls,
        "config": {**params, "threads": threads, "n_iter": int(np.max(m.n_iter_)),
                   "objective": obj, "optimum": optimum,
                   "rel_gap": (obj - optimum) / abs(optimum), **(extra or {})},
    })


def smallest_max_iter(X, y, target, lo=100, hi=20000):
    """Smallest max_iter at which lbfgs (1 thread) reaches objective ≤ target (None if never)."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    def obj(it):
        with threadpool_limits(limits=1):
            return objective(LogisticRegression(C=C, tol=TOL, solver="lbfgs", max_iter=it).fit(X, y), X, y)

    if obj(hi) > target:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if obj(mid) <= target:
            hi = mid
        else:
            lo = mid
    return hi


def main():
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    warnings.simplefilter("ignore", ConvergenceWarning)
    threads = peerlib.threads()
    records = []

    Xb, yb = peerlib.load_npy("logistic_binary_x.npy"), peerlib.load_npy("logistic_binary_y.npy")
    opt_b = objective(LogisticRegression(C=C, tol=1e-10, max_iter=1000, solver="newton-cholesky").fit(Xb, yb), Xb, yb)
    records.append(measure("binary newton-cholesky", f"{BINARY}/oxilearn-newton-cholesky", Xb, yb, threads,
                           opt_b, solver="newton-cholesky", max_iter=100))
    records.append(measure("binary lbfgs", f"{BINARY}/oxilearn-lbfgs", Xb, yb, threads, opt_b,
                           solver="lbfgs", max_iter=100))

    Xd, yd = peerlib.load_npy("logistic_digits_x.npy"), peerlib.load_npy("logistic_digits_y.npy")
    opt_d = objective(LogisticRegression(C=C, tol=1e-10, max_iter=1000, solver="newton-cholesky").fit(Xd, yd), Xd, yd)
    rec = measure("digits lbfgs", f"{DIGITS}/oxilearn-lbfgs-matched", Xd, yd, 1, opt_d,
                  solver="lbfgs", max_iter=100)
    records.append(rec)
    # The same scikit-learn fit beside our default fit (L-BFGS to tol 1e-4, a lower objective).
    records.append(peerlib.emit({**rec, "name": "digits lbfgs vs ours to tol",
                                 "ours": f"{DIGITS}/oxilearn-lbfgs"}))
    target = ours_objectives().get(f"{DIGITS}/oxilearn-newton-cholesky")
    if target is None:
        print("logistic.py: no logistic_objectives.json: skipping digits lbfgs-matched (run the bench first)")
    else:
        it = smallest_max_iter(Xd, yd, target)
        if it is None:
            print(f"logistic.py: lbfgs never reached {target} within 20000 iterations")
        else:
            records.append(measure("digits lbfgs-matched", f"{DIGITS}/oxilearn-newton-cholesky", Xd, yd, 1,
                                   opt_d, extra={"matched_objective": target}, solver="lbfgs", max_iter=it))
    records.append(measure("digits newton-cholesky", f"{DIGITS}/oxilearn-newton-cholesky", Xd, yd, 1, opt_d,
                           solver="newton-cholesky", max_iter=100))
    return records


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ.setdefault("OXILEARN_BENCH_DATA", sys.argv[1])
    main()
