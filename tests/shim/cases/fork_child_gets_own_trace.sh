# SPDX-License-Identifier: MIT
# fork: the child writes its own trace (origin 1, parent_trace set, its own totals and exit
# status), the parent records FORK with the child's pid; both report to the session file.
. "$LIB"
traced "$WORK/f.%p.mt" "$PROGS/forker"
expect_rc 0
set -- $(ls f.*.mt)
[ $# = 2 ] || fail "expected 2 traces, got $*"
parent=$(grep '^start' session | head -1 | cut -d' ' -f4)
child=$(grep '^start' session | tail -1 | cut -d' ' -f4)
cpid=$(grep '^start' session | tail -1 | cut -d' ' -f2)
check "$parent" reader=complete end.allocations=5 end.live_blocks=5 n.fork=1 "fork.child_pid=$cpid"
check "$child" reader=complete process.origin=1 "process.parent_trace=$parent" end.status=7 \
  end.allocations=3 end.frees=1 end.bytes_allocated=3000 end.live_bytes=2000
grep -q "^end $cpid $child 3 1 3000 3000 2000 2 [0-9]* 0 [0-9]* 0 7$" session || fail "session end line: $(cat session)"
