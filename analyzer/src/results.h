/* SPDX-License-Identifier: MIT */
/* Writes what the accounting engine computed (stack_stats, leaks, totals, timeline, markers)
 * for one process, into the main schema at ingest or into TEMP tables for --between. */
#ifndef MT_ANALYZER_RESULTS_H
#define MT_ANALYZER_RESULTS_H

#include <sqlite3.h>
#include <stdint.h>

#include <memtrace/trace.h>

#include "accum.h"
#include "err.h"

typedef struct {
  const mt__accum *acc;   /* finished */
  const mt_rec_end *end;  /* END record, NULL when the trace had none */
  const char *const *labels; /* marker labels; NULL writes no markers */
  const mt_rec_scan *scan;   /* reachability scan summary, NULL when none */
  const mt__u64map *reach;   /* address -> mt_reach_kind of blocks live at exit, or NULL */
} mt__results;

/* schema is "main" or "temp". @return 0 or -1. */
int mt__results_write(sqlite3 *db, const char *schema, int64_t process_id, const mt__results *r,
                      mt__err *e);

#endif
