# SPDX-License-Identifier: MIT
# 200 short-lived threads: buffers are reused at thread exit and no event is lost.
. "$LIB"
traced x.mt "$PROGS/churn"
expect_rc 0
check x.mt reader=complete
grep -q '^kind.alloc.malloc=100000$' facts || fail "malloc count: $(grep kind.alloc.malloc facts)"
n=$(sed -n 's/^n.thread=//p' facts)
[ "$n" -ge 400 ] || fail "expected a THREAD record at start and exit of each thread, got $n"
