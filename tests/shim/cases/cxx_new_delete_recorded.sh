# SPDX-License-Identifier: MIT
# C++ new/delete (and new[]/delete[]) reach malloc/free; memtrace.h works from C++.
. "$LIB"
traced x.mt "$PROGS/cxx_new"
expect_rc 0
check x.mt reader=complete n.marker=1 marker.last=cxx end.allocations=4 end.frees=4 \
  end.bytes_allocated=213 end.live_bytes=0
