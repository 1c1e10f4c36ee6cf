# SPDX-License-Identifier: MIT
# valgrind's "total heap usage" equals END for malloc/realloc/free programs (counts, realloc
# chain) and for 8 threads (allocations and frees; thread DTV sizes differ by our TLS).
. "$LIB"
for prog in counts realloc_chain; do
  rm -f x.mt
  traced x.mt "$PROGS/$prog"
  set -- $(valgrind_totals "$PROGS/$prog")
  check x.mt "end.allocations=$1" "end.frees=$2" "end.bytes_allocated=$3"
done
rm -f x.mt
traced x.mt "$PROGS/threads" 8
set -- $(valgrind_totals "$PROGS/threads" 8)
check x.mt "end.allocations=$1" "end.frees=$2"
