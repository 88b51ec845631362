#!/bin/sh
# stub-targets.sh — turn a directory holding only the workspace's manifests
# (Cargo.toml + Cargo.lock at the root, each member's Cargo.toml) into buildable
# dummy crates, so that `cargo build` / `cargo test --no-run` / `cargo bench
# --no-run` compile every dependency (dev-dependencies included) in a cached
# image layer before the real sources are copied in (the idea of cargo-chef,
# without installing it).
#
#   stub-targets            create the stubs (list kept in /tmp/stub-targets.list)
#   stub-targets --clean    delete exactly the files it created
#
# For every Cargo.toml below the current directory (target/ and fuzz/ aside):
# src/lib.rs (or the [lib] path); a `fn main() {}` for every [[bin]]/[[example]]/
# [[test]]/[[bench]] table (at its `path`, or cargo's default location); at the
# root also examples/zz_deps_stub.rs, so that `--examples` builds the
# dev-dependencies.
set -eu
list=/tmp/stub-targets.list
if [ "${1:-}" = --clean ]; then
    [ -f "$list" ] || exit 0
    while IFS= read -r f; do rm -f "$f"; done < "$list"
    rm -f "$list"
    exit 0
fi
: > "$list"
stub() { # stub PATH CONTENT — create PATH (and its folder) unless it exists
    [ -e "$1" ] && return 0
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" > "$1"
    echo "$1" >> "$list"
}
find . -name Cargo.toml -not -path './target/*' -not -path './fuzz/*' -not -path '*/.venv/*' |
while read -r manifest; do
    dir=$(dirname "$manifest")
    # Print "kind name path" for each explicit target table (name/path may be empty).
    awk '
      function flush() { if (kind != "") print kind, (name == "" ? "-" : name), path; kind = name = path = "" }
      /^\[\[(bin|example|test|bench)\]\]/ { flush(); kind = $0; gsub(/[][]/, "", kind); next }
      /^\[lib\]/ { flush(); kind = "lib"; next }
      /^\[/ { flush(); next }
      kind != "" && /^[[:space:]]*name[[:space:]]*=/ { v = $0; sub(/^[^=]*=[[:space:]]*"/, "", v); sub(/".*/, "", v); name = v }
      kind != "" && /^[[:space:]]*path[[:space:]]*=/ { v = $0; sub(/^[^=]*=[[:space:]]*"/, "", v); sub(/".*/, "", v); path = v }
      END { flush() }
    ' "$manifest" > /tmp/stub-targets.tables
    grep -q '^lib ' /tmp/stub-targets.tables || echo "lib - " >> /tmp/stub-targets.tables
    while read -r kind name path; do
        if [ -z "$path" ]; then
            case $kind in
                lib) path=src/lib.rs ;;
                bin) path=src/bin/$name.rs ;;
                example) path=examples/$name.rs ;;
                test) path=tests/$name.rs ;;
                bench) path=benches/$name.rs ;;
            esac
        fi
        if [ "$kind" = lib ]; then stub "$dir/$path" ''; else stub "$dir/$path" 'fn main() {}'; fi
    done < /tmp/stub-targets.tables
done
rm -f /tmp/stub-targets.tables
stub ./examples/zz_deps_stub.rs 'fn main() {}'
