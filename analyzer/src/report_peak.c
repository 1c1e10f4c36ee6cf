/* SPDX-License-Identifier: MIT */
/* peak: the stacks that held heap memory at the moment of peak heap, largest first. */
#include "db.h"
#include "report.h"

static const mt__column head_columns[] = {
    {"peak_heap_bytes", "peak heap", MT__COL_BYTES},
    {"peak_heap_seq", "at event", MT__COL_INT},
    {"peak_heap_time_ns", "at time (ns)", MT__COL_INT},
};

static const mt__column stack_columns[] = {
    {"bytes", "bytes", MT__COL_BYTES},
    {"blocks", "blocks", MT__COL_INT},
    {"stack_id", "stack", MT__COL_INT},
    {"function", "allocated at", MT__COL_TEXT},
    {"stack", "stack", MT__COL_LIST},
};

static int run(mt__report_ctx *c) {
  if (mt__report_query(c, c->in.db, c->in.process_id, "peak", "Peak heap", head_columns, 3, 1,
                       "SELECT peak_heap_bytes, peak_heap_seq, peak_heap_time_ns FROM totals"
                       " WHERE process_id = ?1"))
    return -1;
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT stack_id, peak_bytes, peak_blocks FROM stack_stats WHERE process_id = ?1"
                     " AND peak_bytes > 0 ORDER BY peak_bytes DESC, stack_id",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  int rc = mt__doc_section(c->doc, "stacks", "Stacks holding memory at the peak", stack_columns, 5, 0);
  long shown = 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    uint64_t stack = (uint64_t)sqlite3_column_int64(st, 0);
    const mt__frame *frames[MT__MAX_FRAMES];
    int excluded;
    mt__report_frames(c, stack, frames, MT__MAX_FRAMES, &excluded);
    if (!c->cs) {
      rc = -1;
      break;
    }
    if (excluded) continue;
    if (c->opt->top && shown++ >= c->opt->top) break;
    char **labels;
    size_t site;
    size_t n = mt__report_stack_labels(c, stack, &labels, &site);
    mt__cell cells[5] = {{.i = sqlite3_column_int64(st, 1)},
                         {.i = sqlite3_column_int64(st, 2)},
                         {.i = (int64_t)stack},
                         {.s = site < n ? labels[site] : "?"},
                         {.list = (const char *const *)labels, .nlist = n}};
    rc = mt__doc_row(c->doc, cells) ? mt__fail(c->e, "out of memory") : 0;
    mt__report_free_list(labels, n);
  }
  sqlite3_finalize(st);
  return rc;
}

const mt__report mt__report_peak = {
    .name = "peak",
    .usage = "the stacks that held memory at the moment of peak heap",
    .inputs = 1,
    .run = run,
};
