# SPDX-License-Identifier: MIT
# Helpers for the leak-kind tests (sourced). Environment from CMake: SHIM (libmemtrace.so),
# REPORT (memtrace-report), DUMP (memtrace-dump), PROGS (test programs), DATA (this folder),
# WORK (a scratch directory for this case).
. "$DATA/../lib/shim_case.sh"

# kinds TRACE [report options]: "definite indirect possible reachable" as bytes/blocks from
# the summary JSON, DTVs of new threads suppressed (and nothing else, as in valgrind).
kinds() {
  trace=$1
  shift
  "$REPORT" summary --format json --no-progress --no-builtin-suppressions \
    --suppressions "$DATA/memtrace.supp" "$@" \
    "$trace" >"$WORK/summary.json" || fail "memtrace-report summary $trace"
  line=""
  for k in definitely_lost indirectly_lost possibly_lost reachable; do
    b=$(sed -n "s/.*\"${k}_bytes\": \([0-9a-z]*\).*/\1/p" "$WORK/summary.json")
    n=$(sed -n "s/.*\"${k}_blocks\": \([0-9a-z]*\).*/\1/p" "$WORK/summary.json")
    line="$line $b/$n"
  done
  echo $line
}

# valgrind_kinds PROG [ARGS...]: the same four figures from memcheck's leak summary, with the
# same suppression; valgrind frees nothing of libc's at exit, so both see the same heap.
valgrind_kinds() {
  valgrind --leak-check=full --run-libc-freeres=no --run-cxx-freeres=no \
    --suppressions="$DATA/valgrind.supp" "$@" >/dev/null 2>"$WORK/valgrind.log"
  line=""
  for k in "definitely lost" "indirectly lost" "possibly lost" "still reachable"; do
    fig=$(sed -n "s/.*$k: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\1\/\2/p" "$WORK/valgrind.log" | tr -d ,)
    line="$line ${fig:-0/0}"
  done
  echo $line
}

# scan_line TRACE: the SCAN record as dumped ("" when the trace has none).
scan_line() {
  "$DUMP" "$1" | grep '^scan ' || true
}
