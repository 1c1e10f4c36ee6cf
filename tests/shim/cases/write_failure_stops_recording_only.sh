# SPDX-License-Identifier: MIT
# A trace that cannot grow (file size limit, SIGXFSZ ignored): recording stops with one
# message and a session line with how=3, the program's output and status are unchanged.
. "$LIB"
sh -c 'trap "" XFSZ; ulimit -f 64; exec env LD_PRELOAD="$0" MEMTRACE_OUTPUT="$1" MEMTRACE_SESSION="$2" "$3"' \
  "$SHIM" "$WORK/x.mt" "$WORK/session" "$PROGS/big_writer" > stdout 2> stderr
rc=$?
expect_rc 0
[ "$(cat stdout)" = done ] || fail "stdout changed: $(cat stdout)"
grep -qx 'memtrace: cannot write the trace: File too large' stderr || fail "no message: $(cat stderr)"
grep -q '^end [0-9]* .* 3 0$' session || fail "session: $(cat session)"
