/* SPDX-License-Identifier: MIT */
/* Stack runs: the stack tree in the form people query (table stack_runs, view stacks). A run
 * is a chain of nodes first_id..last_id, each the child of the one before, such as the new
 * nodes one stack brings; its row holds the chain's return addresses as a JSON array of
 * offsets from the first (half the digits of the addresses themselves). One
 * row a run instead of one a node: the million nodes of a clang++ trace took 0.4 s of SQLite
 * inserts as rows, some 75,000 runs take a tenth of that. */
#ifndef MT_ANALYZER_STACKRUN_H
#define MT_ANALYZER_STACKRUN_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "err.h"
#include "stackpack.h"

/* SQL: the first_id of the run that holds node `id` of process `process` (SQL expressions),
 * if any run does (check last_id >= id too). */
#define MT__SQL_RUN_OF(process, id)                                                            \
  "(SELECT max(first_id) FROM stack_runs WHERE process_id = " process " AND first_id <= " id ")"

/* SQL: the return address of node `id` of the run row `run` (a table alias). */
#define MT__SQL_RUN_IP(run, id)                                                                \
  run ".ip_base + json_extract(" run ".ip_offsets, '$[' || (" id " - " run ".first_id) || ']')"

/* SQL: the run holding node ?2 of process ?1, in the columns mt__stackrun_decode_row reads
 * (no row when there is none). */
#define MT__SQL_STACK_RUN_OF                                                                   \
  "SELECT first_id, parent, ip_base, ip_offsets FROM stack_runs WHERE process_id = ?1 AND"   \
  " first_id = " MT__SQL_RUN_OF("?1", "?2") " AND last_id >= ?2"

/* SQL: the common table expressions walk and chain(ip, n), for WITH RECURSIVE: the return
 * addresses of stack `stack` (an SQL expression) of process ?1, n = 0 the innermost. walk
 * holds the part of each run on the way (its first_id, the last node taken, and n of that
 * node); it stops after 10,000 frames should damaged rows make a cycle. */
#define MT__SQL_STACK_CHAIN(stack)                                                             \
  "walk(first, upto, n) AS (SELECT first_id, " stack ", 0 FROM stack_runs WHERE"             \
  " process_id = ?1 AND first_id = " MT__SQL_RUN_OF("?1", stack) " AND last_id >= " stack     \
  " UNION ALL SELECT p.first_id, r.parent, walk.n + walk.upto - walk.first + 1 FROM walk"     \
  " JOIN stack_runs r ON r.process_id = ?1 AND r.first_id = walk.first JOIN stack_runs p"     \
  " ON p.process_id = ?1 AND p.first_id = " MT__SQL_RUN_OF("?1", "r.parent")                  \
  " AND p.last_id >= r.parent WHERE r.parent <> 0 AND walk.n < 10000),"                       \
  " chain(ip, n) AS MATERIALIZED (SELECT r.ip_base + j.value, walk.n + walk.upto - walk.first"  \
  " - j.key FROM walk JOIN stack_runs r ON r.process_id = ?1 AND r.first_id = walk.first,"    \
  " json_each(r.ip_offsets) j WHERE j.key <= walk.upto - walk.first)"

typedef struct {
  mt__batch rows;
  char *text;             /* the JSON arrays of the rows in `rows`, and of the open run */
  size_t used;
  int64_t process_id;
  uint64_t first_id, last_id, parent, ip_base;
  size_t nodes;           /* in the open run (0: none open) */
  size_t start;           /* where the open run's text begins */
} mt__stackrun_writer;

/* @return 0 or -1 with e filled. */
int mt__stackrun_init(mt__stackrun_writer *w, sqlite3 *db, mt__err *e);
/* Add a node (nodes come in the trace's order). @return 0 or -1 with e filled. */
int mt__stackrun_add(mt__stackrun_writer *w, int64_t process_id, uint64_t id, uint64_t parent,
                     uint64_t ip);
/* Write the open run and every row not written yet. @return 0 or -1 with e filled. */
int mt__stackrun_flush(mt__stackrun_writer *w);
void mt__stackrun_free(mt__stackrun_writer *w);

/* Call fn for each node of a run (its row's first_id, parent, ip_base and ip_offsets).
 * @return 0, or -1 with e filled (the offsets are not an array of integers, or fn ran out of
 * memory). */
int mt__stackrun_decode(uint64_t first_id, uint64_t parent, uint64_t ip_base,
                        const unsigned char *offsets, size_t len, mt__stackpack_node_fn fn,
                        void *ctx, mt__err *e);
/* The same for the current row of st: first_id, parent, ip_base, ip_offsets. */
int mt__stackrun_decode_row(sqlite3_stmt *st, mt__stackpack_node_fn fn, void *ctx, mt__err *e);
/* Every node of a process. @return 0, or -1 with e filled. */
int mt__stackrun_read(sqlite3 *db, int64_t process_id, mt__stackpack_node_fn fn, void *ctx,
                      mt__err *e);
/* Node count and largest id of a process (reads every row). @return 0 or -1 with e filled. */
int mt__stackrun_size(sqlite3 *db, int64_t process_id, uint64_t *nodes, uint64_t *max_id,
                      mt__err *e);

#endif
