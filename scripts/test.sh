#!/usr/bin/env bash
# Sets up, builds with warnings as errors, and runs every test; then rebuilds with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs the tests again.
# usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)

cmake -S . -B build -DMEMTRACE_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest -j"$jobs" --output-on-failure --timeout 600)

if [ "${1:-}" != "--no-sanitize" ]; then
  # The fuzzer already runs under ASan/UBSan in the first pass; the shim stays unsanitized.
  cmake -S . -B build-asan -DMEMTRACE_WERROR=ON -DMEMTRACE_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest -j"$jobs" --output-on-failure --timeout 600 -E 'fuzz_')
fi
