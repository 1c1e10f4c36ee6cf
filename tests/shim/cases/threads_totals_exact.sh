# SPDX-License-Identifier: MIT
# 8 threads x 10000 mallocs: every event recorded once, totals equal the replay.
. "$LIB"
traced x.mt "$PROGS/threads" 8
expect_rc 0
check x.mt reader=complete kind.alloc.malloc=80000
a=$(sed -n 's/^end.allocations=//p' facts)
f=$(sed -n 's/^end.frees=//p' facts)
check x.mt "replay.allocations=$a" "replay.frees=$f" \
  "replay.live_bytes=$(sed -n 's/^end.live_bytes=//p' facts)"
[ "$(grep -c '^kind.free.malloc=' facts)" = 1 ] || fail "no frees"
