/* SPDX-License-Identifier: MIT */
/* Trace to database: streams one trace through the reorder window and the accounting engine,
 * symbolizes its distinct addresses and writes every table of docs/schema.md for one process,
 * in the caller's single transaction, with prepared statements. */
#ifndef MT_ANALYZER_INGEST_H
#define MT_ANALYZER_INGEST_H

#include <sqlite3.h>
#include <stdint.h>

#include "callstacks.h"
#include "err.h"
#include "symbols.h"

typedef struct {
  const mt__symopts *sym;
  int progress;           /* draw a progress line on stderr */
  mt__stacktree *tree;    /* when not NULL, gets the stack nodes too (for a report to follow) */
} mt__ingest_opts;

/* How reading ended: complete, partial (truncated or no END record), or damaged. */
typedef enum { MT__TRACE_COMPLETE = 1, MT__TRACE_PARTIAL = 0, MT__TRACE_DAMAGED = -1 } mt__trace_state;

typedef struct {
  int64_t trace_id, process_id;
  int state;              /* mt__trace_state */
  char message[512];      /* where and why reading stopped, for partial and damaged traces */
} mt__ingest_result;

/* Ingest the trace at path (an absolute path) into db, inside the write transaction the
 * caller holds (BEGIN IMMEDIATE; the caller commits, or rolls back on failure). A trace that
 * cannot be read at all (missing, not a trace, unknown version, damaged before its PROCESS
 * record) fails with -1; otherwise what was read is stored and r->state says how reading
 * ended. */
int mt__ingest(sqlite3 *db, const char *path, const mt__ingest_opts *o, mt__ingest_result *r,
               mt__err *e);

#endif
