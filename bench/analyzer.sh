#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Analyzer benchmark: ingest + summary time and peak RSS of memtrace-report against
# heaptrack_print on the same workloads, the time of every report on an ingested database,
# and a 50-million-event alloc_storm trace. Times are medians of RUNS runs, wall and CPU
# (user + system: the machine may be shared). Prints markdown tables. Not a test: run it by
# hand on a quiet machine.
# usage: bench/analyzer.sh [BUILD_DIR]   (default: build; needs memtrace and memtrace-report)
# env: RUNS (3), ONLY (regex of workload names), STORM_EVENTS (alloc_storm events of the big
#      trace, 50000000; 0 skips it), HEAPTRACK_TIMEOUT (seconds, 300)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || exit 2
memtrace=$build/bin/memtrace
report=$build/bin/memtrace-report
runs=${RUNS:-3}
only=${ONLY:-.}
storm_events=${STORM_EVENTS:-50000000}
ht_timeout=${HEAPTRACK_TIMEOUT:-300}
for tool in "$memtrace" "$report" /usr/bin/time; do
  [ -x "$tool" ] || { echo "analyzer.sh: $tool missing; build first" >&2; exit 2; }
done
have_heaptrack=1
command -v heaptrack > /dev/null && command -v heaptrack_print > /dev/null || have_heaptrack=0

work=$(mktemp -d "${TMPDIR:-/tmp}/memtrace-analyzer-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -g -pthread -o "$work/alloc_storm" "$root/../shared/bench/alloc_storm.c" ||
  { echo "analyzer.sh: cannot build alloc_storm" >&2; exit 2; }
python=$(command -v /usr/bin/python3 || command -v python3)

# name | command (run from $work)
workloads=(
  "alloc_storm 2M, 1 thread|$work/alloc_storm 2000000 1 24 0"
  "alloc_storm 2M, 2 threads|$work/alloc_storm 1000000 2 24 0"
  "clang++ -fsyntax-only STL|clang++ -std=c++17 -fsyntax-only $root/bench/stl_includes.cpp"
  "sqlite3 200k rows|sqlite3 :memory: < $root/bench/sqlite_workload.sql"
  "python3 json 60k|$python $root/bench/json_roundtrip.py"
)

# once CMD...: "wall_s cpu_s maxrss_kb exit" of one run
once() {
  timeout "$ht_timeout" /usr/bin/time -f "%e %U %S %M" -o "$work/tv.txt" "$@" > /dev/null 2> "$work/err.txt"
  local rc=$?
  awk -v rc="$rc" 'END { printf "%s %.2f %s %s\n", $1, $2 + $3, $4, rc }' "$work/tv.txt"
}
# median CMD...: median wall, median CPU and the largest RSS of RUNS runs (PREP, if set, runs
# before each one)
median() {
  local i runs_file=$work/runs.txt
  : > "$runs_file"
  for ((i = 0; i < runs; i++)); do
    [ -n "${PREP:-}" ] && eval "$PREP"
    once "$@" >> "$runs_file"
  done
  mid() { cut -d' ' -f"$1" "$runs_file" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  echo "$(mid 1) $(mid 2) $(cut -d' ' -f3 "$runs_file" | sort -n | tail -1)"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
events_of() { "$report" sql "SELECT allocations + frees FROM totals" --format csv "$1" | tail -1; }
reports_max() { # slowest report on the ingested database
  local worst=0 r t
  for r in summary leaks hotspots peak timeline flamegraph "export --callgrind"; do
    read -r t _ _ _ < <(once "$report" $r "$1")
    worst=$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a) ? b : a }')
  done
  echo "$worst"
}

echo "### Ingest + summary against heaptrack_print"
echo
echo "| workload | events | trace | memtrace-report ingest+summary (wall / CPU) | RSS | reports on the db (slowest) | heaptrack_print (wall / CPU) | RSS | heaptrack allocations |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  name=${w%%|*} cmd=${w#*|}
  [[ $name =~ $only ]] || continue
  # eval: the tools run the program itself (a shell in between would hide it from heaptrack)
  ( cd "$work" && eval "\"$memtrace\" -q -o \"$work/t.mt\" $cmd" > /dev/null 2>&1 )
  trace=$work/t.mt
  [ -f "$trace" ] || { echo "| $name | recording failed |"; continue; }
  read -r mt_wall mt_cpu mt_rss < <(PREP="rm -f '$trace.db'" median "$report" --no-progress summary "$trace")
  worst=$(reports_max "$trace")
  ht="-" ht_rss=0 ht_allocs="-"
  if [ "$have_heaptrack" = 1 ]; then
    rm -f "$work"/ht.*
    ( cd "$work" && eval "timeout $ht_timeout heaptrack -o \"$work/ht\" $cmd" > /dev/null 2>&1 )
    htfile=$(ls "$work"/ht.* 2> /dev/null | head -1)
    if [ -n "$htfile" ]; then
      read -r ht_wall ht_cpu ht_rss < <(median heaptrack_print "$htfile")
      ht="$ht_wall s / $ht_cpu s"
      ht_allocs=$(heaptrack_print "$htfile" 2> /dev/null | sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p' | tail -1)
    else
      ht="no trace"
    fi
  fi
  echo "| $name | $(events_of "$trace") | $(stat -c %s "$trace" | awk '{ printf "%.1f MB", $1 / 1e6 }') | $mt_wall s / $mt_cpu s | $(mib "$mt_rss") | $worst s | $ht | $(mib "$ht_rss") | $ht_allocs |"
  rm -f "$work"/t.mt* "$work"/ht.*
done

if [ "$storm_events" -gt 0 ] && [[ "big storm" =~ $only ]]; then
  echo
  echo "### alloc_storm $storm_events (one thread)"
  echo
  ( cd "$work" && "$memtrace" -q -o "$work/big.mt" "$work/alloc_storm" "$storm_events" 1 24 0 > /dev/null 2>&1 )
  read -r wall cpu rss _ < <(once "$report" --no-progress summary "$work/big.mt")
  echo "| events | trace | ingest+summary (wall / CPU) | peak RSS | reports on the db (slowest) |"
  echo "|---|---|---|---|---|"
  echo "| $(events_of "$work/big.mt") | $(stat -c %s "$work/big.mt" | awk '{ printf "%.0f MB", $1 / 1e6 }') | $wall s / $cpu s | $(mib "$rss") | $(reports_max "$work/big.mt") s |"
fi
