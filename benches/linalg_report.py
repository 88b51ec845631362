#!/usr/bin/env python3
"""Markdown table of the linalg criterion results (median time, GFLOP/s).

Run after `cargo bench -p oxilearn-benches --bench linalg` (and/or with `--features openblas-system`):

    python3 benches/linalg_report.py [target/criterion]

Reads criterion's `benchmark.json` (ids, throughput) and `estimates.json`
(median) for the `gemm/*` and `gram/*` groups. Python standard library only.
"""

import json
import pathlib
import sys


def rows(root):
    for bench in sorted(root.glob("*/*/*/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        group = meta["group_id"]
        if not (group.startswith("gemm/") or group.startswith("gram/")):
            continue
        est = json.loads((bench.parent / "estimates.json").read_text())
        median_ns = est["median"]["point_estimate"]
        flops = (meta.get("throughput") or {}).get("Elements")
        kernel, backend = group.split("/", 1)
        yield kernel, backend, meta["function_id"], meta["value_str"], median_ns, flops


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    print("| kernel | backend | implementation / dtype | size | median | GFLOP/s |")
    print("|---|---|---|---|---:|---:|")
    for kernel, backend, func, size, ns, flops in rows(root):
        gflops = f"{flops / ns:.2f}" if flops else "–"
        print(f"| {kernel} | {backend} | {func} | {size} | {fmt_time(ns)} | {gflops} |")


if __name__ == "__main__":
    main()
