# SPDX-License-Identifier: MIT
# compare.sh "PROG [ARGS]" EXPECTED: run PROG with the shim; the leak kinds of the trace must
# equal EXPECTED ("-" for none) and valgrind memcheck's leak summary of the same program.
. "$DATA/lib.sh"
command=$1
expected=$2
set -- $command
prog="$PROGS/$1"
shift
"$prog" "$@" >"$WORK/native.out" 2>"$WORK/native.err"
native_rc=$?
traced trace.mt "$prog" "$@"
[ "$rc" = "$native_rc" ] || fail "exit status $rc under the shim, $native_rc without"
cmp -s "$WORK/native.out" "$WORK/stdout" || fail "stdout differs under the shim"
cmp -s "$WORK/native.err" "$WORK/stderr" || fail "stderr differs under the shim"
[ -n "$(scan_line trace.mt)" ] || fail "no SCAN record in the trace"
got=$(kinds trace.mt)
echo "memtrace: $got"
if [ "$expected" != "-" ]; then
  [ "$got" = "$expected" ] || fail "kinds $got, expected $expected"
fi
if ! command -v valgrind >/dev/null 2>&1; then
  [ "$expected" != "-" ] || exit 77
  exit 0
fi
want=$(valgrind_kinds "$prog" "$@")
echo "valgrind: $want"
[ "$got" = "$want" ] || fail "kinds $got, valgrind $want"
