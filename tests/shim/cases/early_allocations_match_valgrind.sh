# SPDX-License-Identifier: MIT
# Allocations made before the shim's constructor runs are recorded, frees of those blocks
# count, and so does what a library's destructor does after the shim's own destructor ran: a
# library's constructor and destructor (the loader initialises it before the preloaded shim,
# which the library checks, and finalises it after) and a C++ static object next to
# libstdc++'s emergency pool. END equals valgrind's "total heap usage" exactly (allocations,
# frees, bytes), and the early stacks equal libunwind's.
. "$LIB"
traced x.mt "$PROGS/early_ctor"
expect_rc 0
[ "$(cat "$WORK/stdout")" = "library first" ] || fail "the shim's constructor ran before the library's"
# 1000 + 1000 (calloc) + 10 -> 5000 (realloc) + 4096 (posix_memalign) + 333 in the library's
# constructor; main frees the realloc'd block, then 77 and the stdout buffer; the library's
# destructor, which runs after the shim's own, frees 1000 and 4096 and allocates 222: only
# the stdout buffer stays.
check x.mt reader=complete kind.alloc.posix_memalign=1 kind.alloc.calloc=1 \
  end.live_bytes=4096 end.live_blocks=1
set -- $(valgrind_totals "$PROGS/early_ctor")
[ $# = 3 ] || fail "no valgrind totals"
check x.mt "end.allocations=$1" "end.frees=$2" "end.bytes_allocated=$3"
# The early stacks run through the loader's frames, whose outermost one has no FDE: the fast
# unwinder ends there as libunwind does (as many distinct stacks, as many frames).
paths=$(sed -n 's/^stack.event_paths=//p' "$WORK/facts")
frames=$(sed -n 's/^stack.path_frames=//p' "$WORK/facts")
[ "$frames" -gt "$paths" ] || fail "early stacks of $frames frames in $paths stacks"
rm -f y.mt
MEMTRACE_UNWIND=libunwind traced y.mt "$PROGS/early_ctor"
check y.mt reader=complete "stack.event_paths=$paths" "stack.path_frames=$frames"

rm -f x.mt
traced x.mt "$PROGS/cxx_static"
expect_rc 0
set -- $(valgrind_totals "$PROGS/cxx_static")
[ $# = 3 ] || fail "no valgrind totals"
check x.mt reader=complete "end.allocations=$1" "end.frees=$2" "end.bytes_allocated=$3"
