# SPDX-License-Identifier: MIT
# A relative MEMTRACE_OUTPUT is resolved once, in the directory the first process started
# in: a script that changes directory and execs its program still writes both traces there.
. "$LIB"
mkdir sub
printf '#!/bin/sh\ncd sub && exec %s\n' "$PROGS/exec_self" > s.sh
chmod +x s.sh
traced t.%n.mt ./s.sh
expect_rc 0
check t.sh.mt reader=complete end.how=2
check t.exec_self.mt reader=complete process.origin=2 end.allocations=2
[ -z "$(ls sub)" ] || fail "trace written in sub/: $(ls sub)"
