/* SPDX-License-Identifier: MIT */
/* Call stack deduplication. Stacks form a prefix tree of (parent, ip) nodes numbered from 1;
 * a cache maps the hash of a whole stack to its innermost node, so a stack seen before costs
 * one hash and one lock-free probe. New stacks are inserted under one lock, and the nodes
 * they create are written as STACK records into the creating thread's chunk, before the
 * event that uses them. Tables live in mmap'd memory and double when half full. */
#include "internal.h"

#include <string.h>

#define K1 0x9E3779B97F4A7C15ull
#define K2 0xC2B2AE3D27D4EB4Full
#define FULL_INITIAL (1u << 13)
#define NODES_INITIAL (1u << 13)

/* Full-stack cache: key is the stack hash (never 0), published after id with release. */
typedef struct {
  _Atomic uint64_t key;
  uint64_t id;
} full_entry;

typedef struct full_table {
  struct full_table *older; /* retired tables: lock-free readers may still look at them */
  size_t mask, count, bytes;
  full_entry e[];
} full_table;

typedef struct {
  uint64_t parent, ip, id; /* id 0: empty slot */
} node_entry;

mt_lock mt__stack_lock;
static _Atomic(full_table *) full;
static node_entry *nodes;
static size_t nodes_mask, nodes_count;
static uint64_t next_id = 1;

static inline uint64_t mix(uint64_t h) {
  h ^= h >> 31;
  h *= K2;
  h ^= h >> 29;
  return h;
}

static uint64_t hash_stack(const uintptr_t *ips, int n) {
  uint64_t h = (uint64_t)n * K1;
  for (int i = 0; i < n; i++)
    h = (h ^ ips[i]) * K1 + (h >> 41);
  h = mix(h);
  return h ? h : 1;
}

static uint64_t full_find(const full_table *t, uint64_t key) {
  for (size_t i = key & t->mask;; i = (i + 1) & t->mask) {
    uint64_t k = atomic_load_explicit(&t->e[i].key, memory_order_acquire);
    if (k == key)
      return t->e[i].id;
    if (k == 0)
      return 0;
  }
}

static full_table *full_new(size_t cap) {
  size_t bytes = sizeof(full_table) + cap * sizeof(full_entry);
  full_table *t = mt__os_reserve(bytes);
  if (t) {
    t->mask = cap - 1;
    t->bytes = bytes;
  }
  return t;
}

static void full_put(full_table *t, uint64_t key, uint64_t id) {
  size_t i = key & t->mask;
  while (atomic_load_explicit(&t->e[i].key, memory_order_relaxed) != 0)
    i = (i + 1) & t->mask;
  t->e[i].id = id;
  atomic_store_explicit(&t->e[i].key, key, memory_order_release);
  t->count++;
}

/* Under the lock: make room for one more entry, publishing a doubled table when needed. */
static full_table *full_reserve(void) {
  full_table *t = atomic_load_explicit(&full, memory_order_relaxed);
  if (!t) {
    t = full_new(FULL_INITIAL);
    atomic_store_explicit(&full, t, memory_order_release);
    return t;
  }
  if ((t->count + 1) * 2 <= t->mask + 1)
    return t;
  full_table *bigger = full_new((t->mask + 1) * 2);
  if (!bigger)
    return (t->count + 1) * 8 <= (t->mask + 1) * 7 ? t : NULL;
  for (size_t i = 0; i <= t->mask; i++) {
    uint64_t k = atomic_load_explicit(&t->e[i].key, memory_order_relaxed);
    if (k)
      full_put(bigger, k, t->e[i].id);
  }
  bigger->older = t;
  atomic_store_explicit(&full, bigger, memory_order_release);
  return bigger;
}

static size_t node_slot(uint64_t parent, uint64_t ip) { return mix(parent * K1 ^ ip); }

static int nodes_grow(void) {
  size_t cap = nodes ? (nodes_mask + 1) * 2 : NODES_INITIAL;
  node_entry *bigger = mt__os_reserve(cap * sizeof(node_entry));
  if (!bigger)
    return -1;
  if (nodes) {
    for (size_t i = 0; i <= nodes_mask; i++) {
      if (!nodes[i].id)
        continue;
      size_t j = node_slot(nodes[i].parent, nodes[i].ip) & (cap - 1);
      while (bigger[j].id)
        j = (j + 1) & (cap - 1);
      bigger[j] = nodes[i];
    }
    mt__os_free(nodes, (nodes_mask + 1) * sizeof(node_entry));
  }
  nodes = bigger;
  nodes_mask = cap - 1;
  return 0;
}

/* Under the lock: id of (parent, ip), created when missing (*created set). 0 on no memory. */
static uint64_t node_get(uint64_t parent, uint64_t ip, int *created) {
  if ((!nodes || (nodes_count + 1) * 2 > nodes_mask + 1) && nodes_grow() != 0 && !nodes)
    return 0;
  size_t i = node_slot(parent, ip) & nodes_mask;
  for (; nodes[i].id; i = (i + 1) & nodes_mask)
    if (nodes[i].parent == parent && nodes[i].ip == ip)
      return nodes[i].id;
  if (nodes_count + 1 > nodes_mask) /* completely full and could not grow */
    return 0;
  nodes[i].parent = parent;
  nodes[i].ip = ip;
  nodes[i].id = next_id++;
  nodes_count++;
  *created = 1;
  return nodes[i].id;
}

uint64_t mt__stack_intern(mt_tbuf *tb, const uintptr_t *ips, int n) {
  if (n <= 0)
    return 0;
  uint64_t key = hash_stack(ips, n);
  full_table *t = atomic_load_explicit(&full, memory_order_acquire);
  if (mt_likely(t != NULL)) {
    uint64_t id = full_find(t, key);
    if (mt_likely(id != 0))
      return id;
  }

  mt_rec_stack created[MT_DEPTH_MAX];
  int ncreated = 0;
  uint64_t parent = 0;
  mt__lock(&mt__stack_lock);
  t = atomic_load_explicit(&full, memory_order_relaxed);
  uint64_t id = t ? full_find(t, key) : 0;
  if (!id) {
    for (int i = n - 1; i >= 0; i--) {
      int made = 0;
      uint64_t node = node_get(parent, ips[i], &made);
      if (!node)
        break;
      if (made && ncreated < MT_DEPTH_MAX)
        created[ncreated++] = (mt_rec_stack){node, parent, ips[i]};
      parent = node;
    }
    id = parent;
    full_table *room = full_reserve();
    if (room && id)
      full_put(room, key, id);
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
  return id;
}

void mt__stack_setup(void) {
  mt__lock(&mt__stack_lock);
  full_reserve();
  if (!nodes)
    nodes_grow();
  mt__unlock(&mt__stack_lock);
}

void mt__stack_reset_after_fork(void) {
  full_table *t = atomic_load(&full);
  while (t) {
    full_table *older = t->older;
    mt__os_free(t, t->bytes);
    t = older;
  }
  atomic_store(&full, NULL);
  if (nodes)
    mt__os_free(nodes, (nodes_mask + 1) * sizeof(node_entry));
  nodes = NULL;
  nodes_mask = nodes_count = 0;
  next_id = 1;
  mt__lock_init(&mt__stack_lock);
  mt__stack_setup();
}
