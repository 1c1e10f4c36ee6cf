/* SPDX-License-Identifier: MIT */
/* Helpers every report shares: lazily loaded call stacks, stack labels, filters, and SQL
 * queries turned into document sections by column type. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "allocsite.h"
#include "db.h"

mt__callstacks *mt__report_stacks(mt__report_ctx *c) {
  if (!c->cs && mt__cs_load_from(c->in.db, c->in.process_id, 1, c->in.tree, &c->cs, c->e))
    return NULL;
  return c->cs;
}

mt__callstacks *mt__report_all_stacks(mt__report_ctx *c) {
  mt__callstacks *cs = mt__report_stacks(c);
  return cs && mt__cs_load_all(cs, c->e) == 0 ? cs : NULL;
}

size_t mt__report_frames(mt__report_ctx *c, uint64_t stack_id, const mt__frame **frames,
                         size_t max, int *excluded) {
  *excluded = 0;
  mt__callstacks *cs = mt__report_stacks(c);
  if (!cs) return 0;
  size_t n = mt__cs_frames(cs, stack_id, frames, max);
  if (n > max) n = max;
  *excluded = mt__filter_excluded(c->filter, frames, n);
  return n;
}

const mt__frame *mt__report_site_frame(mt__report_ctx *c, uint64_t stack_id) {
  const mt__frame *frames[MT__MAX_FRAMES];
  int excluded;
  size_t n = mt__report_frames(c, stack_id, frames, MT__MAX_FRAMES, &excluded);
  return n ? frames[mt__alloc_site(frames, n)] : NULL;
}

size_t mt__report_stack_labels(mt__report_ctx *c, uint64_t stack_id, char ***out, size_t *site) {
  const mt__frame *frames[MT__MAX_FRAMES];
  int excluded;
  size_t n = mt__report_frames(c, stack_id, frames, MT__MAX_FRAMES, &excluded);
  if (site) *site = mt__alloc_site(frames, n);
  *out = calloc(n ? n : 1, sizeof **out);
  if (!*out) return 0;
  char buf[4096];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char *s = strdup(mt__frame_label(frames[i], buf, sizeof buf));
    if (s) (*out)[k++] = s;
  }
  if (n == 0) {
    char *s = strdup("(unknown stack)");
    if (s) (*out)[k++] = s;
  }
  return k;
}

void mt__report_free_list(char **list, size_t n) {
  for (size_t i = 0; i < n; i++) free(list[i]);
  free(list);
}

void mt__report_cell(sqlite3_stmt *st, int col, mt__coltype type, mt__cell *out) {
  memset(out, 0, sizeof *out);
  if (sqlite3_column_type(st, col) == SQLITE_NULL) {
    out->null = 1;
    return;
  }
  switch (type) {
  case MT__COL_INT:
  case MT__COL_BYTES: out->i = sqlite3_column_int64(st, col); break;
  case MT__COL_REAL: out->r = sqlite3_column_double(st, col); break;
  case MT__COL_TEXT: out->s = (const char *)sqlite3_column_text(st, col); break;
  case MT__COL_LIST: out->null = 1; break;
  }
}

int mt__report_query(mt__report_ctx *c, sqlite3 *db, int64_t process_id, const char *key,
                     const char *title, const mt__column *cols, size_t ncols, int record,
                     const char *sql) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st, sql, c->e)) return -1;
  if (sqlite3_bind_parameter_count(st) >= 1) sqlite3_bind_int64(st, 1, process_id);
  if (mt__doc_section(c->doc, key, title, cols, ncols, record)) {
    sqlite3_finalize(st);
    return mt__fail(c->e, "out of memory");
  }
  mt__cell cells[32];
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (size_t i = 0; i < ncols && i < 32; i++) mt__report_cell(st, (int)i, cols[i].type, &cells[i]);
    if (mt__doc_row(c->doc, cells)) {
      sqlite3_finalize(st);
      return mt__fail(c->e, "out of memory");
    }
    if (record) break;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return mt__fail(c->e, "database error: %s", sqlite3_errmsg(db));
  return 0;
}
