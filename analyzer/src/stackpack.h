/* SPDX-License-Identifier: MIT */
/* Packed stack nodes: ingest writes the stacks table a second time as blobs of varint-coded
 * nodes (table stack_packs), so that a report loads a million-node tree with a few reads
 * instead of a million rows. stack_runs (stackrun.h) stays the form documented for people. */
#ifndef MT_ANALYZER_STACKPACK_H
#define MT_ANALYZER_STACKPACK_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct {
  sqlite3 *db;
  sqlite3_stmt *insert;
  int64_t process_id;
  uint64_t first_id, last_id, prev_id, prev_ip;
  size_t nodes;
  unsigned char *buf;
  size_t len;
  mt__err *e;
} mt__stackpack_writer;

/* @return 0 or -1 with e filled. */
int mt__stackpack_init(mt__stackpack_writer *w, sqlite3 *db, mt__err *e);
/* Add a node (written when a pack is full or at mt__stackpack_flush). @return 0 or -1. */
int mt__stackpack_add(mt__stackpack_writer *w, int64_t process_id, uint64_t id, uint64_t parent,
                      uint64_t ip);
int mt__stackpack_flush(mt__stackpack_writer *w);
void mt__stackpack_free(mt__stackpack_writer *w);

/* Node count and largest id of a process's packs. @return 1 when it has packs, 0 when not
 * (a database where they were not written), -1 with e filled. */
int mt__stackpack_size(sqlite3 *db, int64_t process_id, uint64_t *nodes, uint64_t *max_id,
                       mt__err *e);

/* Called for each node in the order ingest wrote them. @return 0, or -1 when out of memory. */
typedef int (*mt__stackpack_node_fn)(void *ctx, uint64_t id, uint64_t parent, uint64_t ip);

/* Every packed node of a process. @return 0, or -1 with e filled (a damaged pack, a
 * database error, or out of memory). */
int mt__stackpack_read(sqlite3 *db, int64_t process_id, mt__stackpack_node_fn fn, void *ctx,
                       mt__err *e);

#endif
