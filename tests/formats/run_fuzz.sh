#!/usr/bin/env bash
# Builds the reader's libFuzzer target with clang (ASan + UBSan) and fuzzes it for a bounded
# time, seeded with the golden traces of every format version and fuzz-seeds/. usage: run_fuzz.sh SOURCE_DIR WORK_DIR SECONDS
set -euo pipefail
src=$1 work=$2 seconds=$3
command -v clang >/dev/null || { echo "run_fuzz: clang is required (scripts/setup.sh installs it)"; exit 1; }
mkdir -p "$work/corpus"
cp "$src"/tests/formats/golden/*.mt "$src"/tests/formats/fuzz-seeds/* "$work/corpus/"
for old in "$src"/tests/formats/golden/v1/*.mt; do cp "$old" "$work/corpus/v1-$(basename "$old")"; done
clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$src/formats/include" "$src"/formats/src/{layouts,chunk,decode,header,reader}.c \
  "$src/tests/formats/fuzz_reader.c" -lzstd -o "$work/fuzz_reader"
cd "$work"
./fuzz_reader -max_total_time="$seconds" -timeout=5 -rss_limit_mb=512 -print_final_stats=1 corpus 2>&1 | tail -n 15
