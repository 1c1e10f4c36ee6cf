/* SPDX-License-Identifier: MIT */
/* Inputs of memtrace-report: a trace (ingested into TRACE.db, or --db, once and reused while
 * the trace's size and mtime are unchanged) or a database; then the process to report on. */
#ifndef MT_ANALYZER_SOURCE_H
#define MT_ANALYZER_SOURCE_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"
#include "ingest.h"

typedef struct {
  const char *db_path;    /* --db, or NULL for TRACE.db next to the first trace */
  const mt__symopts *sym;
  int progress;
  int force;              /* ingest again even when the database is fresh */
  int children;           /* also ingest the fork/exec child traces found next to a trace */
  mt__stacktree *tree;    /* when not NULL, gets the stack tree of the first input, if it is
                             a trace ingested now (not reused) */
} mt__source_opts;

/* Called for each trace that was not read completely: state and the reader's message. */
typedef void (*mt__warn_fn)(const char *trace, int state, const char *message);

/* Open a database for the inputs, ingesting each trace among them that is new or changed,
 * and (with o->children) for a process that forked or exec'd, the child traces in its
 * directory whose parent_trace names it. A database input is opened as is. *db_out is the database, *db_path_out its path (owned by
 * the caller). @return 0 or -1. */
int mt__source_open(const char *const *inputs, int ninputs, const mt__source_opts *o,
                    mt__warn_fn warn, sqlite3 **db_out, char **db_path_out, mt__err *e);

/* The process to report on: pid (or -1 for the default) among the processes of input (a trace
 * path selects its own process; a database selects the first root process). @return 0 or -1. */
int mt__source_process(sqlite3 *db, const char *input, long pid, int64_t *process_id, mt__err *e);

#endif
