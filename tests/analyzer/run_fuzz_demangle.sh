#!/usr/bin/env bash
# Builds the Rust v0 demangler's libFuzzer target with clang (ASan + UBSan) and fuzzes it for a
# bounded time, seeded with demangle-seeds/. usage: run_fuzz_demangle.sh SOURCE_DIR WORK_DIR SECONDS
set -euo pipefail
src=$1 work=$2 seconds=$3
command -v clang >/dev/null || { echo "run_fuzz_demangle: clang is required (scripts/setup.sh installs it)"; exit 1; }
mkdir -p "$work/corpus"
cp "$src"/tests/analyzer/demangle-seeds/* "$work/corpus/"
clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$src/analyzer/src" "$src/analyzer/src/demangle_rust.c" "$src/tests/analyzer/fuzz_demangle_rust.c" \
  -o "$work/fuzz_demangle_rust"
cd "$work"
./fuzz_demangle_rust -max_total_time="$seconds" -max_len=1024 -timeout=5 -rss_limit_mb=512 \
  -print_final_stats=1 corpus 2>&1 | tail -n 15
