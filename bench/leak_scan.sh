#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of the exit-time leak scan on the recorder benchmark's real programs: for each, RUNS
# rounds of `memtrace --leak-scan=on` and `--leak-scan=off` interleaved; prints the median
# wall time of each, the scan's own duration (SCAN record), the blocks and bytes it read, and
# the memory it took (END shim_bytes with the scan minus without). Prints a markdown table.
# usage: bench/leak_scan.sh [BUILD_DIR]   env: RUNS (5), ONLY (regex of workload names)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || exit 2
memtrace=$build/bin/memtrace
dump=$build/bin/memtrace-dump
runs=${RUNS:-5}
only=${ONLY:-.}
[ -x "$memtrace" ] && [ -x "$dump" ] || { echo "leak_scan.sh: build first" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/memtrace-scan.XXXXXX")
trap 'rm -rf "$work"' EXIT
python=$(command -v /usr/bin/python3 || command -v python3)
workloads=(
  "clang++ -fsyntax-only STL|clang++ -std=c++17 -fsyntax-only $root/bench/stl_includes.cpp"
  "sqlite3 200k rows|sqlite3 :memory: < $root/bench/sqlite_workload.sql"
  "python3 json 60k|$python $root/bench/json_roundtrip.py"
)
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" | head -1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| workload | blocks at exit | run, scan on | run, scan off | scan | share of run | roots read | heap read | scan memory |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  name=${w%%|*}
  cmd=${w#*|}
  echo "$name" | grep -Eq -- "$only" || continue
  : >"$work/on" ; : >"$work/off" ; : >"$work/scan"
  for r in $(seq 0 "$runs"); do
    for mode in on off; do
      rm -f "$work/t.mt"
      s=$(date +%s%N)
      (cd "$work" && eval "$memtrace -q --leak-scan=$mode -o $work/t.mt $cmd" >/dev/null 2>&1)
      e=$(date +%s%N)
      [ "$r" = 0 ] && continue # warm-up
      echo $(( (e - s) / 1000 )) >>"$work/$mode"
      "$dump" "$work/t.mt" | grep -E '^(scan|end) ' >"$work/recs.$mode"
      [ "$mode" = on ] && grep '^scan ' "$work/recs.on" >>"$work/scan"
      grep '^end ' "$work/recs.$mode" | field shim_bytes >"$work/shim.$mode"
    done
  done
  on=$(median <"$work/on"); off=$(median <"$work/off")
  scan=$(field duration_ns <"$work/scan" | median)
  blocks=$(field blocks <"$work/scan" | head -1)
  roots=$(field root_bytes <"$work/scan" | head -1)
  heap=$(field heap_bytes <"$work/scan" | head -1)
  mem=$(( $(cat "$work/shim.on") - $(cat "$work/shim.off") ))
  awk -v n="$name" -v b="$blocks" -v on="$on" -v off="$off" -v s="$scan" -v r="$roots" \
      -v h="$heap" -v m="$mem" 'BEGIN {
    printf "| %s | %d | %.3f s | %.3f s | %.1f ms | %.1f%% | %.1f MiB | %.1f MiB | %.1f MiB |\n",
      n, b, on / 1e6, off / 1e6, s / 1e6, 100 * s / 1e3 / on, r / 1048576, h / 1048576, m / 1048576 }'
done
