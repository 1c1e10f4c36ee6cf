/* SPDX-License-Identifier: MIT */
/* Recover the totals of a trace whose process never reported its end (killed by SIGKILL,
 * still running): read it with the streaming reader and replay the heap events, keeping the
 * live blocks in an open-addressing table so leaks and the peak can be given too. */
#include "launcher.h"

#include <memtrace/trace_reader.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
  uint64_t *addr;            /* 0 marks an empty slot, 1 a deleted one */
  uint64_t *size;
  size_t cap, used;          /* used counts live and deleted slots */
} block_table;

static size_t slot_of(const block_table *t, uint64_t a) {
  uint64_t h = a * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 20) & (t->cap - 1);
}

static int table_grow(block_table *t) {
  block_table n = {0};
  n.cap = t->cap ? t->cap * 2 : 1024;
  n.addr = calloc(n.cap, sizeof *n.addr);
  n.size = calloc(n.cap, sizeof *n.size);
  if (!n.addr || !n.size) {
    free(n.addr);
    free(n.size);
    return -1;
  }
  for (size_t i = 0; i < t->cap; i++) {
    if (t->addr[i] > 1) {
      size_t j = slot_of(&n, t->addr[i]);
      while (n.addr[j])
        j = (j + 1) & (n.cap - 1);
      n.addr[j] = t->addr[i];
      n.size[j] = t->size[i];
      n.used++;
    }
  }
  free(t->addr);
  free(t->size);
  *t = n;
  return 0;
}

/* Remove a block. @return its size, or -1 when it was not live. */
static int64_t table_remove(block_table *t, uint64_t a) {
  if (!t->cap || a <= 1)
    return -1;
  for (size_t j = slot_of(t, a);; j = (j + 1) & (t->cap - 1)) {
    if (!t->addr[j])
      return -1;
    if (t->addr[j] == a) {
      t->addr[j] = 1;
      return (int64_t)t->size[j];
    }
  }
}

static int table_insert(block_table *t, uint64_t a, uint64_t size) {
  if (a <= 1)
    return 0;
  if ((t->used + 1) * 4 >= t->cap * 3 && table_grow(t))
    return -1;
  size_t j = slot_of(t, a);
  while (t->addr[j] > 1)
    j = (j + 1) & (t->cap - 1);
  if (!t->addr[j])
    t->used++;
  t->addr[j] = a;
  t->size[j] = size;
  return 0;
}

static void on_free(mt__scan *s, block_table *t, uint64_t a) {
  int64_t size = table_remove(t, a);
  if (size >= 0) {
    s->live_bytes -= (uint64_t)size;
    s->live_blocks--;
  }
}

static void on_alloc(mt__scan *s, block_table *t, uint64_t a, uint64_t size) {
  s->allocations++;
  s->bytes_allocated += size;
  if (table_insert(t, a, size) == 0) {
    s->live_bytes += size;
    s->live_blocks++;
    if (s->live_bytes > s->peak_heap_bytes)
      s->peak_heap_bytes = s->live_bytes;
  }
}

int mt__trace_scan(const char *path, mt__scan *out) {
  memset(out, 0, sizeof *out);
  mt_reader *r;
  int rc = mt_reader_open_file(&r, path);
  if (rc) {
    out->error = rc;
    return rc;
  }
  block_table t = {0};
  mt_record rec;
  while ((rc = mt_reader_next(r, &rec)) == 1) {
    switch (rec.type) {
    case MT_REC_ALLOC:
      if (mt_alloc_kind_class((int)rec.u.alloc.kind) == MT_CLASS_HEAP)
        on_alloc(out, &t, rec.u.alloc.address, rec.u.alloc.size);
      break;
    case MT_REC_FREE:
      if (mt_alloc_kind_class((int)rec.u.free.kind) == MT_CLASS_HEAP) {
        out->frees++;
        on_free(out, &t, rec.u.free.address);
      }
      break;
    case MT_REC_REALLOC:
      if (mt_alloc_kind_class((int)rec.u.realloc.kind) == MT_CLASS_HEAP) {
        out->frees++;
        on_free(out, &t, rec.u.realloc.old_address);
        on_alloc(out, &t, rec.u.realloc.new_address, rec.u.realloc.size);
      }
      break;
    case MT_REC_END:
      out->complete = 1;
      break;
    default:
      break;
    }
  }
  free(t.addr);
  free(t.size);
  mt_reader_close(r);
  out->error = rc < 0 ? rc : 0;
  return rc < 0 && !mt_reader_is_partial(rc) ? rc : 0;
}
