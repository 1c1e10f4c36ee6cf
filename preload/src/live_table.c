/* SPDX-License-Identifier: MIT */
/* Live heap blocks: address -> requested size, so free() knows how many bytes leave the heap
 * and ignores blocks we never saw (allocated before start-up, while paused, or by the shim).
 * 256 independently locked stripes (16 per 64 MiB address region), each an open-addressing
 * table with linear probing and backward-shift deletion, in mmap'd memory that doubles when
 * half full. */
#include "internal.h"

#include <string.h>

#define GROUPS 16        /* by 64 MiB region: glibc gives each thread arena its own region */
#define PER_GROUP 16     /* by address within a region */
#define STRIPES (GROUPS * PER_GROUP)
#define STRIPE_INITIAL 64 /* entries; the first arrays of all stripes share one block */

typedef struct {
  uintptr_t addr; /* 0: empty */
  uint64_t size;
} entry;

typedef struct {
  mt_lock lock;
  size_t mask, count;
  entry *e;
  char pad_[64 - sizeof(mt_lock) - 3 * sizeof(size_t)];
} stripe;

static _Alignas(64) stripe stripes[STRIPES];
static entry *initial;    /* STRIPES * STRIPE_INITIAL entries, contiguous: few pages, few TLB misses */
static mt_lock initial_lock;

static int in_initial(const entry *e) {
  return initial && e >= initial && e < initial + STRIPES * STRIPE_INITIAL;
}

static inline uint64_t addr_hash(uintptr_t a) {
  uint64_t h = (uint64_t)(a >> 4) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}

static int stripe_grow(stripe *s) {
  size_t cap = s->e ? (s->mask + 1) * 2 : STRIPE_INITIAL;
  entry *e;
  if (!s->e) {
    mt__lock(&initial_lock);
    if (!initial)
      initial = mt__os_alloc(STRIPES * STRIPE_INITIAL * sizeof(entry));
    mt__unlock(&initial_lock);
    if (!initial)
      return -1;
    e = initial + (size_t)(s - stripes) * STRIPE_INITIAL;
  } else {
    e = mt__os_alloc(cap * sizeof(entry));
    if (e) /* at 1/4 full after the copy, every page gets entries */
      mt__os_populate(e, cap * sizeof(entry));
  }
  if (!e)
    return -1;
  if (s->e) {
    for (size_t i = 0; i <= s->mask; i++) {
      if (!s->e[i].addr)
        continue;
      size_t j = addr_hash(s->e[i].addr) & (cap - 1);
      while (e[j].addr)
        j = (j + 1) & (cap - 1);
      e[j] = s->e[i];
    }
    if (!in_initial(s->e))
      mt__os_free(s->e, (s->mask + 1) * sizeof(entry));
  }
  s->e = e;
  s->mask = cap - 1;
  return 0;
}

/* Blocks of one malloc arena (one thread, usually) share a group of stripes, so threads
 * seldom touch each other's lock lines. */
static inline stripe *stripe_of(uintptr_t addr, uint64_t h) {
  uint64_t region = (uint64_t)(addr >> 26) * 0x9E3779B97F4A7C15ull;
  return &stripes[(region >> 60) * PER_GROUP + (h >> 60)];
}

void mt__live_prefetch(uintptr_t addr) {
  uint64_t h = addr_hash(addr);
  stripe *s = stripe_of(addr, h);
  /* read without the lock: a stale array only makes the hint useless (prefetches never fault) */
  entry *e = __atomic_load_n(&s->e, __ATOMIC_RELAXED);
  size_t mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
  if (e)
    __builtin_prefetch(&e[h & mask], 1);
}

int mt__live_insert(uintptr_t addr, uint64_t size, uint64_t *old_size) {
  uint64_t h = addr_hash(addr);
  stripe *s = stripe_of(addr, h);
  int replaced = 0;
  mt__lock(&s->lock);
  if ((!s->e || (s->count + 1) * 2 > s->mask + 1) && stripe_grow(s) != 0 &&
      (!s->e || s->count + 1 > s->mask)) {
    mt__unlock(&s->lock);
    return 0; /* no memory: the block stays unknown */
  }
  size_t i = h & s->mask;
  for (; s->e[i].addr; i = (i + 1) & s->mask) {
    if (s->e[i].addr == addr) {
      *old_size = s->e[i].size;
      s->e[i].size = size;
      replaced = 1;
      break;
    }
  }
  if (!replaced) {
    s->e[i].addr = addr;
    s->e[i].size = size;
    s->count++;
  }
  mt__unlock(&s->lock);
  return replaced;
}

int mt__live_remove(uintptr_t addr, uint64_t *size) {
  uint64_t h = addr_hash(addr);
  stripe *s = stripe_of(addr, h);
  mt__lock(&s->lock);
  if (!s->e) {
    mt__unlock(&s->lock);
    return 0;
  }
  size_t i = h & s->mask;
  for (; s->e[i].addr != addr; i = (i + 1) & s->mask) {
    if (!s->e[i].addr) {
      mt__unlock(&s->lock);
      return 0;
    }
  }
  *size = s->e[i].size;
  /* Backward-shift deletion keeps probe sequences intact without tombstones. */
  size_t hole = i;
  for (size_t j = (i + 1) & s->mask; s->e[j].addr; j = (j + 1) & s->mask) {
    size_t home = addr_hash(s->e[j].addr) & s->mask;
    if (((j - home) & s->mask) >= ((j - hole) & s->mask)) {
      s->e[hole] = s->e[j];
      hole = j;
    }
  }
  s->e[hole].addr = 0;
  s->count--;
  mt__unlock(&s->lock);
  return 1;
}

void mt__live_reset(void) {
  for (int i = 0; i < STRIPES; i++) {
    stripe *s = &stripes[i];
    mt__lock_init(&s->lock);
    if (s->e && !in_initial(s->e))
      mt__os_free(s->e, (s->mask + 1) * sizeof(entry));
    s->e = NULL;
    s->mask = s->count = 0;
  }
  if (initial)
    memset(initial, 0, STRIPES * STRIPE_INITIAL * sizeof(entry));
  mt__lock_init(&initial_lock);
}

size_t mt__live_count(void) {
  size_t n = 0;
  for (int i = 0; i < STRIPES; i++)
    n += stripes[i].count;
  return n;
}

size_t mt__live_snapshot(mt_live_block *out, size_t max) {
  size_t n = 0;
  for (int i = 0; i < STRIPES; i++) {
    stripe *s = &stripes[i];
    int locked = mt__lock_timed(&s->lock, 1000);
    for (size_t j = 0; s->e && j <= s->mask && n < max; j++)
      if (s->e[j].addr)
        out[n++] = (mt_live_block){s->e[j].addr, s->e[j].size};
    if (locked)
      mt__unlock(&s->lock);
  }
  return n;
}
