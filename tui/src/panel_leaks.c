/* SPDX-License-Identifier: MIT */
/* Leaks screen: heap blocks never freed, grouped by allocating stack, largest first, with the
 * allocating function and file:line, and the leak kinds of the exit-time scan when the trace
 * has one ("[definite]" after the function, bytes per kind in the title); Enter shows the
 * whole stack. Stacks the report's built-in suppressions match are left out, as the report
 * leaves them out, and counted apart in the title. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

/* The leak set of the process on screen, loaded once per process: the report's figures, and
 * its suppressed stacks in temp.mt_leaks_suppressed for the list to leave out, as
 * `memtrace-report leaks` does (one-time allocations of libc, ld.so and libstdc++). */
static struct {
  sqlite3 *db;
  int64_t process_id;
  int ok, have_kinds;
  uint64_t bytes, blocks, suppressed_bytes, suppressed_blocks;
  uint64_t kind_bytes[MT_REACH_KIND_COUNT], kind_blocks[MT_REACH_KIND_COUNT];
} shown;

static void load_leakset(mt__app *app) {
  if (shown.db == app->db && shown.process_id == app->process_id) return;
  memset(&shown, 0, sizeof shown);
  shown.db = app->db;
  shown.process_id = app->process_id;
  sqlite3_exec(app->db, "DELETE FROM temp.mt_leaks_suppressed", NULL, NULL, NULL);
  mt__leakset ls;
  if (mt__ui_leakset(app->db, app->process_id, &ls) != 0) return;
  shown.ok = 1;
  shown.bytes = ls.bytes;
  shown.blocks = ls.blocks;
  shown.suppressed_bytes = ls.suppressed_bytes;
  shown.suppressed_blocks = ls.suppressed_blocks;
  shown.have_kinds = ls.have_kinds;
  memcpy(shown.kind_bytes, ls.kind_bytes, sizeof shown.kind_bytes);
  memcpy(shown.kind_blocks, ls.kind_blocks, sizeof shown.kind_blocks);
  sqlite3_stmt *ins;
  if (sqlite3_prepare_v2(app->db, "INSERT OR IGNORE INTO temp.mt_leaks_suppressed VALUES (?1)",
                         -1, &ins, NULL) == SQLITE_OK) {
    for (size_t g = 0; g < ls.n; g++) {
      if (!mt__ui_suppressed_heap(&ls.groups[g])) continue;
      sqlite3_bind_int64(ins, 1, (sqlite3_int64)ls.groups[g].stack_id);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
  }
  mt__leakset_free(&ls);
}

static void title(mt__app *app, char *buf, size_t len) {
  load_leakset(app);
  snprintf(buf, len, "Leaks");
  if (!shown.ok) return;
  int64_t stacks = 0;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(app->db,
                         "SELECT count(*) FROM stack_stats WHERE process_id = ?1 AND"
                         " leaked_blocks > 0 AND stack_id NOT IN"
                         " (SELECT stack_id FROM temp.mt_leaks_suppressed)",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, app->process_id);
    if (sqlite3_step(st) == SQLITE_ROW) stacks = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  char bytes[32], blocks[32], count[32];
  size_t used = (size_t)snprintf(buf, len, "Leaked %s in %s blocks from %s stacks",
                                 mt__ui_fmt_bytes(bytes, sizeof bytes, shown.bytes),
                                 mt__ui_fmt_count(blocks, sizeof blocks, shown.blocks),
                                 mt__ui_fmt_count(count, sizeof count, (uint64_t)stacks));
  const char *sep = ": ";
  for (int k = 0; shown.have_kinds && k < MT_REACH_KIND_COUNT && used < len; k++) {
    if (!shown.kind_blocks[k]) continue;
    used += (size_t)snprintf(buf + used, len - used, "%s%s %s", sep, mt_reach_kind_name(k),
                             mt__ui_fmt_bytes(bytes, sizeof bytes, shown.kind_bytes[k]));
    sep = ", ";
  }
  if (shown.suppressed_blocks && used < len)
    snprintf(buf + used, len - used, "; %s in %s suppressed",
             mt__ui_fmt_bytes(bytes, sizeof bytes, shown.suppressed_bytes),
             mt__ui_fmt_count(blocks, sizeof blocks, shown.suppressed_blocks));
}

static const mt__stacklist_desc leaks = {
    .name = "Leaks",
    .short_name = "Leak",
    .sql =
        "SELECT s.stack_id, lf.function || coalesce(' [' || (SELECT group_concat(DISTINCT"
        " l.leak_kind) FROM leaks l WHERE l.process_id = s.process_id AND l.stack_id = s.stack_id"
        " AND l.class = 'heap') || ']', ''), lf.file, lf.line, s.leaked_bytes, s.leaked_blocks,"
        " s.allocations FROM stack_stats s" MT__SQL_LEAF_FRAME_OF_STATS
        " WHERE s.process_id = ?1 AND s.leaked_blocks > 0 AND s.stack_id NOT IN"
        " (SELECT stack_id FROM temp.mt_leaks_suppressed) AND " MT__SQL_STACK_MATCHES("s.stack_id"),
    .ncols = 3,
    .cols = {{"Leaked", 9, MT__COST_LEAKED},
             {"Blocks", 7, MT__COST_ALLOCS},
             {"Allocs", 7, MT__COST_ALLOCS}},
    .what = "leaked",
    .empty = "no leaks: every heap block was freed",
    .title = title,
};

mt__panel *mt__ui_leaks_panel(mt__app *app) {
  sqlite3_exec(app->db, "CREATE TEMP TABLE IF NOT EXISTS mt_leaks_suppressed(stack_id INTEGER"
                        " PRIMARY KEY)", NULL, NULL, NULL);
  return mt__ui_stacklist_panel(app, &leaks);
}
