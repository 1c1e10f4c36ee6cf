#!/usr/bin/env bash
# The main job on a bundled example: sets up, builds, records examples/leak.c under memtrace
# and reports its summary and leaks. usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

trace=build/demo/leak.mt
mkdir -p build/demo
rm -f "$trace" "$trace.db"
echo "\$ memtrace -o $trace build/bin/examples/example-leak"
build/bin/memtrace -o "$trace" build/bin/examples/example-leak
echo
echo "\$ memtrace-report summary $trace"
build/bin/memtrace-report summary "$trace"
echo
echo "\$ memtrace-report leaks --top 3 $trace"
build/bin/memtrace-report leaks --top 3 "$trace"
