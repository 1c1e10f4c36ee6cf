# SPDX-License-Identifier: MIT
# C++ new/delete (and new[]/delete[]) reach malloc/free; memtrace.h works from C++. The fifth
# allocation is libstdc++'s 72,704-byte emergency pool, made by its constructor before the
# shim's (recorded through the early log), never freed.
. "$LIB"
traced x.mt "$PROGS/cxx_new"
expect_rc 0
check x.mt reader=complete n.marker=1 marker.last=cxx end.allocations=5 end.frees=4 \
  end.bytes_allocated=$((213 + 72704)) end.live_bytes=72704
