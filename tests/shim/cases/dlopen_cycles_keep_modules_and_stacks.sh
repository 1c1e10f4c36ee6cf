# SPDX-License-Identifier: MIT
# dlopen/dlclose 20 times: UNLOAD records appear, every event has a defined stack (checked
# by shim-check), and the fast unwinder gives the same stacks as libunwind (its cached
# rules are dropped on dlclose).
. "$LIB"
traced x.mt "$PROGS/dl_cycle"
expect_rc 0
check x.mt reader=complete
[ "$(sed -n 's/^n.unload=//p' facts)" -ge 1 ] || fail "no UNLOAD record"
fast=$(sed -n "s/^stack.event_paths=//p" facts)
MEMTRACE_UNWIND=libunwind
export MEMTRACE_UNWIND
traced y.mt "$PROGS/dl_cycle"
check y.mt reader=complete
[ "$(sed -n "s/^stack.event_paths=//p" facts)" = "$fast" ] || fail "fast and libunwind stacks differ"
