# SPDX-License-Identifier: MIT
# MEMTRACE_START_PAUSED=1: nothing is recorded until the toggle signal (SIGUSR2) arrives.
. "$LIB"
export MEMTRACE_START_PAUSED=1
traced x.mt "$PROGS/toggler"
expect_rc 0
check x.mt reader=complete end.allocations=3 end.bytes_allocated=48
