#!/usr/bin/env python3
"""Side-by-side tables: oxilearn's criterion medians next to the Python peers' (and linfa's).

    python3 benches/peers/report.py --criterion pure-rust=target/criterion \\
        [--criterion openblas=DIR] --peers target/peers/peers.jsonl \\
        [--out tables.md] [--update BENCHMARKS.md]

Inputs
* ``--criterion LABEL=DIR`` (repeatable, one per backend run): criterion's output
  directory; every ``**/new/estimates.json`` (median) with its ``benchmark.json`` (id,
  throughput) is read. Run criterion with ``CRITERION_HOME=DIR`` to keep backends apart.
* ``--peers FILE``: run.py's ``peers.jsonl``.

Pairing (see BENCHMARKS.md, "Methodology")
* a peer record with ``"ours": ID`` pairs with criterion bench ID;
* otherwise with the criterion bench whose id holds every token of the peer's
  ``name`` (tokens split on ``/ _ - space``, case-insensitive) and the fewest others;
  ids naming ``linfa`` are never "ours";
* a criterion id with a ``linfa`` token is itself a peer ("linfa", Rust): it pairs
  with the id whose tokens are the same with ``linfa`` replaced by ``oxilearn``
  (or simply dropped).

Ratio = peer time / oxilearn time: above 1 means oxilearn is faster.

Output: markdown, one section per area (``### <area>``), plus criterion benches
no peer was paired with. ``--update FILE`` replaces, in FILE, the text between
``<!-- peers:begin AREA -->`` and ``<!-- peers:end AREA -->`` with the table of that
area (``AREA`` = ``env`` gets the machine/versions block); other text is kept.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

AREA_ORDER = ("linalg", "linear", "logistic", "svm", "nn", "model_selection")


@dataclass
class Bench:
    id: str
    median_s: float
    elements: int | None = None  # criterion Throughput::Elements, if any


@dataclass
class Row:
    area: str
    name: str
    peer: str
    peer_s: float
    ours_id: str | None
    flops: float | None = None
    ours: dict[str, Bench] = field(default_factory=dict)  # label -> bench


def tokens(s: str) -> frozenset[str]:
    return frozenset(t for t in re.split(r"[/_\-\s]+", s.lower()) if t)


def read_criterion(root: Path) -> dict[str, Bench]:
    out: dict[str, Bench] = {}
    for est in sorted(root.glob("**/new/estimates.json")):
        new = est.parent
        meta_path = new / "benchmark.json"
        bench_id = str(new.parent.relative_to(root))
        elements = None
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            bench_id = meta.get("full_id") or bench_id
            tp = meta.get("throughput") or {}
            elements = tp.get("Elements") if isinstance(tp, dict) else None
        median_ns = json.loads(est.read_text())["median"]["point_estimate"]
        out[bench_id] = Bench(bench_id, median_ns * 1e-9, elements)
    return out


#: First id tokens that name an area other than by its own name.
AREA_ALIASES = {"gemm": "linalg", "gemv": "linalg", "gram": "linalg", "lstsq": "linalg", "cholesky": "linalg"}
#: Tokens that only say which backend ran; ignored when pairing across runs.
BACKEND_TOKENS = frozenset({"pure", "rust", "blas", "openblas", "system", "faer", "lapack"})


def area_of(bench_id: str) -> str:
    first = re.split(r"[/_\-\s]+", bench_id.lower())[0]
    first = AREA_ALIASES.get(first, first)
    return first if first in AREA_ORDER else "other"


def best_match(name: str, ids: list[str]) -> str | None:
    """The id (not a linfa one) holding every non-backend token of name, with the fewest others."""
    want = tokens(name) - BACKEND_TOKENS
    cands = [i for i in ids if want <= tokens(i) and "linfa" not in tokens(i)]
    if not cands:
        return None
    extra = lambda i: len(tokens(i) - want - BACKEND_TOKENS)
    cands.sort(key=lambda i: (extra(i), i))
    if len(cands) > 1 and extra(cands[0]) == extra(cands[1]):
        return None  # ambiguous: the peer must say "ours"
    return cands[0]


def fmt_time(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            return f"{s / scale:.3g} {unit}"
    return f"{s:.3g} s"


def cell(seconds: float | None, flops: float | None) -> str:
    if seconds is None:
        return "—"
    if flops:
        return f"{fmt_time(seconds)} ({flops / seconds / 1e9:.1f} GFLOP/s)"
    return fmt_time(seconds)


def build_rows(criterion: dict[str, dict[str, Bench]], peers: list[dict]) -> tuple[list[Row], set[str]]:
    """One row per peer measurement; oxilearn's bench is looked up in each run (backend) separately."""
    rows: list[Row] = []
    used: set[str] = set()

    def attach(row: Row, key: str) -> None:
        for label, runs in criterion.items():
            bid = key if key in runs else best_match(key, list(runs))
            if bid:
                row.ours[label] = runs[bid]
                row.ours_id = row.ours_id or bid
                used.add(bid)

    for rec in peers:
        if rec.get("area") == "_env":
            continue
        row = Row(rec["area"], rec["name"], rec.get("peer", "?"), float(rec["median_s"]), None, rec.get("flops"))
        attach(row, rec.get("ours") or rec["name"])
        rows.append(row)
    # linfa benches measured by criterion are peers too (linfa is built without a BLAS
    # backend here, so it is the same code in every run: take its first measurement)
    linfa_seen: set[str] = set()
    for runs in criterion.values():
        for bid, bench in runs.items():
            if "linfa" not in tokens(bid) or bid in linfa_seen:
                continue
            linfa_seen.add(bid)
            used.add(bid)
            # a `noshrink` token: linfa-svm run with shrinking off (it panics with it on)
            peer = "linfa 0.8 (Rust, shrinking off)" if "noshrink" in tokens(bid) else "linfa 0.8 (Rust)"
            row = Row(area_of(bid), bid, peer, bench.median_s, None)
            attach(row, " ".join(tokens(bid) - {"linfa", "noshrink"}))
            rows.append(row)
    return rows, used


def area_table(area: str, rows: list[Row], labels: list[str]) -> str:
    head = ["benchmark", *[f"oxilearn ({l})" for l in labels], "peer", "peer time",
            *[f"peer ÷ {l}" for l in labels]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ours = [cell(r.ours[l].median_s if l in r.ours else None, r.flops) for l in labels]
        ratios = [f"{r.peer_s / r.ours[l].median_s:.2f}×" if l in r.ours else "—" for l in labels]
        name = f"`{r.ours_id}`" if r.ours_id else f"`{r.name}` (no oxilearn bench)"
        lines.append("| " + " | ".join([name, *ours, r.peer, cell(r.peer_s, r.flops), *ratios]) + " |")
    return "\n".join(lines)


def unpaired_table(ids: list[str], criterion: dict[str, dict[str, Bench]], labels: list[str]) -> str:
    head = ["benchmark", *[f"oxilearn ({l})" for l in labels]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i in ids:
        cells = []
        for l in labels:
            b = criterion[l].get(i)
            flops = b.elements if b and b.elements and "gemm" in i.lower() else None
            cells.append(cell(b.median_s if b else None, flops))
        lines.append("| " + " | ".join([f"`{i}`", *cells]) + " |")
    return "\n".join(lines)


def env_block(env: dict | None, labels: list[str]) -> str:
    if not env:
        return "_(no peers run: environment unknown)_"
    v = env.get("versions", {})
    pools = [f"{p.get('internal_api')} {p.get('version') or ''} ({p.get('architecture') or p.get('user_api')}, "
             f"{p.get('num_threads')} threads)" for p in env.get("threadpools", [])]
    removed = ", ".join(env.get("removed_env") or []) or "none set"
    return "\n".join([
        # The run's date stays in peers.jsonl; the document describes the machine, not the day.
        f"- Machine: {env.get('cpu')}, {env.get('logical_cpus')} logical CPUs",
        f"- Threads: {env.get('threads')} for every peer (threadpoolctl, torch.set_num_threads); "
        "oxilearn uses rayon's default (one per logical CPU)",
        f"- Python {env.get('python')}: numpy {v.get('numpy')}, scipy {v.get('scipy')}, "
        f"scikit-learn {v.get('sklearn')}, torch {v.get('torch')}",
        f"- Native pools seen by threadpoolctl: {'; '.join(pools) or 'none'}",
        f"- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from the peers' environment: {removed}",
        f"- oxilearn builds measured: {', '.join(labels) or 'none'}",
    ])


def render(criterion, peers) -> dict[str, str]:
    labels = list(criterion)
    env = next((p for p in peers if p.get("area") == "_env"), None)
    rows, used = build_rows(criterion, peers)
    sections = {"env": env_block(env, labels)}
    all_ids = sorted({i for runs in criterion.values() for i in runs})
    areas = sorted({r.area for r in rows} | {area_of(i) for i in all_ids},
                   key=lambda a: (AREA_ORDER.index(a) if a in AREA_ORDER else 99, a))
    for area in areas:
        parts = []
        area_rows = [r for r in rows if r.area == area]
        if area_rows:
            parts.append(area_table(area, area_rows, labels))
        rest = [i for i in all_ids if area_of(i) == area and i not in used]
        if rest:
            parts.append("Benches without a peer:\n\n" + unpaired_table(rest, criterion, labels))
        sections[area] = "\n\n".join(parts)
    return sections


def update_file(path: Path, sections: dict[str, str]) -> list[str]:
    text = path.read_text()
    done = []
    for area, body in sections.items():
        pat = re.compile(rf"(<!-- peers:begin {re.escape(area)} -->\n)(.*?)(<!-- peers:end {re.escape(area)} -->)", re.S)
        if pat.search(text):
            text = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text)
            done.append(area)
    path.write_text(text)
    return done


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--criterion", action="append", default=[], metavar="LABEL=DIR")
    ap.add_argument("--peers", type=Path)
    ap.add_argument("--out", type=Path, help="write the full report here (default: stdout)")
    ap.add_argument("--update", type=Path, help="rewrite the peers:begin/end blocks of this file")
    args = ap.parse_args()
    criterion: dict[str, dict[str, Bench]] = {}
    for spec in args.criterion or ["pure-rust=target/criterion"]:
        label, _, d = spec.partition("=")
        if not d:
            ap.error(f"--criterion wants LABEL=DIR, got {spec!r}")
        criterion[label] = read_criterion(Path(d)) if Path(d).is_dir() else {}
        if not criterion[label]:
            print(f"report.py: no criterion results under {d}", file=sys.stderr)
    peers = []
    if args.peers and args.peers.exists():
        peers = [json.loads(l) for l in args.peers.read_text().splitlines() if l.strip()]
    elif args.peers:
        print(f"report.py: {args.peers} not found; tables without peers", file=sys.stderr)
    sections = render(criterion, peers)
    doc = ["## Environment", "", sections["env"], ""]
    for area, body in sections.items():
        if area != "env" and body:
            doc += [f"### {area}", "", body, ""]
    text = "\n".join(doc)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    if args.update:
        done = update_file(args.update, sections)
        print(f"updated {args.update}: {', '.join(done) or 'no peers:begin blocks found'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
