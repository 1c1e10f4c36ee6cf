#!/bin/sh
# SPDX-License-Identifier: MIT
# The installed CMake helper: installs the build into a fresh prefix, configures
# tests/check/project (memtrace_add_test with budgets that hold and fail) and examples/ci
# against it with find_package(memtrace), runs ctest and checks which tests failed.
# usage: cmake_project.sh BUILD_DIR WORK_DIR EXAMPLE_LEAK EXAMPLES_CI_DIR
set -u
build=$1 work=$2 leak=$3 ci=$4
SRC=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" || exit 1
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null || fail "install"
for f in MemtraceTest.cmake memtraceConfig.cmake memtraceConfigVersion.cmake; do
  [ -f "$prefix/lib/cmake/memtrace/$f" ] || fail "lib/cmake/memtrace/$f is not installed"
done

cmake -S "$SRC/project" -B "$work/project" -Dmemtrace_DIR="$prefix/lib/cmake/memtrace" \
  -DLEAK_PROGRAM="$leak" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure"; }
(cd "$work/project" && ctest --output-on-failure >"$work/ctest.log" 2>&1)
[ $? -ne 0 ] || fail "ctest passed although budgets were exceeded"
failed=$(sed -n '/The following tests FAILED:/,$p' "$work/ctest.log" | grep -o '[a-z_]* (Failed)' | sort | tr '\n' ' ')
[ "$failed" = "leak_budget_file (Failed) leak_over_budget (Failed) program_fails (Failed) " ] \
  || { cat "$work/ctest.log"; fail "failed tests: $failed"; }
grep -q 'memtrace: --check: /bin/sh failed (status 3); budgets not checked' "$work/ctest.log" \
  || fail "program_fails: the program's status, not the check's"
grep -q '^FAIL max-leaked (function make_\*): 512 B exceeds budget 0 B$' "$work/ctest.log" \
  || { cat "$work/ctest.log"; fail "budget file violation"; }
[ "$(xmllint --xpath 'count(//failure)' "$work/project/junit/leak_over_budget.xml")" = 1 ] || fail "junit fail"
[ "$(xmllint --xpath 'count(//failure)' "$work/project/junit/leak_within_budget.xml")" = 0 ] || fail "junit pass"
ls "$work/project/memtrace/"leak_within_budget.*.mt >/dev/null || fail "trace not in the trace directory"

# examples/ci passes its own budgets
cmake -S "$ci" -B "$work/ci" -Dmemtrace_DIR="$prefix/lib/cmake/memtrace" >"$work/ci.log" 2>&1 &&
  cmake --build "$work/ci" >>"$work/ci.log" 2>&1 || { cat "$work/ci.log"; fail "examples/ci build"; }
(cd "$work/ci" && ctest --output-on-failure >>"$work/ci.log" 2>&1) || { cat "$work/ci.log"; fail "examples/ci ctest"; }
echo "CMake helper works from $prefix"
