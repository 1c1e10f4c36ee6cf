#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Recorder tests: run_case.sh CASE runs real programs under the real `memtrace` launcher and
# asserts exact values from the launcher's summary and from the traces (read by
# mt-trace-check). Each case runs in its own empty directory; exit 0 pass, 1 fail, 77 skip.
# Environment (set by CMake): MEMTRACE, CHECK, PROGS, EXAMPLES, CC, WORK.
set -u
name=${1:?usage: run_case.sh CASE}
: "${MEMTRACE:?}" "${CHECK:?}" "${PROGS:?}"
mkdir -p "${WORK:-/tmp}"
dir=$(mktemp -d "${WORK:-/tmp}/$name.XXXXXX")
cd "$dir" || exit 1

fail() {
  echo "FAIL ($name): $*" >&2
  for f in facts*.txt err.txt; do [ -f "$f" ] && { echo "--- $f" >&2; head -60 "$f" >&2; }; done
  exit 1
}
skip() { echo "SKIP ($name): $*"; exit 77; }

# has FILE LINE: FILE holds exactly this line.
has() { grep -qxF -- "$2" "$1" || fail "$1 has no line '$2'"; }
# has_re FILE REGEX: some line of FILE matches.
has_re() { grep -qE -- "$2" "$1" || fail "$1 has no line matching '$2'"; }
# expect_rc GOT WANT
expect_rc() { [ "$1" = "$2" ] || fail "exit status $1, expected $2"; }
# facts TRACE OUT: what mt-trace-check reads from a trace.
facts() { "$CHECK" "$1" > "$2" || fail "mt-trace-check cannot read $1"; }
# the single trace whose name starts with PREFIX
trace_named() {
  local f=( "$dir"/"$1".*.mt )
  [ -f "${f[0]}" ] || fail "no trace $1.*.mt in $(ls "$dir")"
  [ ${#f[@]} = 1 ] || fail "several traces $1.*.mt"
  echo "${f[0]}"
}
# The END totals equal the totals recounted from the trace's events.
consistent() {
  local e c
  e=$(grep '^end ' "$1" | grep -oE 'allocations=[0-9]+ frees=[0-9]+ bytes_allocated=[0-9]+')
  c=$(grep '^counted ' "$1" | grep -oE 'allocations=[0-9]+ frees=[0-9]+ bytes_allocated=[0-9]+')
  [ -n "$e" ] && [ "$e" = "$c" ] || fail "END totals '$e' differ from the events '$c'"
}
# wait_for_trace PREFIX: wait (5 s at most) until the program's trace exists, which means
# the launcher has set up its signal handling and the program runs.
wait_for_trace() {
  for _ in $(seq 50); do
    ls "$dir"/"$1".*.mt > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "no trace $1.*.mt after 5 s"
}
# run memtrace with a trace pattern in this directory; stdout/stderr to out.txt/err.txt
mt() {
  "$MEMTRACE" -o "$dir/%n.%p.mt" "$@" > out.txt 2> err.txt
  rc=$?
}
# valgrind_totals PROG ARGS: "A allocs F frees B bytes" as valgrind counts them
valgrind_totals() {
  command -v valgrind > /dev/null || skip "valgrind is not installed (Debian package valgrind)"
  # without libc's exit-time cleanup (__libc_freeres), which frees buffers the program never
  # freed and which memtrace, like the program run natively, never sees
  valgrind --run-libc-freeres=no --run-cxx-freeres=no "$@" 2>&1 >/dev/null | sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes allocated/\1 \2 \3/p' | tr -d ,
}
# compare_with_valgrind PROG ARGS: memtrace's END totals equal valgrind's.
compare_with_valgrind() {
  local v m prog
  v=$(valgrind_totals "$@")
  [ -n "$v" ] || fail "no valgrind totals"
  mt "$@"
  expect_rc "$rc" 0
  prog=$(basename "$1")
  facts "$(trace_named "$prog")" facts.txt
  m=$(sed -n 's/^end .* allocations=\([0-9]*\) frees=\([0-9]*\) bytes_allocated=\([0-9]*\) .*/\1 \2 \3/p' facts.txt)
  [ "$v" = "$m" ] || fail "valgrind counts '$v' (allocs frees bytes), memtrace '$m'"
  consistent facts.txt
}
# need_example NAME: skip unless the example program is built.
need_example() { [ -n "${EXAMPLES:-}" ] && [ -x "$EXAMPLES/$1" ] || skip "examples are not built"; }
# example_figures NAME "END fields": an example's header comment figures, exactly.
example_figures() {
  need_example "$1"
  mt "$EXAMPLES/$1"
  expect_rc "$rc" 0
  facts "$(trace_named "$1")" facts.txt
  has_re facts.txt "^end how=0 status=0 $2\$"
  consistent facts.txt
}

case $name in

entry_points_each_recorded)
  mt "$PROGS/entry_points"
  expect_rc "$rc" 0
  facts "$(trace_named entry_points)" facts.txt
  for line in "event alloc malloc 1001 x1" "event alloc calloc 1010 x1" \
      "event alloc realloc 1020 x1" "event realloc realloc 1030 x1" \
      "event alloc reallocarray 1040 x1" "event realloc reallocarray 1050 x1" \
      "event alloc posix_memalign 1060 x1" "event alloc aligned_alloc 1088 x1" \
      "event alloc memalign 1100 x1" "event alloc valloc 1110 x1" "event alloc pvalloc 1120 x1" \
      "event alloc mmap 8192 x1" "event free mmap 8192 x1" "read complete"; do
    has facts.txt "$line"
  done
  # 11 heap allocations (a realloc of a live block is one allocation and one free), 11 frees;
  # free(NULL) and the mmap are not heap events.
  has facts.txt "end how=0 status=0 allocations=11 frees=11 bytes_allocated=11629 peak_heap=1120 live_bytes=0 live_blocks=0"
  consistent facts.txt
  ;;

cxx_new_delete_recorded)
  [ -x "$PROGS/new_delete" ] || skip "no C++ compiler"
  mt "$PROGS/new_delete"
  expect_rc "$rc" 0
  facts "$(trace_named new_delete)" facts.txt
  has facts.txt "event alloc malloc 1210 x1"
  has facts.txt "event alloc malloc 1230 x1"
  has facts.txt "event alloc malloc 1240 x1"
  consistent facts.txt
  ;;

realloc_counted_as_alloc_and_free)
  mt "$PROGS/realloc_chain"
  expect_rc "$rc" 0
  facts "$(trace_named realloc_chain)" facts.txt
  has facts.txt "event alloc realloc 2000 x1"
  [ "$(grep -c '^event realloc realloc ' facts.txt)" = 15 ] || fail "expected 15 distinct realloc sizes"
  has facts.txt "end how=0 status=0 allocations=16 frees=16 bytes_allocated=42350 peak_heap=3000 live_bytes=0 live_blocks=0"
  consistent facts.txt
  ;;

valgrind_agrees_realloc_chain) compare_with_valgrind "$PROGS/realloc_chain" ;;
valgrind_agrees_threads)
  # Counts only: each thread's DTV (a calloc by glibc) is larger under memtrace because the
  # recorder's own libraries add TLS modules, so the byte totals differ by 8 x 32 bytes.
  v=$(valgrind_totals "$PROGS/threads" | cut -d' ' -f1,2)
  [ -n "$v" ] || fail "no valgrind totals"
  mt "$PROGS/threads"
  expect_rc "$rc" 0
  facts "$(trace_named threads)" facts.txt
  m=$(sed -n 's/^end .* allocations=\([0-9]*\) frees=\([0-9]*\) .*/\1 \2/p' facts.txt)
  [ "$v" = "$m" ] || fail "valgrind counts '$v' (allocs frees), memtrace '$m'"
  ;;
valgrind_agrees_static_constructors)
  # Allocations before the recorder's constructor: a library's constructor (initialised
  # before the preloaded shim) and libstdc++'s emergency pool in a C++ program.
  compare_with_valgrind "$PROGS/early_ctor"
  has out.txt "library first"
  has facts.txt "event alloc posix_memalign 4096 x1"
  if [ -x "$PROGS/new_delete" ]; then
    compare_with_valgrind "$PROGS/new_delete"
    has facts.txt "event alloc malloc 72704 x1"
  fi
  ;;
valgrind_agrees_example_leak)
  need_example example-leak
  compare_with_valgrind "$EXAMPLES/example-leak" ;;
valgrind_agrees_example_small_storm)
  need_example example-small-storm
  compare_with_valgrind "$EXAMPLES/example-small-storm" ;;

threads_all_recorded)
  mt "$PROGS/threads"
  expect_rc "$rc" 0
  facts "$(trace_named threads)" facts.txt
  has facts.txt "event alloc malloc 777 x8000"
  has facts.txt "event alloc malloc 778 x8"
  has facts.txt "read complete"
  n=$(sed -n 's/^threads //p' facts.txt)
  [ "$n" -ge 8 ] || fail "events from $n threads, expected at least 8"
  has_re facts.txt '^end how=0 status=0 allocations=8016 '
  consistent facts.txt
  ;;

fork_child_traced_with_parent_link)
  mt "$PROGS/forker"
  expect_rc "$rc" 7
  traces=( "$dir"/forker.*.mt )
  [ ${#traces[@]} = 2 ] || fail "expected 2 traces (parent and child), got ${#traces[@]}"
  for t in "${traces[@]}"; do
    facts "$t" f.txt
    if grep -q '^process .* origin=1 ' f.txt; then cp f.txt facts-child.txt; child=$t
    else cp f.txt facts-parent.txt; parent=$t; fi
  done
  [ -n "${child:-}" ] || fail "no trace with origin=1 (fork child)"
  has facts-parent.txt "event alloc malloc 111 x3"
  child_pid=$(sed -n 's/^process pid=\([0-9]*\) .*/\1/p' facts-child.txt)
  has facts-parent.txt "fork $child_pid"
  has_re facts-child.txt "^process pid=$child_pid ppid=[0-9]+ origin=1 parent_trace=$parent argc="
  has facts-child.txt "event alloc malloc 222 x5"
  has_re facts-child.txt '^end how=0 status=7 '
  has_re facts-parent.txt '^end how=0 status=7 '
  parent_pid=$(sed -n 's/^process pid=\([0-9]*\) .*/\1/p' facts-parent.txt)
  has_re err.txt "^memtrace:   pid $child_pid \(child of $parent_pid\): $child \([0-9.]+ (B|KiB)\), 5 allocations, exited with status 7\$"
  ;;

orphaned_grandchild_names_its_parent)
  # its parent has exited before the grandchild's trace starts and before it execs: the
  # traces and the launcher's summary still name that parent, not init
  mt "$PROGS/orphan"
  expect_rc "$rc" 0
  traces=( "$dir"/orphan.*.mt* ) # the exec'd image writes orphan.<pid>.mt.1
  [ ${#traces[@]} = 4 ] || fail "expected 4 traces (first, child, grandchild before and after exec), got ${#traces[@]}"
  for t in "${traces[@]}"; do
    facts "$t" f.txt
    pid=$(sed -n 's/^process pid=\([0-9]*\) .*/\1/p' f.txt)
    ppid=$(sed -n 's/^process pid=[0-9]* ppid=\([0-9]*\) .*/\1/p' f.txt)
    if grep -q "^event alloc malloc 432 x1" f.txt; then cp f.txt facts-exec.txt; exec_ppid=$ppid; gc=$pid
    elif grep -q "^event alloc malloc 321 x2" f.txt; then cp f.txt facts-grandchild.txt; gc_ppid=$ppid
    elif grep -q '^process .* origin=1 ' f.txt; then child=$pid; child_ppid=$ppid
    else first=$pid; fi
  done
  [ -n "${child:-}" ] && [ -n "${gc:-}" ] && [ -n "${first:-}" ] || fail "traces: first=${first:-} child=${child:-} grandchild=${gc:-}"
  [ "$child_ppid" = "$first" ] || fail "child's trace names parent $child_ppid, not $first"
  [ "$gc_ppid" = "$child" ] || fail "grandchild's trace names parent $gc_ppid, not $child"
  [ "$exec_ppid" = "$child" ] || fail "grandchild's exec'd trace names parent $exec_ppid, not $child"
  [ "$(grep -c "^memtrace:   pid $gc (child of $child): " err.txt)" = 2 ] ||
    fail "summary does not name $child as the parent of both of $gc's images"
  ;;

namespaces_unshare_and_setns_work)
  # unshare -U and nsenter -m need a process with one thread: the writer steps aside
  command -v unshare > /dev/null && command -v nsenter > /dev/null || skip "util-linux unshare/nsenter missing"
  unshare -U -r id -u > native.txt 2>&1 || skip "user namespaces not allowed here: $(cat native.txt)"
  mt unshare -U -r id -u
  expect_rc "$rc" 0
  [ "$(cat out.txt)" = "$(cat native.txt)" ] || fail "unshare -U -r id -u printed '$(cat out.txt)', natively '$(cat native.txt)'"
  facts "$(trace_named id)" facts.txt
  has_re facts.txt '^end how=0 status=0 '
  if nsenter -t $$ -m true 2> native.txt; then
    mt nsenter -t $$ -m sh -c 'exit 5'
    expect_rc "$rc" 5
    facts "$(trace_named nsenter)" facts.txt
    has_re facts.txt '^end how=2 '
  fi
  ;;

own_malloc_said_not_recorded)
  # the executable's own malloc takes the calls before the preloaded recorder: said at start
  mt "$PROGS/own_malloc"
  expect_rc "$rc" 0
  [ "$(cat out.txt)" = done ] || fail "output '$(cat out.txt)'"
  has err.txt "memtrace: not recorded: allocations by the malloc that the program defines itself, in $(readlink -f "$PROGS/own_malloc")"
  mt "$PROGS/passthrough"
  ! grep -q "not recorded" err.txt || fail "a program using libc's malloc was said to have its own"
  # a program that takes malloc's address (its symbol is a PLT entry, as node's) is not
  mt "$PROGS/malloc_address"
  expect_rc "$rc" 0
  ! grep -q "not recorded" err.txt || fail "a program taking malloc's address was said to have its own"
  facts "$(trace_named malloc_address)" facts.txt
  has facts.txt "event alloc malloc 100 x3"
  ;;

exec_through_script_followed)
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$PROGS/exec_target" > script.sh
  chmod +x script.sh
  mt ./script.sh
  expect_rc "$rc" 0
  facts "$(trace_named exec_target)" facts.txt
  has_re facts.txt '^process pid=[0-9]+ ppid=[0-9]+ origin=2 '
  has facts.txt "event alloc malloc 333 x2"
  has facts.txt "event alloc malloc 334 x1"
  has_re facts.txt '^end how=0 status=0 .* live_bytes=334 live_blocks=1$'
  shell_trace=$(ls "$dir"/*.mt | grep -v exec_target | head -1)
  [ -n "$shell_trace" ] || fail "no trace of the shell that ran the script"
  facts "$shell_trace" facts-shell.txt
  has_re facts-shell.txt '^end how=2 '
  has_re facts-shell.txt "^exec .*exec_target\$"
  # the summary describes the program that ran last in the launched process
  has_re err.txt "^memtrace: trace .*exec_target\.[0-9]+\.mt "
  ;;

dlopen_module_and_unload_recorded)
  mt "$PROGS/dlopener" "$PROGS/libdlmod.so"
  expect_rc "$rc" 0
  facts "$(trace_named dlopener)" facts.txt
  id=$(sed -n 's/^module \([0-9]*\) libdlmod\.so$/\1/p' facts.txt)
  [ -n "$id" ] || fail "no MODULE record for libdlmod.so"
  has facts.txt "unload $id"
  has facts.txt "event alloc malloc 555 x4"
  consistent facts.txt
  ;;

abort_writes_complete_end)
  mt "$PROGS/aborter"
  expect_rc "$rc" 134
  facts "$(trace_named aborter)" facts.txt
  has facts.txt "read complete"
  has facts.txt "event alloc malloc 444 x4"
  has_re facts.txt '^end how=1 status=6 allocations=4 frees=0 bytes_allocated=1776 peak_heap=1776 live_bytes=1776 live_blocks=4$'
  has_re err.txt 'killed by signal 6 \(SIGABRT\)'
  ;;

sigkill_trace_readable)
  mt "$PROGS/self_kill"
  expect_rc "$rc" 137
  facts "$(trace_named self_kill)" facts.txt
  has_re facts.txt '^read MT_(ENOEND|ETRUNCATED)$'
  has facts.txt "event alloc malloc 666 x1000"
  has_re facts.txt '^counted allocations=1000 frees=0 bytes_allocated=666000 peak_heap=666000 live_bytes=666000 live_blocks=1000$'
  has_re err.txt 'killed by signal 9 \(SIGKILL\)'
  has_re err.txt 'the trace is incomplete'
  has_re err.txt '^memtrace: 1000 allocations, 0 frees, 650 KiB allocated in total$'
  ;;

stdio_and_exit_status_pass_through)
  head -c 300000 /dev/urandom > in.bin
  "$PROGS/passthrough" 42 < in.bin > native.out 2> native.err
  "$MEMTRACE" -q -o "$dir/%n.%p.mt" "$PROGS/passthrough" 42 < in.bin > out.bin 2> err.bin
  rc=$?
  expect_rc "$rc" 42
  cmp -s in.bin out.bin || fail "stdout differs from stdin"
  cmp -s native.err err.bin || fail "stderr differs from the native run's"
  # without --quiet the program's stderr comes first, then the summary
  "$MEMTRACE" -o "$dir/%n.%p.mt" "$PROGS/passthrough" 3 < /dev/null > out2.bin 2> err.txt
  expect_rc "$?" 3
  cmp -s native.err <(head -c "$(stat -c %s native.err)" err.txt) || fail "stderr prefix differs"
  has err.txt "memtrace: $PROGS/passthrough exited with status 3"
  ;;

environment_and_cwd_pass_through)
  mkdir sub && cd sub || fail "mkdir"
  MT_TEST_VALUE='a b  c' /bin/sh -c 'pwd; echo "$MT_TEST_VALUE"; exit 5' > native.txt
  MT_TEST_VALUE='a b  c' "$MEMTRACE" -q -o "$dir/%n.%p.mt" /bin/sh -c 'pwd; echo "$MT_TEST_VALUE"; exit 5' > out.txt
  expect_rc "$?" 5
  cmp -s native.txt out.txt || fail "output differs: $(cat out.txt)"
  ;;

sigint_ignored_by_launcher)
  set -m   # own process group, so SIGINT reaches the launcher only and is not pre-ignored
  "$MEMTRACE" -q -o "$dir/%n.%p.mt" "$PROGS/sleeper" 800 > out.txt 2> err.txt &
  pid=$!
  wait_for_trace sleeper
  kill -INT "$pid"
  wait "$pid"
  expect_rc "$?" 0
  ;;

sigterm_forwarded_to_program)
  set -m
  "$MEMTRACE" -o "$dir/%n.%p.mt" "$PROGS/sleeper" 10000 > out.txt 2> err.txt &
  pid=$!
  wait_for_trace sleeper
  start=$SECONDS
  kill -TERM "$pid"
  wait "$pid"
  rc=$?
  expect_rc "$rc" 143
  [ $((SECONDS - start)) -le 3 ] || fail "the program did not stop promptly"
  has_re err.txt 'killed by signal 15 \(SIGTERM\)'
  ;;

static_binary_refused)
  printf 'int main(void) { return 0; }\n' > s.c
  "${CC:-cc}" -static -o static_prog s.c 2> cc.txt || skip "static libc unavailable: $(head -1 cc.txt) (Debian package libc6-dev provides libc.a)"
  start=$(date +%s%N)
  timeout 10 "$MEMTRACE" ./static_prog > out.txt 2> err.txt
  rc=$?
  expect_rc "$rc" 2
  [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 1000 ] || fail "took more than a second"
  [ "$(cat err.txt)" = "memtrace: ./static_prog is statically linked; an LD_PRELOAD profiler cannot see its allocations" ] || fail "message: $(cat err.txt)"
  ls ./*.mt > /dev/null 2>&1 && fail "a trace was written"
  true
  ;;

setuid_binary_refused)
  [ "$(id -u)" = 0 ] || skip "needs root to give a copy to another owner"
  cp "$PROGS/passthrough" suid_prog
  chown 65534 suid_prog && chmod 4755 suid_prog || skip "cannot chown (filesystem)"
  mt ./suid_prog
  expect_rc "$rc" 2
  has_re err.txt '^memtrace: \./suid_prog is setuid/setgid; the dynamic loader ignores LD_PRELOAD'
  [ "$(wc -l < err.txt)" = 1 ] || fail "more than one line"
  ;;

missing_program_127)
  mt no-such-program-memtrace-test
  expect_rc "$rc" 127
  [ "$(cat err.txt)" = "memtrace: no-such-program-memtrace-test: command not found" ] || fail "message: $(cat err.txt)"
  mt ./missing
  expect_rc "$rc" 127
  [ "$(cat err.txt)" = "memtrace: ./missing: No such file or directory" ] || fail "message: $(cat err.txt)"
  ;;

script_without_shebang_runs_with_sh)
  # an executable file of shell commands without "#!": /bin/sh runs it, as execvp and sh do
  printf 'echo "args: $*"\nexit 3\n' > plain.sh
  chmod +x plain.sh
  mt ./plain.sh one two
  expect_rc "$rc" 3
  [ "$(cat out.txt)" = "args: one two" ] || fail "output: $(cat out.txt)"
  ls "$dir"/*.mt > /dev/null 2>&1 || fail "no trace of the shell"
  ;;
not_executable_126)
  printf 'data\n' > plain.txt
  mt ./plain.txt
  expect_rc "$rc" 126
  [ "$(cat err.txt)" = "memtrace: ./plain.txt: Permission denied" ] || fail "message: $(cat err.txt)"
  mt "$dir"
  expect_rc "$rc" 126
  ;;

unwritable_output_refused)
  "$MEMTRACE" -o /nonexistent/x.mt /bin/sh -c 'touch ran' > out.txt 2> err.txt
  rc=$?
  expect_rc "$rc" 2
  [ "$(cat err.txt)" = "memtrace: cannot write trace to /nonexistent/x.mt: No such file or directory" ] || fail "message: $(cat err.txt)"
  [ -e ran ] && fail "the program ran"
  true
  ;;

bad_option_usage_error)
  "$MEMTRACE" --bogus ./x > out.txt 2> err.txt
  expect_rc "$?" 2
  [ "$(cat err.txt)" = "memtrace: unknown option '--bogus'; try 'memtrace --help'" ] || fail "message: $(cat err.txt)"
  "$MEMTRACE" --depth 0 /bin/true > out.txt 2> err.txt
  expect_rc "$?" 2
  [ "$(wc -l < err.txt)" = 1 ] || fail "more than one line for --depth 0"
  "$MEMTRACE" --toggle-signal NOPE /bin/true > out.txt 2> err.txt
  expect_rc "$?" 2
  "$MEMTRACE" > out.txt 2> err.txt
  expect_rc "$?" 2
  [ "$(cat err.txt)" = "memtrace: no program given; try 'memtrace --help'" ] || fail "message: $(cat err.txt)"
  ;;

help_lists_every_option)
  "$MEMTRACE" --help > out.txt 2> err.txt
  expect_rc "$?" 0
  for o in -o --depth --rss-interval --no-follow --start-paused --toggle-signal --zstd-level --quiet --help --version \
      MEMTRACE_OUTPUT MEMTRACE_DEPTH MEMTRACE_RSS_INTERVAL MEMTRACE_FOLLOW MEMTRACE_START_PAUSED MEMTRACE_TOGGLE_SIGNAL \
      MEMTRACE_ZSTD_LEVEL; do
    grep -qe "$o" out.txt || fail "--help does not mention $o"
  done
  "$MEMTRACE" --version > out.txt
  has_re out.txt '^memtrace [0-9]+\.[0-9]+\.[0-9]+$'
  ;;

output_pattern_expanded)
  "$MEMTRACE" -q -o "out-%n-%p.mt" "$PROGS/entry_points" > out.txt 2> err.txt
  expect_rc "$?" 0
  t=$(ls out-entry_points-*.mt) || fail "no out-entry_points-PID.mt"
  facts "$t" facts.txt
  pid=${t#out-entry_points-}; pid=${pid%.mt}
  has_re facts.txt "^process pid=$pid "
  ;;

no_follow_traces_first_process_only)
  mt --no-follow "$PROGS/forker"
  expect_rc "$rc" 7
  n=$(ls "$dir"/forker.*.mt | wc -l)
  [ "$n" = 1 ] || fail "$n traces with --no-follow"
  ;;

summary_reports_totals)
  need_example example-leak
  mt "$EXAMPLES/example-leak"
  expect_rc "$rc" 0
  has err.txt "memtrace: $EXAMPLES/example-leak exited with status 0"
  has err.txt "memtrace: 17 allocations, 1 free, 640 B allocated in total"
  has err.txt "memtrace: leaked 512 B in 16 blocks (still allocated at exit)"
  has_re err.txt "^memtrace: trace $dir/example-leak\.[0-9]+\.mt \([0-9.]+ (B|KiB)\)$"
  has_re err.txt "^memtrace: look at it with: memtrace-(dump|report summary) $dir/example-leak\.[0-9]+\.mt$"
  ;;

summary_says_when_recording_stopped)
  # the trace cannot grow past 1 KiB: the summary gives the counts until then, no leaks
  need_example example-small-storm
  sh -c 'trap "" XFSZ; ulimit -f 2; exec "$0" -o "$1" "$2"' "$MEMTRACE" "$dir/s.mt" \
    "$EXAMPLES/example-small-storm" > out.txt 2> err.txt
  expect_rc $? 0
  has out.txt "example-small-storm: 200000 small blocks allocated and freed"
  has err.txt "memtrace: cannot write the trace: File too large"
  has err.txt "memtrace: recording stopped early; until then:"
  has err.txt "memtrace: the trace holds the events written before the error; leaks at exit are unknown"
  ! grep -q "no leaks\|still allocated at exit" err.txt || fail "leaks claimed: $(cat err.txt)"
  ;;

summary_suggests_report_only_when_installed)
  # an installed-like tree: bin/memtrace and lib/memtrace/libmemtrace.so side by side
  mkdir -p tree/bin tree/lib/memtrace
  cp "$MEMTRACE" tree/bin/memtrace
  shim=$(readlink -f "$(dirname "$MEMTRACE")/../lib/memtrace/libmemtrace.so" 2>/dev/null)
  [ -f "$shim" ] || shim=$(ls "$(dirname "$MEMTRACE")"/../lib*/memtrace/libmemtrace.so "$(dirname "$MEMTRACE")"/../lib/*/memtrace/libmemtrace.so 2>/dev/null | head -1)
  [ -f "$shim" ] || skip "shim not found next to $MEMTRACE"
  cp "$shim" tree/lib/memtrace/libmemtrace.so
  MEMTRACE_LIBRARY= tree/bin/memtrace -o "$dir/%n.%p.mt" "$PROGS/entry_points" 2> err.txt
  expect_rc "$?" 0
  has_re err.txt "^memtrace: look at it with: memtrace-dump $dir/entry_points\.[0-9]+\.mt\$"
  printf '#!/bin/sh\nexit 0\n' > tree/bin/memtrace-report
  chmod +x tree/bin/memtrace-report
  MEMTRACE_LIBRARY= tree/bin/memtrace -o "$dir/%n.%p.mt" "$PROGS/entry_points" 2> err.txt
  has_re err.txt "^memtrace: look at it with: memtrace-report summary $dir/entry_points\.[0-9]+\.mt\$"
  ;;

example_leak_figures) example_figures example-leak 'allocations=17 frees=1 bytes_allocated=640 peak_heap=640 live_bytes=512 live_blocks=16' ;;
example_realloc_growth_figures) example_figures example-realloc-growth 'allocations=4096 frees=4096 bytes_allocated=134250496 peak_heap=65536 live_bytes=0 live_blocks=0' ;;
example_small_storm_figures) example_figures example-small-storm 'allocations=200000 frees=200000 bytes_allocated=4000000 peak_heap=4000000 live_bytes=0 live_blocks=0' ;;
example_temporaries_figures) example_figures example-temporaries 'allocations=10000 frees=10000 bytes_allocated=2560000 peak_heap=256 live_bytes=0 live_blocks=0' ;;
start_paused_until_toggle)
  mt --start-paused "$PROGS/toggle" 12
  expect_rc "$rc" 0
  facts "$(trace_named toggle)" facts.txt
  has_re facts.txt '^options .*start_paused=1 '
  grep -q "event alloc malloc 1501 " facts.txt && fail "events recorded while paused"
  has facts.txt "event alloc malloc 1502 x5"
  ;;

toggle_signal_by_name)
  mt --toggle-signal SIGUSR1 "$PROGS/toggle" 10
  expect_rc "$rc" 0
  facts "$(trace_named toggle)" facts.txt
  has_re facts.txt '^options .*toggle_signal=10$'
  has facts.txt "event alloc malloc 1501 x10"
  grep -q "event alloc malloc 1502 " facts.txt && fail "events recorded after the pause signal"
  true
  ;;

depth_option_limits_stacks)
  mt "$PROGS/realloc_chain"
  facts "$(trace_named realloc_chain)" facts-default.txt
  d=$(sed -n 's/^max_stack_depth //p' facts-default.txt)
  [ "$d" -gt 3 ] || fail "default stacks only $d deep"
  rm -f "$dir"/*.mt
  mt --depth 3 "$PROGS/realloc_chain"
  facts "$(trace_named realloc_chain)" facts.txt
  has_re facts.txt '^options depth=3 '
  has facts.txt "max_stack_depth 3"
  # the environment twin reaches the recorder when no option overrides it
  rm -f "$dir"/*.mt
  MEMTRACE_DEPTH=2 "$MEMTRACE" -q -o "$dir/%n.%p.mt" "$PROGS/realloc_chain"
  facts "$(trace_named realloc_chain)" facts-env.txt
  has facts-env.txt "max_stack_depth 2"
  ;;

rss_interval_option)
  mt --rss-interval 10 "$PROGS/sleeper" 600
  expect_rc "$rc" 0
  facts "$(trace_named sleeper)" facts.txt
  has_re facts.txt '^options .*rss_interval=10 '
  n=$(sed -n 's/^rss_samples //p' facts.txt)
  [ "$n" -ge 10 ] || fail "$n RSS samples in 600 ms at 10 ms"
  rm -f "$dir"/*.mt
  mt --rss-interval 0 "$PROGS/sleeper" 100
  facts "$(trace_named sleeper)" facts.txt
  has_re facts.txt '^options .*rss_interval=0 '
  has facts.txt "rss_samples 0"
  ;;

zstd_level_option)
  # A fixed level changes the trace's size, never its records; auto is the default.
  need_example example-small-storm
  mt --zstd-level 1 "$EXAMPLES/example-small-storm"
  expect_rc "$rc" 0
  t=$(trace_named example-small-storm)
  facts "$t" facts-1.txt
  has_re facts-1.txt '^options .*zstd_level=1 '
  size1=$(stat -c %s "$t")
  rm -f "$dir"/*.mt
  MEMTRACE_ZSTD_LEVEL=12 "$MEMTRACE" -q -o "$dir/%n.%p.mt" "$EXAMPLES/example-small-storm" > out.txt
  t=$(trace_named example-small-storm)
  facts "$t" facts-12.txt
  has_re facts-12.txt '^options .*zstd_level=12 '
  size12=$(stat -c %s "$t")
  [ $((size12 * 4)) -lt "$size1" ] || fail "level 12 wrote $size12 bytes, level 1 $size1"
  grep -E '^(end|event|counted) ' facts-1.txt > events-1.txt
  grep -E '^(end|event|counted) ' facts-12.txt > events-12.txt
  cmp -s events-1.txt events-12.txt || fail "records differ between levels: $(diff events-1.txt events-12.txt | head -5)"
  has events-12.txt "event alloc malloc 24 x100000"
  rm -f "$dir"/*.mt
  mt --zstd-level auto "$EXAMPLES/example-small-storm"
  facts "$(trace_named example-small-storm)" facts-auto.txt
  has_re facts-auto.txt '^options .*zstd_level=auto '
  "$MEMTRACE" --zstd-level 20 true > out.txt 2> err.txt
  expect_rc "$?" 2
  [ "$(cat err.txt)" = "memtrace: --zstd-level expects a number from 1 to 19, not '20'; try 'memtrace --help'" ] || fail "message: $(cat err.txt)"
  ;;

example_pool_custom_figures)
  example_figures example-pool 'allocations=1 frees=1 bytes_allocated=4096 peak_heap=4096 live_bytes=0 live_blocks=0'
  has facts.txt "event alloc custom 64 x3000"
  has facts.txt "event free custom 0 x2990"
  ;;
example_phases_markers)
  example_figures example-phases 'allocations=600 frees=600 bytes_allocated=132000 peak_heap=100064 live_bytes=0 live_blocks=0'
  [ "$(grep '^marker ' facts.txt | tr '\n' ' ')" = "marker load marker process marker cleanup " ] || fail "markers out of order"
  ;;

*)
  echo "run_case.sh: unknown case '$name'" >&2
  exit 2
  ;;
esac
rm -rf "$dir"
exit 0
