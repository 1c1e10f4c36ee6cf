/* SPDX-License-Identifier: MIT */
/* Leaks as memtrace-report counts them, for every screen that weighs leaked bytes: the
 * analyzer's leak set (analyzer/src/leakset.c) with its built-in suppressions, so the TUI's
 * figures are the report's. */
#include <string.h>

#include "filter.h"
#include "tui.h"

int mt__ui_leakset(sqlite3 *db, int64_t process_id, mt__leakset *out) {
  mt__filter *filter;
  if (mt__filter_new(&filter)) return -1;
  mt__options opt = {0};
  mt__err e = {{0}};
  mt__report_ctx c = {.opt = &opt, .filter = filter, .e = &e};
  c.in.db = db;
  c.in.process_id = process_id;
  int rc = mt__leakset_load(&c, MT__LEAK_KINDS_ALL, out);
  mt__cs_free(c.cs);
  mt__filter_free(filter);
  return rc;
}

int mt__ui_suppressed_heap(const mt__leak_group *g) { return g->suppressed && !strcmp(g->cls, "heap"); }
