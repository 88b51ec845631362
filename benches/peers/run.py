#!/usr/bin/env python3
"""Run the Python peers of the oxilearn benchmarks and collect their timings.

    benches/peers/.venv/bin/python benches/peers/run.py [--out DIR] [--data DIR]
                                                        [--threads N] [AREA ...]

AREA is any of linalg, linear, logistic, svm, nn (default: every one whose
``<area>.py`` exists beside this file). Each area runs in its own Python process
with the native thread pools pinned to ``--threads`` (default 2, like the Rust
side on the 2-core reference machine): OMP/OPENBLAS/MKL_NUM_THREADS, threadpoolctl
and ``torch.set_num_threads``. ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are
removed from the peers' environment so OpenBLAS picks its kernel itself; which
kernel it picked is recorded (threadpoolctl) in the ``_env`` record.

Writes ``DIR/peers.jsonl`` (default ``target/peers``): one ``_env`` record, then
one record per measurement (see peerlib.py for the record format). Exits
non-zero if an area failed; its error is printed and the other areas still run.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import json
import os
import platform
import runpy
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent
AREAS = ("linalg", "linear", "logistic", "svm", "svm_family", "nn", "outlier", "model_selection")
DROP_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def peer_env(threads: int, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROP_ENV}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        env[var] = str(threads)
    env["PEERS_THREADS"] = str(threads)
    env["OXILEARN_BENCH_DATA"] = str(data)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    return env


def pin_threads(threads: int) -> None:
    """Pin every native pool of this process (call after the peer module is imported)."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)
    except ImportError:
        pass
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already set or parallel work already started


def parse_records(text: str, area: str) -> list[dict]:
    """JSON-object lines with a median; anything else is passed through to stderr."""
    records = []
    for line in text.splitlines():
        line = line.strip()
        try:
            obj = json.loads(line) if line.startswith("{") else None
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and "median_s" in obj:
            obj.setdefault("area", area)
            records.append(obj)
        elif line:
            print(f"  [{area}] {line}", file=sys.stderr)
    return records


def child(area: str, out_dir: Path, data: Path, threads: int) -> None:
    """Runs in the per-area process: import the peer, pin threads, run it, print records."""
    sys.path.insert(0, str(HERE))
    if area == "_env":
        print(json.dumps(environment_record(threads, data)))
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    captured = io.StringIO()
    # plain scripts read their data directory from argv[1]
    sys.argv = [str(HERE / f"{area}.py"), str(data)]
    with redirect_stdout(captured):
        module = importlib.import_module(area)
        pin_threads(threads)
        if hasattr(module, "main"):
            params = inspect.signature(module.main).parameters
            args = [str(out_dir), str(data)][: len(params)]
            returned = module.main(*args)
        else:
            runpy.run_path(str(HERE / f"{area}.py"), run_name="__main__")
            returned = None
    text = captured.getvalue()
    if isinstance(returned, dict):
        returned = [returned]
    for rec in returned or []:
        if isinstance(rec, dict):
            text += "\n" + json.dumps(rec)
    sys.stdout.write(text + "\n")


def environment_record(threads: int, data: Path) -> dict:
    versions = {}
    for name in ("numpy", "scipy", "sklearn", "threadpoolctl", "torch"):
        try:
            versions[name] = importlib.import_module(name).__version__
        except ImportError:
            versions[name] = None
    pin_threads(threads)
    from peerlib import blas_info

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "area": "_env",
        "python": platform.python_version(),
        "versions": versions,
        "threads": threads,
        "threadpools": blas_info(),
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "removed_env": [k for k in DROP_ENV if k in os.environ],
        "data_dir": str(data),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("areas", nargs="*", help="areas to run (default: every <area>.py present)")
    ap.add_argument("--out", type=Path, default=Path("target/peers"))
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("OXILEARN_BENCH_DATA", "target/bench-data")))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    data = args.data.resolve()
    if args.child:
        child(args.child, args.out / args.child, data, args.threads)
        return 0

    areas = args.areas or [a for a in AREAS if (HERE / f"{a}.py").exists()]
    unknown = [a for a in areas if not (HERE / f"{a}.py").exists()]
    if unknown:
        ap.error(f"no peer script for: {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    env = peer_env(args.threads, data)
    records, failed = [], []
    for area in ["_env", *areas]:
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", area, "--out", str(args.out),
             "--data", str(data), "--threads", str(args.threads)],
            env=env, stdout=subprocess.PIPE, text=True, check=False,
        )
        got = parse_records(proc.stdout, area) if area != "_env" else [json.loads(proc.stdout)] if proc.returncode == 0 else []
        # a script may both print and return its records: keep each once
        seen, unique = set(), []
        for rec in got:
            key = (rec.get("area"), rec.get("name"), rec.get("peer"))
            if key not in seen:
                seen.add(key)
                unique.append(rec)
        records.extend(unique)
        status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        if proc.returncode != 0:
            failed.append(area)
        if area != "_env":
            print(f"{area:9s} {len(unique):3d} records  {time.monotonic() - t0:6.1f}s  {status}", file=sys.stderr)
    path = args.out / "peers.jsonl"
    with path.open("w") as f:
        for rec in records:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
    print(f"wrote {path} ({len(records) - 1} measurements)", file=sys.stderr)
    for rec in records:
        if rec["area"] != "_env":
            extra = f"  {rec['flops'] / rec['median_s'] / 1e9:7.2f} GFLOP/s" if rec.get("flops") else ""
            print(f"  {rec['area']:9s} {rec['name']:40s} {rec.get('peer', ''):34s} {rec['median_s'] * 1e3:10.4f} ms{extra}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
