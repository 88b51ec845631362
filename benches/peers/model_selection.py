"""scikit-learn peers for benches/model_selection.rs: GridSearchCV on the same grids and data.

Grids (as the Rust bench; 5 stratified folds without shuffling, refit of the best):

* ``Pipeline(StandardScaler(), SVC())``, C in {0.1, 1, 10, 100} x gamma in {0.001, 0.01, 0.1, "scale"},
  on breast_cancer and digits (scikit-learn's ``load_breast_cancer`` / ``load_digits``, which the
  Rust side bundles);
* ``LogisticRegression()`` with C = numpy.logspace(-4, 0, 10) on digits.

Each search is timed with ``n_jobs=1`` and ``n_jobs=2`` (joblib processes); the record is the best
(smallest median) of the two, with both in its config. Timing: a few whole searches (one search is
long enough to time alone), median. Before timing, the ranking of the candidates and the best
parameters are compared with ours (``model_selection_results.json``, written by the Rust bench):
the record says whether they are identical, and prints both when not.

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
LOGISTIC_GRID = {"C": [float(c) for c in np.logspace(-4, 0, 10)]}
REPEAT = 1 if peerlib.QUICK else 3


def searches():
    """(name as in the Rust bench, estimator, grid, X, y)."""
    bc = load_breast_cancer(return_X_y=True)
    digits = load_digits(return_X_y=True)
    pipe = Pipeline([("scaler", StandardScaler()), ("svc", SVC())])
    return [
        ("svc_pipeline/breast_cancer", pipe, SVC_GRID, *bc),
        ("svc_pipeline/digits", pipe, SVC_GRID, *digits),
        ("logistic/digits", LogisticRegression(), LOGISTIC_GRID, *digits),
    ]


def run(est, grid, X, y, n_jobs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs ConvergenceWarnings
        return GridSearchCV(est, grid, cv=StratifiedKFold(5), n_jobs=n_jobs).fit(X, y)


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
    return {"identical_ranks": same_ranks, "identical_best_params": same_best}


def main(out_dir=None, data_dir=None):
    """Prints one JSON record per search (run.py's contract); `out_dir` is unused."""
    if data_dir:
        os.environ["OXILEARN_BENCH_DATA"] = str(data_dir)
    mine = ours()
    records = []
    for name, est, grid, X, y in searches():
        by_jobs = {}
        g = None
        for n_jobs in (1, 2):
            by_jobs[n_jobs], g = timed(est, grid, X, y, n_jobs)
        best_jobs = min(by_jobs, key=by_jobs.get)
        check = compare(name, g, mine.get(name))
        records.append(peerlib.emit({
            "area": "model_selection",
            "name": f"grid_search {name}",
            "peer": f"scikit-learn {sklearn.__version__} GridSearchCV (best of n_jobs=1, 2)",
            "ours": f"model_selection/grid_search/{name}",
            "median_s": by_jobs[best_jobs],
            "samples": REPEAT,
            "config": {
                "n_jobs": best_jobs,
                "median_s_by_n_jobs": {str(k): v for k, v in by_jobs.items()},
                "n_candidates": len(g.cv_results_["params"]),
                "best_params": {k: param_text(v) for k, v in g.best_params_.items()},
                "best_score": float(g.best_score_),
                **(check or {}),
            },
        }))
    return records


if __name__ == "__main__":
    main(data_dir=sys.argv[1] if len(sys.argv) > 1 else None)
