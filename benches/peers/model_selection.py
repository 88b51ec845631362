"""scikit-learn peers for benches/model_selection.rs: GridSearchCV on the same grids and data.

Grids (as the Rust bench; 5 stratified folds without shuffling, refit of the best):

* ``Pipeline(StandardScaler(), SVC())``, C in {0.1, 1, 10, 100} x gamma in {0.001, 0.01, 0.1, "scale"},
  on breast_cancer and digits (scikit-learn's ``load_breast_cancer`` / ``load_digits``, which the
  Rust side bundles);
* ``Pipeline(StandardScaler(), LogisticRegression())`` with C = numpy.logspace(-4, 0, 10) on
  digits (standardised: lbfgs does not converge in its default 100 iterations on raw digits; on
  standardised rows every solver timed here converges for every C, which ``converged`` in the
  record checks on the whole data).

Each search is timed with ``n_jobs=1`` and ``n_jobs=2`` (joblib processes) and, for the logistic
search, with the solvers ``lbfgs`` (the default) and ``newton-cg`` (the fastest of scikit-learn's
multinomial solvers on this problem; its default tolerance 1e-4 stops at a lower objective than
lbfgs's). The record is the best (smallest median) configuration, with every configuration's
median in its config. Timing: a few whole searches (one search is long enough to time alone),
median. The ranking of the candidates, the best parameters and the mean test scores are compared
with ours (``model_selection_results.json``, written by the Rust bench) for every configuration:
the record says whether ranks and best parameters are identical, and the largest difference of a
mean test score; both rankings are printed when they differ.

Run through run.py, or alone from the crate root after the Rust bench:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE <venv>/bin/python benches/peers/model_selection.py
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402

SVC_GRID = {"svc__C": [0.1, 1.0, 10.0, 100.0], "svc__gamma": [0.001, 0.01, 0.1, "scale"]}
LOGISTIC_GRID = {"logisticregression__C": [float(c) for c in np.logspace(-4, 0, 10)]}
REPEAT = 1 if peerlib.QUICK else 3


def searches():
    """(names of the Rust benches it pairs with, estimator, grid, X, y, solver variants)."""
    bc = load_breast_cancer(return_X_y=True)
    digits = load_digits(return_X_y=True)
    pipe = Pipeline([("scaler", StandardScaler()), ("svc", SVC())])
    logistic = Pipeline([("scaler", StandardScaler()), ("logisticregression", LogisticRegression())])
    return [
        (["svc_pipeline/breast_cancer"], pipe, SVC_GRID, *bc, [None]),
        (["svc_pipeline/digits"], pipe, SVC_GRID, *digits, [None]),
        (["logistic/digits", "logistic_tol1e-6/digits"], logistic, LOGISTIC_GRID, *digits,
         ["lbfgs", "newton-cg"]),
    ]


def with_solver(est, solver):
    return est if solver is None else clone(est).set_params(logisticregression__solver=solver)


def run(est, grid, X, y, n_jobs):
    return GridSearchCV(est, grid, cv=StratifiedKFold(5), n_jobs=n_jobs).fit(X, y)


def objectives(est, grid, X, y, mine):
    """The logistic solver on the whole data, for every C: whether it converges (n_iter_ below
    max_iter), and its objective C·Σ log-loss + ½‖W‖² relative to ours (positive: ours lower)."""
    if "logisticregression__C" not in grid:
        return {}
    ok, rel = True, []
    for i, c in enumerate(grid["logisticregression__C"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = clone(est).set_params(logisticregression__C=c).fit(X, y)
        m = p[-1]
        ok &= bool(m.n_iter_.max() < m.max_iter)
        if mine:
            proba = p.predict_proba(X)
            obj = c * -np.sum(np.log(proba[np.arange(len(y)), y])) + 0.5 * np.sum(m.coef_**2)
            rel.append((obj - mine["objective"][i]) / mine["objective"][i])
    out = {"converged": ok}
    if mine:
        out["objective_rel_to_ours"] = {"min": float(min(rel)), "max": float(max(rel))}
        out["ours_converged"] = all(mine["converged"])
    return out


def timed(est, grid, X, y, n_jobs):
    times, g = [], None
    for _ in range(REPEAT):
        t = time.perf_counter()
        g = run(est, grid, X, y, n_jobs)
        times.append(time.perf_counter() - t)
    return statistics.median(times), g


def ours():
    path = peerlib.data_dir() / "model_selection_results.json"
    if not path.exists():
        print(f"model_selection.py: {path} not found (run the Rust bench first): rankings not compared")
        return {}
    return {r["name"]: r for r in json.loads(path.read_text())}


def param_text(v):
    """A parameter value as the Rust side prints it (0.1, 10, scale)."""
    if isinstance(v, str):
        return v
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def compare(name, g, mine):
    if not mine:
        return None
    ranks = [int(r) for r in g.cv_results_["rank_test_score"]]
    best = {k: param_text(v) for k, v in g.best_params_.items()}
    same_ranks = ranks == mine["rank"]
    same_best = best == {k: v for k, v in mine["best_params"]}
    if not (same_ranks and same_best):
        print(f"{name}: scikit-learn ranks {ranks} best {best}")
        print(f"{name}: oxilearn     ranks {mine['rank']} best {mine['best_params']}")
    diffs = np.abs(g.cv_results_["mean_test_score"] - np.asarray(mine["mean_test_score"]))
    worst = int(np.argmax(diffs))
    return {
        "identical_ranks": same_ranks,
        "identical_best_params": same_best,
        "max_abs_mean_test_score_diff": float(diffs[worst]),
        "max_diff_params": {k: param_text(v) for k, v in g.cv_results_["params"][worst].items()},
    }


def main(out_dir=None, data_dir=None):
    """Prints one JSON record per search and paired Rust bench (run.py's contract); `out_dir`
    is unused."""
    if data_dir:
        os.environ["OXILEARN_BENCH_DATA"] = str(data_dir)
    mine = ours()
    for names, base, grid, X, y, solvers in searches():
        timing, searched = {}, {}
        for solver in solvers:
            est = with_solver(base, solver)
            by_jobs = {}
            for n_jobs in (1, 2):
                by_jobs[n_jobs], searched[solver] = timed(est, grid, X, y, n_jobs)
            timing[solver] = by_jobs
        best_solver, best_jobs = min(
            ((s, j) for s, t in timing.items() for j in t), key=lambda sj: timing[sj[0]][sj[1]]
        )
        for name in names:
            configs = {}
            for solver in solvers:
                g = searched[solver]
                configs[solver or "libsvm"] = {
                    "median_s_by_n_jobs": {str(k): v for k, v in timing[solver].items()},
                    "best_params": {k: param_text(v) for k, v in g.best_params_.items()},
                    "best_score": float(g.best_score_),
                    **(compare(f"{name} ({solver or 'libsvm'})", g, mine.get(name)) or {}),
                    **objectives(with_solver(base, solver), grid, X, y, mine.get(f"{name}/whole_data")),
                }
            peerlib.emit({
                "area": "model_selection",
                "name": f"grid_search {name}",
                "peer": f"scikit-learn {sklearn.__version__} GridSearchCV (best of n_jobs=1, 2"
                + (", solvers " + " / ".join(solvers) if solvers != [None] else "") + ")",
                "ours": f"model_selection/grid_search/{name}",
                "median_s": timing[best_solver][best_jobs],
                "samples": REPEAT,
                "config": {
                    "n_jobs": best_jobs,
                    "solver": best_solver or "libsvm",
                    "n_candidates": int(np.prod([len(v) for v in grid.values()])),
                    "by_solver": configs,
                },
            })


if __name__ == "__main__":
    main(data_dir=sys.argv[1] if len(sys.argv) > 1 else None)
