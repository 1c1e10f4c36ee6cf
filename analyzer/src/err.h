/* SPDX-License-Identifier: MIT */
/* Error values of the analyzer: library functions return -1 and fill an mt__err with one line
 * that main() prints; the exit status says what kind of failure it was. */
#ifndef MT_ANALYZER_ERR_H
#define MT_ANALYZER_ERR_H

/* Exit statuses of memtrace-report. */
#define MT__EXIT_OK 0
#define MT__EXIT_FAIL 1    /* reserved for checks that fail (budgets) */
#define MT__EXIT_USAGE 2   /* bad options, unreadable input, database errors */

typedef struct {
  char msg[512];
} mt__err;

/* Format a message into e and return -1, so callers can write `return mt__fail(e, ...)`. */
int mt__fail(mt__err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
