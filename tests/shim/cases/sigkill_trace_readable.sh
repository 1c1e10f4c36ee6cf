# SPDX-License-Identifier: MIT
# After SIGKILL the trace is readable up to the last flush (at most 250 ms old).
. "$LIB"
LD_PRELOAD=$SHIM MEMTRACE_OUTPUT=$WORK/k.mt "$PROGS/sleeper" > out &
pid=$!
for i in $(seq 50); do grep -q ready out 2>/dev/null && break; sleep 0.1; done
sleep 0.5
kill -9 $pid
wait $pid
check k.mt reader=MT_ENOEND kind.alloc.malloc=1000
