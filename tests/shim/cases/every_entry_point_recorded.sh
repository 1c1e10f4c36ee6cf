# SPDX-License-Identifier: MIT
# Each allocation function once: kinds, realloc(NULL)/realloc(p,0) rules and exact totals.
. "$LIB"
traced x.mt "$PROGS/entry_points"
expect_rc 0
check x.mt reader=complete end.allocations=11 end.frees=11 end.bytes_allocated=1080 \
  end.live_bytes=0 end.live_blocks=0 replay.allocations=11 replay.frees=11 \
  kind.alloc.malloc=2 kind.alloc.calloc=1 kind.alloc.realloc=1 kind.realloc.realloc=1 \
  kind.alloc.reallocarray=1 kind.alloc.posix_memalign=1 kind.alloc.aligned_alloc=1 \
  kind.alloc.memalign=1 kind.alloc.valloc=1 kind.alloc.pvalloc=1 kind.free.malloc=10
