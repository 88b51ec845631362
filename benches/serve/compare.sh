#!/usr/bin/env bash
# benches/serve/compare.sh — `oxilearn serve` against MLServer 1.7 + mlserver-sklearn,
# same data, same models, same requests, one run, loopback only.
#
#   bash benches/serve/compare.sh [DURATION_SECONDS]      (default 15 per scenario)
#
# Needs (see BENCHMARKS.md, "Model server"):
#   MLSERVER_VENV  a venv with mlserver==1.7.1 mlserver-sklearn==1.7.1 'uvloop<0.22'
#                  scikit-learn==1.9.1 numpy              (default /work/mlserver-venv … set it)
#   OHA            the oha load generator (`cargo install --locked oha`; default: oha on PATH)
#   OXILEARN       the release binary (default target/release/oxilearn:
#                  `cargo build --release --locked -p oxilearn-cli` first)
# Steps: make the data and scikit-learn models (make_models.py), fit the same models with
# `oxilearn fit`, start both servers (2 workers / threads each), check they answer and
# agree, then for each model (RBF SVC, logistic regression) and request size (1 row,
# 1 000 rows) run oha at concurrency 8 for DURATION seconds against each server in turn
# (JSON tensors for both; then oxilearn again with binary tensor data, "oxilearn-binary",
# the extension tritonclient uses by default and MLServer lacks),
# print requests/s and latency percentiles, and oxilearn's time per phase (queue, decode,
# predict, encode: the server's Prometheus histograms). Both servers are stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
duration=${1:-15}
venv=${MLSERVER_VENV:?set MLSERVER_VENV to the MLServer venv}
oha=${OHA:-oha}
exe=${OXILEARN:-$root/target/release/oxilearn}
[ -x "$exe" ] || { echo "no $exe: cargo build --release --locked -p oxilearn-cli" >&2; exit 1; }
command -v "$oha" >/dev/null || { echo "no oha: cargo install --locked oha, or set OHA" >&2; exit 1; }
py=$venv/bin/python
work=$(mktemp -d "${TMPDIR:-/tmp}/oxilearn-serve-bench.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "== data and models (in $work)"
"$py" "$root/benches/serve/make_models.py" "$work"
mkdir -p "$work/oxi"
"$exe" fit svc -d "$work/train.csv" -t label --set C=1 --set kernel=rbf --set gamma=scale \
    --quiet -o "$work/oxi/svc/1/model.safetensors"
"$exe" fit logistic -d "$work/train.csv" -t label --set C=1 --set max_iter=1000 \
    --quiet -o "$work/oxi/logistic/1/model.safetensors"

read -r p_oxi p_ml p_grpc p_metrics < <("$py" -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()')

echo "== starting oxilearn serve (2 compute threads, 2 HTTP threads) on :$p_oxi"
"$exe" serve --models "$work/oxi" --host 127.0.0.1 --port "$p_oxi" --threads 2 --http-threads 2 \
    --poll-interval 0 >"$work/oxilearn.log" 2>&1 &
pids+=($!)
echo "== starting MLServer $("$venv/bin/mlserver" --version 2>/dev/null | tail -1) (parallel_workers 2) on :$p_ml"
cat >"$work/mlserver/settings.json" <<JSON
{"host": "127.0.0.1", "http_port": $p_ml, "grpc_port": $p_grpc, "metrics_port": $p_metrics,
 "parallel_workers": 2}
JSON
(cd "$work/mlserver" && exec "$venv/bin/mlserver" start . >"$work/mlserver.log" 2>&1) &
pids+=($!)

wait_ready() { # URL NAME
    for _ in $(seq 1 600); do
        if "$py" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    echo "$2 did not become ready; log:" >&2
    cat "$work/$2.log" >&2
    exit 1
}
for m in svc logistic; do
    wait_ready "http://127.0.0.1:$p_oxi/v2/models/$m/ready" oxilearn
    wait_ready "http://127.0.0.1:$p_ml/v2/models/$m/ready" mlserver
done

echo "== agreement on the 1 000 test rows (predicted labels)"
"$py" - "$work/request-1000.json" "$p_oxi" "$p_ml" <<'PY'
import json, sys, urllib.request
body = open(sys.argv[1], "rb").read()
def infer(port, model):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v2/models/{model}/infer", body,
                                 {"Content-Type": "application/json"})
    out = json.load(urllib.request.urlopen(req, timeout=60))["outputs"]
    return [int(v) for v in out[0]["data"]]
for model in ("svc", "logistic"):
    a, b = infer(sys.argv[2], model), infer(sys.argv[3], model)
    same = sum(x == y for x, y in zip(a, b))
    print(f"  {model}: {same}/{len(a)} identical labels")
PY

results=$work/results.jsonl
: >"$results"
for model in svc logistic; do
    for n in 1 1000; do
        for server in oxilearn mlserver oxilearn-binary; do
            port=$p_oxi; [ $server = mlserver ] && port=$p_ml
            url=http://127.0.0.1:$port/v2/models/$model/infer
            body=(-T application/json -D "$work/request-$n.json")
            if [ $server = oxilearn-binary ]; then
                body=(-T application/octet-stream -D "$work/request-$n.bin"
                      -H "Inference-Header-Content-Length: $(cat "$work/request-$n.bin.header-length")")
            fi
            # warm-up (connections, caches, MLServer's workers)
            "$oha" -c 8 -z 2s --no-tui -m POST "${body[@]}" "$url" >/dev/null
            before=$work/metrics-before.txt
            curl -s "http://127.0.0.1:$p_oxi/metrics" >"$before"
            "$oha" -c 8 -z "${duration}s" -w --no-tui --output-format json -m POST "${body[@]}" \
                "$url" >"$work/oha.json"
            curl -s "http://127.0.0.1:$p_oxi/metrics" >"$work/metrics-after.txt"
            "$py" - "$work/oha.json" "$server" "$model" "$n" "$before" "$work/metrics-after.txt" >>"$results" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
codes = r.get("statusCodeDistribution", {})
ok = int(codes.get("200", 0))
total = sum(int(v) for v in codes.values())
def phases(path):
    d = {}
    for line in open(path):
        m = re.match(r'oxilearn_inference_phase_duration_seconds_(sum|count)\{(.*)\} (\S+)', line)
        if m and f'model="{sys.argv[3]}"' in m.group(2):
            phase = re.search(r'phase="(\w+)"', m.group(2)).group(1)
            d[(phase, m.group(1))] = float(m.group(3))
    return d
a, b = phases(sys.argv[5]), phases(sys.argv[6])
per = {}
for (phase, kind) in b:
    if kind == "sum":
        n = b[(phase, "count")] - a.get((phase, "count"), 0)
        if n > 0:
            per[phase] = (b[(phase, "sum")] - a.get((phase, "sum"), 0)) / n
lat = r["latencyPercentiles"]
print(json.dumps({"server": sys.argv[2], "model": sys.argv[3], "rows": int(sys.argv[4]),
                  "rps": r["summary"]["requestsPerSec"], "ok": ok, "total": total,
                  "p50_ms": lat["p50"] * 1e3, "p99_ms": lat["p99"] * 1e3,
                  "phases_us": {k: v * 1e6 for k, v in per.items()} if sys.argv[2] != "mlserver" else None}))
PY
            tail -n 1 "$results"
        done
    done
done

echo
echo "== results (concurrency 8, ${duration} s per scenario, both servers on this machine)"
"$py" - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["model"], r["rows"], r["server"]): r for r in rows}
print("| model | rows/request | server | requests/s | p50 ms | p99 ms | non-200 | ratio req/s | ratio p99 |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
for (model, n, server), r in by.items():
    ml = by[(model, n, "mlserver")]
    ratio = r["rps"] / ml["rps"] if ml["rps"] else float("nan")
    p99r = ml["p99_ms"] / r["p99_ms"] if r["p99_ms"] else float("nan")
    extra = f"{ratio:.1f}× | {p99r:.1f}× smaller" if server != "mlserver" else "1 | 1"
    print(f"| {model} | {n} | {server} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
          f"| {r['total'] - r['ok']} | {extra} |")
print()
print("oxilearn time per request by phase (µs, mean; from /metrics):")
for r in rows:
    if r["server"] != "mlserver":
        ph = r["phases_us"] or {}
        print(f"  {r['model']:9s} {r['rows']:5d} rows {r['server']:15s}: " +
              ", ".join(f"{k} {v:.0f}" for k, v in sorted(ph.items())))
PY
