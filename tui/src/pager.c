/* SPDX-License-Identifier: MIT */
/* Paged queries: a list screen never loads its whole result. Rows are read a window at a time
 * with LIMIT/OFFSET around what is shown, and the row count is one COUNT(*) over the query. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define WINDOW 256

static void drop_rows(mt__pager *pg) {
  for (int i = 0; i < pg->nrows; i++)
    for (int c = 0; c < MT__PAGER_COLS; c++)
      free(pg->rows[i].t[c]);
  free(pg->rows);
  pg->rows = NULL;
  pg->nrows = 0;
  pg->base = 0;
}

void mt__ui_pager_init(mt__pager *pg, sqlite3 *db, int64_t process_id, const char *sql) {
  memset(pg, 0, sizeof *pg);
  pg->db = db;
  pg->process_id = process_id;
  pg->count = -1;
  pg->sql = strdup(sql);
}

void mt__ui_pager_set_sql(mt__pager *pg, const char *sql) {
  drop_rows(pg);
  free(pg->sql);
  pg->sql = strdup(sql);
  pg->count = -1;
}

void mt__ui_pager_set_filter(mt__pager *pg, const char *filter) {
  drop_rows(pg);
  snprintf(pg->filter, sizeof pg->filter, "%s", filter ? filter : "");
  pg->count = -1;
}

static sqlite3_stmt *prepare(mt__pager *pg, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(pg->db, sql, -1, &st, NULL) != SQLITE_OK) {
    snprintf(pg->error, sizeof pg->error, "query failed: %s", sqlite3_errmsg(pg->db));
    return NULL;
  }
  sqlite3_bind_int64(st, 1, pg->process_id);
  if (sqlite3_bind_parameter_count(st) >= 2)
    sqlite3_bind_text(st, 2, pg->filter, -1, SQLITE_TRANSIENT);
  return st;
}

long mt__ui_pager_count(mt__pager *pg) {
  if (pg->count >= 0) return pg->count;
  pg->count = 0;
  if (!pg->sql) return 0;
  size_t n = strlen(pg->sql) + 64;
  char *sql = malloc(n);
  if (!sql) return 0;
  snprintf(sql, n, "SELECT count(*) FROM (%s)", pg->sql);
  sqlite3_stmt *st = prepare(pg, sql);
  free(sql);
  if (!st) return 0;
  if (sqlite3_step(st) == SQLITE_ROW) pg->count = (long)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return pg->count;
}

static int fetch(mt__pager *pg, long from) {
  drop_rows(pg);
  size_t n = strlen(pg->sql) + 64;
  char *sql = malloc(n);
  pg->rows = calloc(WINDOW, sizeof *pg->rows);
  if (!sql || !pg->rows) {
    free(sql);
    return -1;
  }
  snprintf(sql, n, "%s LIMIT %d OFFSET %ld", pg->sql, WINDOW, from);
  sqlite3_stmt *st = prepare(pg, sql);
  free(sql);
  if (!st) return -1;
  pg->base = from;
  pg->ncols = sqlite3_column_count(st);
  if (pg->ncols > MT__PAGER_COLS) pg->ncols = MT__PAGER_COLS;
  while (pg->nrows < WINDOW && sqlite3_step(st) == SQLITE_ROW) {
    mt__row *r = &pg->rows[pg->nrows++];
    for (int c = 0; c < pg->ncols; c++) {
      r->n[c] = sqlite3_column_int64(st, c);
      if (sqlite3_column_type(st, c) == SQLITE_TEXT)
        r->t[c] = strdup((const char *)sqlite3_column_text(st, c));
    }
  }
  sqlite3_finalize(st); /* before decorate, which may query the same database */
  if (pg->decorate)
    for (int i = 0; i < pg->nrows; i++) pg->decorate(&pg->rows[i], pg->decorate_ctx);
  return 0;
}

const mt__row *mt__ui_pager_row(mt__pager *pg, long i) {
  if (i < 0 || i >= mt__ui_pager_count(pg)) return NULL;
  if (!pg->rows || i < pg->base || i >= pg->base + pg->nrows) {
    long from = i - WINDOW / 4;
    if (from < 0) from = 0;
    if (fetch(pg, from)) return NULL;
  }
  if (i - pg->base >= pg->nrows) return NULL;
  return &pg->rows[i - pg->base];
}

void mt__ui_pager_free(mt__pager *pg) {
  drop_rows(pg);
  free(pg->sql);
  pg->sql = NULL;
}
