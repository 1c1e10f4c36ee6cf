# SPDX-License-Identifier: MIT
# memtrace.h markers and custom blocks, and anonymous mmap/munmap: recorded with their own
# kinds and kept out of the heap totals; mmap_live_bytes is exact after a partial munmap.
. "$LIB"
traced x.mt "$PROGS/annotations"
expect_rc 0
check x.mt reader=complete n.marker=2 marker.last=end kind.alloc.custom=1 kind.free.custom=1 \
  kind.alloc.mmap=1 mmap.bytes=12288 kind.free.mmap=1 munmap.bytes=4096 end.mmap_live_bytes=8192 \
  end.allocations=1 end.frees=1 end.bytes_allocated=64
"$PROGS/annotations" || fail "annotations must run without memtrace"
