# SPDX-License-Identifier: MIT
# MEMTRACE_FOLLOW=0: fork children and exec'd programs are not traced.
. "$LIB"

export MEMTRACE_FOLLOW=0
traced "$WORK/f.%p.mt" "$PROGS/forker"
expect_rc 0
[ "$(ls f.*.mt | wc -l)" = 1 ] || fail "expected one trace: $(ls)"

traced "$WORK/g.mt" "$PROGS/exec_self" "$PROGS/exec_self"
expect_rc 0
[ ! -e g.mt.1 ] || fail "exec'd program was traced"
check g.mt reader=complete end.how=2
