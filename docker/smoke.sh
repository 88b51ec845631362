#!/usr/bin/env bash
# docker/smoke.sh — build every image of docker/Dockerfile and check that it works.
#
#   bash docker/smoke.sh [--no-bench] [--bench-run]
#
#   1. runtime image (oxilearn): build; run the default command (quickstart),
#      `list`, and one example per model family (linear, logistic, svm
#      classification and regression, nn);
#   2. test image (oxilearn-test): its build runs `cargo test --locked` on both backends;
#   3. bench image (oxilearn-bench): build (skipped with --no-bench); with --bench-run
#      also a quick run (criterion --quick on the linalg bench, PEERS_QUICK=1) into
#      ./target/smoke-bench-out, to check the plumbing (the numbers are noise).
# Exits non-zero on the first failure; prints build times and image sizes at the end.
#
# Engine: $ENGINE if set, else podman, else docker (the first whose `info` answers).
# SOURCE_DATE_EPOCH, if set, is passed as a build arg (and to podman --timestamp).
# SMOKE_EXAMPLES="a b" overrides the examples run; SMOKE_STRICT=0 tolerates a model
# family without an example; EXAMPLE_TIMEOUT (seconds, default 900) bounds each run;
# BUILD_ARGS adds arguments to every build (e.g. "--build-arg PEERS_TORCH=0").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bench=1
bench_run=0
for arg in "$@"; do
    case $arg in
        --no-bench) bench=0 ;;
        --bench-run) bench_run=1 ;;
        -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "smoke.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

engine=${ENGINE:-}
if [ -z "$engine" ]; then
    for e in podman docker; do
        if command -v "$e" >/dev/null && "$e" info >/dev/null 2>&1; then engine=$e; break; fi
    done
fi
[ -n "$engine" ] || { echo "smoke.sh: neither podman nor docker is usable here" >&2; exit 1; }
prefix=${IMAGE_PREFIX:-oxilearn}
log() { printf '\n[smoke %(%H:%M:%S)T] %s\n' -1 "$*"; }
log "engine: $engine ($($engine --version))"

build_args=()
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    build_args+=(--build-arg "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH")
    [ "$engine" = podman ] && build_args+=(--timestamp "$SOURCE_DATE_EPOCH")
fi
read -r -a extra <<<"${BUILD_ARGS:-}"
build_args+=("${extra[@]}")

declare -a REPORT=()
build() { # build TAG [TARGET]
    local tag=$1 target=${2:-} t0=$SECONDS
    local args=(build -f docker/Dockerfile -t "$tag" "${build_args[@]}")
    [ -n "$target" ] && args+=(--target "$target")
    log "$engine ${args[*]} ."
    "$engine" "${args[@]}" .
    local size
    size=$("$engine" image inspect --format '{{.Size}}' "$tag")
    REPORT+=("$(printf '%-18s built in %5ds  %7d MB' "$tag" "$((SECONDS - t0))" "$((size / 1000000))")")
}
run_example() { # run_example NAME [ARGS...]
    local t0=$SECONDS
    log "$engine run --rm $prefix $*"
    timeout "${EXAMPLE_TIMEOUT:-900}" "$engine" run --rm "$prefix" "$@"
    REPORT+=("$(printf '  ran %-30s %5ds  ok' "$1" "$((SECONDS - t0))")")
}

# ------------------------------------------------------------------ runtime
build "$prefix"
t0=$SECONDS
log "$engine run --rm $prefix   (default command: quickstart)"
timeout "${EXAMPLE_TIMEOUT:-900}" "$engine" run --rm "$prefix"
REPORT+=("$(printf '  ran %-30s %5ds  ok' "(default) quickstart" "$((SECONDS - t0))")")
mapfile -t examples < <("$engine" run --rm "$prefix" list)
log "examples in the image: ${examples[*]}"

if [ -n "${SMOKE_EXAMPLES:-}" ]; then
    read -r -a picked <<<"$SMOKE_EXAMPLES"
else
    picked=()
    # family=name prefixes, tried in order (CNNs are "cnn_*"; cnn_digits needs no data files)
    for family in linear=linear logistic=logistic svm-classification=svm_classification,svm \
        svm-regression=svm_regression nn=cnn_digits,nn,cnn; do
        ex=
        IFS=, read -r -a prefixes <<<"${family#*=}"
        family=${family%%=*}
        for p in "${prefixes[@]}"; do
            ex=$(printf '%s\n' "${examples[@]}" | grep -E "^${p}([_-]|$)" | head -n 1 || true)
            [ -n "$ex" ] && break
        done
        if [ -n "$ex" ]; then
            picked+=("$ex")
        elif [ "${SMOKE_STRICT:-1}" = 1 ]; then
            echo "smoke.sh: no example for model family '$family' (names: ${examples[*]})" >&2
            exit 1
        else
            echo "smoke.sh: warning: no example for model family '$family'" >&2
        fi
    done
fi
for ex in "${picked[@]}"; do run_example "$ex"; done

# ------------------------------------------------------------------ test
build "$prefix-test" test

# ------------------------------------------------------------------ bench
if [ "$bench" = 1 ]; then
    build "$prefix-bench" bench
    if [ "$bench_run" = 1 ]; then
        out=$PWD/target/smoke-bench-out
        mkdir -p "$out"
        log "quick bench run into $out"
        "$engine" run --rm -v "$out:/out" -e PEERS_QUICK=1 -e PEERS_AREAS=linalg \
            -e BENCH_ARGS="--bench linalg -- --quick" "$prefix-bench"
        test -s "$out/benchmarks.md"
        REPORT+=("  bench quick run: $out/benchmarks.md")
    fi
fi

log "summary"
printf '%s\n' "${REPORT[@]}"
echo "smoke.sh: all good"
