/* SPDX-License-Identifier: MIT */
/* Sequence-order window: records of different threads' chunks interleave in the file, so events
 * wait in a min-heap until every smaller sequence number has been seen (or the window is full,
 * which skips a gap left by records that were never written). Single-threaded traces arrive in
 * order and pass straight through. */
#ifndef MT_ANALYZER_REORDER_H
#define MT_ANALYZER_REORDER_H

#include <stddef.h>

#include "accum.h"

/* Events the window holds at most (about 56 MB); larger displacements are counted as late. */
#define MT__REORDER_WINDOW (1u << 20)

typedef int (*mt__event_sink)(void *ctx, const mt__event *e);

typedef struct {
  mt__event *heap;
  size_t n, cap;
  uint64_t next_seq;      /* the sequence number expected next */
  uint64_t late;          /* events that arrived after a larger one had been delivered */
  uint64_t max_held;      /* most events held at once */
  mt__event_sink sink;
  void *ctx;
} mt__reorder;

void mt__reorder_init(mt__reorder *r, mt__event_sink sink, void *ctx);
/* Add one event; delivers every event that is now in order. @return 0, -1 on out of memory,
 * or the sink's non-zero result. */
int mt__reorder_push(mt__reorder *r, const mt__event *e);
/* Deliver everything still held, in order. */
int mt__reorder_drain(mt__reorder *r);
void mt__reorder_free(mt__reorder *r);

#endif
