# SPDX-License-Identifier: MIT
# The recorder keeps its descriptors (the trace, libunwind's validation pipe) above the low
# numbers: the program's first open() returns what it returns without memtrace.
. "$LIB"
native=$("$PROGS/first_fd") || fail "native run"
traced x.mt "$PROGS/first_fd"
expect_rc 0
[ "$(cat stdout)" = "$native" ] || fail "first descriptor $(cat stdout), natively $native"
check x.mt reader=complete end.allocations=2
