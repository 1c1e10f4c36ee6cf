/* SPDX-License-Identifier: MIT */
/* Sequence-order window: records of different threads' chunks interleave in the file, so events
 * wait until every smaller sequence number has been seen, or until the window is full (which
 * skips a gap left by records that are not events, or were never written). Each thread's
 * events arrive in increasing order, so the window is one FIFO per thread and delivering is a
 * merge of their heads: O(1) to add, O(active threads) to deliver. An event that is due
 * (every smaller number seen) passes straight through, also while others wait. A thread
 * whose chunks were written out of order gets one FIFO per run of increasing sequence
 * numbers. */
#ifndef MT_ANALYZER_REORDER_H
#define MT_ANALYZER_REORDER_H

#include <stddef.h>

#include "accum.h"

/* Events the window holds: it starts small (3.5 MiB) and doubles, up to 56 MiB, each time an
 * allocation event arrives late (displaced further than the window). Late events are counted;
 * the engine still pairs a late allocation with its earlier free exactly, only the peak and
 * temporary figures may then differ slightly. Records that are not allocation events (RSS
 * samples, module and thread records) never grow the window. */
#define MT__REORDER_WINDOW_MIN (1u << 16)
#define MT__REORDER_WINDOW_MAX (1u << 20)

/* Receives the events in order; e is valid during the call only (it points into a queue, so
 * the sink must not push). */
typedef int (*mt__event_sink)(void *ctx, const mt__event *e);

typedef struct {
  uint32_t tid;
  mt__event *ring;
  size_t head, len, cap;  /* cap is a power of two */
} mt__tqueue;

typedef struct {
  mt__tqueue *q;          /* q[0..nactive) hold events; the rest are empty, kept for reuse */
  size_t nactive, nq, capq;
  size_t held;            /* events in all queues */
  size_t window;          /* current limit on held */
  uint64_t next_seq;      /* the sequence number expected next */
  uint64_t late;          /* events delivered after a larger one */
  uint64_t max_held;
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
