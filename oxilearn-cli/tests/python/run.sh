#!/usr/bin/env bash
# oxilearn-cli/tests/python/run.sh — the tritonclient interop test
# (tritonclient_interop.py) against the `oxilearn` binary.
#
#   bash oxilearn-cli/tests/python/run.sh [path/to/oxilearn]
#
# Installs tritonclient[http] (pinned) into a venv under the cargo target dir
# (reused when present), builds the binary unless a path is given, and runs
# the script: JSON and binary tensors through the official Python client.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
venv=$target/ci-tools/tritonclient-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tritonclient.http' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        'tritonclient[http]==2.73.0' 'numpy==2.4.6'
fi
if [ $# -ge 1 ]; then
    exe=$1
else
    cargo build --locked -p oxilearn-cli --bin oxilearn
    exe=$target/debug/oxilearn
fi
timeout 300 "$venv/bin/python" oxilearn-cli/tests/python/tritonclient_interop.py "$exe"
