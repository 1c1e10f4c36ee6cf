/* SPDX-License-Identifier: MIT */
/* Unbounded recursion for the test programs: ends in SIGSEGV on a stack with no room left. */
#ifndef SHIM_PROGS_OVERFLOW_H
#define SHIM_PROGS_OVERFLOW_H

/* Deeper than any stack: each level keeps a buffer live across the call (no tail call). */
static volatile long depth_limit = 1L << 40;

static int recurse(volatile char *prev, long depth) {
  volatile char buf[512];
  buf[0] = prev ? prev[0] + 1 : 0;
  if (depth >= depth_limit)
    return 0;
  return recurse(buf, depth + 1) + buf[1];
}

#endif
