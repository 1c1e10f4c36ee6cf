# SPDX-License-Identifier: MIT
# 8 threads x 10000 mallocs: every event recorded once, totals equal the replay, and the
# peak (with its sequence number) is exactly the one a replay in sequence order finds.
. "$LIB"
traced x.mt "$PROGS/threads" 8
expect_rc 0
check x.mt reader=complete kind.alloc.malloc=80000
a=$(sed -n 's/^end.allocations=//p' facts)
f=$(sed -n 's/^end.frees=//p' facts)
check x.mt "replay.allocations=$a" "replay.frees=$f" \
  "replay.live_bytes=$(sed -n 's/^end.live_bytes=//p' facts)" \
  "replay.peak_heap_bytes=$(sed -n 's/^end.peak_heap_bytes=//p' facts)" \
  "replay.peak_heap_seq=$(sed -n 's/^end.peak_heap_seq=//p' facts)"
[ "$(grep -c '^kind.free.malloc=' facts)" = 1 ] || fail "no frees"
