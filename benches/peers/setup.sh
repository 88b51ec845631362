#!/usr/bin/env bash
# setup.sh — create the Python venv the benchmark peers run in.
#
#   bash benches/peers/setup.sh            # numpy, scipy, scikit-learn, threadpoolctl, torch
#   bash benches/peers/setup.sh --no-torch # without torch (the nn peer then reports "skipped")
#
# Venv: $PEERS_VENV, default benches/peers/.venv (gitignored). Python: $PYTHON,
# default python3 (3.11 or newer: the pins in requirements.txt need it).
# Idempotent: an existing venv is reused and brought to the pinned versions.
# Packages come from PyPI; torch from PyPI is the (large) CUDA build, used on CPU.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${PEERS_VENV:-$here/.venv}
python=${PYTHON:-python3}
with_torch=1
for arg in "$@"; do
    case $arg in
        --no-torch) with_torch=0 ;;
        -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "setup.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

if [ ! -x "$venv/bin/python" ]; then
    echo "creating venv $venv ($("$python" --version 2>&1))"
    "$python" -m venv "$venv"
fi
reqs=$here/requirements.txt
if [ "$with_torch" = 0 ]; then
    # everything above the "# --- torch" marker
    reqs=$(mktemp)
    trap 'rm -f "$reqs"' EXIT
    sed '/^# --- torch/,$d' "$here/requirements.txt" >"$reqs"
fi
"$venv/bin/python" -m pip install --quiet --requirement "$reqs"
"$venv/bin/python" - <<'PY'
import importlib
for name in ("numpy", "scipy", "sklearn", "threadpoolctl", "torch"):
    try:
        mod = importlib.import_module(name)
        print(f"  {name:14s} {mod.__version__}")
    except ImportError:
        print(f"  {name:14s} (not installed)")
PY
echo "peers venv ready: $venv"
