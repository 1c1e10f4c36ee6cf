/* SPDX-License-Identifier: MIT */
/* Heap accounting: live blocks in a hash, per-stack counters, temporaries as heaptrack defines
 * them (freed with no other allocation by the same thread in between), peak attribution by
 * lazy snapshots (a site copies its live figures the first time it changes after a new peak),
 * and a fixed-size timeline whose bucket width doubles when the trace outgrows it. */
#include "accum.h"

#include <stdlib.h>
#include <string.h>

#include <memtrace/trace.h>

void mt__accum_init(mt__accum *a, uint64_t seq_lo, uint64_t seq_hi) {
  memset(a, 0, sizeof *a);
  mt__u64map_init(&a->site_index);
  mt__u64map_init(&a->live);
  mt__u64map_init(&a->last_alloc);
  mt__u64map_init(&a->pending);
  mt__u64map_init(&a->stale);
  a->bucket_ns = 1000;
  a->seq_lo = seq_lo;
  a->seq_hi = seq_hi;
  a->time_hi = UINT64_MAX;
}

void mt__accum_free(mt__accum *a) {
  free(a->site_of_stack);
  mt__u64map_free(&a->site_index);
  mt__u64map_free(&a->live);
  mt__u64map_free(&a->last_alloc);
  mt__u64map_free(&a->pending);
  mt__u64map_free(&a->stale);
  mt__mapranges_free(&a->maps);
  free(a->sites);
  free(a->blocks);
  free(a->free_blocks);
  free(a->marks);
  memset(a, 0, sizeof *a);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap * 2 : 256;
  while (ncap < need) ncap *= 2;
  void *np = realloc(*p, ncap * elem);
  if (!np) return -1;
  *p = np;
  *cap = ncap;
  return 0;
}

/* Stack ids are dense (the recorder numbers nodes 1, 2, 3...), so most are looked up in an
 * array, a hash probe less on every allocation; the array grows to at most 16 slots a site,
 * so odd ids cannot make it big. @return whether the id has a slot. */
static int dense_slot(mt__accum *a, uint64_t stack) {
  if (stack < a->site_of_stack_cap) return 1;
  if (stack >= 16 * (uint64_t)a->nsites + 65536) return 0;
  size_t cap = a->site_of_stack_cap ? a->site_of_stack_cap : 65536;
  while (cap <= stack) cap *= 2;
  uint32_t *n = realloc(a->site_of_stack, cap * sizeof *n);
  if (!n) return 0;
  memset(n + a->site_of_stack_cap, 0, (cap - a->site_of_stack_cap) * sizeof *n);
  a->site_of_stack = n;
  a->site_of_stack_cap = cap;
  return 1;
}

static long site_for(mt__accum *a, uint64_t stack) {
  int dense = dense_slot(a, stack);
  if (dense && a->site_of_stack[stack]) return (long)a->site_of_stack[stack] - 1;
  /* an id the array did not reach when it came is in the map for good */
  uint64_t *ix = a->site_index.count ? mt__u64map_get(&a->site_index, stack) : NULL;
  if (ix) return (long)*ix;
  if (a->nsites >= UINT32_MAX - 1) return -1;
  if (grow((void **)&a->sites, &a->capsites, a->nsites + 1, sizeof *a->sites)) return -1;
  if (dense) a->site_of_stack[stack] = (uint32_t)a->nsites + 1;
  else if (mt__u64map_put(&a->site_index, stack, a->nsites)) return -1;
  mt__site *s = &a->sites[a->nsites];
  memset(s, 0, sizeof *s);
  s->stack = stack;
  return (long)a->nsites++;
}

/* Before a site's live figures change, keep what they were at the latest peak. */
static void snapshot(mt__accum *a, mt__site *s) {
  if (s->snap_epoch != a->epoch) {
    s->snap_bytes = s->live_bytes;
    s->snap_blocks = s->live_blocks;
    s->snap_epoch = a->epoch;
  }
}

void mt__accum_site_peak(const mt__accum *a, const mt__site *s, uint64_t *bytes, uint64_t *blocks) {
  if (s->snap_epoch == a->epoch) {
    *bytes = s->snap_bytes;
    *blocks = s->snap_blocks;
  } else {
    *bytes = s->live_bytes;
    *blocks = s->live_blocks;
  }
}

static void timeline_rescale(mt__accum *a) {
  for (int i = 0; i < MT__TIMELINE_POINTS / 2; i++) {
    mt__bucket *x = &a->timeline[2 * i], *y = &a->timeline[2 * i + 1];
    mt__bucket m = *x;
    if (y->used) {
      m.seq = y->seq;
      m.heap_end = y->heap_end;
      m.blocks_end = y->blocks_end;
      m.mmap_end = y->mmap_end;
      if (y->rss) m.rss = y->rss > m.rss ? y->rss : m.rss;
      if (!m.used || y->heap_max > m.heap_max) m.heap_max = y->heap_max;
      m.used = 1;
    }
    a->timeline[i] = m;
  }
  memset(&a->timeline[MT__TIMELINE_POINTS / 2], 0,
         sizeof(mt__bucket) * (MT__TIMELINE_POINTS / 2));
  a->bucket_ns *= 2;
}

static void timeline_note(mt__accum *a, const mt__event *e, uint64_t rss) {
  /* Events come nearly in time order: most fall in the bucket of the one before, which
   * spares them a 64-bit division. */
  if (e->time - a->bucket_start >= a->bucket_ns) {
    while (e->time / a->bucket_ns >= MT__TIMELINE_POINTS) timeline_rescale(a);
    a->bucket_ix = e->time / a->bucket_ns;
    a->bucket_start = a->bucket_ix * a->bucket_ns;
  }
  mt__bucket *b = &a->timeline[a->bucket_ix];
  if (!b->used || a->t.heap_live > b->heap_max) b->heap_max = a->t.heap_live;
  b->used = 1;
  b->seq = e->seq;
  b->heap_end = a->t.heap_live;
  b->blocks_end = a->t.heap_blocks;
  b->mmap_end = a->t.mmap_live;
  if (rss > b->rss) b->rss = rss;
}

/* The latest allocation of thread tid, through a small direct-mapped cache whose entries go
 * back to the map when another thread takes their place. NULL when out of memory. */
__attribute__((noinline)) static mt__last_alloc *last_alloc_load(mt__accum *a, mt__last_alloc *l, uint32_t tid) {
  if (l->used && l->known && mt__u64map_put(&a->last_alloc, l->tid, l->addr)) return NULL;
  const uint64_t *kept = mt__u64map_get(&a->last_alloc, tid);
  *l = (mt__last_alloc){.tid = tid, .used = 1, .known = kept != NULL, .addr = kept ? *kept : 0};
  return l;
}

static inline mt__last_alloc *last_alloc_of(mt__accum *a, uint32_t tid) {
  mt__last_alloc *l = &a->recent_last[tid % (sizeof a->recent_last / sizeof *a->recent_last)];
  return l->tid == tid && l->used ? l : last_alloc_load(a, l, tid);
}

/* Store a block; into `stale` instead of `live` when asked. */
static int store_block(mt__accum *a, const mt__block *blk, int stale) {
  uint32_t ix;
  if (a->nfree) {
    ix = a->free_blocks[--a->nfree];
  } else {
    if (grow((void **)&a->blocks, &a->capblocks, a->nblocks + 1, sizeof *a->blocks)) return -1;
    ix = (uint32_t)a->nblocks++;
  }
  a->blocks[ix] = *blk;
  if (!stale && blk->cls == MT_CLASS_MMAP && mt__mapranges_add(&a->maps, blk->addr)) return -1;
  return mt__u64map_put(stale ? &a->stale : &a->live, mt__live_key(blk->addr, blk->cls), ix);
}

static int new_block(mt__accum *a, const mt__block *blk) { return store_block(a, blk, 0); }

static int release_block(mt__accum *a, uint32_t ix) {
  if (grow((void **)&a->free_blocks, &a->capfree, a->nfree + 1, sizeof *a->free_blocks)) return -1;
  a->free_blocks[a->nfree++] = ix;
  return 0;
}

/* Remove the block of class cls at addr, freed at seq, from the books (counting a
 * temporary). A live block allocated after seq is a later incarnation of the address: the
 * free then belongs to the stale one, if any. */
static int drop_block(mt__accum *a, uint64_t addr, int cls, uint64_t seq, uint32_t tid, int *found) {
  uint64_t ix = 0, key = mt__live_key(addr, cls);
  uint64_t *live = mt__u64map_get(&a->live, key);
  if (live && a->blocks[*live].seq > seq) {
    *found = a->stale.count && mt__u64map_del(&a->stale, key, &ix);
  } else if (live) {
    ix = *live;
    mt__u64map_del_at(&a->live, live);
    *found = 1;
    if (cls == MT_CLASS_MMAP) mt__mapranges_remove(&a->maps, addr);
  } else {
    *found = 0;
  }
  if (!*found) return 0;
  mt__block *b = &a->blocks[ix];
  switch (b->cls) {
  case MT_CLASS_HEAP: {
    mt__site *s = &a->sites[b->site];
    snapshot(a, s);
    s->live_bytes -= b->size;
    s->live_blocks--;
    a->t.heap_live -= b->size;
    a->t.heap_blocks--;
    mt__last_alloc *last = last_alloc_of(a, tid);
    if (!last) return -1;
    if (last->known && last->addr == addr) {
      s->temporary++;
      a->t.temporary++;
      last->addr = 0;
    }
    break;
  }
  case MT_CLASS_MMAP:
    a->t.mmap_live -= b->size;
    break;
  default:
    a->t.custom_live -= b->size;
    break;
  }
  return release_block(a, (uint32_t)ix);
}

/* A free whose block is unknown: remembered, in case its allocation arrives later. */
static int unmatched(mt__accum *a, uint64_t addr, int cls, uint64_t seq) {
  a->t.unmatched_frees++;
  return mt__u64map_put(&a->pending, mt__live_key(addr, cls), seq);
}

static int add_block(mt__accum *a, const mt__event *e, uint64_t addr, int cls) {
  int found;
  uint64_t *freed_at = a->pending.count ? mt__u64map_get(&a->pending, mt__live_key(addr, cls)) : NULL;
  if (freed_at && *freed_at > e->seq) {
    /* its free was already seen: the block came and went; count the allocation only */
    mt__u64map_del(&a->pending, mt__live_key(addr, cls), NULL);
    a->t.unmatched_frees--;
    a->t.late_pairs++;
    if (cls == MT_CLASS_HEAP) {
      long si = site_for(a, e->stack);
      if (si < 0) return -1;
      a->sites[si].allocations++;
      a->sites[si].bytes += e->size;
      a->t.allocations++;
      a->t.bytes_allocated += e->size;
    } else if (cls == MT_CLASS_MMAP) {
      a->t.mmap_allocations++;
    } else {
      a->t.custom_allocations++;
    }
    return 0;
  }
  uint64_t *live = mt__u64map_get(&a->live, mt__live_key(addr, cls));
  int stale = live && a->blocks[*live].seq > e->seq; /* an older incarnation, delivered late */
  if (stale) {
    uint64_t old;
    if (mt__u64map_del(&a->stale, mt__live_key(addr, cls), &old) && release_block(a, (uint32_t)old))
      return -1;
  } else if (live && drop_block(a, addr, cls, e->seq, e->tid, &found)) {
    return -1; /* a lost free: forget the old block (no block there: nothing to drop) */
  }
  mt__block blk = {.addr = addr, .size = e->size, .seq = e->seq, .time = e->time, .stack = e->stack,
                   .site = UINT32_MAX, .cls = (uint8_t)cls, .kind = e->kind};
  switch (cls) {
  case MT_CLASS_HEAP: {
    long si = site_for(a, e->stack);
    if (si < 0) return -1;
    mt__site *s = &a->sites[si];
    blk.site = (uint32_t)si;
    snapshot(a, s);
    s->allocations++;
    s->bytes += e->size;
    s->live_bytes += e->size;
    s->live_blocks++;
    a->t.allocations++;
    a->t.bytes_allocated += e->size;
    a->t.heap_live += e->size;
    a->t.heap_blocks++;
    if (a->t.heap_live > a->t.peak_heap) {
      a->t.peak_heap = a->t.heap_live;
      a->t.peak_seq = e->seq;
      a->t.peak_time = e->time;
      a->epoch++;
    }
    mt__last_alloc *last = last_alloc_of(a, e->tid);
    if (!last) return -1;
    last->known = 1;
    last->addr = addr;
    break;
  }
  case MT_CLASS_MMAP:
    a->t.mmap_allocations++;
    a->t.mmap_live += e->size;
    break;
  default:
    a->t.custom_allocations++;
    a->t.custom_live += e->size;
    break;
  }
  return store_block(a, &blk, stale);
}

/* Whether the live mmap block at start overlaps [lo, hi): 1 with *b. */
static int cuts(const mt__accum *a, uint64_t start, uint64_t lo, uint64_t hi, mt__block *b) {
  const uint64_t *ix = mt__u64map_get(&a->live, mt__live_key(start, MT_CLASS_MMAP));
  if (!ix) return 0;
  *b = a->blocks[*ix];
  return b->addr < hi && b->addr + b->size > lo;
}

/* The live mmap block with the lowest start that overlaps [lo, hi): 1 with *b, else 0. */
static int next_cut(const mt__accum *a, uint64_t lo, uint64_t hi, mt__block *b) {
  uint64_t start;
  if (mt__mapranges_floor(&a->maps, lo, &start) && cuts(a, start, lo, hi, b)) return 1;
  return mt__mapranges_after(&a->maps, lo, &start) && cuts(a, start, lo, hi, b);
}

/* munmap releases any part of one or more mappings: each mapping it cuts loses that part,
 * what is left of it before and after stays live with its allocation's stack. */
static int unmap(mt__accum *a, const mt__event *e) {
  if (e->size == 0) { /* the whole mapping at that address */
    int found;
    if (drop_block(a, e->addr, MT_CLASS_MMAP, e->seq, e->tid, &found)) return -1;
    return found ? 0 : unmatched(a, e->addr, MT_CLASS_MMAP, e->seq);
  }
  uint64_t lo = e->addr, hi = e->addr + e->size;
  int cut = 0;
  mt__block b;
  while (next_cut(a, lo, hi, &b)) {
    int found;
    if (drop_block(a, b.addr, MT_CLASS_MMAP, e->seq, e->tid, &found)) return -1;
    if (!found) break;
    cut = 1;
    uint64_t end = b.addr + b.size;
    mt__block piece = b;
    if (b.addr < lo) {
      piece.size = lo - b.addr;
      a->t.mmap_live += piece.size;
      if (new_block(a, &piece)) return -1;
    }
    if (end > hi) {
      piece.addr = hi;
      piece.size = end - hi;
      a->t.mmap_live += piece.size;
      if (new_block(a, &piece)) return -1;
    }
    lo = end < hi ? end : hi;
  }
  return cut ? 0 : unmatched(a, e->addr, MT_CLASS_MMAP, e->seq);
}

int mt__accum_event(mt__accum *a, const mt__event *e) {
  if (e->seq < a->seq_lo || e->seq > a->seq_hi) return 0;
  if ((a->time_lo || a->time_hi != UINT64_MAX) && (e->time < a->time_lo || e->time > a->time_hi))
    return 0;
  a->t.events++;
  a->t.last_seq = e->seq;
  if (e->time > a->t.last_time) a->t.last_time = e->time;
  int cls = mt_alloc_kind_class(e->kind);
  int found, rc = 0;
  uint64_t rss = 0;
  switch ((mt__ev_type)e->type) {
  case MT__EV_ALLOC:
    rc = add_block(a, e, e->addr, cls);
    break;
  case MT__EV_FREE:
    if (cls == MT_CLASS_MMAP) {
      rc = unmap(a, e);
      break;
    }
    if (cls == MT_CLASS_HEAP) a->t.frees++;
    rc = drop_block(a, e->addr, cls, e->seq, e->tid, &found);
    if (rc == 0 && !found) rc = unmatched(a, e->addr, cls, e->seq);
    break;
  case MT__EV_REALLOC:
    if (cls == MT_CLASS_HEAP) a->t.frees++;
    rc = drop_block(a, e->addr, cls, e->seq, e->tid, &found);
    if (rc == 0 && !found && e->addr) rc = unmatched(a, e->addr, cls, e->seq);
    if (rc == 0) rc = add_block(a, e, e->addr2, cls);
    break;
  case MT__EV_RSS:
    rss = e->size;
    a->t.last_rss = rss;
    if (rss > a->t.peak_rss) a->t.peak_rss = rss;
    break;
  case MT__EV_MARKER:
    if (grow((void **)&a->marks, &a->capmarks, a->nmarks + 1, sizeof *a->marks)) return -1;
    a->marks[a->nmarks++] = (mt__mark){.seq = e->seq, .time = e->time,
                                       .heap_bytes = a->t.heap_live, .label = (uint32_t)e->addr};
    break;
  case MT__EV_TICK:
    return 0; /* records without a time of their own do not move the timeline */
  }
  timeline_note(a, e, rss);
  return rc;
}

int mt__accum_next_block(const mt__accum *a, size_t *pos, const mt__block **b) {
  uint64_t key, ix;
  size_t n = a->live.cap + 1; /* positions of live (its iterator uses cap + 1) */
  if (*pos < n) {
    if (mt__u64map_next(&a->live, pos, &key, &ix)) {
      *b = &a->blocks[ix];
      return 1;
    }
    *pos = n;
  }
  size_t sp = *pos - n;
  int more = mt__u64map_next(&a->stale, &sp, &key, &ix);
  *pos = sp + n;
  if (more) *b = &a->blocks[ix];
  return more;
}

void mt__accum_finish(mt__accum *a) {
  size_t pos = 0;
  const mt__block *b;
  while (mt__accum_next_block(a, &pos, &b)) {
    if (b->cls != MT_CLASS_HEAP) continue;
    a->sites[b->site].leaked_blocks++;
    a->sites[b->site].leaked_bytes += b->size;
  }
}
