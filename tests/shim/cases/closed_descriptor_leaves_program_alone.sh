# SPDX-License-Identifier: MIT
# A program that closes every descriptor keeps working; recording stops with a message.
. "$LIB"
traced x.mt "$PROGS/fd_closer"
expect_rc 0
[ "$(cat stdout)" = ok ] || fail "stdout changed: $(cat stdout)"
grep -q 'memtrace: ' stderr || fail "no message"
