/* SPDX-License-Identifier: MIT */
/* Multi-row INSERTs: rows are collected and written MT__BATCH_ROWS per statement, which costs
 * SQLite far less than one statement per row when ingest writes hundreds of thousands. */
#ifndef MT_ANALYZER_BATCH_H
#define MT_ANALYZER_BATCH_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"

#define MT__BATCH_ROWS 64
#define MT__BATCH_MAX_COLS 40

typedef struct {
  char type;              /* 'i' integer, 't' text, 'n' null */
  union {
    int64_t i;
    const char *t;
  } u;
} mt__batch_value;

typedef struct {
  sqlite3 *db;
  char head[96];          /* "INSERT INTO table" (or "INSERT OR REPLACE INTO ...") */
  int ncols;
  sqlite3_stmt *full;     /* the statement of a whole batch, prepared once */
  mt__batch_value *vals;  /* MT__BATCH_ROWS rows of ncols values */
  int nrows;
  mt__err *e;
} mt__batch;

/* Start a batch of rows of ncols values for "head VALUES (...),(...)". @return 0 or -1 with
 * e filled. */
int mt__batch_init(mt__batch *b, sqlite3 *db, const char *head, int ncols, mt__err *e);
/* Add a row: types has one letter per column, as mt__db_run ('i' uint64_t, 't' C string,
 * 'n' null without an argument). Text is not copied: it must stay valid until the batch is
 * flushed (the next MT__BATCH_ROWS rows, or mt__batch_flush). @return 0 or -1 with e filled. */
int mt__batch_row(mt__batch *b, const char *types, ...);
/* Add a row of ncols values (built with the helpers below). @return 0 or -1 with e filled. */
int mt__batch_values(mt__batch *b, const mt__batch_value *row);

static inline mt__batch_value mt__bv_int(int64_t v) { return (mt__batch_value){'i', {.i = v}}; }
static inline mt__batch_value mt__bv_null(void) { return (mt__batch_value){'n', {.i = 0}}; }
/* Text (kept as for mt__batch_row); NULL gives SQL NULL. */
static inline mt__batch_value mt__bv_text(const char *t) {
  return t ? (mt__batch_value){'t', {.t = t}} : mt__bv_null();
}

/* Write the rows collected so far. @return 0 or -1 with e filled. */
int mt__batch_flush(mt__batch *b);
/* Release the batch (rows not flushed are dropped). */
void mt__batch_free(mt__batch *b);

#endif
