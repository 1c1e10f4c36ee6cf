# SPDX-License-Identifier: MIT
# posix_spawn and vfork+execve children with an environment lacking LD_PRELOAD are traced
# (origin 1, parent's trace named); the parent's trace stays complete and records FORK.
. "$LIB"
traced "$WORK/s.%p.mt" "$PROGS/spawner" "$PROGS/exec_self"
expect_rc 0
[ "$(ls s.*.mt | wc -l)" = 3 ] || fail "expected 3 traces: $(ls)"
parent=$(grep '^start' session | head -1 | cut -d' ' -f4)
check "$parent" reader=complete n.fork=1 end.how=0
for t in s.*.mt; do
  [ "$WORK/$t" = "$parent" ] && continue
  check "$t" reader=complete process.origin=1 "process.parent_trace=$parent" end.allocations=2
done
