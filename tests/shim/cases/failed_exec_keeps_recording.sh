# SPDX-License-Identifier: MIT
# An exec that fails after the pre-checks (ENOEXEC): END is cut off again and the same trace
# continues; the EXEC record stays, the final END counts every allocation.
. "$LIB"
printf 'not a program\n' > notprog
chmod +x notprog
traced x.mt "$PROGS/exec_fail" "$WORK/notprog"
expect_rc 0
check x.mt reader=complete n.exec=1 n.end=1 end.how=0 end.allocations=5 end.bytes_allocated=130
[ ! -e x.mt.1 ] || fail "a second trace was written"
[ "$(grep -c '^start ' session)" = 2 ] && [ "$(grep -c '^end .* 2 0$' session)" = 1 ] &&
  [ "$(grep -c '^end .* 0 0$' session)" = 1 ] || fail "session: $(cat session)"
