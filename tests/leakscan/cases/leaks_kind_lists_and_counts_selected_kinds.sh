# SPDX-License-Identifier: MIT
# memtrace-report leaks --kind: only the chosen kinds are listed and counted (default
# definite,indirect like memcheck); the summary gives bytes and blocks of every kind.
. "$DATA/lib.sh"
traced trace.mt "$PROGS/globals_reachable"
[ "$rc" = 0 ] || fail "exit status $rc"
totals() { # the leaks report's totals: kinds, leaked, suppressed and excluded bytes/blocks
  "$REPORT" leaks --format csv --no-progress "$@" trace.mt >leaks.csv || fail "leaks $*"
  sed -n 2p leaks.csv
}
got=$(totals)
[ "$got" = '"definite,indirect",77,1,0,0,0,0' ] || fail "default: $got"
got=$(totals --kind reachable)
[ "$got" = "reachable,554,21,0,0,0,0" ] || fail "reachable: $got"
got=$(totals --kind reachable,definite)
[ "$got" = '"definite,reachable",631,22,0,0,0,0' ] || fail "definite,reachable: $got"
got=$(totals --kind possible)
[ "$got" = "possible,0,0,0,0,0,0" ] || fail "possible: $got"
# every listed group has a listed kind
"$REPORT" leaks --format csv --no-progress --kind reachable trace.mt >leaks.csv
groups=$(awk -F, '/^bytes,blocks,class,kind/ {s=1; next} s && NF==0 {s=0} s' leaks.csv)
[ -n "$groups" ] || fail "no groups listed"
echo "$groups" | awk -F, '$4 != "reachable" {exit 1}' || fail "other kinds listed: $groups"
"$REPORT" leaks --kind bogus trace.mt 2>err && fail "bad --kind accepted"
grep -q -- "--kind takes" err || fail "message: $(cat err)"
got=$(kinds trace.mt)
[ "$got" = "77/1 0/0 0/0 554/21" ] || fail "summary kinds $got"
"$REPORT" summary --no-progress trace.mt >summary.txt
grep -q '^  definitely lost  *77 B$' summary.txt || fail "text summary: $(cat summary.txt)"
grep -q '^  still reachable blocks  *21$' summary.txt || fail "text summary: $(cat summary.txt)"
