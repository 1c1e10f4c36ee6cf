#!/bin/sh
# SPDX-License-Identifier: MIT
# Analyzer cases on real traces: an example program runs under the memtrace launcher and the
# report's figures are checked against the program's documented exact figures, against the
# trace's own END totals, and against valgrind memcheck when it is installed.
# usage: real.sh REPORT_BIN MEMTRACE_BIN EXAMPLES_DIR WORKDIR CASE
set -u
R=$1 M=$2 X=$3 W=$4 CASE=$5
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || { printf 'FAIL: %s\n--- expected\n%s\n--- actual\n%s\n' "$1" "$2" "$3" >&2; exit 1; }; }
record() { "$M" -q -o "$1.mt" "$X/example-$1" >/dev/null 2>&1 || fail "memtrace example-$1"; }
q() { "$R" sql "$2" --format csv "$1.mt" | tail -n +2; }

# figures NAME: "allocations,frees,bytes_allocated,leaked_bytes,leaked_blocks" from the report
figures() {
  "$R" summary --no-builtin-suppressions --format json "$1.mt" >sum.json || fail "summary $1"
  python3 -c "import json; d=json.load(open('sum.json')); print('%d,%d,%d,%d,%d' % (d['allocations'], d['frees'], d['bytes_allocated'], d['leaked_bytes'], d['leaked_blocks']))"
}

# valgrind PROGRAM: the same five figures from memcheck's heap summary
valgrind_figures() {
  prog=$1
  shift
  valgrind "$@" "$prog" >/dev/null 2>vg.txt || fail "valgrind"
  python3 - <<'PY'
import re
t = open('vg.txt').read().replace(',', '')
u = re.search(r'in use at exit: (\d+) bytes in (\d+) blocks', t)
h = re.search(r'total heap usage: (\d+) allocs (\d+) frees (\d+) bytes allocated', t)
print('%s,%s,%s,%s,%s' % (h.group(1), h.group(2), h.group(3), u.group(1), u.group(2)))
PY
}

totals_match_end_record() {
  expect "$1 vs END" "0,0,0,0,0,0,0" "$(q "$1" "SELECT allocations - end_allocations, frees - end_frees, bytes_allocated - end_bytes_allocated, peak_heap_bytes - end_peak_heap_bytes, leaked_bytes - end_live_bytes, leaked_blocks - end_live_blocks, unmatched_frees FROM totals")"
}

with_valgrind() {
  command -v valgrind >/dev/null || { echo "valgrind not installed: compared with documented figures only"; return 0; }
  expect "$1 vs valgrind" "$(valgrind_figures "$X/example-$1")" "$(figures "$1")"
}

case_example_leak_exact_and_symbolized() {
  record leak
  expect figures "17,1,640,512,16" "$(figures leak)"
  totals_match_end_record leak
  with_valgrind leak
  "$R" leaks --format json leak.mt >leaks.json || fail leaks
  python3 - <<'PY' || fail "leak stack: $(cat leaks.json)"
import json
d = json.load(open('leaks.json'))
g = d['leaks'][0]
assert (g['bytes'], g['blocks']) == (512, 16), g
names = [f.split(' ')[0] for f in g['stack']]
assert names[:3] == ['make_name', 'load_names', 'main'], names
assert g['stack'][0].endswith('leak.c:14)'), g['stack'][0]
PY
}

case_example_small_storm_matches_valgrind() {
  record small-storm
  expect figures "200000,200000,4000000,0,0" "$(figures small-storm)"
  expect peak "4000000" "$(q small-storm "SELECT peak_heap_bytes FROM totals")"
  totals_match_end_record small-storm
  with_valgrind small-storm
}

case_example_temporaries_all_temporary() {
  record temporaries
  expect figures "10000,10000,2560000,0,0" "$(figures temporaries)"
  expect temporaries "10000,256" "$(q temporaries "SELECT temporary_allocations, peak_heap_bytes FROM totals")"
  totals_match_end_record temporaries
  with_valgrind temporaries
  "$R" hotspots --by temporary --format csv temporaries.mt >hot.csv || fail hotspots
  sed -n 2p hot.csv | grep -q '^10000,10000,' || fail "top temporary site: $(cat hot.csv)"
  # the exit-time scan ran and found nothing: kinds are 0, not unknown (null: no scan)
  expect "leak kinds" "0,0,0,0,0,0,0,0" \
    "$("$R" summary --format csv temporaries.mt | tail -1 | cut -d, -f13-20)"
  "$M" -q --leak-scan off -o noscan.mt "$X/example-temporaries" >/dev/null 2>&1 || fail "memtrace"
  expect "leak kinds without a scan" ",,,,,,," \
    "$("$R" summary --format csv noscan.mt | tail -1 | cut -d, -f13-20)"
}

case_example_realloc_growth_matches_valgrind() {
  record realloc-growth
  expect figures "4096,4096,134250496,0,0" "$(figures realloc-growth)"
  expect peak "65536" "$(q realloc-growth "SELECT peak_heap_bytes FROM totals")"
  totals_match_end_record realloc-growth
  with_valgrind realloc-growth
}

case_example_pool_custom_leaks() {
  record pool
  expect heap "1,1,4096,0,0" "$(figures pool)"
  expect custom "3000,640,0" "$(q pool "SELECT custom_allocations, custom_bytes, unmatched_frees FROM totals")"
  expect custom_leaks "10,640" "$(q pool "SELECT count(*), sum(size) FROM leaks WHERE class = 'custom'")"
  totals_match_end_record pool
}

case_example_phases_between_markers() {
  record phases
  expect figures "600,600,132000,0,0" "$(figures phases)"
  expect peak "100064" "$(q phases "SELECT peak_heap_bytes FROM totals")"
  expect markers "3" "$(q phases "SELECT count(*) FROM markers")"
  totals_match_end_record phases
  first=$(q phases "SELECT label FROM markers ORDER BY seq LIMIT 1")
  second=$(q phases "SELECT label FROM markers ORDER BY seq LIMIT 1 OFFSET 1")
  "$R" summary --between "$first" "$second" --format json phases.mt >between.json || fail between
  python3 -c "import json; d=json.load(open('between.json')); assert d['allocations'] == 100 and d['bytes_allocated'] == 100000, d" || fail "load phase: $(cat between.json)"
}

# stdio_leak sits in X itself (not as example-NAME)
case_builtin_suppressions_match_valgrind_freeres() {
  "$M" -q -o s.mt "$X/stdio_leak" >/dev/null 2>&1 || fail "memtrace stdio_leak"
  "$R" summary --format json s.mt >sum.json || fail summary
  python3 -c "import json; d=json.load(open('sum.json')); print('%d,%d,%d' % (d['allocations'], d['leaked_bytes'], d['leaked_blocks']))" >got.txt
  expect "with built-in suppressions" "2,100,1" "$(cat got.txt)"
  "$R" leaks --format csv s.mt >leaks.csv || fail leaks
  grep -q ',_IO_file_doallocate .*built-in: libc stdio buffer' leaks.csv || fail "suppressed row: $(cat leaks.csv)"
  expect raw "2" "$(q s "SELECT leaked_blocks FROM totals")"
  command -v valgrind >/dev/null || return 0
  valgrind "$X/stdio_leak" >/dev/null 2>vg.txt || fail valgrind
  grep -q "in use at exit: 100 bytes in 1 blocks" vg.txt || fail "valgrind: $(cat vg.txt)"
  grep -q "total heap usage: 2 allocs" vg.txt || fail "valgrind: $(cat vg.txt)"
  # locale and message catalog data: libc's too, freed by freeres under valgrind
  "$M" -q -o l.mt "$X/locale_leak" >/dev/null 2>&1 || fail "memtrace locale_leak"
  "$R" summary --format json l.mt >lsum.json || fail summary
  expect "locale data suppressed" "100,1" \
    "$(python3 -c "import json; d=json.load(open('lsum.json')); print('%d,%d' % (d['leaked_bytes'], d['leaked_blocks']))")"
  valgrind "$X/locale_leak" >/dev/null 2>vg.txt || fail valgrind
  grep -q "in use at exit: 100 bytes in 1 blocks" vg.txt || fail "valgrind: $(cat vg.txt)"
  expect "allocations as valgrind" "$(sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' vg.txt | tr -d ,)" \
    "$(python3 -c "import json; print(json.load(open('lsum.json'))['allocations'])")"
}

# X is this directory; rust_leak.rs is built here with $RUSTC, and the case skips without it.
case_rust_leak_demangled_matches_valgrind() {
  command -v "${RUSTC:-rustc}" >/dev/null || { echo "rustc not found: skipped"; exit 77; }
  "${RUSTC:-rustc}" -g -O -o rust_leak "$X/rust_leak.rs" >rustc.txt 2>&1 || fail "rustc: $(cat rustc.txt)"
  nm rust_leak | grep -q ' _RNv' || { echo "rustc does not mangle with v0: skipped"; exit 77; }
  "$M" -q -o rust.mt ./rust_leak >/dev/null 2>&1 || fail "memtrace rust_leak"
  totals_match_end_record rust
  if command -v valgrind >/dev/null; then
    expect "rust vs valgrind" "$(valgrind_figures ./rust_leak)" "$(figures rust)"
  fi
  "$R" leaks --format json rust.mt >leaks.json || fail leaks
  X="$X" python3 - <<'PY' || fail "rust leak stacks: $(cat leaks.json)"
import json, os
X = os.environ['X']
d = json.load(open('leaks.json'))
groups = {(g['bytes'], g['blocks']) for g in d['leaks']}
assert groups == {(300, 3), (128, 1), (100, 1)}, groups
for g in d['leaks']:
    names = [f.split(' (')[0] for f in g['stack']]
    assert not [n for n in names if n.startswith('_R')], names
    assert 'rust_leak::main' in names and 'std::rt::lang_start_internal' in names, names
    # rustc writes no .debug_aranges: file:line and inlined frames need the unit index
    assert 'rust_leak::make_nodes (%s/rust_leak.rs:13)' % X in g['stack'], g['stack']
    assert 'rust_leak::main (%s/rust_leak.rs:17)' % X in g['stack'], g['stack']
    assert names[0].startswith('alloc::alloc::alloc'), names  # inlined std frames come first
    # "allocated at" looks past the standard library's inlined frames
    site = 'rust_leak::make_nodes::{{closure}}' if g['bytes'] in (300, 100) else 'rust_leak::make_nodes'
    assert g['function'] == '%s (%s/rust_leak.rs:13)' % (site, X), (g['function'], g['bytes'])
PY
}

# Inlined frames and file:line from g++ (with .debug_aranges) and clang++ (without: units are
# found by their own ranges), also with split DWARF (functions in .dwo files); "allocated at"
# looks past libstdc++'s inlined frames.
case_inlined_frames_gcc_clang_split_dwarf() {
  for build in "gcc ${CXX:-g++}" "clang clang++" "gcc-split ${CXX:-g++} -gsplit-dwarf" \
               "clang-split clang++ -gsplit-dwarf"; do
    set -- $build
    name=$1
    shift
    command -v "$1" >/dev/null || fail "$1 not found"
    "$@" -O2 -g -o "il-$name" "$X/inline_leak.cpp" 2>"$name.txt" || fail "$*: $(cat "$name.txt")"
    "$M" -q -o "il-$name.mt" "./il-$name" >/dev/null 2>&1 || fail "memtrace il-$name"
    totals_match_end_record "il-$name"
    if [ "$name" = gcc ] || [ "$name" = clang ]; then
      figures "il-$name" >"$name.figures"
    else # valgrind 3.19 gives up on split DWARF: the same program as the plain build
      expect "$name figures" "$(cat "${name%-split}.figures")" "$(figures "il-$name")"
    fi
    if command -v valgrind >/dev/null && [ "$name" = "${name%-split}" ]; then
      # without exit-time cleanup, which would free libstdc++'s pool: a native run does not
      expect "$name vs valgrind" "$(figures "il-$name")" \
        "$(valgrind_figures "./il-$name" --run-libc-freeres=no --run-cxx-freeres=no)"
    fi
    # every block is kept in a global: reachable, none definitely lost; summary --kind counts so
    expect "$name summary --kind definite" "0,0" \
      "$("$R" summary --kind definite --format csv "il-$name.mt" | tail -1 | cut -d, -f9,10)"
    expect "$name summary --kind reachable" "160,4" \
      "$("$R" summary --kind reachable --format csv "il-$name.mt" | tail -1 | cut -d, -f9,10)"
    # crt1's _start has no line: not the last line of the -O2 main before it in memory
    expect "$name _start without a line" "0" \
      "$("$R" sql "SELECT count(*) FROM frames WHERE function = '_start' AND file IS NOT NULL" \
         --format csv "il-$name.mt" | tail -1)"
    "$R" leaks --kind reachable --format json "il-$name.mt" >"il-$name.json" || fail "leaks $name"
    X="$X" CXX_NAME="$name" python3 - "il-$name.json" <<'PY' || fail "$name stacks: $(cat "il-$name.json")"
import json, os, sys
src = os.environ['X'] + '/inline_leak.cpp'
d = json.load(open(sys.argv[1]))
got = sorted((g['bytes'], g['function'].replace('()', ''), g['stack'][1:3]) for g in d['leaks'])
def at(line): return '(%s:%d)' % (src, line)
want = [(24, 'make_list ' + at(19)), (40, 'make_list ' + at(20)),
        (48, 'main ' + at(26)), (48, 'make_item ' + at(15))]
assert [(b, f) for b, f, _ in got] == want, (os.environ['CXX_NAME'], got)
stacks = {f: st for _, f, st in got}
# make_item is inlined into main: the next frame is main at the call
assert stacks['make_item ' + at(15)][1] == 'main ' + at(25), stacks
# make_unique is libstdc++'s, inlined into main, from its header
assert 'make_unique<Item>' in stacks['main ' + at(26)][0], stacks
assert '/include/c++/' in stacks['main ' + at(26)][0], stacks
PY
  done
}

# The exports are read by valgrind's own tools: a command line with a newline stays one header
# line, the massif tree stops at massif's default depth of 30 (ms_print warns past 100), and
# a run without allocations still has a snapshot.
case_exports_read_by_valgrind_tools() {
  command -v ms_print >/dev/null && command -v callgrind_annotate >/dev/null ||
    { echo "valgrind's ms_print and callgrind_annotate not found: skipped"; exit 77; }
  cat >deep.c <<'C'
#include <stdlib.h>
__attribute__((noinline)) static void *down(int n) {
  void *p = n ? down(n - 1) : malloc(100);
  __asm__ volatile("" ::: "memory"); /* no tail call: every level keeps its frame */
  return p;
}
int main(int argc, char **argv) { (void)argv; return down(120 + argc) ? 0 : 1; }
C
  cc -O1 -g -o deep deep.c 2>cc.txt || fail "cc: $(cat cc.txt)"
  "$M" -q --depth 200 -o deep.mt ./deep "two
lines" >/dev/null 2>&1 || fail "memtrace deep"
  "$R" export --massif deep.mt >massif.out || fail "export --massif"
  ms_print massif.out >ms.txt 2>ms.err || fail "ms_print: $(cat ms.err)"
  [ ! -s ms.err ] || fail "ms_print complained: $(head -3 ms.err)"
  grep -q '^Command: *[^ ]*/deep two lines *$' ms.txt || fail "ms_print command: $(head -3 ms.txt)"
  depth=$(awk '/^ *n[0-9]+:/ { match($0, /^ */); if (RLENGTH > m) m = RLENGTH } END { print m }' massif.out)
  expect "massif tree depth" 30 "$depth"
  "$R" export --callgrind deep.mt >callgrind.out || fail "export --callgrind"
  callgrind_annotate callgrind.out >cg.txt 2>&1 || fail "callgrind_annotate: $(cat cg.txt)"
  ! grep -q 'malformed' cg.txt || fail "callgrind_annotate: $(grep malformed cg.txt | head -3)"
  grep -q '^ *1 .*deep\.c:down$' cg.txt || fail "callgrind_annotate functions: $(cat cg.txt)"
  # a program that allocates nothing still gives ms_print the one snapshot it needs
  echo 'int main(void) { return 0; }' >none.c
  cc -o none none.c 2>cc.txt || fail "cc: $(cat cc.txt)"
  "$M" -q -o none.mt ./none >/dev/null 2>&1 || fail "memtrace none"
  "$R" export --massif none.mt >none.massif || fail "export --massif none"
  ms_print none.massif >ms.txt 2>ms.err || fail "ms_print on an empty run: $(cat ms.err)"
}

# A program path that is not UTF-8 (byte 0xff) still gives valid JSON (U+FFFD in its place).
case_json_valid_for_non_utf8_paths() {
  dir=$(printf 'dir\377x')
  mkdir "$dir" && cp "$X/example-leak" "$dir/leak" || fail "copy"
  "$M" -q -o bad.mt "./$dir/leak" >/dev/null 2>&1 || fail "memtrace"
  "$R" summary --format json bad.mt >sum.json || fail "summary"
  python3 - <<'PY' || fail "summary json: $(cat sum.json)"
import json
d = json.loads(open('sum.json', 'rb').read().decode('utf-8'))  # strict: fails on bad bytes
assert d['program'].endswith('/dir\ufffdx/leak'), d['program']
PY
}

# A child started with vfork (as gcc's driver starts cc1 and as) leaves no FORK record in its
# parent's trace: it is found by the parent its own trace names, for ingest and --process.
case_vfork_child_ingested_with_parent() {
  cat >vf.c <<'C'
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  void *volatile p = malloc(100);
  (void)p;
  if (argc > 1) return 0; /* the child: one allocation, then exit */
  pid_t pid = vfork();
  if (pid == 0) {
    execl(argv[0], argv[0], "child", (char *)0);
    _exit(1);
  }
  int status;
  waitpid(pid, &status, 0);
  return 0;
}
C
  cc -O1 -o vf vf.c 2>cc.txt || fail "cc: $(cat cc.txt)"
  "$M" -q -o "$W/vf.%p.mt" ./vf >/dev/null 2>&1 || fail "memtrace vf"
  set -- vf.*.mt
  [ $# = 2 ] || fail "two traces expected: $*"
  for t in "$@"; do # the parent's PROCESS record names no parent trace
    named=$("$R" sql "SELECT parent_trace FROM processes" --format csv "$t" | tail -1)
    if [ -z "$named" ]; then first=$t; else second=$t; fi
  done
  parent=$("$R" sql "SELECT pid FROM processes" --format csv "$first" | tail -1)
  child=$("$R" sql "SELECT pid FROM processes" --format csv "$second" | tail -1)
  "$R" ingest --db run.db "$first" >/dev/null || fail "ingest"
  expect "processes" "$parent,
$child,$parent" "$("$R" sql "SELECT p.pid, q.pid FROM processes p LEFT JOIN processes q ON q.id = p.parent_id ORDER BY p.id" --format csv --db run.db | tail -n +2)"
  "$R" summary --process "$child" --format csv "$first" >child.csv || fail "summary --process $child"
  [ "$(tail -1 child.csv | cut -d, -f2,4)" = "$child,1" ] || fail "child summary: $(cat child.csv)"
}

# Consecutive allocations whose inner frames sit at the same stack addresses but whose callers
# differ one, two or about 120 frames out (--depth 200): each call site keeps its own count,
# at -O0 (rbp frames) and -O2, from gcc and clang. A recorder that reused the previous stack's
# callers on a partial match would merge them.
# A call site repeated in one stack counts once for it, also when the site rows grow in
# between (they moved in memory, and were once compared by address: a reused database and a
# fresh ingest then gave different hotspots). 150 functions of a first stack fill the rows;
# the second stack enters k twice from the same line, 100 new functions apart.
case_site_counted_once_per_stack_across_row_growth() {
  {
    echo '#include <stdlib.h>'
    echo '#define KEEP() __asm__ volatile("" ::: "memory")'
    echo 'void *volatile sink;'
    echo 'typedef void chain_fn(int);'
    echo 'void a0(int); void b0(int); void w0(void);'
    echo '__attribute__((noinline)) void k(int d, chain_fn *next) {'
    echo '  if (d == 0) { sink = malloc(8); KEEP(); return; }'
    echo '  next(d - 1); KEEP(); /* K_CALL */'
    echo '}'
    i=0; while [ $i -lt 150 ]; do
      if [ $i -lt 149 ]; then n="w$((i + 1))();"; else n="sink = malloc(16);"; fi
      echo "void w$((i + 1))(void); __attribute__((noinline)) void w$i(void) { $n KEEP(); }"; i=$((i + 1)); done
    i=0; while [ $i -lt 100 ]; do
      if [ $i -lt 99 ]; then n="a$((i + 1))(d);"; else n="k(d, b0);"; fi
      echo "void a$((i + 1))(int); __attribute__((noinline)) void a$i(int d) { $n KEEP(); }"; i=$((i + 1)); done
    i=0; while [ $i -lt 10 ]; do
      if [ $i -lt 9 ]; then n="b$((i + 1))(d);"; else n="k(d, 0);"; fi
      echo "void b$((i + 1))(int); __attribute__((noinline)) void b$i(int d) { $n KEEP(); }"; i=$((i + 1)); done
    echo 'int main(void) { w0(); k(2, a0); return 0; }'
  } >growth.c
  cc -g -O0 -fno-omit-frame-pointer -o growth growth.c 2>cc.txt || fail "cc: $(cat cc.txt)"
  "$M" -q --depth 256 -o growth.mt ./growth >/dev/null 2>&1 || fail "memtrace growth"
  line=$(grep -n 'K_CALL' growth.c | cut -d: -f1)
  "$R" hotspots --top 0 --format csv growth.mt >fresh.csv || fail hotspots
  "$R" hotspots --top 0 --format csv growth.mt >reused.csv || fail hotspots
  expect "k's call site, once" "1,0,k,$PWD/growth.c:$line" "$(grep ",k,.*/growth.c:$line\$" fresh.csv)"
  expect "reused database" "$(cat fresh.csv)" "$(cat reused.csv)"
}

case_stacks_follow_changed_callers() {
  cat >callers.c <<'C'
#include <stdlib.h>
#define KEEP() __asm__ volatile("" ::: "memory") /* no tail call: every caller keeps its frame */
static void *keep[4];
__attribute__((noinline)) static void leaf(int i) {
  free(keep[i & 3]);
  keep[i & 3] = malloc(16 + (size_t)(i & 1));
  KEEP();
}
__attribute__((noinline)) static void mid(int i) { leaf(i); KEEP(); }
__attribute__((noinline)) static void via_a(int i) { mid(i); KEEP(); }
__attribute__((noinline)) static void via_b(int i) { mid(i ^ 4); KEEP(); }
__attribute__((noinline)) static void outer_c(int i) { via_a(i); KEEP(); }
__attribute__((noinline)) static void outer_d(int i) { via_a(i ^ 8); KEEP(); }
__attribute__((noinline)) static void down(int n, int i) {
  if (n)
    down(n - 1, i);
  else
    leaf(i);
  KEEP();
}
__attribute__((noinline)) static void deep_e(int i) { down(120, i); KEEP(); }
__attribute__((noinline)) static void deep_f(int i) { down(120, i ^ 16); KEEP(); }
int main(void) {
  for (int i = 0; i < 1000; i++) {
    via_a(i);
    via_b(i);
  }
  for (int i = 0; i < 500; i++) {
    outer_c(i);
    outer_d(i);
  }
  for (int i = 0; i < 300; i++) {
    deep_e(i);
    deep_f(i);
  }
  for (int i = 0; i < 4; i++)
    free(keep[i]);
  return 0;
}
C
  for build in "gcc-O0 cc -O0" "gcc-O2 cc -O2" "clang-O2 clang -O2"; do
    set -- $build
    name=$1
    shift
    "$@" -g -o "$name" callers.c 2>cc.txt || fail "$*: $(cat cc.txt)"
    "$M" -q --depth 200 -o "$name.mt" "./$name" >/dev/null 2>&1 || fail "memtrace $name"
    "$R" hotspots --by count --top 0 --format csv "$name.mt" >"$name.csv" || fail "hotspots $name"
    expect "$name call sites" "deep_e=300
deep_f=300
leaf=3600
mid=3000
outer_c=500
outer_d=500
via_a=2000
via_b=1000" "$(awk -F, '$3 ~ /^(leaf|mid|via_[ab]|outer_[cd]|deep_[ef])$/ { print $3 "=" $1 }' "$name.csv" | sort)"
  done
}

# Repeated walks: loops allocate from one call path (the unwinder reuses its last walk after
# checking the stack words it read), alternate between two callers of identical frames at
# the same depth, near the allocation and near main (the check must fail: the return address
# changed), and recurse deeper than --depth. Two call sites allocate by turns (each walk
# repeats the one before last, from the thread's recent walks) under callers that change
# every 8 turns, so kept walks go stale and come back. Every allocation's stack must be
# libunwind's: the collapsed stacks with their counts are compared whole, at the default
# depth and at 8 frames, built without and with frame pointers (rbp steers every step).
case_repeated_walks_match_libunwind() {
  cat >repeats.c <<'C'
#include <stdlib.h>
#define KEEP() __asm__ volatile("" ::: "memory") /* no tail call: every caller keeps its frame */
static void *keep[8];
__attribute__((noinline)) static void leaf(int i) {
  free(keep[i & 7]);
  keep[i & 7] = malloc(8 + (size_t)(i & 15));
  KEEP();
}
__attribute__((noinline)) static void via_a(int i) { leaf(i); KEEP(); }
__attribute__((noinline)) static void via_b(int i) { leaf(i + 1); KEEP(); }
__attribute__((noinline)) static void down(int n, int i) {
  if (n)
    down(n - 1, i);
  else if (i & 1)
    via_a(i);
  else
    via_b(i);
  KEEP();
}
static volatile int calls;
/* identical frames, different return addresses into main (the counts keep them apart) */
__attribute__((noinline)) static void outer_c(int n, int i) { down(n, i); calls += 1; }
__attribute__((noinline)) static void outer_d(int n, int i) { down(n, i); calls += 2; }
__attribute__((noinline)) static void other_leaf(int i) {
  free(keep[(i + 3) & 7]);
  keep[(i + 3) & 7] = malloc(24);
  KEEP();
}
__attribute__((noinline)) static void by_turns(int n, int i) {
  if (n)
    by_turns(n - 1, i);
  else {
    leaf(i);
    other_leaf(i);
  }
  KEEP();
}
__attribute__((noinline)) static void turns_e(int n, int i) { by_turns(n, i); calls += 3; }
__attribute__((noinline)) static void turns_f(int n, int i) { by_turns(n, i); calls += 4; }
int main(void) {
  for (int round = 0; round < 30; round++)
    for (int depth = 0; depth < 24; depth++) {
      for (int i = 0; i < 40; i++) /* two call sites by turns, the callers changing */
        if (i & 8)
          turns_e(depth, i);
        else
          turns_f(depth, i);
      for (int i = 0; i < 20; i++)
        outer_c(depth, 1); /* the same path 20 times */
      for (int i = 0; i < 20; i++) { /* via_a and via_b in turn, outer_c and outer_d too */
        if (i & 2)
          outer_c(depth, i);
        else
          outer_d(depth, i);
      }
    }
  for (int i = 0; i < 8; i++)
    free(keep[i]);
  return 0;
}
C
  cc -O2 -g -o repeats repeats.c 2>cc.txt || fail "cc: $(cat cc.txt)"
  cc -O2 -g -fno-omit-frame-pointer -o repeats_fp repeats.c 2>cc.txt || fail "cc: $(cat cc.txt)"
  for prog in repeats repeats_fp; do
    for depth in 64 8; do
      local run="$prog.$depth"
      "$M" -q --depth "$depth" -o "fast.$run.mt" "./$prog" >/dev/null 2>&1 || fail "memtrace $prog"
      MEMTRACE_UNWIND=libunwind "$M" -q --depth "$depth" -o "slow.$run.mt" "./$prog" >/dev/null 2>&1 ||
        fail "memtrace $prog, libunwind"
      "$R" flamegraph --by allocations "fast.$run.mt" | sort >"fast.$run.txt" || fail flamegraph
      "$R" flamegraph --by allocations "slow.$run.mt" | sort >"slow.$run.txt" || fail flamegraph
      expect "$prog: allocations at depth $depth" 86400 \
        "$(awk '{ n += $NF } END { print n }' "fast.$run.txt")"
      expect "$prog: stacks at depth $depth, fast against libunwind" "$(cat "slow.$run.txt")" \
        "$(cat "fast.$run.txt")"
    done
    expect "$prog: via_a's and via_b's allocations at depth 64" "21600 7200" \
      "$(awk '/;via_a;/ { a += $NF } /;via_b;/ { b += $NF } END { print a, b }' "fast.$prog.64.txt")"
    expect "$prog: outer_c's and outer_d's allocations at depth 64" "21600 7200" \
      "$(awk '/;outer_c;/ { c += $NF } /;outer_d;/ { d += $NF } END { print c, d }' "fast.$prog.64.txt")"
    expect "$prog: leaf's and other_leaf's allocations by turns at depth 64" "28800 28800" \
      "$(awk '/;by_turns;leaf/ { a += $NF } /;by_turns;other_leaf/ { b += $NF } END { print a, b }' \
        "fast.$prog.64.txt")"
    expect "$prog: turns_e's and turns_f's allocations at depth 64" "23040 34560" \
      "$(awk '/;turns_e;/ { e += $NF } /;turns_f;/ { f += $NF } END { print e, f }' "fast.$prog.64.txt")"
  done
}

# A fork child that exec'd ran two programs under one pid, each a process of its own:
# --process PID picks the input trace's process among them, else the last program.
case_process_pid_that_execd() {
  cat >fx.c <<'C'
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  (void)malloc(777);
  pid_t pid = fork();
  if (pid == 0) {
    (void)malloc(55);
    execl("/bin/sh", "sh", "-c", "true", (char *)0);
    _exit(1);
  }
  waitpid(pid, NULL, 0);
  return 0;
}
C
  cc -O1 -o fx fx.c 2>cc.txt || fail "cc: $(cat cc.txt)"
  "$M" -q -o "$W/fx.%p.mt" ./fx >/dev/null 2>&1 || fail "memtrace fx"
  set -- fx.*.mt.1
  [ -f "$1" ] || fail "no trace of the exec'd program: $(ls)"
  child=${1#fx.}
  child=${child%.mt.1}
  top=$(ls fx.*.mt | grep -v "fx.$child.mt")
  first() { "$R" summary --process "$child" --format csv "$1" | tail -1 | cut -d, -f1,2; }
  expect "from the parent's trace: the last program" "$(readlink -f /bin/sh),$child" "$(first "$top")"
  expect "from the child's trace" "$(readlink -f fx),$child" "$(first "fx.$child.mt")"
  expect "from the exec'd program's trace" "$(readlink -f /bin/sh),$child" "$(first "fx.$child.mt.1")"
}

"case_$CASE"
