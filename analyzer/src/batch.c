/* SPDX-License-Identifier: MIT */
/* Values are buffered rather than bound at once, so that a last, shorter batch binds them to
 * a statement of its own size. */
#include "batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "head VALUES(?,?),(?,?)" for nrows rows into a malloc'd string. */
static char *insert_sql(const mt__batch *b, int nrows) {
  size_t row = 2 + 2 * (size_t)b->ncols, cap = sizeof b->head + 16 + (size_t)nrows * row;
  char *sql = malloc(cap);
  if (!sql) return NULL;
  size_t n = (size_t)snprintf(sql, cap, "%s VALUES", b->head);
  for (int r = 0; r < nrows; r++) {
    sql[n++] = r ? ',' : ' ';
    sql[n++] = '(';
    for (int c = 0; c < b->ncols; c++) {
      if (c) sql[n++] = ',';
      sql[n++] = '?';
    }
    sql[n++] = ')';
  }
  sql[n] = 0;
  return sql;
}

static int prepare(mt__batch *b, int nrows, sqlite3_stmt **st) {
  char *sql = insert_sql(b, nrows);
  if (!sql) return mt__fail(b->e, "out of memory");
  int rc = sqlite3_prepare_v2(b->db, sql, -1, st, NULL);
  free(sql);
  return rc == SQLITE_OK ? 0 : mt__fail(b->e, "database error: %s", sqlite3_errmsg(b->db));
}

int mt__batch_init(mt__batch *b, sqlite3 *db, const char *head, int ncols, mt__err *e) {
  *b = (mt__batch){.db = db, .ncols = ncols, .e = e};
  if (ncols < 1 || ncols > MT__BATCH_MAX_COLS) return mt__fail(e, "batch of %d columns", ncols);
  snprintf(b->head, sizeof b->head, "%s", head);
  b->vals = malloc((size_t)MT__BATCH_ROWS * (size_t)ncols * sizeof *b->vals);
  if (!b->vals) return mt__fail(e, "out of memory");
  return prepare(b, MT__BATCH_ROWS, &b->full);
}

int mt__batch_flush(mt__batch *b) {
  if (b->nrows == 0) return 0;
  sqlite3_stmt *st = b->full;
  if (b->nrows < MT__BATCH_ROWS && prepare(b, b->nrows, &st)) return -1;
  for (int i = 0; i < b->nrows * b->ncols; i++) {
    const mt__batch_value *v = &b->vals[i];
    if (v->type == 'i') sqlite3_bind_int64(st, i + 1, v->u.i);
    else if (v->type == 't') sqlite3_bind_text(st, i + 1, v->u.t, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i + 1);
  }
  int rc = sqlite3_step(st);
  if (st == b->full) sqlite3_reset(st);
  else sqlite3_finalize(st);
  b->nrows = 0;
  return rc == SQLITE_DONE ? 0 : mt__fail(b->e, "database error: %s", sqlite3_errmsg(b->db));
}

static int row_added(mt__batch *b) { return ++b->nrows == MT__BATCH_ROWS ? mt__batch_flush(b) : 0; }

int mt__batch_values(mt__batch *b, const mt__batch_value *row) {
  memcpy(&b->vals[b->nrows * b->ncols], row, (size_t)b->ncols * sizeof *row);
  return row_added(b);
}

int mt__batch_row(mt__batch *b, const char *types, ...) {
  mt__batch_value *row = &b->vals[b->nrows * b->ncols];
  va_list ap;
  va_start(ap, types);
  for (int c = 0; c < b->ncols; c++) {
    row[c].type = types[c] == 'i' || types[c] == 't' ? types[c] : 'n';
    if (types[c] == 'i') row[c].u.i = (int64_t)va_arg(ap, uint64_t);
    else if (types[c] == 't') row[c].u.t = va_arg(ap, const char *);
  }
  va_end(ap);
  return row_added(b);
}

void mt__batch_free(mt__batch *b) {
  sqlite3_finalize(b->full);
  free(b->vals);
  b->full = NULL;
  b->vals = NULL;
  b->nrows = 0;
}
