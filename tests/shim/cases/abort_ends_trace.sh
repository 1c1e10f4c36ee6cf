# SPDX-License-Identifier: MIT
# abort(): the trace is complete, END how=1 (signal) status=6, exit status unchanged.
. "$LIB"
traced x.mt "$PROGS/aborter"
expect_rc 134
check x.mt reader=complete end.how=1 end.status=6 end.allocations=4 end.live_blocks=4
