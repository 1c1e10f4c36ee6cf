# SPDX-License-Identifier: MIT
# The same output name twice: the second trace goes to name.1, the first stays intact.
. "$LIB"
traced x.mt "$PROGS/counts"
traced x.mt "$PROGS/realloc_chain"
check x.mt reader=complete end.allocations=10
check x.mt.1 reader=complete end.allocations=11
