# SPDX-License-Identifier: MIT
# The shim's signal stacks are invisible: a program that allocates its own signal stack only
# when the thread has none (as LLVM does) makes the same allocations as without the shim, in
# the main thread and in a second one; after the program disables its own stack, a stack
# overflow is still reported (END how=1, status 139).
. "$LIB"
rm -f x.mt
"$PROGS/signal_stack"
rc=$?
expect_rc 0
traced x.mt "$PROGS/signal_stack"
expect_rc 0
# 2 x 73,728 (signal stacks) + 3 x 50 + pthread_create's calloc; the main thread's is freed
check x.mt reader=complete end.how=0 end.status=0 kind.alloc.malloc=5 end.frees=1
rm -f x.mt
traced x.mt "$PROGS/signal_stack" overflow
expect_rc 139
check x.mt reader=complete end.how=1 end.status=11 kind.alloc.malloc=5
