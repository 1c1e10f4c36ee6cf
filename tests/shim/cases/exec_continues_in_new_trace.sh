# SPDX-License-Identifier: MIT
# execve with an environment lacking LD_PRELOAD: the old trace ends with EXEC and END how=2,
# the new program is traced (origin 2) in a new file naming the old one; same for a shell
# script that execs the program.
. "$LIB"
traced "$WORK/g.mt" "$PROGS/exec_self" "$PROGS/exec_self"
expect_rc 0
check g.mt reader=complete n.exec=1 "exec.path=$PROGS/exec_self" end.how=2 end.allocations=3
check g.mt.1 reader=complete process.origin=2 "process.parent_trace=$WORK/g.mt" end.how=0 end.allocations=2
printf '#!/bin/sh\nexec %s\n' "$PROGS/exec_self" > wrap.sh
chmod +x wrap.sh
traced "$WORK/h.%n.mt" ./wrap.sh
expect_rc 0
check h.exec_self.mt reader=complete process.origin=2 end.allocations=2
check h.sh.mt reader=complete end.how=2
