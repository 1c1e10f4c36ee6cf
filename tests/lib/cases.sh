# SPDX-License-Identifier: MIT
# Helpers shared by the shell test cases (tests/analyzer/cases.sh, tests/check/cases.sh):
# sourced after the case script has cd'ed into its work directory; G is gen_trace.
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect NAME EXPECTED ACTUAL
expect() { [ "$2" = "$3" ] || { printf 'FAIL: %s\n--- expected\n%s\n--- actual\n%s\n' "$1" "$2" "$3" >&2; exit 1; }; }
# run_status EXPECTED_STATUS CMD...: runs, keeps stdout in out, stderr in err
run_status() {
  want=$1; shift
  "$@" >out 2>err; got=$?
  [ "$got" = "$want" ] || { cat err >&2; fail "exit status $got, expected $want: $*"; }
}
gen() { "$G" "$@" >/dev/null || fail "gen_trace $*"; }
