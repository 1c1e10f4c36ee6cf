/* SPDX-License-Identifier: MIT */
/* sql: run one read-only query against the database and print its rows in any format; without
 * a query, print the database path for the sqlite3 shell. Several statements, and statements
 * that attach other files, are refused. */
#define _GNU_SOURCE /* strcasestr */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "report.h"

#define MAX_COLUMNS 64

/* A column's type: its declared type when it is a table column, else the first row's value. */
static mt__coltype column_type(sqlite3_stmt *st, int i) {
  const char *decl = sqlite3_column_decltype(st, i);
  if (decl) {
    if (strcasestr(decl, "INT")) return MT__COL_INT;
    if (strcasestr(decl, "REAL") || strcasestr(decl, "FLOA") || strcasestr(decl, "DOUB")) return MT__COL_REAL;
    return MT__COL_TEXT;
  }
  int t = sqlite3_column_type(st, i);
  return t == SQLITE_INTEGER ? MT__COL_INT : t == SQLITE_FLOAT ? MT__COL_REAL : MT__COL_TEXT;
}

/* A blob as SQL writes it, X'41FF42': every byte kept, in any format (as text a blob would
 * stop at its first zero and need not be UTF-8). NULL when out of memory. */
static char *blob_text(sqlite3_stmt *st, int i) {
  const unsigned char *p = sqlite3_column_blob(st, i);
  size_t n = (size_t)sqlite3_column_bytes(st, i);
  char *s = malloc(2 * n + 4);
  if (!s) return NULL;
  char *o = s;
  *o++ = 'X';
  *o++ = '\'';
  for (size_t k = 0; k < n; k++, o += 2) snprintf(o, 3, "%02X", p[k]);
  *o++ = '\'';
  *o = 0;
  return s;
}

/* Statements that would create or open files (ATTACH makes an empty database file, even in
 * a "read-only" query) are refused at prepare time. */
static int deny_files(void *ctx, int action, const char *a, const char *b, const char *db,
                      const char *trigger) {
  (void)ctx, (void)a, (void)b, (void)db, (void)trigger;
  return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

/* True when text holds another statement (not just spaces, semicolons or comments). */
static int more_statements(sqlite3 *db, const char *text) {
  while (text && *text) {
    sqlite3_stmt *next = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(db, text, -1, &next, &tail) != SQLITE_OK) return 1;
    if (next) {
      sqlite3_finalize(next);
      return 1;
    }
    if (tail == text) break;
    text = tail;
  }
  return 0;
}

static int run(mt__report_ctx *c) {
  if (!c->opt->sql) {
    if (c->opt->format == MT__FMT_TEXT) { /* bare, for sqlite3 "$(memtrace-report sql TRACE)" */
      fprintf(c->out, "%s\n", c->in.db_path);
      return 0;
    }
    static const mt__column col[] = {{"database", "database", MT__COL_TEXT}};
    mt__cell cell = {.s = c->in.db_path};
    if (mt__doc_section(c->doc, "database", NULL, col, 1, 1) || mt__doc_row(c->doc, &cell))
      return mt__fail(c->e, "out of memory");
    return 0;
  }
  sqlite3_stmt *st;
  const char *tail = NULL;
  sqlite3_set_authorizer(c->in.db, deny_files, NULL);
  int prepared = sqlite3_prepare_v2(c->in.db, c->opt->sql, -1, &st, &tail);
  int more = prepared == SQLITE_OK && more_statements(c->in.db, tail);
  sqlite3_set_authorizer(c->in.db, NULL, NULL);
  if (prepared == SQLITE_AUTH)
    return mt__fail(c->e, "sql: ATTACH and DETACH are not allowed (use the sqlite3 shell)");
  if (prepared != SQLITE_OK)
    return mt__fail(c->e, "sql: %s", sqlite3_errmsg(c->in.db));
  if (!st) return mt__fail(c->e, "sql: empty query");
  if (more) {
    sqlite3_finalize(st);
    return mt__fail(c->e, "sql: one statement at a time (more follows the first ';')");
  }
  if (!sqlite3_stmt_readonly(st)) {
    sqlite3_finalize(st);
    return mt__fail(c->e, "sql: only read-only queries are allowed (use the sqlite3 shell to modify)");
  }
  int ncols = sqlite3_column_count(st);
  if (ncols > MAX_COLUMNS) ncols = MAX_COLUMNS;
  /* Column types come from the values: all integers print as integers, else as text. */
  mt__column cols[MAX_COLUMNS];
  for (int i = 0; i < ncols; i++) {
    const char *name = sqlite3_column_name(st, i);
    cols[i] = (mt__column){name, name, MT__COL_INT};
  }
  mt__cell cells[MAX_COLUMNS];
  char *blobs[MAX_COLUMNS] = {0}; /* hex text of the row's blob values */
  int rc, started = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!started) {
      for (int i = 0; i < ncols; i++) cols[i].type = column_type(st, i);
      if (mt__doc_section(c->doc, "rows", NULL, cols, (size_t)ncols, 0)) break;
      started = 1;
    }
    for (int i = 0; i < ncols; i++) {
      int t = sqlite3_column_type(st, i);
      memset(&cells[i], 0, sizeof cells[i]);
      free(blobs[i]);
      blobs[i] = NULL;
      if (t == SQLITE_NULL) cells[i].null = 1;
      else if (t == SQLITE_BLOB && cols[i].type == MT__COL_TEXT) {
        cells[i].s = blobs[i] = blob_text(st, i);
        cells[i].null = !blobs[i];
      } else if (t == SQLITE_BLOB) cells[i].null = 1; /* in a numeric column */
      else if (cols[i].type == MT__COL_INT && t == SQLITE_INTEGER) cells[i].i = sqlite3_column_int64(st, i);
      else if (cols[i].type == MT__COL_REAL) cells[i].r = sqlite3_column_double(st, i);
      else if (cols[i].type == MT__COL_TEXT) cells[i].s = (const char *)sqlite3_column_text(st, i);
      else if (cols[i].type == MT__COL_INT) cells[i].i = sqlite3_column_int64(st, i);
      else cells[i].null = 1;
    }
    if (mt__doc_row(c->doc, cells)) break;
  }
  for (int i = 0; i < ncols; i++) free(blobs[i]);
  if (!started && rc == SQLITE_DONE) mt__doc_section(c->doc, "rows", NULL, cols, (size_t)ncols, 0);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return mt__fail(c->e, "sql: %s", sqlite3_errmsg(c->in.db));
  return 0;
}

const mt__report mt__report_sql = {
    .name = "sql",
    .usage = "run a read-only SQL query (\"SELECT ...\"), or print the database path",
    .inputs = 1,
    .run = run,
};
