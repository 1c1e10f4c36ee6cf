# SPDX-License-Identifier: MIT
# Stacks that run through the shim's own frames (an atexit handler allocating inside exit(),
# under the shim's exit() and main() wrappers) come out of the fast unwinder, which reuses
# the previous walk's states across those frames, as they come out of libunwind: the same
# number of distinct call stacks, with the same number of frames. Counts as valgrind's.
. "$LIB"
traced x.mt "$PROGS/exit_handler_stacks"
expect_rc 0
check x.mt reader=complete kind.alloc.malloc=300 kind.free.malloc=118
paths=$(sed -n 's/^stack.event_paths=//p' facts)
frames=$(sed -n 's/^stack.path_frames=//p' facts)
[ "$paths" -ge 20 ] || fail "only $paths call stacks"
MEMTRACE_UNWIND=libunwind
export MEMTRACE_UNWIND
traced y.mt "$PROGS/exit_handler_stacks"
expect_rc 0
check y.mt reader=complete kind.alloc.malloc=300 "stack.event_paths=$paths" "stack.path_frames=$frames"
