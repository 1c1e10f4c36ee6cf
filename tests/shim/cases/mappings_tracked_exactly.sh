# SPDX-License-Identifier: MIT
# mmap/mremap/munmap of anonymous memory: ALLOC, REALLOC and FREE of kind mmap with exact
# lengths; file mappings are not recorded; nothing is left mapped at the end.
. "$LIB"
traced x.mt "$PROGS/mappings"
expect_rc 0
pg=$(getconf PAGESIZE)
check x.mt reader=complete kind.alloc.mmap=2 kind.realloc.mmap=1 "mmap.bytes=$((5 * pg))" \
  "munmap.bytes=$((7 * pg))" end.mmap_live_bytes=0 end.allocations=0
