#!/usr/bin/env bash
# all.sh — the whole benchmark run in one go: criterion on both backends, the
# Python peers on the same data, then the side-by-side tables.
#
#   bash benches/peers/all.sh [OUT_DIR]          # default OUT_DIR: target/bench-out
#
# Writes OUT_DIR/criterion/{pure-rust,openblas}/   criterion JSON + HTML reports
#        OUT_DIR/peers/peers.jsonl                 peer timings (run.py)
#        OUT_DIR/benchmarks.md                     side-by-side tables (report.py)
# The benches timed against linfa (linear, logistic, svm) are a workspace of their own,
# benches/linfa (`cargo bench --manifest-path benches/linfa/Cargo.toml`); all.sh runs both.
# Knobs: BENCH_ARGS (passed to every `cargo bench`, e.g. "--bench linalg"; a `--bench NAME`
#        goes only to the workspace that has NAME);
#        PEERS_AREAS (e.g. "linalg svm"); PEERS_THREADS (default 2);
#        BENCH_FILTER (criterion's id filter, e.g. "gemm/");
#        PLOTS=1 (criterion's HTML plots: its KDE over 100 000 bootstrap resamples
#        costs tens of seconds per bench id on 2 cores, so they are off by default);
#        SKIP_OPENBLAS=1 (pure-Rust backend only); UPDATE=BENCHMARKS.md (rewrite its
#        generated blocks in place). Needs the venv from setup.sh ($PEERS_VENV,
#        default benches/peers/.venv) and, for openblas, libopenblas-dev + pkg-config.
# Run from the repository root. The bench image runs this with OUT_DIR=/out.
set -euo pipefail
out=${1:-target/bench-out}
venv=${PEERS_VENV:-benches/peers/.venv}
py=$venv/bin/python
[ -x "$py" ] || { echo "all.sh: no peers venv at $venv: run benches/peers/setup.sh" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
read -r -a bench_args <<<"${BENCH_ARGS:-}"
crit_args=()
[ "${PLOTS:-0}" = 1 ] || crit_args=(--noplot)
[ -n "${BENCH_FILTER:-}" ] && crit_args+=("$BENCH_FILTER")
# criterion's own arguments go after cargo's `--` (BENCH_ARGS may already hold one)
sep=(--)
for a in "${bench_args[@]}"; do [ "$a" = -- ] && sep=(); done
crit_args=("${sep[@]}" "${crit_args[@]}")
t0=$SECONDS

linfa_benches=" linear logistic svm "
# benches HOME [FEATURES...]: both workspaces' criterion runs into CRITERION_HOME=HOME;
# `--bench NAME` of BENCH_ARGS is routed to the workspace that has NAME.
benches() {
    local home=$1; shift
    local main=() linfa=() named=0 i=0 a
    while [ $i -lt ${#bench_args[@]} ]; do
        a=${bench_args[$i]}
        if [ "$a" = --bench ] && [ $((i + 1)) -lt ${#bench_args[@]} ]; then
            named=1; i=$((i + 1)); a=${bench_args[$i]}
            case $linfa_benches in *" $a "*) linfa+=(--bench "$a") ;; *) main+=(--bench "$a") ;; esac
        elif [ "$a" = -- ]; then
            main+=("${bench_args[@]:$i}"); linfa+=("${bench_args[@]:$i}"); break
        else
            main+=("$a"); linfa+=("$a")
        fi
        i=$((i + 1))
    done
    if [ $named = 0 ] || printf '%s\n' "${main[@]}" | grep -qx -- --bench; then
        CRITERION_HOME=$home cargo bench --locked -p oxilearn-benches "$@" "${main[@]}" "${crit_args[@]}"
    fi
    if [ $named = 0 ] || printf '%s\n' "${linfa[@]}" | grep -qx -- --bench; then
        CRITERION_HOME=$home cargo bench --locked --manifest-path benches/linfa/Cargo.toml "$@" "${linfa[@]}" "${crit_args[@]}"
    fi
}

echo "== criterion, pure-Rust backend"
benches "$out/criterion/pure-rust"
crit=(--criterion "pure-rust=$out/criterion/pure-rust")
if [ "${SKIP_OPENBLAS:-0}" != 1 ]; then
    echo "== criterion, openblas-system backend"
    benches "$out/criterion/openblas" --features openblas-system
    crit+=(--criterion "openblas=$out/criterion/openblas")
fi

echo "== Python peers (threads pinned to ${PEERS_THREADS:-2})"
read -r -a areas <<<"${PEERS_AREAS:-}"
peers_rc=0
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" benches/peers/run.py \
    --out "$out/peers" --data "${CARGO_TARGET_DIR:-target}/bench-data" --threads "${PEERS_THREADS:-2}" "${areas[@]}" || peers_rc=$?

echo "== report"
update=()
[ -n "${UPDATE:-}" ] && update=(--update "$UPDATE")
"$py" benches/peers/report.py "${crit[@]}" --peers "$out/peers/peers.jsonl" --out "$out/benchmarks.md" "${update[@]}"
echo "all.sh: done in $((SECONDS - t0))s; tables in $out/benchmarks.md"
exit "$peers_rc"
