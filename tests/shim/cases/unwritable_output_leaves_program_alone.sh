# SPDX-License-Identifier: MIT
# A trace that cannot be created: one message, the program runs unchanged and untraced.
. "$LIB"
traced /nonexistent-dir/x.mt "$PROGS/fd_closer"
expect_rc 0
[ "$(cat stdout)" = ok ] || fail "stdout changed"
[ "$(grep -c '^memtrace: cannot create the trace file /nonexistent-dir/x.mt$' stderr)" = 1 ] ||
  fail "stderr: $(cat stderr)"
