# SPDX-License-Identifier: MIT
# MEMTRACE_LEAK_SCAN=0 (memtrace --leak-scan=off): no SCAN record; the summary's kind figures
# are null and the leaks report lists every unfreed block, whatever --kind says.
. "$DATA/lib.sh"
MEMTRACE_LEAK_SCAN=0 traced trace.mt "$PROGS/globals_reachable"
[ "$rc" = 0 ] || fail "exit status $rc"
[ -z "$(scan_line trace.mt)" ] || fail "SCAN record written with the scan off"
"$DUMP" trace.mt | grep -q '^process .*leak_scan=0' || fail "options do not say leak_scan=0"
got=$(kinds trace.mt)
[ "$got" = "null/null null/null null/null null/null" ] || fail "summary kinds $got"
"$REPORT" leaks --format csv --no-progress trace.mt >leaks.csv || fail "leaks"
got=$(sed -n 2p leaks.csv | cut -d, -f1-3)
[ "$got" = ",631,22" ] || fail "leaks totals $got"
