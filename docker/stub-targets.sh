#!/bin/sh
# stub-targets.sh — turn a directory holding only Cargo.toml + Cargo.lock into a
# buildable dummy crate, so `cargo build` / `cargo test --no-run` compile every
# dependency (dev-dependencies included) in a cached image layer before the real
# sources are copied in (the same idea as cargo-chef, without installing it).
#
# Creates: src/lib.rs; a `fn main() {}` for every [[bin]]/[[example]]/[[test]]/
# [[bench]] table in Cargo.toml (at its `path`, or cargo's default location);
# and examples/zz_deps_stub.rs, so that `--examples` builds the dev-dependencies.
set -eu
manifest=${1:-Cargo.toml}
mkdir -p src examples
: > src/lib.rs
printf 'fn main() {}\n' > examples/zz_deps_stub.rs
# Print "kind name path" for each explicit target table (path may be empty).
awk '
  function flush() { if (kind != "" && name != "") print kind, name, path; kind = name = path = "" }
  /^\[\[(bin|example|test|bench)\]\]/ { flush(); kind = $0; gsub(/[][]/, "", kind); next }
  /^\[/ { flush(); next }
  kind != "" && /^[[:space:]]*name[[:space:]]*=/ { v = $0; sub(/^[^=]*=[[:space:]]*"/, "", v); sub(/".*/, "", v); name = v }
  kind != "" && /^[[:space:]]*path[[:space:]]*=/ { v = $0; sub(/^[^=]*=[[:space:]]*"/, "", v); sub(/".*/, "", v); path = v }
  END { flush() }
' "$manifest" | while read -r kind name path; do
    if [ -z "$path" ]; then
        case $kind in
            bin) path=src/bin/$name.rs ;;
            example) path=examples/$name.rs ;;
            test) path=tests/$name.rs ;;
            bench) path=benches/$name.rs ;;
        esac
    fi
    mkdir -p "$(dirname "$path")"
    printf 'fn main() {}\n' > "$path"
done
