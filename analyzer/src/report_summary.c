/* SPDX-License-Identifier: MIT */
/* summary: the headline figures of one process. The JSON keys are a contract with scripts
 * (docs/analyzer.md); leaked figures, and the leak kinds of the exit-time scan, exclude
 * suppressed and excluded stacks. */
#include <inttypes.h>
#include <stdio.h>

#include "db.h"
#include "leakset.h"
#include "report.h"

static const mt__column columns[] = {
    {"program", "program", MT__COL_TEXT},
    {"pid", "pid", MT__COL_INT},
    {"exit_status", "exit status", MT__COL_INT},
    {"allocations", "allocations", MT__COL_INT},
    {"frees", "frees", MT__COL_INT},
    {"bytes_allocated", "bytes allocated", MT__COL_BYTES},
    {"peak_heap_bytes", "peak heap", MT__COL_BYTES},
    {"peak_rss_bytes", "peak RSS", MT__COL_BYTES},
    {"leaked_bytes", "leaked", MT__COL_BYTES},
    {"leaked_blocks", "leaked blocks", MT__COL_INT},
    {"temporary_allocations", "temporary allocations", MT__COL_INT},
    {"mmap_bytes", "mmap outstanding", MT__COL_BYTES},
    {"definitely_lost_bytes", "definitely lost", MT__COL_BYTES},
    {"definitely_lost_blocks", "definitely lost blocks", MT__COL_INT},
    {"indirectly_lost_bytes", "indirectly lost", MT__COL_BYTES},
    {"indirectly_lost_blocks", "indirectly lost blocks", MT__COL_INT},
    {"possibly_lost_bytes", "possibly lost", MT__COL_BYTES},
    {"possibly_lost_blocks", "possibly lost blocks", MT__COL_INT},
    {"reachable_bytes", "still reachable", MT__COL_BYTES},
    {"reachable_blocks", "still reachable blocks", MT__COL_INT},
};
#define FIRST_KIND_COLUMN 12 /* then bytes and blocks of each mt_reach_kind, in kind order */

/* exit_status: the exit code, 128 + signal when killed, NULL without an END record. */
static const char sql[] =
    "SELECT p.program, p.pid,"
    " CASE p.end_how WHEN 'exit' THEN p.exit_status WHEN 'signal' THEN 128 + p.exit_status"
    " WHEN 'exec' THEN 0 ELSE NULL END,"
    " t.allocations, t.frees, t.bytes_allocated, t.peak_heap_bytes, t.peak_rss_bytes,"
    " t.leaked_bytes, t.leaked_blocks, t.temporary_allocations, t.mmap_bytes"
    " FROM processes p JOIN totals t ON t.process_id = p.id WHERE p.id = ?1";

/* A database of a whole run (ingest, or --process) holds the children too: say so, since
 * the figures above are one process's. @return 0 or -1 (out of memory). */
static int note_other_processes(mt__report_ctx *c) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->in.db, "SELECT count(*) FROM processes", -1, &st, NULL) != SQLITE_OK)
    return 0;
  int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (n < 2) return 0;
  char note[4352];
  snprintf(note, sizeof note,
           "\n  this database holds %" PRId64 " processes; pick one with --process PID, list them with:\n"
           "  memtrace-report sql \"SELECT pid, ppid, program FROM processes\" --db %s\n",
           n, c->in.db_path ? c->in.db_path : "DB");
  return mt__doc_note(c->doc, note);
}

static int run(mt__report_ctx *c) {
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st, sql, c->e)) return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    return mt__fail(c->e, "no totals for this process in the database");
  }
  mt__cell cells[sizeof columns / sizeof *columns];
  for (size_t i = 0; i < FIRST_KIND_COLUMN; i++)
    mt__report_cell(st, (int)i, columns[i].type, &cells[i]);
  mt__leakset ls;
  /* every kind unless --kind names some (leaks lists memcheck's two by default) */
  if (mt__leakset_load(c, c->opt->leak_kinds ? c->opt->leak_kinds : MT__LEAK_KINDS_ALL, &ls)) {
    sqlite3_finalize(st);
    return -1;
  }
  cells[8].i = (int64_t)ls.bytes;
  cells[9].i = (int64_t)ls.blocks;
  for (int k = 0; k < MT_REACH_KIND_COUNT; k++) { /* NULL without a scan */
    cells[FIRST_KIND_COLUMN + 2 * k] = (mt__cell){.i = (int64_t)ls.kind_bytes[k], .null = !ls.have_kinds};
    cells[FIRST_KIND_COLUMN + 2 * k + 1] = (mt__cell){.i = (int64_t)ls.kind_blocks[k], .null = !ls.have_kinds};
  }
  int rc = mt__doc_section(c->doc, "summary", NULL, columns, sizeof columns / sizeof *columns, 1) ||
           mt__doc_row(c->doc, cells);
  sqlite3_finalize(st);
  if (rc == 0 && (ls.suppressed_blocks || ls.excluded_blocks)) {
    char note[256], b1[32], b2[32];
    snprintf(note, sizeof note,
             "\n  not counted as leaked: %s in %" PRIu64 " blocks suppressed, %s in %" PRIu64
             " blocks excluded (see the leaks report)\n",
             mt__fmt_bytes(ls.suppressed_bytes, b1, sizeof b1), ls.suppressed_blocks,
             mt__fmt_bytes(ls.excluded_bytes, b2, sizeof b2), ls.excluded_blocks);
    rc = mt__doc_note(c->doc, note);
  }
  mt__leakset_free(&ls);
  if (rc == 0) rc = note_other_processes(c);
  return rc ? mt__fail(c->e, "out of memory") : 0;
}

const mt__report mt__report_summary = {
    .name = "summary",
    .usage = "headline figures: allocations, peak heap and RSS, leaks, temporaries",
    .inputs = 1,
    .run = run,
};
