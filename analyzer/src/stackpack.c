/* SPDX-License-Identifier: MIT */
/* A pack is one row: (process_id, first_id, last_id, nodes, data). data holds per node three
 * varints: the zigzag delta of its id from the previous node's, the zigzag of id - parent
 * (1 for most nodes: a child follows its parent) and the zigzag delta of its ip from the
 * previous ip (nearby code gives short deltas). About 7 bytes a node against some 25 in the
 * stacks table. */
#include "stackpack.h"

#include <stdlib.h>

#include "db.h"

#define PACK_NODES 16384
#define NODE_MAX_BYTES 30   /* three varints of at most 10 bytes */

static uint64_t zigzag(uint64_t delta) { return delta << 1 ^ (uint64_t)((int64_t)delta >> 63); }
static uint64_t unzigzag(uint64_t z) { return z >> 1 ^ (uint64_t)-(int64_t)(z & 1); }

static size_t put_varint(unsigned char *p, uint64_t v) {
  size_t n = 0;
  for (; v >= 0x80; v >>= 7) p[n++] = (unsigned char)(v | 0x80);
  p[n++] = (unsigned char)v;
  return n;
}

/* @return 0, or -1 when the varint runs past end or over 64 bits. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
    unsigned char b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return -1;
}

int mt__stackpack_init(mt__stackpack_writer *w, sqlite3 *db, mt__err *e) {
  *w = (mt__stackpack_writer){.db = db, .e = e};
  w->buf = malloc((size_t)PACK_NODES * NODE_MAX_BYTES);
  if (!w->buf) return mt__fail(e, "out of memory");
  return mt__db_prepare(db, &w->insert,
                        "INSERT INTO stack_packs(process_id, first_id, last_id, nodes, data)"
                        " VALUES(?,?,?,?,?)",
                        e);
}

int mt__stackpack_flush(mt__stackpack_writer *w) {
  if (w->nodes == 0) return 0;
  sqlite3_bind_int64(w->insert, 1, w->process_id);
  sqlite3_bind_int64(w->insert, 2, (sqlite3_int64)w->first_id);
  sqlite3_bind_int64(w->insert, 3, (sqlite3_int64)w->last_id);
  sqlite3_bind_int64(w->insert, 4, (sqlite3_int64)w->nodes);
  sqlite3_bind_blob(w->insert, 5, w->buf, (int)w->len, SQLITE_STATIC);
  int rc = sqlite3_step(w->insert);
  sqlite3_reset(w->insert);
  w->nodes = w->len = 0;
  w->prev_id = w->prev_ip = 0;
  return rc == SQLITE_DONE ? 0 : mt__fail(w->e, "database error: %s", sqlite3_errmsg(w->db));
}

int mt__stackpack_add(mt__stackpack_writer *w, int64_t process_id, uint64_t id, uint64_t parent,
                      uint64_t ip) {
  if (w->nodes && (w->nodes == PACK_NODES || process_id != w->process_id) &&
      mt__stackpack_flush(w))
    return -1;
  if (w->nodes == 0) {
    w->process_id = process_id;
    w->first_id = w->last_id = id;
  }
  if (id < w->first_id) w->first_id = id;
  if (id > w->last_id) w->last_id = id;
  w->len += put_varint(w->buf + w->len, zigzag(id - w->prev_id));
  w->len += put_varint(w->buf + w->len, zigzag(id - parent));
  w->len += put_varint(w->buf + w->len, zigzag(ip - w->prev_ip));
  w->prev_id = id;
  w->prev_ip = ip;
  w->nodes++;
  return 0;
}

void mt__stackpack_free(mt__stackpack_writer *w) {
  sqlite3_finalize(w->insert);
  free(w->buf);
  w->insert = NULL;
  w->buf = NULL;
}

int mt__stackpack_size(sqlite3 *db, int64_t process_id, uint64_t *nodes, uint64_t *max_id,
                       mt__err *e) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st, "SELECT sum(nodes), max(last_id) FROM stack_packs WHERE process_id = ?", e))
    return -1;
  sqlite3_bind_int64(st, 1, process_id);
  int rc = sqlite3_step(st);
  int have = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
  if (have) {
    *nodes = (uint64_t)sqlite3_column_int64(st, 0);
    *max_id = (uint64_t)sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) return mt__fail(e, "database error: %s", sqlite3_errmsg(db));
  return have;
}

/* The nodes of one pack. @return 0, or -1 with e filled. */
static int read_pack(const unsigned char *p, const unsigned char *end, uint64_t count,
                     mt__stackpack_node_fn fn, void *ctx, mt__err *e) {
  uint64_t id = 0, ip = 0;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t did, up, dip;
    if (get_varint(&p, end, &did) || get_varint(&p, end, &up) || get_varint(&p, end, &dip))
      return mt__fail(e, "damaged stack_packs row: it ends inside node %llu of %llu",
                      (unsigned long long)i, (unsigned long long)count);
    id += unzigzag(did);
    ip += unzigzag(dip);
    if (fn(ctx, id, id - unzigzag(up), ip)) return mt__fail(e, "out of memory");
  }
  return p == end ? 0 : mt__fail(e, "damaged stack_packs row: bytes after its last node");
}

int mt__stackpack_read(sqlite3 *db, int64_t process_id, mt__stackpack_node_fn fn, void *ctx,
                       mt__err *e) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st, "SELECT nodes, data FROM stack_packs WHERE process_id = ? ORDER BY rowid", e))
    return -1;
  sqlite3_bind_int64(st, 1, process_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const unsigned char none[1];
    const unsigned char *data = sqlite3_column_blob(st, 1);
    size_t len = data ? (size_t)sqlite3_column_bytes(st, 1) : 0;
    if (!data) data = none;
    if (read_pack(data, data + len, (uint64_t)sqlite3_column_int64(st, 0), fn, ctx, e)) {
      sqlite3_finalize(st);
      return -1;
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : mt__fail(e, "database error: %s", sqlite3_errmsg(db));
}
