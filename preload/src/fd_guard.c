/* SPDX-License-Identifier: MIT */
/* The trace descriptor survives a program that closes descriptors it did not open: daemons
 * close everything from 3 up, subprocess libraries call close_range or closefrom, and a
 * dup2 may land on its number. Before such a call reaches the trace's descriptor, the trace
 * moves to another number (a dup of the same open file, under the I/O lock so no write is in
 * flight), or, for a range running to the end of the table, is left out of the range. The
 * program sees the call succeed as it asked. Raw close syscalls cannot be seen: the writer
 * notices the file is gone and stops recording with a message. Pipes the shim's libraries open
 * are kept out of the low numbers the same way. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Move the trace to the lowest free number at or above `from`, else (none free up to
 * RLIMIT_NOFILE: a loop closing every number has reached the top) to the lowest free one from
 * MT_TRACE_FD_MIN, then from 3 (the program had filled the table), which such a loop has
 * passed already. @return 0, or -1 when no number is free or the lock could not be had. */
static int move_trace_fd(int old, long from, int or_lower) {
  if (!mt__lock_timed(&mt__io_lock, 2000))
    return -1;
  int rc = -1;
  if (mt__g.fd == old && mt__g.writer) {
    int saved = errno;
    long moved = from <= INT_MAX ? syscall(SYS_fcntl, old, F_DUPFD_CLOEXEC, (int)from) : -1;
    if (moved < 0 && or_lower)
      moved = syscall(SYS_fcntl, old, F_DUPFD_CLOEXEC, MT_TRACE_FD_MIN);
    if (moved < 0 && or_lower) /* a full table: the loop freed low numbers on its way */
      moved = syscall(SYS_fcntl, old, F_DUPFD_CLOEXEC, 3);
    errno = saved;
    if (moved >= 0) {
      mt_writer_set_fd(mt__g.writer, (int)moved);
      mt__g.fd = (int)moved;
      rc = 0;
    }
  }
  mt__unlock(&mt__io_lock);
  return rc;
}

/* Before the program's call takes number fd (-1: none): when it is the trace's, move the
 * trace up. Resolves the real functions first. */
static void step_aside(int fd) {
  mt__real_resolve();
  if (mt_unlikely(fd >= 0 && fd == mt__g.fd))
    move_trace_fd(fd, fd + 1, 1);
}

MT_EXPORT int close(int fd) {
  step_aside(fd);
  return mt__real.close(fd);
}

MT_EXPORT int dup2(int old, int fd) {
  step_aside(old != fd ? fd : -1); /* dup2(fd, fd) closes nothing */
  return mt__real.dup2(old, fd);
}

MT_EXPORT int dup3(int old, int fd, int flags) {
  step_aside(old != fd ? fd : -1);
  return mt__real.dup3(old, fd, flags);
}

/* Descriptors the shim itself opens through libc (libunwind's memory-validation pipe, made
 * at start-up and again whenever the program closed it) go up where the trace is: the
 * program's first open() must return 3, as it does without memtrace. */
static void move_high(int *fd, int cloexec) {
  long moved = syscall(SYS_fcntl, *fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, MT_TRACE_FD_MIN);
  if (moved >= 0) {
    syscall(SYS_close, *fd);
    *fd = (int)moved;
  }
}

MT_EXPORT int pipe2(int fds[2], int flags) {
  int rc = (int)syscall(SYS_pipe2, fds, flags);
  if (rc == 0 && mt__tls.guard > 0) { /* called from inside the shim */
    int saved = errno;
    move_high(&fds[0], flags & O_CLOEXEC);
    move_high(&fds[1], flags & O_CLOEXEC);
    errno = saved;
  }
  return rc;
}

MT_EXPORT int pipe(int fds[2]) { return pipe2(fds, 0); }

static int close_range_raw(unsigned first, unsigned last, int flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}

/* close_range over [first, last] that spares the trace: moved above the range when the table
 * has room there, else the range is closed in two parts around it. */
static int close_range_sparing(unsigned first, unsigned last, int flags) {
  int fd = mt__g.fd;
  if (fd < 0 || (unsigned)fd < first || (unsigned)fd > last || (flags & CLOSE_RANGE_CLOEXEC))
    return close_range_raw(first, last, flags);
  if (move_trace_fd(fd, (long)last + 1, 0) == 0)
    return close_range_raw(first, last, flags);
  if ((unsigned)fd > first && close_range_raw(first, (unsigned)fd - 1, flags) != 0)
    return -1;
  return (unsigned)fd < last ? close_range_raw((unsigned)fd + 1, last, flags) : 0;
}

MT_EXPORT int close_range(unsigned first, unsigned last, int flags) {
  return close_range_sparing(first, last, flags);
}

MT_EXPORT void closefrom(int lowfd) {
  mt__real_resolve();
  int fd = mt__g.fd;
  if (fd >= 0 && fd >= lowfd && lowfd >= 0 && close_range_sparing((unsigned)lowfd, ~0U, 0) == 0)
    return;
  if (mt__real.closefrom) /* not ours to spare, or no close_range (Linux < 5.9) */
    mt__real.closefrom(lowfd);
  else
    close_range_raw(lowfd < 0 ? 0 : (unsigned)lowfd, ~0U, 0);
}
