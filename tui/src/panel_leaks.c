/* SPDX-License-Identifier: MIT */
/* Leaks screen: heap blocks never freed, grouped by allocating stack, largest first, with the
 * allocating function and file:line, and the leak kinds of the exit-time scan when the trace
 * has one ("[definite]" after the function, bytes per kind in the title); Enter shows the
 * whole stack. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

static void title(mt__app *app, char *buf, size_t len) {
  sqlite3_stmt *st;
  snprintf(buf, len, "Leaks");
  if (sqlite3_prepare_v2(app->db,
                         "SELECT leaked_bytes, leaked_blocks, (SELECT count(*) FROM stack_stats"
                         " WHERE process_id = ?1 AND leaked_blocks > 0) FROM totals"
                         " WHERE process_id = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64(st, 1, app->process_id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    char bytes[32], blocks[32], stacks[32];
    snprintf(buf, len, "Leaked %s in %s blocks from %s stacks",
             mt__ui_fmt_bytes(bytes, sizeof bytes, (uint64_t)sqlite3_column_int64(st, 0)),
             mt__ui_fmt_count(blocks, sizeof blocks, (uint64_t)sqlite3_column_int64(st, 1)),
             mt__ui_fmt_count(stacks, sizeof stacks, (uint64_t)sqlite3_column_int64(st, 2)));
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(app->db,
                         "SELECT leak_kind, sum(size) FROM leaks WHERE process_id = ?1 AND"
                         " class = 'heap' AND leak_kind IS NOT NULL GROUP BY leak_kind"
                         " ORDER BY CASE leak_kind WHEN 'definite' THEN 0 WHEN 'indirect' THEN 1"
                         " WHEN 'possible' THEN 2 ELSE 3 END",
                         -1, &st, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64(st, 1, app->process_id);
  size_t used = strlen(buf);
  const char *sep = ": ";
  while (sqlite3_step(st) == SQLITE_ROW && used < len) {
    char bytes[32];
    used += (size_t)snprintf(buf + used, len - used, "%s%s %s", sep,
                             (const char *)sqlite3_column_text(st, 0),
                             mt__ui_fmt_bytes(bytes, sizeof bytes, (uint64_t)sqlite3_column_int64(st, 1)));
    sep = ", ";
  }
  sqlite3_finalize(st);
}

static const mt__stacklist_desc leaks = {
    .name = "Leaks",
    .short_name = "Leak",
    .sql =
        "SELECT s.stack_id, lf.function || coalesce(' [' || (SELECT group_concat(DISTINCT"
        " l.leak_kind) FROM leaks l WHERE l.process_id = s.process_id AND l.stack_id = s.stack_id"
        " AND l.class = 'heap') || ']', ''), lf.file, lf.line, s.leaked_bytes, s.leaked_blocks,"
        " s.allocations FROM stack_stats s LEFT JOIN stacks st"
        " ON st.process_id = s.process_id AND st.id = s.stack_id LEFT JOIN frames lf"
        " ON lf.process_id = s.process_id AND lf.ip = st.ip AND lf.depth = 0"
        " WHERE s.process_id = ?1 AND s.leaked_blocks > 0 AND " MT__SQL_STACK_MATCHES(
            "s.stack_id"),
    .ncols = 3,
    .cols = {{"Leaked", 9, MT__COST_LEAKED},
             {"Blocks", 7, MT__COST_ALLOCS},
             {"Allocs", 7, MT__COST_ALLOCS}},
    .what = "leaked",
    .empty = "no leaks: every heap block was freed",
    .title = title,
};

mt__panel *mt__ui_leaks_panel(mt__app *app) {
  return mt__ui_stacklist_panel(app, &leaks);
}
