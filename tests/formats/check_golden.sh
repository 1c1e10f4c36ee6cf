#!/usr/bin/env bash
# Runs memtrace-dump on one golden trace and compares stdout, stderr and the exit status with
# the committed NAME.expected. usage: check_golden.sh MEMTRACE_DUMP GOLDEN_DIR NAME [--update]
set -u
dump=$1 dir=$2 name=$3
cd "$dir" || exit 2
actual=$({ "$dump" "$name.mt" 2>&1 1>&3 3>&- | sed 's/^/stderr: /'; } 3>&1; echo "exit: ${PIPESTATUS[0]}")
if [ "${4:-}" = "--update" ]; then printf '%s\n' "$actual" > "$name.expected"; exit 0; fi
if ! diff -u "$name.expected" <(printf '%s\n' "$actual"); then
  echo "golden $name: memtrace-dump output differs from $name.expected"
  exit 1
fi
