/* SPDX-License-Identifier: MIT */
/* Peak screen: the stacks that held heap memory at the moment of peak heap, largest first,
 * with the blocks they held; Enter shows the whole stack. */
#include <inttypes.h>
#include <stdio.h>

#include "tui.h"

static void title(mt__app *app, char *buf, size_t len) {
  sqlite3_stmt *st;
  snprintf(buf, len, "Peak");
  if (sqlite3_prepare_v2(app->db,
                         "SELECT peak_heap_bytes, peak_heap_time_ns, peak_heap_seq FROM totals"
                         " WHERE process_id = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64(st, 1, app->process_id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    char bytes[32], when[32], seq[32];
    snprintf(buf, len, "Peak heap %s at %s (event %s)",
             mt__ui_fmt_bytes(bytes, sizeof bytes, (uint64_t)sqlite3_column_int64(st, 0)),
             mt__ui_fmt_time(when, sizeof when, (uint64_t)sqlite3_column_int64(st, 1)),
             mt__ui_fmt_count(seq, sizeof seq, (uint64_t)sqlite3_column_int64(st, 2)));
  }
  sqlite3_finalize(st);
}

static const mt__stacklist_desc peak = {
    .name = "Peak",
    .short_name = "Peak",
    .sql =
        "SELECT s.stack_id, lf.function, lf.file, lf.line, s.peak_bytes, s.peak_blocks,"
        " s.allocations FROM stack_stats s" MT__SQL_LEAF_FRAME_OF_STATS
        " WHERE s.process_id = ?1 AND s.peak_bytes > 0 AND " MT__SQL_STACK_MATCHES(
            "s.stack_id"),
    .ncols = 3,
    .cols = {{"At peak", 9, MT__COST_PEAK},
             {"Blocks", 7, MT__COST_ALLOCS},
             {"Allocs", 7, MT__COST_ALLOCS}},
    .what = "held at peak",
    .empty = "nothing was live at the peak",
    .title = title,
};

mt__panel *mt__ui_peak_panel(mt__app *app) {
  return mt__ui_stacklist_panel(app, &peak);
}
