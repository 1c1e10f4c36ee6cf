#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Recorder benchmark: wall and CPU time (hyperfine, median of RUNS rounds) and peak RSS (/usr/bin/time -v) of
# native, memtrace and heaptrack side by side on alloc_storm and three real programs, plus the
# trace bytes per event. Prints a markdown table. Not a test: run it by hand on a quiet machine.
# usage: bench/recorder.sh [BUILD_DIR]   (default: build; needs BUILD_DIR/bin/memtrace)
# env: RUNS (5), HEAPTRACK_TIMEOUT (seconds, 150), ONLY (regex of workload names to run)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || exit 2
memtrace=$build/bin/memtrace
runs=${RUNS:-5}
ht_timeout=${HEAPTRACK_TIMEOUT:-150}
only=${ONLY:-.}
[ -x "$memtrace" ] || { echo "recorder.sh: no $memtrace; build first" >&2; exit 2; }
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "recorder.sh: $tool missing (scripts/setup.sh --bench)" >&2; exit 2; }
done
have_heaptrack=1
command -v heaptrack > /dev/null || have_heaptrack=0

work=$(mktemp -d "${TMPDIR:-/tmp}/memtrace-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
storm_src=$root/../shared/bench/alloc_storm.c
cc -O2 -g -pthread -o "$work/alloc_storm" "$storm_src" || { echo "recorder.sh: cannot build $storm_src" >&2; exit 2; }
python=$(command -v /usr/bin/python3 || command -v python3)

# name | command (run from $work)
workloads=(
  "alloc_storm 2M, 1 thread|$work/alloc_storm 2000000 1 24 0"
  "alloc_storm 2M, 2 threads|$work/alloc_storm 1000000 2 24 0"
  "alloc_storm 2M, 1 thread, realloc|$work/alloc_storm 2000000 1 24 1"
  "alloc_storm 2M, 2 threads, realloc|$work/alloc_storm 1000000 2 24 1"
  "clang++ -fsyntax-only STL|clang++ -std=c++17 -fsyntax-only $root/bench/stl_includes.cpp"
  "sqlite3 200k rows|sqlite3 :memory: < $root/bench/sqlite_workload.sql"
  "python3 json 60k|$python $root/bench/json_roundtrip.py"
)

# side_by_side CMD...: median wall seconds of each command over $runs rounds, then median CPU
# seconds (user + system, all processes) of each, then for each command after the first the
# median over the rounds of its wall time over the first's in the same round, then the same
# for CPU time, then the middle half of those wall ratios (their quartiles, "lo-hi"); on one
# line. Every round runs each command once, one after the other, so a burst of load on the
# machine hits all alike, and the per-round ratios cancel the drift of the machine's speed
# between rounds (up to a third within an hour on the development machine). The order
# rotates from round to round, so that no command always runs after the same one. Round 0
# warms the caches and is dropped.
side_by_side() {
  rm -f "$work"/round.*.json
  local cmds=("$@") k=$#
  for r in $(seq 0 "$runs"); do
    local order=()
    for i in $(seq 0 $((k - 1))); do order+=("${cmds[$(( (i + r) % k ))]}"); done
    hyperfine --style none --runs 1 --export-json "$work/round.$r.json" "${order[@]}" > /dev/null 2>&1 || {
      for _ in "$@" "$@" "${@:2}" "${@:2}" "${@:2}"; do printf -- '- '; done; echo; return; }
  done
  "$python" - "$runs" "$work" "$@" <<'PY'
import json, statistics, sys
runs, work, cmds = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def in_order(results):  # this round's results in the order of cmds
    by_command = {x["command"]: x for x in results}
    return [by_command[c] for c in cmds]
res = [in_order(json.load(open("%s/round.%d.json" % (work, r)))["results"]) for r in range(1, runs + 1)]
wall = [[x["mean"] for x in rr] for rr in res]
cpu = [[x["user"] + x["system"] for x in rr] for rr in res]
def ratios(rows):
    return [statistics.median(r[i] / r[0] for r in rows) for i in range(1, len(rows[0]))]
def middle_half(rows):  # quartiles of the per-round ratios: how far one round can land
    out = []
    for i in range(1, len(rows[0])):
        each = [r[i] / r[0] for r in rows]
        q = statistics.quantiles(each, n=4, method="inclusive") if len(each) > 1 else [each[0]] * 3
        out.append("%.2fx-%.2fx" % (q[0], q[2]))
    return out
print(" ".join("%.3f" % statistics.median(col) for col in list(zip(*wall)) + list(zip(*cpu))),
      " ".join("%.2fx" % x for x in ratios(wall) + ratios(cpu)), " ".join(middle_half(wall)))
PY
}
# one run under /usr/bin/time -v: prints "wall_s maxrss_kb exit"
probe() {
  local t=$1; shift
  ( cd "$work" && timeout "$t" /usr/bin/time -v -o "$work/tv.txt" bash -c "$*" > /dev/null 2> "$work/probe.err" )
  local rc=$?
  local wall rss
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/tv.txt" 2> /dev/null)
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/tv.txt" 2> /dev/null |
         awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  echo "${wall:-0} ${rss:-0} $rc"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
size_of() { stat -c %s "$@" 2> /dev/null | awk '{ s += $1 } END { print s + 0 }'; }

echo "| workload | events | native | memtrace | heaptrack | native RSS | memtrace RSS | heaptrack RSS | memtrace B/event | heaptrack B/event |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  label=${w%%|*}
  cmd=${w#*|}
  [[ $label =~ $only ]] || continue
  rm -f "$work"/*.mt "$work"/heaptrack.*

  read -r _ n_rss _ < <(probe 600 "$cmd")
  read -r _ m_rss _ < <(probe 600 "$memtrace -o $work/probe.%p.mt $cmd")
  events=$(sed -n 's/^memtrace: \([0-9]*\) allocations, \([0-9]*\) frees.*/\1 \2/p' "$work/probe.err" |
           awk '{ s += $1 + $2 } END { print s + 0 }')
  m_bytes=$(size_of "$work"/probe.*.mt)

  native_cmd="cd $work && $cmd > /dev/null"
  mt_cmd="cd $work && $memtrace -q -o $work/bench.%p.mt $cmd > /dev/null; rm -f $work/bench.*.mt"
  ht_cmd="cd $work && heaptrack -o $work/heaptrack.bench $cmd > /dev/null; rm -f $work/heaptrack.bench*"
  h_cell="-"; h_rss_cell="-"; h_bpe="-"; ht_ok=0
  if [ $have_heaptrack = 1 ]; then
    read -r h_wall h_rss h_rc < <(probe "$ht_timeout" "heaptrack -o $work/heaptrack.probe $cmd")
    h_file=$(ls "$work"/heaptrack.probe* 2> /dev/null | head -1)
    if [ "$h_rc" = 124 ]; then
      h_cell="timeout (>${ht_timeout} s)"
    elif [ "$h_rc" != 0 ] || grep -q "bad_alloc\|Aborted\|terminate called" "$work/probe.err"; then
      why=$(grep -o "bad_alloc\|Segmentation fault\|Aborted" "$work/probe.err" | head -1)
      h_cell="crashed after ${h_wall} s${why:+ ($why)}"
    else
      ht_ok=1
      h_rss_cell=$(mib "$h_rss")
      [ -n "$h_file" ] && [ "$events" -gt 0 ] && h_bpe=$(awk -v b="$(size_of "$h_file")" -v e="$events" 'BEGIN { printf "%.2f", b / e }')
    fi
  fi
  # heaptrack joins the rounds when one run is short; otherwise its single probe run counts
  if [ $ht_ok = 1 ] && awk -v w="$h_wall" 'BEGIN { exit !(w < 20) }'; then
    read -r n_wall m_wall h_wall n_cpu m_cpu h_cpu m_ratio h_ratio m_cpu_ratio h_cpu_ratio m_half h_half \
      < <(side_by_side "$native_cmd" "$mt_cmd" "$ht_cmd")
    h_cell="$h_wall s ($h_ratio, middle half $h_half; cpu $h_cpu_ratio)"
  else
    read -r n_wall m_wall n_cpu m_cpu m_ratio m_cpu_ratio m_half < <(side_by_side "$native_cmd" "$mt_cmd")
    [ $ht_ok = 1 ] && h_cell="$h_wall s ($(ratio "$h_wall" "$n_wall"), 1 run)"
  fi
  m_bpe="-"
  [ "$events" -gt 0 ] && m_bpe=$(awk -v b="$m_bytes" -v e="$events" 'BEGIN { printf "%.2f", b / e }')
  echo "| $label | $events | $n_wall s | $m_wall s ($m_ratio, middle half $m_half; cpu $m_cpu_ratio) | $h_cell | $(mib "$n_rss") | $(mib "$m_rss") | $h_rss_cell | $m_bpe | $h_bpe |"
done
echo
echo "Wall: median of $runs rounds, each running native, memtrace and heaptrack once, in an order that"
echo "rotates (hyperfine, one warm-up round; heaptrack runs over 20 s are measured once). Ratios:"
echo "median over the rounds of the tool's time over native's in the same round; middle half: the"
echo "quartiles of those per-round ratios (half the rounds land between them). Load average at the"
echo "end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "cpu: the same ratio for user + system CPU seconds of all processes (less sensitive to load)."
echo "RSS: maximum resident set of the largest process (/usr/bin/time -v), one run."
echo "Events: allocations + frees of all traced processes, from memtrace's summary."
