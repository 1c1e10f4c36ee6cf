/* SPDX-License-Identifier: MIT */
/* Binary min-heap on sequence numbers with an "expected next" cursor; see reorder.h. */
#include "reorder.h"

#include <stdlib.h>

void mt__reorder_init(mt__reorder *r, mt__event_sink sink, void *ctx) {
  r->heap = NULL;
  r->n = r->cap = 0;
  r->next_seq = 1;
  r->late = 0;
  r->max_held = 0;
  r->sink = sink;
  r->ctx = ctx;
}

void mt__reorder_free(mt__reorder *r) {
  free(r->heap);
  r->heap = NULL;
  r->n = r->cap = 0;
}

static void sift_up(mt__event *h, size_t i) {
  mt__event e = h[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (h[p].seq <= e.seq) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = e;
}

static void sift_down(mt__event *h, size_t n, size_t i) {
  mt__event e = h[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && h[c + 1].seq < h[c].seq) c++;
    if (e.seq <= h[c].seq) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = e;
}

static int deliver(mt__reorder *r, const mt__event *e) {
  if (e->seq < r->next_seq) r->late++;
  else r->next_seq = e->seq + 1;
  return r->sink(r->ctx, e);
}

static int pop_deliver(mt__reorder *r) {
  mt__event e = r->heap[0];
  r->heap[0] = r->heap[--r->n];
  if (r->n) sift_down(r->heap, r->n, 0);
  return deliver(r, &e);
}

int mt__reorder_push(mt__reorder *r, const mt__event *e) {
  if (r->n == 0 && e->seq <= r->next_seq) return deliver(r, e);
  if (r->n == r->cap) {
    size_t ncap = r->cap ? r->cap * 2 : 1024;
    mt__event *nh = realloc(r->heap, ncap * sizeof *nh);
    if (!nh) return -1;
    r->heap = nh;
    r->cap = ncap;
  }
  r->heap[r->n] = *e;
  sift_up(r->heap, r->n++);
  if (r->n > r->max_held) r->max_held = r->n;
  while (r->n && (r->heap[0].seq <= r->next_seq || r->n > MT__REORDER_WINDOW)) {
    int rc = pop_deliver(r);
    if (rc) return rc;
  }
  return 0;
}

int mt__reorder_drain(mt__reorder *r) {
  while (r->n) {
    int rc = pop_deliver(r);
    if (rc) return rc;
  }
  return 0;
}
