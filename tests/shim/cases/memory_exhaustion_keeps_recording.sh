# SPDX-License-Identifier: MIT
# A program that runs into its address-space limit, and copies with it, keeps its whole trace:
# the writer asked for its compression memory at the start (and for a stronger level only
# when it could have it), so the program's shortage never fails a frame.
. "$LIB"
sh -c 'ulimit -v 300000; exec env LD_PRELOAD="$0" MEMTRACE_OUTPUT="$1" "$2" 1' \
  "$SHIM" "$WORK/x.mt" "$PROGS/memory_exhaust" > stdout 2> stderr
rc=$?
expect_rc 0
[ "$(cat stdout)" = ok ] || fail "stdout: $(cat stdout)"
! grep -q 'cannot write the trace' stderr || fail "recording stopped: $(cat stderr)"
check x.mt reader=complete end.how=0 end.status=0
