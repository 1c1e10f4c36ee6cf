# SPDX-License-Identifier: MIT
# 10 mallocs of 100 bytes, 7 freed: exact END totals, equal to the replay of the events.
. "$LIB"
traced x.mt "$PROGS/counts"
expect_rc 0
check x.mt reader=complete end.how=0 end.status=0 end.allocations=10 end.frees=7 \
  end.bytes_allocated=1000 end.peak_heap_bytes=1000 end.live_bytes=300 end.live_blocks=3 \
  replay.allocations=10 replay.frees=7 replay.live_bytes=300 replay.peak_heap_bytes=1000 \
  kind.alloc.malloc=10 kind.free.malloc=7 process.origin=0 end.peak_rss_nonzero=1 end.shim_bytes_nonzero=1
grep -q "^end.peak_heap_seq=$(sed -n 's/^replay.peak_heap_seq=//p' facts)$" facts || fail "peak seq differs from replay"
