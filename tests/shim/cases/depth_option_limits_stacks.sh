# SPDX-License-Identifier: MIT
# MEMTRACE_DEPTH=3 keeps at most 3 frames per stack; the default keeps the whole (short) stack.
. "$LIB"
traced x.mt "$PROGS/counts"
check x.mt reader=complete
[ "$(sed -n 's/^stack.max_depth=//p' facts)" -gt 3 ] || fail "default stacks are too short"
MEMTRACE_DEPTH=3
export MEMTRACE_DEPTH
traced y.mt "$PROGS/counts"
check y.mt reader=complete stack.max_depth=3 end.allocations=10
