# SPDX-License-Identifier: MIT
# Helpers for the shim test cases (sourced). Environment from CMake: SHIM (libmemtrace.so),
# CHECK (shim-check), PROGS (test programs), WORK (a scratch directory for this case).
. "$(dirname "$LIB")/../lib/shim_case.sh"

# check TRACE [key=value...]: invariants plus exact facts.
check() {
  "$CHECK" "$@" >"$WORK/facts" || { cat "$WORK/facts" >&2; fail "shim-check $*"; }
}

expect_rc() {
  [ "$rc" = "$1" ] || fail "exit status $rc, expected $1"
}

# valgrind_totals PROG [ARGS...]: prints "allocs frees bytes" from valgrind's heap summary.
valgrind_totals() {
  command -v valgrind >/dev/null || exit 77
  valgrind --run-libc-freeres=no --run-cxx-freeres=no "$@" 2>&1 >/dev/null |
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes.*/\1 \2 \3/p' |
    tr -d ,
}
