# SPDX-License-Identifier: MIT
# 20 forks while 4 threads allocate: no deadlock, 21 complete traces, exact child totals.
. "$LIB"
traced "$WORK/f.%p.mt" "$PROGS/fork_storm"
expect_rc 0
[ "$(ls f.*.mt | wc -l)" = 21 ] || fail "expected 21 traces: $(ls | wc -l)"
parent=$(grep '^start' session | head -1 | cut -d' ' -f4)
check "$parent" reader=complete n.fork=20
for t in f.*.mt; do
  [ "$WORK/$t" = "$parent" ] && continue
  check "$t" reader=complete process.origin=1 end.allocations=100 end.frees=90 end.live_bytes=640
done
