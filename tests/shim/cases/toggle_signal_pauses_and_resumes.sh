# SPDX-License-Identifier: MIT
# MEMTRACE_TOGGLE_SIGNAL alone (not paused): recording runs, the signal pauses it.
. "$LIB"
MEMTRACE_TOGGLE_SIGNAL=12
export MEMTRACE_TOGGLE_SIGNAL
traced x.mt "$PROGS/toggler"
expect_rc 0
check x.mt reader=complete end.allocations=5 end.bytes_allocated=40
