"""Small helpers shared by the peer scripts (linalg.py, linear.py, ...).

A peer script times a Python library on the very datasets the Rust benches use
(``.npy`` files the Rust side exports to ``target/bench-data/``) and reports one
record per measurement. The contract (run.py enforces it):

* the script exposes ``main(out_dir)`` (``main(out_dir, data_dir)`` and ``main()``
  are accepted too) that prints one JSON object per line and/or returns a list of
  them; or it is a plain script that prints them when run as ``__main__``
  (``sys.argv[1]`` is then the data directory); other printed lines are shown, not parsed;
* each record: ``{"area": str, "name": str, "median_s": float, "config": {...}}``
  plus optionally ``"peer"`` (library label, e.g. ``"scikit-learn 1.9.1 SVC"``),
  ``"ours"`` (the criterion id it compares with, e.g. ``"svm/fit/rbf/f64/breast_cancer"``),
  ``"flops"`` (floating-point operations per call; the report then prints GFLOP/s)
  and ``"samples"``.

Without ``"ours"``, report.py pairs a record with the criterion bench whose id
holds the same tokens as ``name`` (split on ``/ _ - space``).

Threads are pinned by run.py (threadpoolctl, torch.set_num_threads) before
``main`` runs; scripts must not change them.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

#: Criterion's group configuration (benches/common/mod.rs): 1 s warm-up, 10 samples, 5 s.
#: ``PEERS_QUICK=1`` shrinks warm-up and measurement to check the plumbing (numbers are then noise).
QUICK = os.environ.get("PEERS_QUICK", "0") not in ("", "0")
WARM_UP_S = 0.05 if QUICK else 1.0
SAMPLES = 3 if QUICK else 10
MEASUREMENT_S = 0.1 if QUICK else 5.0


def data_dir() -> Path:
    """Where the Rust side exported the bench datasets (``$OXILEARN_BENCH_DATA``)."""
    return Path(os.environ.get("OXILEARN_BENCH_DATA", "target/bench-data"))


def load_npy(relative: str):
    """``numpy.load`` of ``<data_dir>/<relative>``; a clear error when it is missing."""
    import numpy as np

    path = data_dir() / relative
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: run the Rust benches first (cargo bench -p oxilearn-benches; linear, logistic and svm: cargo bench --manifest-path benches/linfa/Cargo.toml), which export "
            "the bench datasets as .npy"
        )
    return np.load(path, allow_pickle=False)


def time_median(
    fn: Callable[[], Any],
    samples: int = SAMPLES,
    warm_up_s: float = WARM_UP_S,
    measurement_s: float = MEASUREMENT_S,
) -> tuple[float, int]:
    """Median seconds per call of ``fn`` over ``samples`` samples, criterion-style.

    Each sample runs ``iters`` calls (chosen in the warm-up so that all samples
    take about ``measurement_s`` together) and contributes its mean. Returns
    ``(median_s, total_calls)``.
    """
    # warm-up: also estimates the cost of one call
    calls, t0 = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= warm_up_s:
            break
    per_call = elapsed / calls
    iters = max(1, int(measurement_s / samples / per_call))
    means = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        means.append((time.perf_counter() - t0) / iters)
    return statistics.median(means), samples * iters


def emit(record: dict[str, Any]) -> dict[str, Any]:
    """Print one record as a JSON line (flushed) and return it."""
    sys.stdout.write(json.dumps(record, sort_keys=True) + "\n")
    sys.stdout.flush()
    return record


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the native thread pools (BLAS kernel, threads)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "filepath")
    return [{k: info.get(k) for k in keep} for info in threadpool_info()]


def threads() -> int:
    """The thread count run.py pinned (``$PEERS_THREADS``, default 2)."""
    return int(os.environ.get("PEERS_THREADS", "2"))
