# SPDX-License-Identifier: MIT
# 4 threads create many distinct stacks at once: the stack table grows under lock-free
# readers, every node is defined once with parent < id, every event's stack exists, each
# call stack has one id, and the fast unwinder yields exactly as many distinct call stacks
# as libunwind does.
. "$LIB"
traced x.mt "$PROGS/stack_maze"
expect_rc 0
check x.mt reader=complete kind.alloc.malloc=240000 kind.free.malloc=240000
fast=$(sed -n 's/^stack.event_paths=//p' facts)
[ "$fast" -gt 20000 ] || fail "only $fast call stacks: the table did not grow"
MEMTRACE_UNWIND=libunwind
export MEMTRACE_UNWIND
traced y.mt "$PROGS/stack_maze"
check y.mt reader=complete "stack.event_paths=$fast"
