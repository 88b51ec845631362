"""Peer for benches/linalg.rs: GEMM C = A·B, square, f32 and f64, with numpy
(and torch when installed), reported as time and GFLOP/s (2·n³ flops per call).

Inputs: ``<data_dir>/linalg/gemm_<dtype>_<n>_{a,b}.npy`` when the Rust bench
exported them, otherwise the same shapes drawn from a seeded standard normal
(GEMM time does not depend on the values). Run through run.py, which pins threads.
"""

from __future__ import annotations

import sys

import numpy as np

from peerlib import blas_info, data_dir, emit, threads, time_median

SIZES = (64, 128, 256, 512, 1024)
GRAM_ROWS = 100_000
GRAM_COLS = (10, 100, 500)
DTYPES = ("f32", "f64")
NP_DTYPE = {"f32": np.float32, "f64": np.float64}


def operands(dtype: str, n: int) -> tuple[np.ndarray, np.ndarray, str]:
    base = data_dir() / "linalg"
    pa, pb = base / f"gemm_{dtype}_{n}_a.npy", base / f"gemm_{dtype}_{n}_b.npy"
    if pa.exists() and pb.exists():
        return np.load(pa), np.load(pb), f"{pa.parent}/gemm_{dtype}_{n}_{{a,b}}.npy"
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(NP_DTYPE[dtype])
    b = rng.standard_normal((n, n)).astype(NP_DTYPE[dtype])
    return a, b, "seeded standard normal (numpy default_rng(0))"


def main(out_dir: str | None = None) -> list[dict]:
    records = []
    kernels = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} x{i.get('num_threads')}"
        for i in blas_info()
        if i.get("user_api") == "blas"
    ]
    try:
        import torch
    except ImportError:
        torch = None
    for dtype in DTYPES:
        for n in SIZES:
            a, b, source = operands(dtype, n)
            c = np.empty((n, n), dtype=a.dtype)
            median, calls = time_median(lambda: np.matmul(a, b, out=c))
            config = {"n": n, "dtype": dtype, "threads": threads(), "blas": kernels, "data": source}
            records.append(
                emit(
                    {
                        "area": "linalg",
                        "name": f"gemm/{dtype}/{n}",
                        "peer": f"numpy {np.__version__} matmul",
                        "median_s": median,
                        "flops": 2 * n**3,
                        "samples": calls,
                        "config": config,
                    }
                )
            )
            if torch is not None:
                ta, tb = torch.from_numpy(a), torch.from_numpy(b)
                tc = torch.empty((n, n), dtype=ta.dtype)
                median, calls = time_median(lambda: torch.mm(ta, tb, out=tc))
                records.append(
                    emit(
                        {
                            "area": "linalg",
                            "name": f"gemm/{dtype}/{n}",
                            "peer": f"torch {torch.__version__.split('+')[0]} mm (CPU)",
                            "median_s": median,
                            "flops": 2 * n**3,
                            "samples": calls,
                            "config": {**config, "threads": torch.get_num_threads(), "blas": "torch"},
                        }
                    )
                )
    # Tall-skinny gram XᵀX (numpy hands `x.T @ x` to BLAS syrk), same shapes and flop
    # count as benches/linalg.rs: n·d·(d+1) per call (one triangle).
    for dtype in DTYPES:
        for d in GRAM_COLS:
            rng = np.random.default_rng(3)
            x = rng.uniform(-1.0, 1.0, (GRAM_ROWS, d)).astype(NP_DTYPE[dtype])
            median, calls = time_median(lambda: x.T @ x)
            records.append(
                emit(
                    {
                        "area": "linalg",
                        "name": f"gram/xtx/{dtype}/{GRAM_ROWS}x{d}",
                        "peer": f"numpy {np.__version__} x.T @ x (syrk)",
                        "median_s": median,
                        "flops": GRAM_ROWS * d * (d + 1),
                        "samples": calls,
                        "config": {"rows": GRAM_ROWS, "cols": d, "dtype": dtype, "threads": threads(), "blas": kernels},
                    }
                )
            )
    return records


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
