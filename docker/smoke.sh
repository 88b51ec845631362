#!/usr/bin/env bash
# docker/smoke.sh — build every image of docker/Dockerfile and check that it works.
#
#   bash docker/smoke.sh [--no-bench] [--bench-run] [--no-serve | --serve-only]
#
#   1. runtime image (oxilearn): build; run the default command (quickstart),
#      `list`, and one example per model family (linear, logistic, svm
#      classification and regression, nn);
#   2. test image (oxilearn-test): its build runs `cargo test --locked` on both backends;
#   3. bench image (oxilearn-bench): build (skipped with --no-bench); with --bench-run
#      also a quick run (criterion --quick on the linalg bench, PEERS_QUICK=1) into
#      ./target/smoke-bench-out, to check the plumbing (the numbers are noise);
#   4. serve image (oxilearn-serve; skipped with --no-serve, alone with --serve-only):
#      build; fit a model with the image into a repository under ./target/smoke-serve;
#      serve it on a loopback port; the HEALTHCHECK command; runs as uid 10001;
#      metadata and inference with curl; version 2 dropped in is served without a
#      restart, a broken version 3 is reported and changes nothing; `stop` (SIGTERM)
#      drains and exits 0. Needs curl on the host.
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
serve=1
serve_only=0
for arg in "$@"; do
    case $arg in
        --no-bench) bench=0 ;;
        --bench-run) bench_run=1 ;;
        --no-serve) serve=0 ;;
        --serve-only) serve_only=1 ;;
        -h | --help) sed -n '2,26p' "${BASH_SOURCE[0]}"; exit 0 ;;
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
build() { # build TAG [TARGET [ENGINE ARGS...]]
    local tag=$1 target=${2:-} t0=$SECONDS
    local args=(build -f docker/Dockerfile -t "$tag" "${build_args[@]}" "${@:3}")
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

# ------------------------------------------------------------------ serve
serve_smoke() {
    command -v curl >/dev/null || { echo "smoke.sh: the serve check needs curl" >&2; exit 1; }
    local fmt=()
    # podman's default OCI image format has no HEALTHCHECK; the docker format keeps it
    [ "$engine" = podman ] && fmt=(--format docker)
    build "$prefix-serve" serve "${fmt[@]}"
    local img=$prefix-serve name=$prefix-serve-smoke t0=$SECONDS
    local dir=$PWD/target/smoke-serve
    rm -rf "$dir" && mkdir -p "$dir/models"
    "$engine" rm -f "$name" >/dev/null 2>&1 || true
    trap '"$engine" rm -f "$name" >/dev/null 2>&1 || true' EXIT
    "$engine" image inspect --format '{{json .Config.Healthcheck}}' "$img" | grep -q 'oxilearn","health' \
        || { echo "smoke.sh: $img has no HEALTHCHECK running \`oxilearn health\`" >&2; exit 1; }
    # iris with species names, from the bundled copy
    zcat src/data/bundled/iris.csv.gz | awk -F, 'NR == 1 { for (i = 3; i <= NF; i++) n[i - 3] = $i
        print "sepal_length,sepal_width,petal_length,petal_width,species"; next }
        { print $1 "," $2 "," $3 "," $4 "," n[$5] }' >"$dir/iris.csv"
    fit() { # fit VERSION ESTIMATOR [ARGS...]
        local v=$1; shift
        "$engine" run --rm --user "$(id -u):$(id -g)" -v "$dir:/work" -w /work "$img" \
            fit "$@" --data iris.csv --target species --quiet -o "models/iris/$v/model.safetensors"
    }
    log "fit version 1 (logistic) with the image"
    fit 1 logistic --set max_iter=1000
    log "$engine run -d -p 127.0.0.1::8080 -v $dir/models:/models:ro $img"
    "$engine" run -d --name "$name" -p 127.0.0.1::8080 -v "$dir/models:/models:ro" "$img" >/dev/null
    local port url
    port=$("$engine" port "$name" 8080 | head -n 1 | sed 's/.*://')
    url=http://127.0.0.1:$port
    local ok=0
    for _ in $(seq 1 150); do
        if "$engine" exec "$name" oxilearn health >/dev/null 2>&1; then ok=1; break; fi
        sleep 0.2
    done
    [ "$ok" = 1 ] || { "$engine" logs "$name" >&2; echo "smoke.sh: server not ready in 30 s" >&2; exit 1; }
    [ "$("$engine" exec "$name" id -u)" = 10001 ] || { echo "smoke.sh: server not running as uid 10001" >&2; exit 1; }
    expect() { # expect WHAT TEXT PATTERN
        grep -q -- "$3" <<<"$2" || { echo "smoke.sh: $1: \`$3\` not in: $2" >&2; "$engine" logs "$name" >&2; exit 1; }
    }
    local body='{"inputs":[{"name":"input","shape":[2,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2,6.7,3.0,5.2,2.3]}]}'
    local r
    r=$(curl -fsS "$url/v2/models/iris")
    expect "metadata" "$r" '"shape":\[-1,4\]'
    r=$(curl -fsS "$url/v2/models/iris/infer" -H 'Content-Type: application/json' -d "$body")
    log "infer (version 1): $r"
    expect "infer v1" "$r" '"model_version":"1"'
    expect "infer v1" "$r" '"data":\["setosa","virginica"\]'
    log "drop in version 2 (svc) while serving"
    fit 2 svc --set C=10
    ok=0
    for _ in $(seq 1 100); do
        r=$(curl -fsS "$url/v2/models/iris/infer" -d "$body")
        if grep -q '"model_version":"2"' <<<"$r"; then ok=1; break; fi
        sleep 0.2
    done
    [ "$ok" = 1 ] || { echo "smoke.sh: version 2 not served within 20 s: $r" >&2; exit 1; }
    log "infer (version 2): $r"
    expect "infer v2" "$r" '"data":\["setosa","virginica"\]'
    log "drop in a broken version 3"
    mkdir -p "$dir/models/iris/3" && echo "not a model" >"$dir/models/iris/3/model.safetensors"
    ok=0
    for _ in $(seq 1 100); do
        r=$(curl -fsS -X POST "$url/v2/repository/index")
        if grep -q '"state":"UNAVAILABLE","version":"3"' <<<"$r"; then ok=1; break; fi
        sleep 0.2
    done
    [ "$ok" = 1 ] || { echo "smoke.sh: broken version 3 not reported within 20 s: $r" >&2; exit 1; }
    r=$(curl -fsS "$url/v2/models/iris/infer" -d "$body")
    expect "infer after broken v3" "$r" '"model_version":"2"'
    "$engine" exec "$name" oxilearn health >/dev/null
    r=$(curl -sS -w ' HTTP %{http_code}' "$url/v2/models/iris/infer" -d '{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP64","data":[1,2,3]}]}')
    expect "wrong shape" "$r" 'HTTP 422'
    log "$engine stop (SIGTERM)"
    "$engine" stop -t 30 "$name" >/dev/null
    local code
    code=$("$engine" inspect --format '{{.State.ExitCode}}' "$name")
    r=$("$engine" logs "$name" 2>&1)
    expect "shutdown log" "$r" 'shut down cleanly'
    [ "$code" = 0 ] || { echo "smoke.sh: server exited with $code" >&2; exit 1; }
    "$engine" rm "$name" >/dev/null
    trap - EXIT
    REPORT+=("$(printf '  serve checks %-21s %5ds  ok' "(v1, v2, broken v3, stop)" "$((SECONDS - t0))")")
}

if [ "$serve_only" = 1 ]; then
    serve_smoke
    log "summary"
    printf '%s\n' "${REPORT[@]}"
    echo "smoke.sh: all good"
    exit 0
fi

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

# ------------------------------------------------------------------ serve
[ "$serve" = 1 ] && serve_smoke

log "summary"
printf '%s\n' "${REPORT[@]}"
echo "smoke.sh: all good"
