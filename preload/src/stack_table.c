/* SPDX-License-Identifier: MIT */
/* Call stack deduplication. Stacks form a prefix tree of (parent, ip) nodes numbered from 1,
 * rooted at the outermost frame. Each thread remembers its previous stack with the node id
 * of every prefix, so a new stack only looks up the frames that differ from the previous
 * one (usually a few innermost frames; none when the stack repeats). Lookups are lock-free;
 * new nodes are created under one lock and written as STACK records into the creating
 * thread's chunk, before the event that uses them. The table lives in mmap'd memory and
 * doubles when half full (old tables stay readable for lock-free readers). */
#include "internal.h"

#include <string.h>

#define K1 0x9E3779B97F4A7C15ull
#define K2 0xC2B2AE3D27D4EB4Full
#define NODES_INITIAL (1u << 14)

typedef struct {
  uint64_t parent, ip;
  _Atomic uint64_t id; /* 0: empty slot; published after parent and ip */
} node_entry;

typedef struct node_table {
  struct node_table *older;
  size_t mask, count, bytes;
  node_entry e[];
} node_table;

mt_lock mt__stack_lock;
static _Atomic(node_table *) nodes;
static uint64_t next_id = 1;

static inline size_t node_hash(uint64_t parent, uint64_t ip) {
  uint64_t h = (parent * K1) ^ ip;
  h ^= h >> 31;
  h *= K2;
  return (size_t)(h ^ (h >> 29));
}

static uint64_t find_in(const node_table *t, uint64_t parent, uint64_t ip) {
  for (size_t i = node_hash(parent, ip) & t->mask;; i = (i + 1) & t->mask) {
    uint64_t id = atomic_load_explicit(&t->e[i].id, memory_order_acquire);
    if (!id)
      return 0;
    if (t->e[i].parent == parent && t->e[i].ip == ip)
      return id;
  }
}

static node_table *table_new(size_t cap) {
  size_t bytes = sizeof(node_table) + cap * sizeof(node_entry);
  node_table *t = mt__os_reserve(bytes);
  if (t) {
    t->mask = cap - 1;
    t->bytes = bytes;
  }
  return t;
}

static void put_in(node_table *t, uint64_t parent, uint64_t ip, uint64_t id) {
  size_t i = node_hash(parent, ip) & t->mask;
  while (atomic_load_explicit(&t->e[i].id, memory_order_relaxed))
    i = (i + 1) & t->mask;
  t->e[i].parent = parent;
  t->e[i].ip = ip;
  atomic_store_explicit(&t->e[i].id, id, memory_order_release);
  t->count++;
}

/* Under the lock: a table with room for one more node. */
static node_table *reserve_one(void) {
  node_table *t = atomic_load_explicit(&nodes, memory_order_relaxed);
  if (!t) {
    t = table_new(NODES_INITIAL);
    atomic_store_explicit(&nodes, t, memory_order_release);
    return t;
  }
  if ((t->count + 1) * 2 <= t->mask + 1)
    return t;
  node_table *bigger = table_new((t->mask + 1) * 2);
  if (!bigger)
    return (t->count + 1) * 8 <= (t->mask + 1) * 7 ? t : NULL;
  for (size_t i = 0; i <= t->mask; i++) {
    uint64_t id = atomic_load_explicit(&t->e[i].id, memory_order_relaxed);
    if (id)
      put_in(bigger, t->e[i].parent, t->e[i].ip, id);
  }
  bigger->older = t;
  atomic_store_explicit(&nodes, bigger, memory_order_release);
  return bigger;
}

uint64_t mt__stack_intern(mt_tbuf *tb, mt_stack_memo *memo, const uintptr_t *ips, int n) {
  if (n <= 0)
    return 0;
  /* Walk from the outermost frame; the memo holds the previous stack outermost-first. */
  int common = 0, m = memo->n;
  while (common < n && common < m && ips[n - 1 - common] == memo->ips[common])
    common++;
  if (common == n) {
    memo->n = n;
    return memo->ids[n - 1];
  }
  memo->n = common; /* the memo is valid up to here while we extend it */
  uint64_t parent = common ? memo->ids[common - 1] : 0;
  int k = common;
  node_table *t = atomic_load_explicit(&nodes, memory_order_acquire);
  for (; t && k < n; k++) {
    uint64_t id = find_in(t, parent, ips[n - 1 - k]);
    if (!id)
      break;
    memo->ips[k] = ips[n - 1 - k];
    memo->ids[k] = parent = id;
  }
  if (k < n) {
    mt_rec_stack created[MT_DEPTH_MAX];
    int ncreated = 0;
    mt__lock(&mt__stack_lock);
    for (; k < n; k++) {
      uintptr_t ip = ips[n - 1 - k];
      t = atomic_load_explicit(&nodes, memory_order_relaxed);
      uint64_t id = t ? find_in(t, parent, ip) : 0;
      if (!id) {
        t = reserve_one();
        if (!t)
          break;
        id = next_id++;
        put_in(t, parent, ip, id);
        created[ncreated++] = (mt_rec_stack){id, parent, ip};
      }
      memo->ips[k] = ip;
      memo->ids[k] = parent = id;
    }
    mt__unlock(&mt__stack_lock);
    if (ncreated) {
      mt_record r = {.type = MT_REC_STACK};
      mt__lock(&tb->lock);
      for (int i = 0; i < ncreated; i++) {
        r.u.stack = created[i];
        mt__tbuf_put_locked(tb, &r);
      }
      mt__unlock(&tb->lock);
      mt__modules_scan(tb, 0); /* new code was reached: maybe from a library just loaded */
    }
  }
  memo->n = k;
  return parent;
}

void mt__stack_setup(void) {
  mt__lock(&mt__stack_lock);
  reserve_one();
  mt__unlock(&mt__stack_lock);
}

void mt__stack_reset_after_fork(void) {
  node_table *t = atomic_load(&nodes);
  while (t) {
    node_table *older = t->older;
    mt__os_free(t, t->bytes);
    t = older;
  }
  atomic_store(&nodes, NULL);
  next_id = 1;
  mt__lock_init(&mt__stack_lock);
  mt__stack_setup();
}
