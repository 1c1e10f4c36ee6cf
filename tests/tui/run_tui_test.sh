#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs one memtrace-tui test case: the real program in a detached 80x24 tmux session, driven
# with send-keys, asserting the exact screen text from capture-pane. Traces come from
# make_trace (exactly known content); every wait polls the screen, never a fixed sleep.
# usage: run_tui_test.sh CASE MEMTRACE_TUI MAKE_TRACE WORKDIR MEMTRACE_REPORT
set -u
case_name=$1 tui=$2 make_trace=$3 root=$4 report=$5
src=$(cd "$(dirname "$0")" && pwd)/make_trace.c
dir=$root/$case_name
rm -rf "$dir" && mkdir -p "$dir" || exit 1
cd "$dir" || exit 1

sock=mt-tui-$case_name-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1' EXIT

screen() { tm capture-pane -p -t tui 2>/dev/null; }
# End this tmux server and use a fresh socket for the next start (a server that is still
# exiting must not take the new session down with it).
new_server() {
  tm kill-server >/dev/null 2>&1
  sock=$sock.next
}
fail() {
  echo "FAIL ($case_name): $*"
  echo "--- screen:"
  screen
  exit 1
}
keys() { tm send-keys -t tui "$@"; }
type_text() { tm send-keys -t tui -l "$1"; }

# Start memtrace-tui in an 80x24 session; its exit status is printed when it ends.
# ENV holds extra environment assignments (LANG, NO_COLOR).
start() {
  local env=${ENV:-LANG=C.UTF-8 LC_ALL=C.UTF-8}
  tm new-session -d -s tui -x 80 -y 24 \
    "env $env $tui $*; echo \"EXIT \$?\"; sleep 600" || fail "cannot start tmux"
}

# Wait (up to 20 s, for loaded machines) until the screen contains text.
wait_for() {
  local end=$((SECONDS + 20))
  until screen | grep -qF -- "$1"; do
    [ $SECONDS -ge $end ] && fail "timed out waiting for: $1"
    sleep 0.05
  done
}

# Wait until a whole screen line is exactly the text.
wait_line() {
  local end=$((SECONDS + 20))
  until screen | grep -qxF -- "$1"; do
    [ $SECONDS -ge $end ] && fail "no line: [$1]"
    sleep 0.05
  done
}

# Wait until a line that contained `old` no longer does (the screen moved on).
wait_gone() {
  local end=$((SECONDS + 20))
  while screen | grep -qF -- "$1"; do
    [ $SECONDS -ge $end ] && fail "still on screen: $1"
    sleep 0.05
  done
}

# Assert screen line N (1-based) is exactly the text, once the screen has settled on it.
line_is() {
  local end=$((SECONDS + 20)) got
  while :; do
    got=$(screen | sed -n "$1p")
    [ "$got" = "$2" ] && return 0
    [ $SECONDS -ge $end ] && fail "line $1 is [$got], expected [$2]"
    sleep 0.05
  done
}

# Wait until the screen, with its escape sequences, matches an extended regex.
wait_escapes() {
  local end=$((SECONDS + 20))
  until tm capture-pane -p -e -t tui 2>/dev/null | grep -qE -- "$1"; do
    [ $SECONDS -ge $end ] && fail "$2"
    sleep 0.05
  done
}

# The source line of a make_trace function, as the symbolizer reports it.
line_of() { grep -n "static void $1(void)" "$src" | cut -d: -f1; }

trace() { "$make_trace" "$dir/$1.mt" "$1" || fail "make_trace $1"; }

# Open the "before" trace (ingesting it) and wait for the first screen.
open_before() {
  trace before
  start "$dir/before.mt" "$@"
  wait_for "1 Summary 2 Top-down"
}

# Two traces ingested into one database, and the TUI on it (with its Processes tab).
open_two_processes() {
  trace "$1"
  trace "$2"
  "$report" ingest --db run.db "$1.mt" "$2.mt" >/dev/null 2>&1 || fail "memtrace-report ingest"
  start run.db
  wait_line "1 Sum 2 Down 3 Up 4 Hot 5 Leak 6 Peak 7 Mark 8 Stack 9 Proc"
}

L_RUN=$(line_of run_app) L_PARSE=$(line_of parse_config) L_LOAD=$(line_of load_table)
L_GROW=$(line_of grow_table) L_BUF=$(line_of make_buffer) L_LOG=$(line_of log_message)

case $case_name in
not_a_terminal_exits_2)
  trace before
  "$tui" "$dir/before.mt" </dev/null >out.txt 2>err.txt
  status=$?
  [ $status -eq 2 ] || fail "exit status $status, expected 2"
  [ "$(wc -l <err.txt)" -eq 1 ] || fail "expected one line of error: $(cat err.txt)"
  grep -qx "memtrace-tui: not a terminal: memtrace-tui is interactive (use memtrace-report for text output)" err.txt ||
    fail "wrong message: $(cat err.txt)"
  [ ! -s out.txt ] || fail "wrote to stdout"
  ;;
unreadable_input_exits_2)
  start missing.mt
  wait_for "EXIT 2"
  wait_line "memtrace-tui: cannot read missing.mt: No such file or directory"
  ;;
unknown_terminal_exits_2)
  trace before
  # ncurses keeps the screen it failed to set up: not ours to free, so no leak check here
  ENV="LANG=C.UTF-8 TERM=no-such-terminal ASAN_OPTIONS=detect_leaks=0" start before.mt
  wait_for "EXIT 2"
  wait_line "memtrace-tui: cannot use the terminal (TERM=no-such-terminal)"
  ;;
dumb_terminal_exits_2)
  trace before
  ENV="LANG=C.UTF-8 TERM=dumb ASAN_OPTIONS=detect_leaks=0" start before.mt
  wait_for "EXIT 2"
  wait_line "memtrace-tui: cannot use the terminal (TERM=dumb): it cannot move the cursor"
  ;;
summary_shows_exact_figures)
  open_before
  line_is 2 " Program  demo --rows 3"
  line_is 3 " Process  pid 4242, exited with status 0, ran 24.0 us"
  line_is 5 " Allocations       10                    Peak heap     7,612 B (7.4 KiB)"
  line_is 6 " Frees             8                     Peak RSS      12,288 B (12.0 KiB)"
  line_is 7 " Bytes allocated   7,968 B (7.8 KiB)     Leaked bytes  612 B"
  line_is 8 " Temporary allocs  4                     Leaked blocks 2"
  line_is 9 " mmap outstanding  0 B                   Custom allocs 0"
  ;;
summary_chart_draws_heap_and_rss)
  open_before
  line_is 11 " Heap (█) and RSS (•) over time"
  screen | sed -n 12p | grep -q "^12.0 KiB │ *•••" || fail "RSS line not at the top of the chart"
  screen | sed -n 21p | grep -q "^       0 │.*██████" || fail "no heap bars on the bottom row"
  line_is 22 "         └─────────────────────────────────────────────────────────────────────"
  line_is 23 "          0                                                             24.0 us"
  ;;
top_down_enter_expands_node)
  open_before
  keys 2
  # the only root opens by itself; the tree stops there because run_app branches
  line_is 2 "Inclusive      %      Self  Function (top-down)   cost: bytes"
  line_is 3 "  7.8 KiB 100.0%       0 B  ▾ run_app  make_trace.c:$L_RUN"
  line_is 4 "  7.3 KiB  94.3%       0 B  ├─▸ load_table  make_trace.c:$L_LOAD"
  line_is 5 "    256 B   3.2%     256 B  ├─  log_message  make_trace.c:$L_LOG"
  line_is 6 "    200 B   2.5%     200 B  └─  parse_config  make_trace.c:$L_PARSE"
  line_is 7 ""
  keys j Enter
  line_is 4 "  7.3 KiB  94.3%       0 B  ├─▾ load_table  make_trace.c:$L_LOAD"
  line_is 5 "  6.8 KiB  87.9%   6.8 KiB  │ ├─  grow_table  make_trace.c:$L_GROW"
  line_is 6 "    512 B   6.4%     512 B  │ └─  make_buffer  make_trace.c:$L_BUF"
  line_is 7 "    256 B   3.2%     256 B  ├─  log_message  make_trace.c:$L_LOG"
  keys Enter
  line_is 5 "    256 B   3.2%     256 B  ├─  log_message  make_trace.c:$L_LOG"
  keys l l
  line_is 6 "    512 B   6.4%     512 B  │ └─  make_buffer  make_trace.c:$L_BUF"
  keys h h h h
  line_is 3 "  7.8 KiB 100.0%       0 B  ▸ run_app  make_trace.c:$L_RUN"
  line_is 4 ""
  ;;
cost_switch_reweighs_tree)
  open_before
  keys 2 e
  wait_line "  6.8 KiB  87.9%   6.8 KiB  │ ├─  grow_table  make_trace.c:$L_GROW"
  keys c
  line_is 2 "Inclusive      %      Self  Function (top-down)   cost: leaked"
  line_is 3 "    612 B 100.0%       0 B  ▾ run_app  make_trace.c:$L_RUN"
  line_is 4 "    512 B  83.7%       0 B  ├─▾ load_table  make_trace.c:$L_LOAD"
  line_is 5 "    512 B  83.7%     512 B  │ ├─  make_buffer  make_trace.c:$L_BUF"
  line_is 6 "      0 B   0.0%       0 B  │ └─  grow_table  make_trace.c:$L_GROW"
  line_is 7 "    100 B  16.3%     100 B  ├─  parse_config  make_trace.c:$L_PARSE"
  keys c c c
  line_is 2 "Inclusive      %      Self  Function (top-down)   cost: allocations"
  line_is 3 "       10 100.0%         0  ▾ run_app  make_trace.c:$L_RUN"
  ;;
bottom_up_starts_at_allocating_functions)
  open_before
  keys 3
  line_is 2 "Inclusive      %      Self  Function (bottom-up)   cost: bytes"
  line_is 3 "  6.8 KiB  87.9%   6.8 KiB  ▸ grow_table  make_trace.c:$L_GROW"
  line_is 4 "    512 B   6.4%     512 B  ▸ make_buffer  make_trace.c:$L_BUF"
  line_is 5 "    256 B   3.2%     256 B  ▸ log_message  make_trace.c:$L_LOG"
  line_is 6 "    200 B   2.5%     200 B  ▸ parse_config  make_trace.c:$L_PARSE"
  keys e
  line_is 4 "  6.8 KiB  87.9%       0 B  └─▾ load_table  make_trace.c:$L_LOAD"
  line_is 5 "  6.8 KiB  87.9%       0 B    └─  run_app  make_trace.c:$L_RUN"
  ;;
hotspots_sort_cycles_columns)
  open_before
  keys 4
  line_is 2 "   Allocs    ▼Bytes    Leaked      Peak      Temp  Function (self)"
  line_is 3 "        3   6.8 KiB       0 B   6.8 KiB         0  grow_table  make_trace.c:$L_GROW"
  line_is 4 "        1     512 B     512 B     512 B         0  make_buffer  make_trace.c:$L_BUF"
  line_is 5 "        4     256 B       0 B       0 B         4  log_message  make_trace.c:$L_LOG"
  line_is 6 "        2     200 B     100 B     100 B         0  parse_config  make_trace.c:$L_PARSE"
  keys s
  line_is 2 "   Allocs     Bytes   ▼Leaked      Peak      Temp  Function (self)"
  line_is 3 "        1     512 B     512 B     512 B         0  make_buffer  make_trace.c:$L_BUF"
  line_is 4 "        2     200 B     100 B     100 B         0  parse_config  make_trace.c:$L_PARSE"
  keys s s
  line_is 2 "   Allocs     Bytes    Leaked      Peak     ▼Temp  Function (self)"
  line_is 3 "        4     256 B       0 B       0 B         4  log_message  make_trace.c:$L_LOG"
  keys a
  line_is 2 "   Allocs     Bytes    Leaked      Peak     ▼Temp  Function (inclusive)"
  line_is 3 "       10   7.8 KiB     612 B   7.4 KiB         4  run_app  make_trace.c:$L_RUN"
  ;;
search_finds_and_expands_to_match)
  open_before
  keys 2
  wait_line "  7.8 KiB 100.0%       0 B  ▾ run_app  make_trace.c:$L_RUN"
  keys /
  line_is 24 "/"
  type_text make_buf
  line_is 24 "/make_buf"
  keys Enter
  line_is 6 "    512 B   6.4%     512 B  │ └─  make_buffer  make_trace.c:$L_BUF"
  keys i
  line_is 2 " heaviest stack (bytes) through make_buffer"
  # from make_buffer the walk wraps to load_table; n goes on to grow_table
  keys 2 / && type_text table && keys Enter n i
  line_is 2 " heaviest stack (bytes) through grow_table"
  keys 2 / && type_text nothing_like_this && keys Enter
  line_is 24 " no match for \"nothing_like_this\""
  ;;
filter_limits_screens)
  open_before
  keys 2 f
  wait_for "filter (function, file or module):"
  type_text log_mess
  keys Enter
  wait_for "filter: log_mess"
  line_is 3 "    256 B 100.0%       0 B  ▾ run_app  make_trace.c:$L_RUN"
  line_is 4 "    256 B 100.0%     256 B  └─  log_message  make_trace.c:$L_LOG"
  line_is 5 ""
  keys 5
  line_is 4 " no stack matches the filter"
  keys f C-u Enter
  wait_gone "filter: log_mess"
  line_is 4 "    512 B       1       1  make_buffer  make_trace.c:$L_BUF"
  # a filter longer than the status line has room for shows its end; one that fills the
  # prompt's 127 bytes in the middle of a character loses that character's first byte
  keys f
  wait_for "filter (function, file or module):"
  type_text "$(printf 'a%.0s' $(seq 126))é"
  keys Enter
  line_is 24 " ?:help  Tab:screen  /:search  f:filter  q:quit  filter: ..aaaaaaaaaaaaaaaaaaaa"
  ;;
leaks_enter_shows_stack_with_file_line)
  open_before
  keys 5
  line_is 2 " Leaked 612 B in 2 blocks from 2 stacks"
  line_is 3 "  ▼Leaked  Blocks  Allocs  Function and location"
  line_is 4 "    512 B       1       1  make_buffer  make_trace.c:$L_BUF"
  line_is 5 "    100 B       1       2  parse_config  make_trace.c:$L_PARSE"
  keys s s
  line_is 3 "   Leaked  Blocks ▼Allocs  Function and location"
  line_is 4 "    100 B       1       2  parse_config  make_trace.c:$L_PARSE"
  keys s
  line_is 4 "    512 B       1       1  make_buffer  make_trace.c:$L_BUF"
  keys Enter
  line_is 2 " make_buffer: leaked 512 B"
  line_is 3 " 1 allocs, 512 B, leaked 512 B in 1 blocks, 512 B at peak, 0 temporary"
  screen | sed -n 5p | grep -qx "  0  make_buffer  /.*/make_trace.c:$L_BUF" || fail "frame 0"
  screen | sed -n 6p | grep -qx "  1  load_table  /.*/make_trace.c:$L_LOAD" || fail "frame 1"
  screen | sed -n 7p | grep -qx "  2  run_app  /.*/make_trace.c:$L_RUN" || fail "frame 2"
  ;;
peak_lists_stacks_live_at_peak)
  open_before
  keys 6
  line_is 2 " Peak heap 7.4 KiB at 8.0 us (event 8)"
  line_is 3 " ▼At peak  Blocks  Allocs  Function and location"
  line_is 4 "  6.8 KiB       3       3  grow_table  make_trace.c:$L_GROW"
  line_is 5 "    512 B       1       1  make_buffer  make_trace.c:$L_BUF"
  line_is 6 "    100 B       1       2  parse_config  make_trace.c:$L_PARSE"
  ;;
markers_list_labels_and_heap)
  open_before
  keys 7
  line_is 2 " 3 markers (memtrace_mark)"
  line_is 4 "    1.0 us          1        0 B          0  start"
  line_is 5 "   10.0 us         10    7.4 KiB   +7.4 KiB  loaded"
  line_is 6 "   23.0 us         23      612 B   -6.8 KiB  done"
  ;;
help_lists_every_key)
  open_before
  keys '?'
  line_is 2 " Keys (q, Esc or ? closes)"
  line_is 3 "  Up k       move the selection up       Down j     move the selection down"
  line_is 6 "  Home g     first entry                 End G      last entry"
  line_is 7 "  Enter      expand/collapse a node; in lists, show the stack"
  line_is 12 "  c          switch cost: allocations, bytes, leaked, peak, temporary"
  line_is 15 "  /          search for a function name  n          next match of the search"
  line_is 18 "  1 2 3 4 5 6 7 8 9 0 go to screen by number"
  line_is 19 "  ? F1       show this help              ^L         redraw the screen"
  line_is 20 "  q F10      quit (closes the help first)"
  line_is 21 ""
  keys q
  wait_line " ?:help  Tab:screen  /:search  f:filter  q:quit"
  line_is 5 " Allocations       10                    Peak heap     7,612 B (7.4 KiB)"
  ;;
quit_exits_zero)
  open_before
  keys q
  wait_for "EXIT 0"
  ;;
resize_redraws_at_new_size)
  trace before
  trace after
  start "$dir/before.mt" "$dir/after.mt"
  wait_line "1 Sum 2 Down 3 Up 4 Hot 5 Leak 6 Peak 7 Mark 8 Stack 9 Diff"
  tm resize-window -t tui -x 100 -y 30
  wait_line "1 Summary 2 Top-down 3 Bottom-up 4 Hotspots 5 Leaks 6 Peak 7 Markers 8 Stack 9 Diff"
  line_is 30 " ?:help  Tab:screen  /:search  f:filter  q:quit"
  tm resize-window -t tui -x 30 -y 6
  wait_line "terminal too small"
  tm resize-window -t tui -x 80 -y 24
  wait_line "1 Sum 2 Down 3 Up 4 Hot 5 Leak 6 Peak 7 Mark 8 Stack 9 Diff"
  ;;
diff_screen_shows_totals_and_sites)
  trace before
  trace after
  start "$dir/before.mt" "$dir/after.mt"
  line_is 2 " Diff: before.mt.db -> after.mt.db"
  line_is 3 "                        Before        After       Change"
  line_is 4 " Allocations                10            9           -1"
  line_is 5 " Bytes allocated       7.8 KiB     15.5 KiB     +7.7 KiB"
  line_is 6 " Peak heap             7.4 KiB     15.2 KiB     +7.8 KiB"
  line_is 7 " Leaked bytes            612 B        100 B       -512 B"
  line_is 8 " Temporary                   4            2           -2"
  line_is 10 "    Before      After     Change  Call site   cost: bytes"
  line_is 11 "   6.8 KiB   14.6 KiB   +7.8 KiB  grow_table  make_trace.c:$L_GROW"
  line_is 12 "     256 B      128 B     -128 B  log_message  make_trace.c:$L_LOG"
  keys c
  line_is 10 "    Before      After     Change  Call site   cost: leaked"
  line_is 11 "     512 B        0 B     -512 B  make_buffer  make_trace.c:$L_BUF"
  line_is 12 "     100 B      100 B          0  parse_config  make_trace.c:$L_PARSE"
  ;;
database_input_opens_directly)
  trace before
  start "$dir/before.mt"
  wait_for "1 Summary 2 Top-down"
  keys q
  wait_for "EXIT 0"
  new_server
  [ -f "$dir/before.mt.db" ] || fail "no database next to the trace"
  rm "$dir/before.mt"
  start "$dir/before.mt.db"
  line_is 5 " Allocations       10                    Peak heap     7,612 B (7.4 KiB)"
  ;;
ascii_fallback_without_utf8)
  # a name that is not ASCII: one '?' a byte, the columns after it in place
  trace killed
  ENV="LANG=C LC_ALL=C" start "$dir/killed.mt"
  wait_for "1 Summary"
  line_is 2 " Program  d??mo --rows 3"
  new_server
  ENV="LANG=C LC_ALL=C" open_before
  line_is 11 " Heap (#) and RSS (*) over time"
  line_is 22 "         +---------------------------------------------------------------------"
  keys 2 e
  line_is 4 "  7.3 KiB  94.3%       0 B  |-- load_table  make_trace.c:$L_LOAD"
  line_is 5 "  6.8 KiB  87.9%   6.8 KiB  | |-  grow_table  make_trace.c:$L_GROW"
  ;;
no_color_means_monochrome)
  colour=$'\e''\[([0-9]+;)*[34][0-7](;[0-9]+)*m'
  ENV="LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1" open_before
  wait_line " ?:help  Tab:screen  /:search  f:filter  q:quit"
  wait_escapes $'\e''\[7m' "no reverse video for the status line"
  tm capture-pane -p -e -t tui | grep -qE "$colour" && fail "colour escapes with NO_COLOR"
  new_server
  ENV="LANG=C.UTF-8 LC_ALL=C.UTF-8" start "$dir/before.mt"
  wait_escapes "$colour" "no colours without NO_COLOR"
  ;;
mouse_click_on_tab_switches_screen)
  open_before
  # an X10 mouse press and release (TERM=screen's kmous) on column 33 of the tab bar,
  # inside "4 Hotspots"
  col=$(printf "\\x%x" $((32 + 33 + 1)))
  type_text "$(printf "\033[M %b!" "$col")"
  type_text "$(printf "\033[M#%b!" "$col")"
  line_is 2 "   Allocs    ▼Bytes    Leaked      Peak      Temp  Function (self)"
  ;;
same_name_functions_stay_apart)
  trace twins
  start "$dir/twins.mt"
  wait_for "1 Summary 2 Top-down"
  L_OTHER=$(grep -n "static void log_message(void)" "$(dirname "$src")/other_unit.c" | cut -d: -f1)
  keys 2
  line_is 3 "    192 B 100.0%       0 B  ▾ run_app  make_trace.c:$L_RUN"
  line_is 4 "    128 B  66.7%     128 B  ├─  log_message  other_unit.c:$L_OTHER"
  line_is 5 "     64 B  33.3%      64 B  └─  log_message  make_trace.c:$L_LOG"
  keys 4
  line_is 3 "        1     128 B       0 B     128 B         1  log_message  other_unit.c:$L_OTHER"
  line_is 4 "        1      64 B       0 B      64 B         0  log_message  make_trace.c:$L_LOG"
  ;;
leaks_and_peak_show_site_past_wrappers)
  trace wrapped
  start "$dir/wrapped.mt"
  wait_for "1 Summary 2 Top-down"
  keys 5
  # the stdio buffer is left out, as memtrace-report leaks leaves it out
  line_is 2 " Leaked 812 B in 2 blocks from 2 stacks; 64 B in 1 suppressed"
  line_is 4 "    512 B       1       1  make_buffer  make_trace.c:$L_BUF"
  line_is 5 "    300 B       1       1  load_table  make_trace.c:$L_LOAD"
  line_is 6 ""
  keys 6
  line_is 5 "    300 B       1       1  load_table  make_trace.c:$L_LOAD"
  keys Down Enter
  line_is 2 " load_table: held at peak 300 B"
  screen | sed -n 5p | grep -qx "  0  memtrace_alloc  /.*/make_trace.c:$(line_of memtrace_alloc)" ||
    fail "frame 0"
  screen | sed -n 6p | grep -qx "  1  load_table  /.*/make_trace.c:$L_LOAD" || fail "frame 1"
  ;;
processes_screen_switches_process)
  open_two_processes before after
  line_is 4 " Process 1 of 2 in this database (-p PID shows another)."
  line_is 5 " Allocations       10                    Peak heap     7,612 B (7.4 KiB)"
  keys 2
  wait_line "  7.8 KiB 100.0%       0 B  ▾ run_app  make_trace.c:$L_RUN"
  keys 9
  line_is 2 " 2 processes in this database; Enter shows one on every screen"
  line_is 3 "      PID  Parent Origin    Allocs      Peak    Leaked  Command"
  line_is 4 "*    4242       1 launch        10   7.4 KiB     612 B  demo --rows 3"
  line_is 5 "     4242       1 launch         9  15.2 KiB     100 B  demo --rows 3"
  keys j Enter
  line_is 4 " Process 2 of 2 in this database (-p PID shows another)."
  line_is 5 " Allocations       9                     Peak heap     15,612 B (15.2 KiB)"
  keys 2
  line_is 3 " 15.5 KiB 100.0%       0 B  ▾ run_app  make_trace.c:$L_RUN"
  keys 9
  line_is 5 "*    4242       1 launch         9  15.2 KiB     100 B  demo --rows 3"
  ;;
diff_title_says_partial_trace)
  trace before
  trace killed
  start "$dir/before.mt" "$dir/killed.mt"
  line_is 2 " Diff: before.mt.db -> killed.mt.db (partial trace)"
  ;;
killed_process_ran_at_least_until_last_event)
  trace killed
  start "$dir/killed.mt"
  wait_for "1 Summary 2 Top-down"
  line_is 2 " Program  démo --rows 3"
  line_is 3 " Process  pid 4242, killed or still running, ran at least 23.0 us"
  screen | sed -n 4p | grep -q "^ partial trace: trace has no end record" || fail "partial trace line"
  ;;
processes_leaked_leaves_out_suppressed)
  # wrapped.mt leaks 876 B, 64 B of it a stdio buffer the built-in suppressions match
  open_two_processes before wrapped
  keys 9
  line_is 4 "*    4242       1 launch        10   7.4 KiB     612 B  demo --rows 3"
  line_is 5 "     4242       1 launch         3     876 B     812 B  demo --rows 3"
  ;;
*)
  echo "unknown case $case_name"
  exit 2
  ;;
esac
# Every case ends with a clean quit: status 0, and no sanitizer report in sanitized builds.
if tm has-session -t tui 2>/dev/null && ! screen | grep -q "^EXIT "; then
  keys q
  wait_for "EXIT "
  screen | grep -qx "EXIT 0" || fail "did not quit cleanly"
fi
echo "PASS $case_name"
