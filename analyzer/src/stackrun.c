/* SPDX-License-Identifier: MIT */
/* A run's addresses are written as a JSON array of signed 64-bit offsets from its first
 * address (ip_base + offset is each address as frames.ip holds it: user-space addresses
 * never overflow the sum in SQL), and read back here without a JSON library: the reader
 * takes what json_each would, integers and blanks, and calls the rest damage. */
#include "stackrun.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"

/* A longer chain becomes several runs (the next one's parent is the last node of the one
 * before), so that the text of a whole batch of rows fits one buffer that never moves. */
#define RUN_MAX_NODES 256
#define RUN_MAX_BYTES (2 + RUN_MAX_NODES * 21 + 1)     /* "[", "-9223372036854775808,", "]\0" */
#define TEXT_BYTES ((size_t)(MT__BATCH_ROWS + 1) * RUN_MAX_BYTES)

int mt__stackrun_init(mt__stackrun_writer *w, sqlite3 *db, mt__err *e) {
  *w = (mt__stackrun_writer){.text = malloc(TEXT_BYTES)};
  if (!w->text) return mt__fail(e, "out of memory");
  /* OR REPLACE: a damaged trace naming a node twice must not stop the ingest */
  return mt__batch_init(&w->rows, db, "INSERT OR REPLACE INTO stack_runs", 6, e);
}

static unsigned decimal_digits(uint64_t v) {
  for (unsigned n = 1;; n += 4, v /= 10000) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
  }
}

/* Written from the last digit back, two a step: a clang++ trace writes a million offsets of
 * eight digits or so, and this is most of the main thread's work for them. */
static size_t put_int(char *p, int64_t value) {
  static const char pairs[] = "0001020304050607080910111213141516171819"
                              "2021222324252627282930313233343536373839"
                              "4041424344454647484950515253545556575859"
                              "6061626364656667686970717273747576777879"
                              "8081828384858687888990919293949596979899";
  uint64_t v = (uint64_t)value;
  size_t sign = value < 0;
  if (sign) {
    *p = '-';
    v = -v;
  }
  size_t len = sign + decimal_digits(v);
  char *end = p + len;
  for (; v >= 100; v /= 100) {
    end -= 2;
    memcpy(end, pairs + 2 * (v % 100), 2);
  }
  if (v >= 10) memcpy(end - 2, pairs + 2 * v, 2);
  else end[-1] = (char)('0' + v);
  return len;
}

static int close_run(mt__stackrun_writer *w) {
  w->text[w->used++] = ']';
  w->text[w->used++] = 0;
  mt__batch_value row[6] = {mt__bv_int(w->process_id), mt__bv_int((int64_t)w->first_id),
                            mt__bv_int((int64_t)w->last_id), mt__bv_int((int64_t)w->parent),
                            mt__bv_int((int64_t)w->ip_base), mt__bv_text(w->text + w->start)};
  w->nodes = 0;
  if (mt__batch_values(&w->rows, row)) return -1;
  if (w->rows.nrows == 0) w->used = 0; /* the batch was written: its text is free again */
  return 0;
}

int mt__stackrun_add(mt__stackrun_writer *w, int64_t process_id, uint64_t id, uint64_t parent,
                     uint64_t ip) {
  if (w->nodes && w->nodes < RUN_MAX_NODES && process_id == w->process_id &&
      id == w->last_id + 1 && parent == w->last_id) {
    w->text[w->used++] = ',';
    w->used += put_int(w->text + w->used, (int64_t)(ip - w->ip_base));
    w->last_id = id;
    w->nodes++;
    return 0;
  }
  if (w->nodes && close_run(w)) return -1;
  w->process_id = process_id;
  w->first_id = w->last_id = id;
  w->parent = parent;
  w->ip_base = ip;
  w->nodes = 1;
  w->start = w->used;
  w->text[w->used++] = '[';
  w->text[w->used++] = '0';
  return 0;
}

int mt__stackrun_flush(mt__stackrun_writer *w) {
  if (w->nodes && close_run(w)) return -1;
  w->used = 0;
  return mt__batch_flush(&w->rows);
}

void mt__stackrun_free(mt__stackrun_writer *w) {
  mt__batch_free(&w->rows);
  free(w->text);
  w->text = NULL;
}

static const unsigned char *skip_blanks(const unsigned char *p, const unsigned char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* @return 0, or -1 when p holds no integer that fits 64 bits. */
static int get_int(const unsigned char **pp, const unsigned char *end, int64_t *out) {
  const unsigned char *p = *pp;
  int negative = p < end && *p == '-';
  p += negative;
  uint64_t v = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  const unsigned char *digits = p;
  for (; p < end && *p >= '0' && *p <= '9'; p++) {
    unsigned d = *p - '0';
    if (v > (limit - d) / 10) return -1;
    v = v * 10 + d;
  }
  if (p == digits) return -1;
  *out = negative ? (int64_t)(0 - v) : (int64_t)v;
  *pp = p;
  return 0;
}

static int damaged(mt__err *e, uint64_t first_id, const char *what) {
  return mt__fail(e, "damaged stack_runs row %llu: %s", (unsigned long long)first_id, what);
}

int mt__stackrun_decode(uint64_t first_id, uint64_t parent, uint64_t ip_base,
                        const unsigned char *offsets, size_t len, mt__stackpack_node_fn fn,
                        void *ctx, mt__err *e) {
  if (!offsets) return damaged(e, first_id, "ip_offsets is NULL");
  const unsigned char *end = offsets + len, *p = skip_blanks(offsets, end);
  if (p == end || *p++ != '[') return damaged(e, first_id, "ip_offsets is not an array");
  for (uint64_t k = 0;; k++) {
    int64_t offset;
    p = skip_blanks(p, end);
    if (get_int(&p, end, &offset))
      return mt__fail(e, "damaged stack_runs row %llu: entry %llu of ip_offsets is not an integer",
                      (unsigned long long)first_id, (unsigned long long)k);
    if (fn(ctx, first_id + k, k ? first_id + k - 1 : parent, ip_base + (uint64_t)offset))
      return mt__fail(e, "out of memory");
    p = skip_blanks(p, end);
    if (p < end && *p == ',') {
      p++;
      continue;
    }
    if (p < end && *p == ']' && skip_blanks(p + 1, end) == end) return 0;
    return damaged(e, first_id, "ip_offsets is not an array of integers");
  }
}

int mt__stackrun_decode_row(sqlite3_stmt *st, mt__stackpack_node_fn fn, void *ctx, mt__err *e) {
  const unsigned char *offsets = sqlite3_column_text(st, 3);
  return mt__stackrun_decode((uint64_t)sqlite3_column_int64(st, 0),
                             (uint64_t)sqlite3_column_int64(st, 1),
                             (uint64_t)sqlite3_column_int64(st, 2), offsets,
                             (size_t)sqlite3_column_bytes(st, 3), fn, ctx, e);
}

int mt__stackrun_read(sqlite3 *db, int64_t process_id, mt__stackpack_node_fn fn, void *ctx,
                      mt__err *e) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st,
                     "SELECT first_id, parent, ip_base, ip_offsets FROM stack_runs"
                     " WHERE process_id = ? ORDER BY first_id",
                     e))
    return -1;
  sqlite3_bind_int64(st, 1, process_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (mt__stackrun_decode_row(st, fn, ctx, e)) {
      sqlite3_finalize(st);
      return -1;
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : mt__fail(e, "database error: %s", sqlite3_errmsg(db));
}

int mt__stackrun_size(sqlite3 *db, int64_t process_id, uint64_t *nodes, uint64_t *max_id,
                      mt__err *e) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st,
                     "SELECT coalesce(sum(last_id - first_id + 1), 0), coalesce(max(last_id), 0)"
                     " FROM stack_runs WHERE process_id = ?",
                     e))
    return -1;
  sqlite3_bind_int64(st, 1, process_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *nodes = (uint64_t)sqlite3_column_int64(st, 0);
    *max_id = (uint64_t)sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : mt__fail(e, "database error: %s", sqlite3_errmsg(db));
}
