#!/bin/sh
# SPDX-License-Identifier: MIT
# Analyzer test cases, one shell function per ctest test: each generates its traces with
# gen_trace (exactly known content), runs memtrace-report and compares exact output.
# usage: cases.sh REPORT_BIN GEN_BIN WORKDIR CASE
set -u
R=$1 G=$2 W=$3 CASE=$4
SRC=$(cd "$(dirname "$0")" && pwd)
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

. "$SRC/../lib/cases.sh"

case_summary_json_exact_figures() {
  gen basic basic.mt
  run_status 0 "$R" summary --format json basic.mt
  expect summary "$(cat "$SRC/expected/basic_summary.json")" "$(cat out)"
}

case_summary_text_and_csv() {
  gen basic basic.mt
  run_status 0 "$R" summary --format csv basic.mt
  expect csv "program,pid,exit_status,allocations,frees,bytes_allocated,peak_heap_bytes,peak_rss_bytes,leaked_bytes,leaked_blocks,temporary_allocations,mmap_bytes,definitely_lost_bytes,definitely_lost_blocks,indirectly_lost_bytes,indirectly_lost_blocks,possibly_lost_bytes,possibly_lost_blocks,reachable_bytes,reachable_blocks
/usr/bin/basic,100,3,8,4,2065,1150,3145728,1065,4,2,4096,,,,,,,," "$(cat out)"
  run_status 0 "$R" summary basic.mt
  grep -q '^  peak heap  *1.12 KiB$' out || fail "text summary: $(cat out)"
}

case_stack_stats_exact_per_stack() {
  gen basic basic.mt
  run_status 0 "$R" sql "SELECT stack_id, allocations, bytes_allocated, temporary_allocations, leaked_blocks, leaked_bytes, peak_blocks, peak_bytes FROM stack_stats ORDER BY stack_id" --format csv basic.mt
  expect stack_stats "stack_id,allocations,bytes_allocated,temporary_allocations,leaked_blocks,leaked_bytes,peak_blocks,peak_bytes
2,2,500,1,0,0,1,100
3,2,500,1,0,0,0,0
4,2,1050,0,2,1050,2,1050
5,2,15,0,2,15,0,0" "$(cat out)"
}

case_totals_peak_seq_and_mmap() {
  gen basic basic.mt
  run_status 0 "$R" sql "SELECT peak_heap_bytes, peak_heap_seq, mmap_allocations, mmap_bytes, unmatched_frees FROM totals" --format csv basic.mt
  expect totals "peak_heap_bytes,peak_heap_seq,mmap_allocations,mmap_bytes,unmatched_frees
1150,12,1,4096,0" "$(cat out)"
}

case_munmap_cuts_any_part_of_mappings() {
  gen maps maps.mt
  run_status 0 "$R" sql "SELECT mmap_allocations, mmap_bytes, unmatched_frees FROM totals" --format csv maps.mt
  expect totals "mmap_allocations,mmap_bytes,unmatched_frees
2,24576,1" "$(cat out)"
  run_status 0 "$R" sql "SELECT printf('0x%x', address) AS address, size, stack_id FROM leaks WHERE class = 'mmap' ORDER BY address" --format csv maps.mt
  expect pieces "address,size,stack_id
0x100000,8192,2
0x104000,4096,2
0x109000,12288,3" "$(cat out)"
}

case_symbols_resolve_function_file_line() {
  gen basic basic.mt
  run_status 0 "$R" sql "SELECT DISTINCT function FROM frames WHERE resolved = 1 ORDER BY function" --format csv basic.mt
  expect functions "function
site_alpha
site_beta
site_gamma
site_main
site_parse_config" "$(cat out)"
  run_status 0 "$R" sql "SELECT count(*) FROM frames WHERE file LIKE '%gen_trace.c' AND line > 0" --format csv basic.mt
  expect lines "count(*)
5" "$(cat out)"
}

case_leaks_grouped_largest_first() {
  gen basic basic.mt
  run_status 0 "$R" leaks --format csv basic.mt
  sed -e "s|$SRC/||g" -e 's/:[0-9]*)/:LINE)/g' out >leaks.csv
  expect leaks "$(cat "$SRC/expected/basic_leaks.csv")" "$(cat leaks.csv)"
}

case_threads_free_before_alloc_in_file() {
  gen threads threads.mt
  run_status 0 "$R" sql "SELECT allocations, frees, peak_heap_bytes, peak_heap_seq, leaked_bytes, leaked_blocks, unmatched_frees FROM totals" --format csv threads.mt
  expect threads "allocations,frees,peak_heap_bytes,peak_heap_seq,leaked_bytes,leaked_blocks,unmatched_frees
4,2,700,6,600,2,0" "$(cat out)"
  run_status 0 "$R" sql "SELECT reorder_late FROM traces" --format csv threads.mt
  expect late "reorder_late
0" "$(cat out)"
}

case_partial_trace_warns_exit_0() {
  gen noend noend.mt
  run_status 0 "$R" summary --format json noend.mt
  grep -q "warning: noend.mt: .*no end record" err || fail "warning: $(cat err)"
  grep -q '"allocations": 2,' out || fail "figures: $(cat out)"
  grep -q '"exit_status": null,' out || fail "exit status: $(cat out)"
  # the warning is repeated when the database is reused
  run_status 0 "$R" summary noend.mt
  grep -q "warning: noend.mt" err || fail "warning on reuse: $(cat err)"
}

case_truncated_trace_warns_exit_0() {
  gen basic basic.mt
  size=$(wc -c <basic.mt)
  head -c $((size - 5)) basic.mt >cut.mt
  run_status 0 "$R" summary --format json cut.mt
  grep -q "warning: cut.mt: trace truncated at offset" err || fail "warning: $(cat err)"
  [ "$(wc -l <err)" = 1 ] || fail "one line on stderr: $(cat err)"
}

case_garbage_input_exit_2() {
  printf 'this is not a trace at all, just some text\n' >junk.mt
  run_status 2 "$R" summary junk.mt
  grep -q "junk.mt: .*bad magic" err || fail "message: $(cat err)"
  [ "$(wc -l <err)" = 1 ] || fail "one line on stderr: $(cat err)"
  [ ! -e junk.mt.db ] || fail "a database was left next to the junk"
  : >empty.mt
  run_status 2 "$R" leaks empty.mt
  [ ! -e empty.mt.db ] || fail "a database was left next to the empty file"
  gen basic basic.mt
  run_status 2 "$R" ingest --db run.db basic.mt junk.mt
  [ ! -e run.db ] || fail "a failed ingest left its new database"
}

case_damaged_frame_exit_2_with_offset() {
  gen basic basic.mt
  # flip a byte in the middle of the first frame (after the 24-byte header)
  python3 -c "import sys; d=bytearray(open('basic.mt','rb').read()); d[60]^=0xff; open('bad.mt','wb').write(d)"
  run_status 2 "$R" summary bad.mt
  grep -q "offset" err || fail "message: $(cat err)"
}

case_damaged_later_frame_reports_what_was_read_exit_2() {
  gen basic basic.mt
  size=$(wc -c <basic.mt)
  # flip a byte in the middle of the last frame: the first frame (up to marker phase2) is read
  python3 -c "import sys; d=bytearray(open('basic.mt','rb').read()); d[$size - 40]^=0xff; open('bad.mt','wb').write(d)"
  run_status 2 "$R" summary --format csv bad.mt
  grep -q "error: bad.mt: .*offset [0-9]*.*; reporting what was read before it" err || fail "message: $(cat err)"
  grep -q '^/usr/bin/basic,100,,4,2,1000,800,1048576,500,2,1,0,,,,,,,,$' out || fail "partial figures: $(cat out)"
}

case_missing_file_exit_2() {
  run_status 2 "$R" summary does-not-exist.mt
  expect missing "memtrace-report: does-not-exist.mt: No such file or directory" "$(cat err)"
}

case_unwritable_db_exit_2() {
  gen basic basic.mt
  run_status 2 "$R" summary --db /nonexistent-dir/x.db basic.mt
  grep -q "cannot open database /nonexistent-dir/x.db" err || fail "message: $(cat err)"
  # an up-to-date cache that this user may not write (another user's) still serves reports
  run_status 0 "$R" summary --format csv basic.mt
  cp out summary.csv
  chmod 444 basic.mt.db
  if [ "$(id -u)" = 0 ]; then # root writes anyway: be somebody else
    command -v setpriv >/dev/null || return 0
    chmod 755 . && chmod 644 basic.mt
    as_other="setpriv --reuid=65534 --regid=65534 --clear-groups"
    $as_other test -r "$PWD/basic.mt" || return 0 # a checkout under a private directory
  else
    chmod 555 .
    as_other=
  fi
  $as_other "$R" summary --format csv "$PWD/basic.mt" >out 2>err || fail "read-only cache: $(cat err)"
  chmod 755 .
  expect "summary from a read-only cache" "$(cat summary.csv)" "$(cat out)"
}

# Output that cannot be written (a full disk, a closed stdout) is an error with a message.
case_unwritable_output_exit_2() {
  gen basic basic.mt
  for report in summary leaks "flamegraph --svg" "export --callgrind"; do
    rc=0
    # shellcheck disable=SC2086
    "$R" $report basic.mt >/dev/full 2>err || rc=$?
    [ "$rc" = 2 ] || fail "$report to a full disk: exit $rc"
    grep -qx 'memtrace-report: writing output: No space left on device' err ||
      fail "$report to a full disk: $(cat err)"
  done
  rc=0
  "$R" summary basic.mt >&- 2>err || rc=$?
  [ "$rc" = 2 ] && grep -q '^memtrace-report: writing output: ' err || fail "closed stdout: $rc $(cat err)"
}

# sql runs one read-only statement: writes, ATTACH (which would create a file) and a second
# statement are refused with exit 2, and the database is left as it was.
case_sql_one_read_only_statement() {
  gen basic basic.mt
  # without a query: the database's path alone, for sqlite3 "$(memtrace-report sql TRACE)"
  run_status 0 "$R" sql basic.mt
  expect "database path" "basic.mt.db" "$(cat out)"
  run_status 0 "$R" sql --format json basic.mt
  expect "database path in json" '{
  "database": "basic.mt.db"
}' "$(cat out)"
  run_status 2 "$R" sql "DELETE FROM processes" basic.mt
  grep -q 'only read-only queries are allowed' err || fail "delete: $(cat err)"
  run_status 2 "$R" sql "ATTACH '$W/other.db' AS o" basic.mt
  grep -q 'ATTACH and DETACH are not allowed' err || fail "attach: $(cat err)"
  [ ! -e "$W/other.db" ] || fail "ATTACH created a file"
  run_status 2 "$R" sql "SELECT 1; DELETE FROM processes" basic.mt
  grep -q 'one statement at a time' err || fail "two statements: $(cat err)"
  run_status 0 "$R" sql "SELECT count(*) AS n FROM processes; -- one process" --format csv basic.mt
  expect "processes left" "n
1" "$(cat out)"
  # values JSON and CSV cannot hold as they are: infinity is null, blobs are X'..' literals
  run_status 0 "$R" sql "SELECT 1e308 * 10 AS big, x'00ff41' AS b" --format csv basic.mt
  expect "blob csv" "big,b
inf,X'00FF41'" "$(cat out)"
  run_status 0 "$R" sql "SELECT 1e308 * 10 AS big, x'00ff41' AS b" --format json basic.mt
  python3 -c "import json,sys; d=json.load(open('out')); assert d['rows'] == [{'big': None, 'b': \"X'00FF41'\"}], d" ||
    fail "sql json: $(cat out)"
}

case_bad_options_exit_2() {
  gen basic basic.mt
  run_status 2 "$R" summary --format xml basic.mt
  grep -q "unknown format 'xml'" err || fail "format: $(cat err)"
  run_status 2 "$R" summary --top many basic.mt
  run_status 2 "$R" summary --frobnicate basic.mt
  grep -q "unknown option '--frobnicate'" err || fail "option: $(cat err)"
  run_status 2 "$R" nosuchreport basic.mt
  run_status 2 "$R" summary
  run_status 2 "$R" diff basic.mt
  run_status 2 "$R" summary --process 999 basic.mt
  grep -q "no process with pid 999" err || fail "pid: $(cat err)"
  # an option of another report is an error, not silently without effect
  run_status 2 "$R" summary --svg basic.mt
  grep -q "^memtrace-report: --svg is not an option of summary (only of flamegraph)" err || fail "svg: $(cat err)"
  run_status 2 "$R" leaks --by bytes basic.mt
  grep -q "^memtrace-report: --by is not an option of leaks (only of hotspots, diff, flamegraph)" err ||
    fail "by: $(cat err)"
  run_status 2 "$R" summary --max-leaked 0 basic.mt
  grep -q "budgets are options of check, not of summary" err || fail "budget: $(cat err)"
  run_status 0 "$R" hotspots --by bytes basic.mt
}

case_db_reused_while_trace_unchanged() {
  gen basic basic.mt
  run_status 0 "$R" ingest basic.mt
  expect path "basic.mt.db" "$(cat out)"
  "$R" sql "UPDATE totals SET allocations = 1" basic.mt >/dev/null 2>&1 && fail "sql must refuse writes"
  sqlite3 basic.mt.db "UPDATE totals SET allocations = 12345"
  run_status 0 "$R" sql "SELECT allocations FROM totals" --format csv basic.mt
  expect reused "allocations
12345" "$(cat out)"
  touch -d '2001-01-01' basic.mt
  run_status 0 "$R" sql "SELECT allocations FROM totals" --format csv basic.mt
  expect reingested "allocations
8" "$(cat out)"
}

case_concurrent_reports_ingest_once() {
  gen storm 2000000 storm.mt
  for i in 1 2 3 4; do "$R" --no-progress summary --format csv storm.mt >out.$i 2>err.$i & done
  wait
  for i in 1 2 3 4; do
    [ -s out.$i ] && [ ! -s err.$i ] || fail "report $i: $(cat err.$i)"
    cmp -s out.1 out.$i || fail "report $i differs"
  done
  run_status 0 "$R" sql "SELECT count(*) FROM traces" --format csv storm.mt
  expect traces "count(*)
1" "$(cat out)"
  # the second report opening the cache while the first creates its schema: neither fails,
  # and the cache stays (it read half a schema as another version and deleted it, 1-3%)
  gen basic basic.mt
  for round in $(seq 40); do
    rm -f basic.mt.db basic.mt.db-journal
    "$R" summary basic.mt >a.out 2>a.err & first=$!
    "$R" summary basic.mt >b.out 2>b.err || fail "round $round: $(cat b.err)"
    wait $first || fail "round $round: $(cat a.err)"
    [ -f basic.mt.db ] || fail "round $round: the cache database is gone"
  done
}

# Reports load stack nodes from stack_packs; without them, or with a damaged one, from
# stack_runs; right after ingest, from ingest's own copy: the same leaks and hotspots each
# way. The stacks view gives every node.
case_stack_packs_and_stack_runs_agree() {
  gen basic basic.mt
  run_status 0 "$R" leaks --format csv basic.mt && cp out leaks.ingested
  rm basic.mt.db
  run_status 0 "$R" hotspots --format csv basic.mt && cp out hot.ingested
  run_status 0 "$R" sql "SELECT count(*), sum(nodes) FROM stack_packs" --format csv basic.mt
  expect packs "count(*),sum(nodes)
1,5" "$(cat out)"
  expect runs "1|2|0|0,$(( $(sqlite3 basic.mt.db "SELECT ip FROM stacks WHERE id = 2") - $(sqlite3 basic.mt.db "SELECT ip FROM stacks WHERE id = 1") ))
3|3|1|0
4|4|1|0
5|5|1|0" "$(sqlite3 basic.mt.db "SELECT first_id, last_id, parent, trim(ip_offsets, '[]') FROM stack_runs")"
  expect view "1|0
2|1
3|1
4|1
5|1" "$(sqlite3 basic.mt.db "SELECT id, parent FROM stacks ORDER BY id")"
  expect view_join "4|4" "$(sqlite3 basic.mt.db "SELECT count(*), count(DISTINCT t.ip) FROM stack_stats s
    JOIN stacks t ON t.process_id = s.process_id AND t.id = s.stack_id")"
  expect leaf_frames "2|site_alpha
3|site_beta
4|site_gamma
5|site_parse_config" "$(sqlite3 basic.mt.db "SELECT stack_id, function FROM leaf_frames ORDER BY stack_id")"
  run_status 0 "$R" leaks --format csv basic.mt && cp out leaks.packed
  run_status 0 "$R" hotspots --format csv basic.mt && cp out hot.packed
  expect leaks_just_ingested "$(cat leaks.packed)" "$(cat leaks.ingested)"
  expect hotspots_just_ingested "$(cat hot.packed)" "$(cat hot.ingested)"
  sqlite3 basic.mt.db "UPDATE stack_packs SET data = substr(data, 1, 4)"
  run_status 0 "$R" leaks --format csv basic.mt
  expect leaks_damaged_pack "$(cat leaks.packed)" "$(cat out)"
  sqlite3 basic.mt.db "DELETE FROM stack_packs"
  run_status 0 "$R" leaks --format csv basic.mt
  expect leaks_stack_runs "$(cat leaks.packed)" "$(cat out)"
  run_status 0 "$R" hotspots --format csv basic.mt
  expect hotspots_stack_runs "$(cat hot.packed)" "$(cat out)"
  sqlite3 basic.mt.db "UPDATE stack_runs SET ip_offsets = '[0,x]' WHERE first_id = 1"
  run_status 2 "$R" hotspots --format csv basic.mt
  expect damaged_run "memtrace-report: damaged stack_runs row 1: entry 1 of ip_offsets is not an integer" "$(cat err)"
  # reports that walk few stacks (peak) and the massif export say so too
  run_status 2 "$R" peak --format csv basic.mt
  expect damaged_run_peak "memtrace-report: damaged stack_runs row 1: entry 1 of ip_offsets is not an integer" "$(cat err)"
  run_status 2 "$R" export --massif basic.mt
  expect damaged_run_massif "memtrace-report: damaged stack_runs row 1: entry 1 of ip_offsets is not an integer" "$(cat err)"
}

case_schema_version_mismatch_message() {
  gen basic basic.mt
  run_status 0 "$R" ingest --db x.db basic.mt
  sqlite3 x.db "PRAGMA user_version = 99"
  run_status 2 "$R" summary x.db
  grep -q "x.db has database schema version 99, this memtrace-report reads version 4" err || fail "$(cat err)"
}

# The database next to a trace is a cache: one of another schema version is made anew. A
# database that memtrace-report did not make is left alone.
case_cache_db_of_other_version_rebuilt() {
  gen basic basic.mt
  run_status 0 "$R" summary --format csv basic.mt && cp out first.csv
  sqlite3 basic.mt.db "PRAGMA user_version = 3; DROP VIEW stacks; DROP TABLE stack_runs"
  run_status 0 "$R" summary --format csv basic.mt
  expect same_summary "$(cat first.csv)" "$(cat out)"
  expect version 4 "$(sqlite3 basic.mt.db 'PRAGMA user_version')"
  expect runs 4 "$(sqlite3 basic.mt.db 'SELECT count(*) FROM stack_runs')"
  rm basic.mt.db
  sqlite3 basic.mt.db "CREATE TABLE mine(x); INSERT INTO mine VALUES(42)"
  run_status 2 "$R" summary basic.mt
  grep -q "basic.mt.db has database schema version 0, this memtrace-report reads version 4" err || fail "$(cat err)"
  expect untouched 42 "$(sqlite3 basic.mt.db 'SELECT x FROM mine')"
}

case_fork_child_linked_in_one_db() {
  gen basic basic.mt
  gen child "$W/basic.mt" child.mt
  run_status 0 "$R" ingest --db run.db basic.mt child.mt
  run_status 0 "$R" sql "SELECT p.pid, p.origin, q.pid AS parent_pid FROM processes p LEFT JOIN processes q ON q.id = p.parent_id ORDER BY p.pid" --format csv run.db
  expect processes "pid,origin,parent_pid
100,launch,
101,fork,100" "$(cat out)"
  run_status 0 "$R" summary --process 101 --format csv run.db
  grep -q '^/usr/bin/basic,101,3,1,0,77,77,0,77,1,0,0,,,,,,,,$' out || fail "child summary: $(cat out)"
  # --db alone names the database ingest printed, for reports and for sql
  run_status 0 "$R" summary --process 101 --format csv --db run.db
  grep -q '^/usr/bin/basic,101,3,1,0,77,77,0,77,1,0,0,,,,,,,,$' out || fail "--db summary: $(cat out)"
  run_status 0 "$R" sql "SELECT count(*) AS n FROM processes" --format csv --db run.db
  expect "sql --db" "n
2" "$(cat out)"
  run_status 2 "$R" leaks --db missing.db
  # the text summary says the database holds more than the process it shows
  run_status 0 "$R" summary run.db
  grep -qx '  this database holds 2 processes; pick one with --process PID, list them with:' out ||
    fail "summary note: $(cat out)"
  grep -qxF '  memtrace-report sql "SELECT pid, ppid, program FROM processes" --db run.db' out ||
    fail "summary note command: $(cat out)"
}

case_fork_children_found_next_to_parent() {
  gen forker parent.mt
  gen child "$W/parent.mt" parent.mt.101
  gen basic unrelated.mt
  run_status 0 "$R" summary --process 101 --format csv parent.mt
  grep -q '^/usr/bin/basic,101,3,1,0,77,' out || fail "child summary: $(cat out)"
  run_status 0 "$R" sql "SELECT pid, parent_id FROM processes ORDER BY pid" --format csv parent.mt
  expect processes "pid,parent_id
100,
101,1" "$(cat out)"
}

case_suppressions_lsan_syntax() {
  gen basic basic.mt
  printf '# comment\nleak:site_parse_*\nthread:ignored\n' >supp.txt
  run_status 0 "$R" summary --suppressions supp.txt --format json basic.mt
  grep -q '"leaked_bytes": 1050,' out || fail "$(cat out)"
  grep -q '"leaked_blocks": 2,' out || fail "$(cat out)"
  run_status 0 "$R" leaks --suppressions supp.txt --format csv basic.mt
  sed "s|$SRC/||g" out >leaks.csv
  grep -q '^15,2,heap,,5,site_parse_config (gen_trace.c:[0-9]*),leak:site_parse_\*$' leaks.csv || fail "suppressed row: $(cat out)"
  # the reports weighed by leaked bytes leave the suppressed stack out too
  run_status 0 "$R" hotspots --by leaked --suppressions supp.txt --format csv basic.mt
  expect "hotspots by leaked" "inclusive,self,function
1050,1050,site_gamma
1050,0,site_main" "$(cut -d, -f1-3 out)"
  run_status 0 "$R" flamegraph --by leaked --suppressions supp.txt basic.mt
  expect "flamegraph by leaked" "site_main;site_gamma 1050" "$(cat out)"
  run_status 0 "$R" diff --suppressions supp.txt --format csv basic.mt basic.mt
  grep -qx 'leaked_bytes,1050,1050,0' out || fail "diff leaked: $(cat out)"
  printf 'leak\n' >bad.txt
  run_status 2 "$R" summary --suppressions bad.txt basic.mt
  expect bad "memtrace-report: bad.txt:1: expected TYPE:PATTERN, e.g. leak:parse_*" "$(cat err)"
}

case_exclude_function_and_module() {
  gen basic basic.mt
  run_status 0 "$R" summary --exclude-function 'site_gam*' --format json basic.mt
  grep -q '"leaked_bytes": 15,' out || fail "$(cat out)"
  run_status 0 "$R" summary --exclude-module gen_trace --format json basic.mt
  grep -q '"leaked_bytes": 0,' out || fail "$(cat out)"
}

# Text output never passes control characters to the terminal; JSON keeps the label as is.
case_text_output_escapes_control_characters() {
  gen labels labels.mt
  run_status 0 "$R" timeline labels.mt
  grep -q 'two?lines?\[31m' out || fail "label in text: $(cat out)"
  ! LC_ALL=C grep -q "$(printf '\033')" out || fail "an escape sequence reached the text output"
  run_status 0 "$R" timeline --format json labels.mt
  grep -qF '"two\nlines\u001b[31m"' out || fail "label in json: $(cat out)"
}

case_between_markers() {
  gen basic basic.mt
  run_status 0 "$R" summary --between phase2 phase3 --format json basic.mt
  expect between "$(cat "$SRC/expected/basic_between.json")" "$(cat out)"
  run_status 2 "$R" summary --between phase2 nosuch basic.mt
  grep -q "no marker 'nosuch'" err || fail "$(cat err)"
  # the same range by sequence numbers, and by time (event n happens at 1000 * n ns here)
  run_status 0 "$R" summary --between seq:10 seq:17 --format json basic.mt
  expect between_seq "$(cat "$SRC/expected/basic_between.json")" "$(cat out)"
  run_status 0 "$R" summary --between time:9us time:16000ns --format json basic.mt
  expect between_time "$(cat "$SRC/expected/basic_between.json")" "$(cat out)"
  run_status 2 "$R" summary --between time:9 seq:17 basic.mt
  grep -q "give a unit" err || fail "$(cat err)"
  # bounds past the last event, even past 2^64, mean the end of the run (they wrapped to 0)
  run_status 0 "$R" summary --format csv basic.mt
  whole=$(cat out)
  for end in seq:18446744073709551615 seq:99999999999999999999999 time:30000000000s time:1e400s; do
    run_status 0 "$R" summary --between time:0 "$end" --format csv basic.mt
    expect "range to $end" "$whole" "$(cat out)"
  done
  run_status 2 "$R" summary --between seq:-1 seq:5 basic.mt
  grep -q "seq:N takes a whole number" err || fail "$(cat err)"
}

case_custom_blocks_share_heap_address() {
  gen pool pool.mt
  run_status 0 "$R" sql "SELECT allocations, frees, leaked_bytes, custom_allocations, custom_bytes, unmatched_frees FROM totals" --format csv pool.mt
  expect pool "allocations,frees,leaked_bytes,custom_allocations,custom_bytes,unmatched_frees
1,1,0,2,64,0" "$(cat out)"
}

case_symbols_from_sysroot_and_debug_path() {
  gen basic basic.mt
  exe=$("$R" sql "SELECT path FROM modules" --format csv basic.mt | tail -1)
  bid=$("$R" sql "SELECT build_id FROM modules" --format csv basic.mt | tail -1)
  mkdir -p "root$(dirname "$exe")" && cp "$exe" "root$exe"
  run_status 0 "$R" --reingest --sysroot "$W/root" sql "SELECT debug_file FROM modules" --format csv basic.mt
  expect sysroot "$W/root$exe" "$(tail -1 out)"
  dir=dbg/.build-id/$(echo "$bid" | cut -c1-2)
  mkdir -p "$dir" && cp "$exe" "$dir/$(echo "$bid" | cut -c3-).debug"
  run_status 0 "$R" --reingest --debug-path "$W/dbg" --sysroot /nonexistent sql "SELECT debug_file FROM modules" --format csv basic.mt
  expect debug_path "$W/$dir/$(echo "$bid" | cut -c3-).debug" "$(tail -1 out)"
  run_status 0 "$R" sql "SELECT count(*) FROM frames WHERE function = 'site_alpha'" --format csv basic.mt
  expect resolved "1" "$(tail -1 out)"
  # nothing to read: module+offset names, never a failure
  run_status 0 "$R" --reingest --sysroot /nonexistent sql "SELECT function FROM frames ORDER BY ip LIMIT 1" --format csv basic.mt
  tail -1 out | grep -q '^gen_trace+0x[0-9a-f]*$' || fail "unresolved name: $(cat out)"
}

# A file without DWARF whose .gnu_debuglink names a debug file beside it: found by libdwfl's
# path search (without DEBUGINFOD_URLS the symbolizer runs it only when such a file exists).
case_symbols_from_debuglink_next_to_file() {
  gen basic basic.mt
  exe=$("$R" sql "SELECT path FROM modules" --format csv basic.mt | tail -1)
  mkdir -p "root$(dirname "$exe")"
  objcopy --only-keep-debug "$exe" "root$exe.dbg" &&
    objcopy --strip-debug --add-gnu-debuglink="root$exe.dbg" "$exe" "root$exe" || fail "objcopy"
  env -u DEBUGINFOD_URLS "$R" --reingest --sysroot "$W/root" sql \
    "SELECT count(*) FROM frames WHERE file LIKE '%gen_trace.c' AND line > 0" --format csv basic.mt >out 2>err
  expect lines "count(*)
5" "$(cat out)"
  rm "root$exe.dbg"
  run_status 0 "$R" --reingest --sysroot "$W/root" sql \
    "SELECT count(*) FROM frames WHERE file LIKE '%gen_trace.c' AND line > 0" --format csv basic.mt
  expect no_lines "count(*)
0" "$(cat out)"
}

# On a terminal, text tables are cut to its width (long C++ names end in "..."); a pipe or
# file gets whole lines.
case_text_fits_terminal_width() {
  gen basic basic.mt
  run_status 0 "$R" hotspots --by bytes basic.mt
  grep -q "  $SRC/gen_trace.c:[0-9]*\$" out || fail "piped hotspots cut: $(cat out)"
  command -v script >/dev/null || fail "script (util-linux) not found"
  script -qec "stty cols 70 rows 40; '$R' hotspots --by bytes basic.mt" /dev/null | tr -d '\r' >tty.txt
  grep -q '^inclusive      self  function           location$' tty.txt ||
    fail "terminal hotspots: $(cat tty.txt)"
  long=$(awk 'length($0) > 70' tty.txt)
  [ -z "$long" ] || fail "lines over 70 columns on a 70-column terminal: $long"
  # the widest column, the location, is cut to the 30 characters left of 70
  grep -q '^ 2.02 KiB       0 B  site_main          /[^ ]\{26\}\.\.\.$' tty.txt ||
    fail "cut location: $(cat tty.txt)"
}

case_reports_on_generated_trace() {
  gen basic basic.mt
  run_status 0 "$R" hotspots --by bytes --format csv basic.mt
  sed -e "s|$SRC/||g" -e 's/:[0-9]*$/:LINE/' out >hot.csv
  expect hotspots "inclusive,self,function,location
2065,0,site_main,gen_trace.c:LINE
1050,1050,site_gamma,gen_trace.c:LINE
500,500,site_alpha,gen_trace.c:LINE
500,500,site_beta,gen_trace.c:LINE
15,15,site_parse_config,gen_trace.c:LINE" "$(cat hot.csv)"
  run_status 0 "$R" peak --format csv basic.mt
  expect peak_head "peak_heap_bytes,peak_heap_seq,peak_heap_time_ns
1150,12,11000" "$(head -2 out)"
  grep -q '^1050,2,4,site_gamma' out || fail "peak stacks: $(cat out)"
  grep -q '^100,1,2,site_alpha' out || fail "peak stacks: $(cat out)"
  run_status 0 "$R" flamegraph --by leaked basic.mt
  expect flamegraph "site_main;site_gamma 1050
site_main;site_parse_config 15" "$(cat out)"
  run_status 0 "$R" flamegraph --svg basic.mt
  python3 -c "import xml.dom.minidom as m; m.parse('out')" || fail "svg"
  run_status 0 "$R" timeline --top 0 --format csv basic.mt
  grep -q '^12000,12,1150,1150,3,1048576,0$' out || fail "timeline point at the peak: $(cat out)"
  grep -q '^9000,10,500,phase2$' out || fail "marker: $(cat out)"
  run_status 0 "$R" timeline basic.mt
  grep -q 'Heap (#) and RSS (.) over time' out || fail "chart"
  run_status 0 "$R" export --massif basic.mt
  grep -q '^heap_tree=peak$' out && grep -q '^n2: 1150 (heap allocation functions)' out || fail "massif: $(cat out)"
  run_status 0 "$R" export --callgrind basic.mt
  grep -q '^events: Allocations Bytes Temporary Leaked Peak$' out || fail "callgrind"
  run_status 2 "$R" export basic.mt
}

case_diff_matches_sites_by_function_and_line() {
  gen basic before.mt
  gen threads after.mt
  run_status 0 "$R" diff --format csv before.mt after.mt
  grep -q '^allocations,8,4,-4$' out || fail "totals: $(cat out)"
  grep -q '^peak_heap_bytes,1150,700,-450$' out || fail "totals: $(cat out)"
  sed -e "s|$SRC/||g" -e 's/:[0-9]*$/:LINE/' out | sed -n '/^before,after/,$p' >sites.csv
  expect sites "before,after,change,function,location
500,100,-400,site_alpha,gen_trace.c:LINE
1050,700,-350,site_gamma,gen_trace.c:LINE
500,200,-300,site_beta,gen_trace.c:LINE
15,0,-15,site_parse_config,gen_trace.c:LINE" "$(cat sites.csv)"
}

case_diff_between_two_phases_of_one_run() {
  gen basic basic.mt
  run_status 0 "$R" diff --format csv basic.mt@seq:1..phase2 basic.mt@phase2..phase3
  grep -q '^allocations,4,3,-1$' out || fail "totals: $(cat out)"
  grep -q '^leaked_bytes,500,1060,560$' out || fail "totals: $(cat out)"
  grep -q '^0,1050,1050,site_gamma,' out || fail "sites: $(cat out)"
  run_status 2 "$R" diff basic.mt@phase2 basic.mt
  grep -q "a range is INPUT@FROM..TO" err || fail "$(cat err)"
}

case_json_outputs_parse() {
  gen basic basic.mt
  for report in summary leaks hotspots peak timeline "sql SELECT*FROM\ frames"; do
    eval "run_status 0 \"\$R\" $report --format json basic.mt"
    python3 -m json.tool out >/dev/null || fail "$report json: $(cat out)"
  done
  cp basic.mt other.mt
  run_status 0 "$R" diff --format json basic.mt other.mt
  python3 -m json.tool out >/dev/null || fail "diff json: $(cat out)"
  for report in summary leaks hotspots peak timeline; do
    run_status 0 "$R" $report --format csv basic.mt
    python3 -c "import csv,sys; [r for r in csv.reader(open('out'))]" || fail "$report csv"
  done
}

"case_$CASE"
