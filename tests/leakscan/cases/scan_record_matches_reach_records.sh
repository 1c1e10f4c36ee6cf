# SPDX-License-Identifier: MIT
# The SCAN record counts every block still allocated (END's live blocks), and one REACH
# record per block follows it, in increasing address order, with the same totals per kind.
. "$DATA/lib.sh"
traced trace.mt "$PROGS/random_graph" 5000
[ "$rc" = 0 ] || fail "exit status $rc"
"$DUMP" trace.mt >dump.txt || fail "dump"
scan=$(grep '^scan ' dump.txt)
blocks=$(echo "$scan" | sed 's/.* blocks=\([0-9]*\).*/\1/')
live=$(grep '^end ' dump.txt | sed 's/.* live_blocks=\([0-9]*\).*/\1/')
[ "$blocks" = "$live" ] || fail "scan blocks $blocks, END live blocks $live"
reach=$(grep -c '^reach ' dump.txt)
[ "$reach" = "$blocks" ] || fail "$reach REACH records for $blocks blocks"
grep '^reach ' dump.txt | sed 's/.*address=0x\([0-9a-f]*\).*/\1/' | tr a-f A-F >addr.txt
sort -c addr.txt 2>/dev/null || [ "$(LC_ALL=C sort addr.txt)" = "$(cat addr.txt)" ] || fail "REACH not in address order"
for k in definite indirect possible reachable; do
  want=$(echo "$scan" | sed "s/.* ${k}_blocks=\([0-9]*\).*/\1/")
  n=$(grep -c "^reach .*kind=$k\$" dump.txt)
  [ "$n" = "$want" ] || fail "$n REACH records of kind $k, SCAN says $want"
done
awk '/^scan /{s=NR} /^end /{e=NR} END {exit !(s && e && s < e)}' dump.txt || fail "SCAN not before END"
