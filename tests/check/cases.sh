#!/bin/sh
# SPDX-License-Identifier: MIT
# check test cases, one shell function per ctest test: traces with exactly known content from
# gen_trace (figures in tests/analyzer/gen_trace.c), memtrace-report check on them, exact exit
# statuses and figures. usage: cases.sh REPORT_BIN GEN_BIN WORKDIR CASE [MEMTRACE EXAMPLE_LEAK]
set -u
R=$1 G=$2 W=$3 CASE=$4
M=${5:-} LEAK=${6:-}
SRC=$(cd "$(dirname "$0")" && pwd)
GEN_SRC=$SRC/../analyzer/gen_trace.c
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

. "$SRC/../lib/cases.sh"
# line of a site_* function in gen_trace.c (the file:line the symbolizer gives its frames)
site_line() { grep -n "^__attribute__((noinline)) uint64_t $1(void)" "$GEN_SRC" | cut -d: -f1; }
# budgets section of a csv check: budget,scope,value,limit,status per row
budgets_csv() { awk -F, 'NR>4 && /^$/ {exit} NR>=4 && NR>4 {print $1","$2","$4","$5","$9}' out; }

# basic.mt: allocations 8, temporary 2, peak heap 1150, peak RSS 3 MiB, leaked 1065 in 4 blocks.
case_each_budget_passes_at_figure_fails_below() {
  gen basic basic.mt
  for b in max-leaked:1065 max-leaked-blocks:4 max-peak-heap:1150 max-peak-rss:3145728 \
           max-allocations:8 max-temporary:2; do
    opt=${b%%:*} v=${b#*:}
    run_status 0 "$R" check "--$opt" "$v" basic.mt
    grep -q '^memtrace check: passed, 0 of 1 budgets exceeded$' out || fail "$opt $v: $(cat out)"
    run_status 1 "$R" check "--$opt" $((v - 1)) basic.mt
    grep -q '^memtrace check: FAILED, 1 of 1 budgets exceeded$' out || fail "$opt $((v - 1)): $(cat out)"
  done
  run_status 1 "$R" check --max-leaked 2000 --max-allocations 7 --max-temporary 2 --format csv basic.mt
  expect three_budgets "max-leaked,total,1065,2000,ok
max-allocations,total,8,7,FAIL
max-temporary,total,2,2,ok" "$(budgets_csv)"
}

case_sizes_suffixes_exact() {
  gen basic basic.mt
  # peak heap is 1150 bytes
  for s in 1150 1150B 1150b "1150 B" 1.15KB 1.15kb 0.00115MB 1.123047KiB 1.1231K; do
    run_status 0 "$R" check --max-peak-heap "$s" basic.mt
  done
  for s in 1149 1.149KB 1.12KiB 1.12K 0.001MiB 0.0000010GiB; do
    run_status 1 "$R" check --max-peak-heap "$s" basic.mt
  done
  run_status 1 "$R" check --max-peak-heap 1.12KiB --format csv basic.mt
  expect rounded "max-peak-heap,total,1150,1147,FAIL" "$(budgets_csv)"   # 1146.88 rounds to 1147
  run_status 0 "$R" check --max-peak-heap 2M --max-peak-rss 3MiB --max-leaked 1.065KB --format csv basic.mt
  expect units "max-peak-heap,total,1150,2097152,ok
max-peak-rss,total,3145728,3145728,ok
max-leaked,total,1065,1065,ok" "$(budgets_csv)"
  for s in 12XB -5 1e3 0x10 "" 1.5.5 inf KB 1,5; do
    run_status 2 "$R" check --max-peak-heap "$s" basic.mt
    grep -q "is not a size" err || fail "size '$s': $(cat err)"
  done
  run_status 2 "$R" check --max-allocations 1.5 basic.mt
  grep -q "max-allocations: '1.5' is not a count" err || fail "count: $(cat err)"
  # limits of 2^63 and more pass every figure (they wrapped to negative limits and failed)
  run_status 0 "$R" check --max-peak-heap 18446744073709551615 --max-allocations 9223372036854775808 \
    --max-leaked 16000000T basic.mt
}

# kinds.mt: definite 150 (2 blocks), indirect 200, possible 300, reachable 400.
case_leak_kinds_pass_and_fail_exact() {
  gen kinds kinds.mt
  run_status 0 "$R" check --max-definitely-lost 150 --max-indirectly-lost 200 --max-possibly-lost 300 \
    --max-reachable 400 --format csv kinds.mt
  expect at_figures "max-definitely-lost,total,150,150,ok
max-indirectly-lost,total,200,200,ok
max-possibly-lost,total,300,300,ok
max-reachable,total,400,400,ok" "$(budgets_csv)"
  for b in definitely-lost:150 indirectly-lost:200 possibly-lost:300 reachable:400; do
    run_status 1 "$R" check "--max-${b%%:*}" $((${b#*:} - 1)) kinds.mt
  done
  # per function: parse_config holds 50 definite and 400 reachable bytes
  printf 'functions:\n  site_parse_config:\n    max-definitely-lost: 50\n    max-reachable: 399\n' > b.yaml
  run_status 1 "$R" check --budget b.yaml --format csv kinds.mt
  expect per_function "max-definitely-lost,function site_parse_config,50,50,ok
max-reachable,function site_parse_config,400,399,FAIL" "$(budgets_csv)"
}

case_leak_kinds_without_scan_exit_2() {
  gen basic basic.mt
  for k in definitely-lost indirectly-lost possibly-lost reachable; do
    run_status 2 "$R" check "--max-$k" 1MiB basic.mt
    grep -q "^memtrace-report: max-$k: basic.mt has no leak-kind scan" err || fail "$k: $(cat err)"
  done
}

case_offenders_symbolized_file_line() {
  gen basic basic.mt
  run_status 1 "$R" check --max-leaked 0 basic.mt
  gamma=$(site_line site_gamma) parse=$(site_line site_parse_config) main=$(site_line site_main)
  grep -q "^max-leaked  *total  *1050  *-  *site_gamma  *.*gen_trace.c:$gamma$" out || fail "gamma: $(cat out)"
  grep -q "^max-leaked  *total  *15  *-  *site_parse_config  *.*gen_trace.c:$parse$" out || fail "parse: $(cat out)"
  grep -q "^    site_main (.*gen_trace.c:$main)$" out || fail "stack: $(cat out)"
  grep -q '^FAIL max-leaked (total): 1.04 KiB (1065) exceeds budget 0 B$' out || fail "summary line: $(cat out)"
  # at most 5 offenders per violation, fewer with --top
  run_status 1 "$R" check --max-allocations 0 --top 2 --format csv basic.mt
  expect top2 2 "$(grep -c '^max-allocations,total,2,,site_' out)"
}

case_json_output_exact() {
  gen basic basic.mt
  run_status 1 "$R" check --max-leaked-blocks 3 --max-peak-heap 2KiB --format json basic.mt
  python3 - out "$(site_line site_gamma)" <<'PY' || fail "json: $(cat out)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == {"status": "fail", "budgets": 2, "failed": 1}, d["result"]
b = d["budgets"]
assert [(x["budget"], x["figure"], x["value"], x["limit"], x["status"]) for x in b] == [
    ("max-leaked-blocks", "leaked_blocks", 4, 3, "FAIL"),
    ("max-peak-heap", "peak_heap_bytes", 1150, 2048, "ok")], b
v = d["violations"]
assert [(x["function"], x["value"]) for x in v] == [("site_gamma", 2), ("site_parse_config", 2)], v
assert v[0]["location"].endswith("gen_trace.c:" + sys.argv[2]), v[0]
assert v[0]["stack"][0].startswith("site_gamma ("), v[0]
PY
}

case_junit_structure_valid() {
  gen basic basic.mt
  run_status 1 "$R" check --max-leaked 0 --max-peak-heap 2KiB --max-allocations 7 --junit j.xml basic.mt
  xmllint --noout j.xml || fail "not well-formed XML"
  x() { xmllint --xpath "$1" j.xml; }
  expect suites "$(x 'count(/testsuites)') $(x 'count(/testsuites/testsuite)') $(x 'count(//testcase)')" "1 1 3"
  expect counts "$(x 'string(/testsuites/testsuite/@tests)') $(x 'string(/testsuites/testsuite/@failures)') $(x 'string(/testsuites/testsuite/@errors)')" "3 2 0"
  expect names "$(x '//testcase/@name' | tr -s ' \n' ' ')" ' name="max-leaked total" name="max-peak-heap total" name="max-allocations total" '
  expect failures "$(x 'count(//testcase[@name="max-leaked total"]/failure) + count(//testcase[@name="max-allocations total"]/failure)') $(x 'count(//testcase[@name="max-peak-heap total"]/*)')" "2 0"
  expect message "$(x 'string(//testcase[@name="max-allocations total"]/failure/@message)')" "max-allocations (total): 8 exceeds budget 7"
  x 'string(//testcase[@name="max-leaked total"]/failure)' | grep -q '^    site_parse_config (.*gen_trace.c:' || fail "failure text: $(cat j.xml)"
  # every testcase has classname and name, every failure a message and type (the JUnit schema)
  expect attributes "$(x 'count(//testcase[not(@classname) or not(@name)]) + count(//failure[not(@message) or not(@type)])')" 0
  # passing run: testcases without failures
  run_status 0 "$R" check --max-leaked 1MiB --junit ok.xml basic.mt
  expect passing "$(xmllint --xpath 'count(//failure)' ok.xml) $(xmllint --xpath 'count(//testcase)' ok.xml)" "0 1"
  run_status 2 "$R" check --max-leaked 0 --junit /nonexistent/dir/j.xml basic.mt
  grep -q 'cannot write /nonexistent/dir/j.xml' err || fail "unwritable junit: $(cat err)"
}

case_github_annotations_at_allocation_line() {
  gen basic basic.mt
  root=$(cd "$SRC/../.." && pwd)
  GITHUB_WORKSPACE=$root run_status 1 "$R" check --max-leaked 0 --github basic.mt
  expect annotations "::error file=tests/analyzer/gen_trace.c,line=$(site_line site_gamma),title=memtrace max-leaked (total)::max-leaked (total): 1.04 KiB (1065) exceeds budget 0 B; 1.03 KiB (1050) allocated here by site_gamma
::error file=tests/analyzer/gen_trace.c,line=$(site_line site_parse_config),title=memtrace max-leaked (total)::max-leaked (total): 1.04 KiB (1065) exceeds budget 0 B; 15 B allocated here by site_parse_config" "$(grep '^::' out)"
  run_status 0 "$R" check --max-leaked 1MiB --github basic.mt
  expect none 0 "$(grep -c '^::' out)"
}

# basic_grown.mt is basic.mt plus 500 leaked bytes from parse_config: leaked 1065 -> 1565
# (+46.9%), peak heap 1150 -> 1565 (+36.1%), allocations 8 -> 9 (+12.5%).
case_baseline_growth_per_site() {
  gen basic basic.mt
  gen basic_grown grown.mt
  run_status 0 "$R" check --baseline basic.mt --max-growth 47 grown.mt
  run_status 1 "$R" check --baseline basic.mt --max-growth 40% --format csv grown.mt
  expect growth "$(sed -n '4,7p' out | cut -d, -f1,2,4,6,7,8,9)" "budget,scope,value,baseline,growth_percent,limit_percent,status
max-growth,peak_heap_bytes,1565,1150,36.087,40,ok
max-growth,leaked_bytes,1565,1065,46.9484,40,FAIL
max-growth,allocations,9,8,12.5,40,ok"
  grep -q '^max-growth,leaked_bytes,515,15,site_parse_config,.*gen_trace.c:' out || fail "site growth: $(cat out)"
  run_status 1 "$R" check --baseline basic.mt --max-growth 10 grown.mt
  grep -q '^memtrace check: FAILED, 3 of 3 budgets exceeded$' out || fail "10%: $(cat out)"
  # the same run as its own baseline: no growth
  run_status 0 "$R" check --baseline grown.mt --max-growth 0 grown.mt
  # a run that shrank: negative growth, within any limit
  run_status 0 "$R" check --baseline grown.mt --max-growth 0 --format csv basic.mt
  expect shrink "$(sed -n '5,7p' out | cut -d, -f1,2,4,6,7,8,9)" "max-growth,peak_heap_bytes,1150,1565,-26.5176,0,ok
max-growth,leaked_bytes,1065,1565,-31.9489,0,ok
max-growth,allocations,8,9,-11.1111,0,ok"
  # a baseline database, and growth from a baseline of 0 leaked blocks
  gen kinds kinds.mt
  "$R" ingest --db base.db basic.mt >/dev/null || fail ingest
  run_status 1 "$R" check --baseline base.db --max-growth 0 --max-leaked 2KiB grown.mt
  grep -q '^memtrace check: FAILED, 3 of 4 budgets exceeded$' out || fail "db baseline: $(cat out)"
}

case_baseline_errors_exit_2() {
  gen basic basic.mt
  run_status 2 "$R" check --max-growth 10 basic.mt
  grep -q 'max-growth needs a baseline: --baseline OLD' err || fail "$(cat err)"
  printf 'totals:\n  max-leaked: 1MiB\nmax-growth: 5%%\n' >growth.yaml
  run_status 2 "$R" check --budget growth.yaml basic.mt
  expect "growth without a baseline, from a file" \
    "memtrace-report: growth.yaml:3: max-growth needs a baseline: --baseline OLD" "$(cat err)"
  run_status 2 "$R" check --baseline basic.mt basic.mt
  grep -q -- '--baseline needs --max-growth' err || fail "$(cat err)"
  run_status 2 "$R" check --baseline missing.mt --max-growth 5 basic.mt
  run_status 2 "$R" check --baseline basic.mt --max-growth ten basic.mt
}

case_budget_file_totals_functions_modules_suppressions() {
  gen basic basic.mt
  cat > budget.yaml <<'YAML'
# totals, functions, modules
version: 1
totals:
  max-leaked: 2KiB
  max-allocations: 8
functions:
  "site_parse_*":
    max-leaked: 0
    max-allocations: 2
  site_alpha:
    max-peak-heap: 100
modules:
  "gen_trace":
    max-peak-heap: 1KiB
max-growth: 5%
YAML
  run_status 1 "$R" check --budget budget.yaml --baseline basic.mt --format csv basic.mt
  expect file_budgets "max-leaked,total,1065,2048,ok
max-allocations,total,8,8,ok
max-leaked,function site_parse_*,15,0,FAIL
max-allocations,function site_parse_*,2,2,ok
max-peak-heap,function site_alpha,100,100,ok
max-peak-heap,module gen_trace,1150,1024,FAIL
max-growth,peak_heap_bytes,1150,,ok
max-growth,leaked_bytes,1065,,ok
max-growth,allocations,8,,ok" "$(budgets_csv)"
  expect lines "4 5 8 9 11 14 15 15 15 " "$(sed -n '5,13p' out | awk -F, '{print $10}' | tr '\n' ' ')"
  # suppressions in the file act like --suppressions
  printf 'totals:\n  max-leaked: 1050\nsuppressions:\n  - leak:site_parse_config\n' > supp.yaml
  run_status 0 "$R" check --budget supp.yaml basic.mt
  printf 'totals:\n  max-leaked: 1050\n' > nosupp.yaml
  run_status 1 "$R" check --budget nosupp.yaml basic.mt
  # command-line budgets add to the file's
  run_status 1 "$R" check --budget supp.yaml --max-allocations 1 basic.mt
  grep -q '^memtrace check: FAILED, 1 of 2 budgets exceeded$' out || fail "combined: $(cat out)"
  # an empty file sets nothing: a usage error without other budgets
  : > empty.yaml
  run_status 2 "$R" check --budget empty.yaml basic.mt
}

case_budget_file_errors_name_line() {
  gen basic basic.mt
  check_err() { # FILE_CONTENT EXPECTED_MESSAGE
    printf "$1" > bad.yaml
    run_status 2 "$R" check --budget bad.yaml basic.mt
    expect "$2" "memtrace-report: $2" "$(cat err)"
  }
  check_err 'totals:\n  max-leaked: 0\n  max-leak: 5\n' "bad.yaml:3: unknown budget 'max-leak'"
  check_err 'totals:\n\n  max-peak-heap: 12 parsecs\n' "bad.yaml:3: max-peak-heap: '12 parsecs' is not a size (e.g. 0, 512, 64KiB, 1.5MB)"
  check_err 'functions:\n  main:\n    max-peak-rss: 1MiB\n' "bad.yaml:3: max-peak-rss applies to the whole process, not per function"
  check_err '# budgets\nlimits:\n  max-leaked: 0\n' "bad.yaml:2: unknown section 'limits' (totals, functions, modules, suppressions, max-growth, version)"
  check_err 'totals:\n  max-leaked: [1, 2]\n' "bad.yaml:2: the value of max-leaked must be a single size or count"
  check_err 'totals: 5\n' "bad.yaml:1: expected budgets (max-leaked: SIZE, ...) under totals"
  check_err 'modules:\n  - libfoo.so\n' "bad.yaml:2: expected a mapping of module globs to budgets"
  check_err 'suppressions: leak:foo\n' "bad.yaml:1: suppressions: expected a list of LSan patterns (- parse_*)"
  check_err 'max-growth: lots\n' "bad.yaml:1: max-growth: expected a percentage such as 10%"
  check_err 'version: 2\n' "bad.yaml:1: unsupported version: this memtrace reads version 1"
  check_err 'totals:\n  max-leaked: "0\n' "bad.yaml:3: found unexpected end of stream while scanning a quoted scalar"
  check_err 'totals:\n  max-leaked: 0\n max-peak-heap: 1\n' "bad.yaml:3: did not find expected key while parsing a block mapping"
  run_status 2 "$R" check --budget missing.yaml basic.mt
  grep -q '^memtrace-report: cannot read budget file missing.yaml: No such file or directory$' err || fail "$(cat err)"
}

case_usage_errors_exit_2() {
  gen basic basic.mt
  run_status 2 "$R" check basic.mt
  grep -q 'check needs at least one budget' err || fail "$(cat err)"
  run_status 2 "$R" check --max-leaked 0
  run_status 2 "$R" check --max-leaked 0 missing.mt
  run_status 2 "$R" check --max-leaked basic.mt
  printf 'garbage' > garbage.mt
  run_status 2 "$R" check --max-leaked 0 garbage.mt
  run_status 2 "$R" check --max-leaked 0 --format xml basic.mt
  "$R" --help | grep -q '^  --max-definitely-lost SIZE  *limit definitely_lost_bytes (needs the leak scan)$' \
    || fail "help lists the budgets"
}

case_database_input() {
  gen basic basic.mt
  "$R" ingest --db run.db basic.mt >/dev/null || fail ingest
  rm basic.mt
  run_status 1 "$R" check --max-leaked 1064 run.db
  run_status 0 "$R" check --max-leaked 1065 --max-peak-heap 1150 run.db
}

# memtrace --check on example-leak: 512 bytes leaked in 16 blocks from make_name().
case_memtrace_check_exit_statuses() {
  run_status 0 "$M" -q -o leak.%p.mt --check --max-leaked 512 --max-leaked-blocks 16 -- "$LEAK"
  run_status 1 "$M" -q -o leak.%p.mt --check --max-leaked 511 -- "$LEAK"
  grep -q '^max-leaked  *total  *512  *-  *make_name  *.*examples/leak.c:[0-9]*$' out || fail "offender: $(cat out)"
  run_status 1 "$M" -q -o leak.%p.mt --check --max-leaked-blocks 15 --format json -- "$LEAK"
  python3 -c 'import json,sys; d=json.loads(sys.stdin.read().split("\n",1)[1]); assert d["budgets"][0]["value"]==16' < out \
    || fail "json after the program's output: $(cat out)"
  # the program's own failure wins, and budgets are not checked
  run_status 3 "$M" -q -o sh.%p.mt --check --max-leaked 0 -- /bin/sh -c 'exit 3'
  grep -q "^memtrace: --check: /bin/sh failed (status 3); budgets not checked$" err || fail "$(cat err)"
  run_status 137 "$M" -q -o sh.%p.mt --check --max-leaked 0 -- /bin/sh -c 'kill -9 $$'
  # usage errors: bad budget (from memtrace-report), no `--`, no budget
  run_status 2 "$M" -q -o leak.%p.mt --check --max-leaked lots -- "$LEAK"
  grep -q "max-leaked: 'lots' is not a size" err || fail "$(cat err)"
  # ... refused before the program starts: it runs nothing and writes no trace
  for opts in "--budget missing.yaml" "" "--max-growth 5" "--max-leaked 0 --baseline old.mt"; do
    # shellcheck disable=SC2086
    run_status 2 "$M" -q -o never.%p.mt --check $opts -- /bin/sh -c 'echo RAN'
    [ ! -s out ] || fail "the program ran with --check $opts: $(cat out)"
    ! ls never.*.mt >/dev/null 2>&1 || fail "a trace was written with --check $opts"
  done
  run_status 2 "$M" -q --check --max-leaked 0 "$LEAK"
  grep -q -- "--check needs \`--\` before the program" err || fail "$(cat err)"
  run_status 2 "$M" -q -o leak.%p.mt --check -- "$LEAK"
  # without --check, the launcher passes the status through unchanged
  run_status 0 "$M" -q -o plain.%p.mt "$LEAK"
}

"case_$CASE"
