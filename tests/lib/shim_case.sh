# SPDX-License-Identifier: MIT
# Preamble of the cases that run programs under the shim (tests/shim, tests/leakscan),
# sourced by their lib.sh: a fresh scratch directory WORK as the current directory, fail,
# and traced. Environment: SHIM (libmemtrace.so), WORK.
set -u
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 2

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# traced OUT PROG [ARGS...]: run PROG with the shim, trace pattern OUT, session lines in
# $WORK/session; sets $rc, the output goes to $WORK/stdout and $WORK/stderr.
traced() {
  out=$1
  shift
  LD_PRELOAD=$SHIM MEMTRACE_OUTPUT=$out MEMTRACE_SESSION=$WORK/session "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  rc=$?
}
