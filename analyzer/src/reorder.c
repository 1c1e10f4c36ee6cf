/* SPDX-License-Identifier: MIT */
/* Per-thread FIFOs merged by sequence number; see reorder.h. */
#include "reorder.h"

#include <stdlib.h>
#include <string.h>

void mt__reorder_init(mt__reorder *r, mt__event_sink sink, void *ctx) {
  memset(r, 0, sizeof *r);
  r->next_seq = 1;
  r->window = MT__REORDER_WINDOW_MIN;
  r->sink = sink;
  r->ctx = ctx;
}

void mt__reorder_free(mt__reorder *r) {
  for (size_t i = 0; i < r->nq; i++) free(r->q[i].ring);
  free(r->q);
  r->q = NULL;
  r->nq = r->nactive = r->capq = r->held = 0;
}

static int deliver(mt__reorder *r, const mt__event *e) {
  if (e->seq < r->next_seq) {
    r->late++;
    if (e->type <= MT__EV_REALLOC && r->window < MT__REORDER_WINDOW_MAX) r->window *= 2;
  } else {
    r->next_seq = e->seq + 1;
  }
  return r->sink(r->ctx, e);
}

static uint64_t tail_seq(const mt__tqueue *q) { return q->ring[(q->head + q->len - 1) & (q->cap - 1)].seq; }

/* The active queue an event of tid appends to in order: the one of that thread with the
 * largest tail below seq. Chunks of one thread can be written out of order, so a thread may
 * have several queues at once. A queue is activated (or created) when none fits; NULL when
 * out of memory. */
static mt__tqueue *queue_of(mt__reorder *r, uint32_t tid, uint64_t seq) {
  mt__tqueue *best = NULL;
  for (size_t i = 0; i < r->nactive; i++)
    if (r->q[i].tid == tid && tail_seq(&r->q[i]) < seq && (!best || tail_seq(&r->q[i]) > tail_seq(best)))
      best = &r->q[i];
  if (best) return best;
  if (r->nactive == r->nq) {
    if (r->nq == r->capq) {
      size_t n = r->capq ? 2 * r->capq : 8;
      mt__tqueue *nq = realloc(r->q, n * sizeof *nq);
      if (!nq) return NULL;
      r->q = nq;
      r->capq = n;
    }
    memset(&r->q[r->nq++], 0, sizeof *r->q);
  }
  mt__tqueue *q = &r->q[r->nactive++];
  q->tid = tid;
  q->head = q->len = 0;
  return q;
}

static int append(mt__tqueue *q, const mt__event *e) {
  if (q->len == q->cap) {
    size_t n = q->cap ? 2 * q->cap : 256;
    mt__event *nr = malloc(n * sizeof *nr);
    if (!nr) return -1;
    for (size_t i = 0; i < q->len; i++) nr[i] = q->ring[(q->head + i) & (q->cap - 1)];
    free(q->ring);
    q->ring = nr;
    q->cap = n;
    q->head = 0;
  }
  q->ring[(q->head + q->len++) & (q->cap - 1)] = *e;
  return 0;
}

static uint64_t head_seq(const mt__tqueue *q) { return q->ring[q->head].seq; }

/* The active queue with the smallest head (there is one: held > 0). */
static size_t min_queue(const mt__reorder *r) {
  size_t best = 0;
  for (size_t i = 1; i < r->nactive; i++)
    if (head_seq(&r->q[i]) < head_seq(&r->q[best])) best = i;
  return best;
}

/* Deliver the head of active queue i; an emptied queue leaves the active set (its buffer is
 * kept). The event is delivered from the ring: nothing is added before the sink returns. */
static int pop(mt__reorder *r, size_t i) {
  mt__tqueue *q = &r->q[i];
  const mt__event *e = &q->ring[q->head];
  q->head = (q->head + 1) & (q->cap - 1);
  q->len--;
  r->held--;
  if (q->len == 0) {
    mt__tqueue t = *q;
    *q = r->q[r->nactive - 1];
    r->q[--r->nactive] = t;
  }
  return deliver(r, e);
}

int mt__reorder_push(mt__reorder *r, const mt__event *e) {
  if (e->seq <= r->next_seq) {
    /* due now: every held event has a larger number (the loop below delivers the others),
     * so it goes first without a trip through a queue; this is most events even while
     * another thread's early record waits */
    int rc = deliver(r, e);
    if (rc || r->held == 0) return rc;
  } else {
    mt__tqueue *q = queue_of(r, e->tid, e->seq);
    if (!q) return -1;
    if (append(q, e)) return -1;
    r->held++;
    if (r->held > r->max_held) r->max_held = r->held;
  }
  /* one scan per delivered event finds both whether the smallest head is due and where it is */
  while (r->held) {
    size_t best = min_queue(r);
    if (r->held <= r->window && head_seq(&r->q[best]) > r->next_seq) break;
    int rc = pop(r, best);
    if (rc) return rc;
  }
  return 0;
}

int mt__reorder_drain(mt__reorder *r) {
  while (r->held) {
    int rc = pop(r, min_queue(r));
    if (rc) return rc;
  }
  return 0;
}
