# SPDX-License-Identifier: MIT
# A block grown 10 times by realloc: 11 allocations, 11 frees, as valgrind counts them.
. "$LIB"
traced x.mt "$PROGS/realloc_chain"
expect_rc 0
check x.mt reader=complete end.allocations=11 end.frees=11 end.bytes_allocated=6600 \
  end.peak_heap_bytes=1100 end.live_bytes=0 kind.realloc.realloc=10 replay.peak_heap_bytes=1100
