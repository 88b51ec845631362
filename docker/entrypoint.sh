#!/bin/sh
# Entry point of the oxilearn runtime image.
#   (no arguments)         run the quickstart
#   <example> [ARGS...]    run that example (every example binary is in /opt/oxilearn/bin)
#   list                   print the example names, one a line
#   <command> [ARGS...]    anything else runs as a plain command (e.g. `sh`)
set -eu
bin=/opt/oxilearn/bin
if [ "$#" -eq 0 ]; then
    set -- quickstart
fi
case $1 in
    list | --list)
        ls -1 "$bin"
        exit 0
        ;;
esac
if [ -x "$bin/$1" ]; then
    name=$1
    shift
    exec "$bin/$name" "$@"
fi
exec "$@"
