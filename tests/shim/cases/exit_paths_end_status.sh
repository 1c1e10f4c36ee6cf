# SPDX-License-Identifier: MIT
# Every way out writes END with the right how/status: return, exit, _exit, atexit handler
# allocating after main (counted), quick_exit after its handlers, SIGSEGV and SIGTERM (how 1,
# exit status preserved), a stack overflow in the main thread and in another one, a program
# handler that re-raises with the default action or after an SA_RESETHAND reset, and every
# other signal whose default action terminates (SIGPIPE of a closed pipe, SIGALRM, SIGUSR1,
# a real-time signal).
. "$LIB"
run() { rm -f x.mt; traced x.mt "$PROGS/exit_paths" "$1"; expect_rc "$2"; shift 2; check x.mt reader=complete "$@"; }
run return 3 end.how=0 end.status=3 end.allocations=2
run exit 4 end.how=0 end.status=4
run _exit 5 end.how=0 end.status=5
run atexit 0 end.how=0 end.status=0 end.allocations=3 end.bytes_allocated=207
run quick 6 end.how=0 end.status=6 end.allocations=3
run segv 139 end.how=1 end.status=11 end.allocations=2
run term 143 end.how=1 end.status=15
run handler 139 end.how=1 end.status=11 end.allocations=3
run pipe 141 end.how=1 end.status=13 end.allocations=2
run overflow 139 end.how=1 end.status=11 end.allocations=2
run resethand 143 end.how=1 end.status=15 end.allocations=3
run thread_overflow 139 end.how=1 end.status=11 kind.alloc.malloc=5 # and pthread_create's calloc
run() { rm -f x.mt; traced x.mt "$PROGS/exit_paths" raise "$1"; expect_rc $((128 + $1)); check x.mt reader=complete end.how=1 end.status="$1" end.allocations=2; }
for sig in 5 10 12 14 24 26 27 31 35 64; do run "$sig"; done
