/* SPDX-License-Identifier: MIT */
/* Linear-probing hash map with backward-shift deletion (no tombstones), so long ingests with
 * millions of insert/delete pairs keep short probe chains. */
#include "u64map.h"

#include <stddef.h>
#include <stdlib.h>

#define EMPTY UINT64_MAX

/* Fibonacci hashing: the top bits of the product depend on every bit of the key, which is
 * enough for aligned addresses and consecutive ids, at a third of the instructions of a
 * full 64-bit mixer. */
static size_t slot_of(uint64_t key, size_t mask) {
  return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - __builtin_ctzll((uint64_t)mask + 1)));
}

void mt__u64map_init(mt__u64map *m) {
  m->slots = NULL;
  m->cap = 0;
  m->count = 0;
  m->has_empty_key = 0;
  m->empty_key_val = 0;
}

void mt__u64map_free(mt__u64map *m) {
  free(m->slots);
  mt__u64map_init(m);
}

uint64_t *mt__u64map_get(const mt__u64map *m, uint64_t key) {
  if (key == EMPTY) return m->has_empty_key ? (uint64_t *)&m->empty_key_val : NULL;
  if (m->cap == 0) return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = slot_of(key, mask);; i = (i + 1) & mask) {
    if (m->slots[i].key == key) return &m->slots[i].val;
    if (m->slots[i].key == EMPTY) return NULL;
  }
}

/* Out of line: inlined, its registers were saved and restored on every put. */
__attribute__((noinline)) static int grow(mt__u64map *m) {
  size_t ncap = m->cap ? m->cap * 2 : 64;
  mt__u64slot *ns = malloc(ncap * sizeof *ns);
  if (!ns) return -1;
  for (size_t i = 0; i < ncap; i++) ns[i].key = EMPTY;
  size_t mask = ncap - 1;
  for (size_t i = 0; i < m->cap; i++) {
    if (m->slots[i].key == EMPTY) continue;
    size_t j = slot_of(m->slots[i].key, mask);
    while (ns[j].key != EMPTY) j = (j + 1) & mask;
    ns[j] = m->slots[i];
  }
  free(m->slots);
  m->slots = ns;
  m->cap = ncap;
  return 0;
}

int mt__u64map_put(mt__u64map *m, uint64_t key, uint64_t val) {
  if (key == EMPTY) {
    m->count += !m->has_empty_key;
    m->has_empty_key = 1;
    m->empty_key_val = val;
    return 0;
  }
  if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0) return -1;
  size_t mask = m->cap - 1;
  size_t i = slot_of(key, mask);
  while (m->slots[i].key != EMPTY && m->slots[i].key != key) i = (i + 1) & mask;
  if (m->slots[i].key == EMPTY) {
    m->slots[i].key = key;
    m->count++;
  }
  m->slots[i].val = val;
  return 0;
}

/* Empty slot i, moving later members of its probe run into the hole when allowed
 * (backward-shift deletion). */
static void remove_slot(mt__u64map *m, size_t i) {
  size_t mask = m->cap - 1, hole = i;
  for (size_t j = (i + 1) & mask; m->slots[j].key != EMPTY; j = (j + 1) & mask) {
    size_t home = slot_of(m->slots[j].key, mask);
    int movable = (hole <= j) ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  m->slots[hole].key = EMPTY;
  m->count--;
}

int mt__u64map_del(mt__u64map *m, uint64_t key, uint64_t *val) {
  if (key == EMPTY) {
    if (!m->has_empty_key) return 0;
    if (val) *val = m->empty_key_val;
    m->has_empty_key = 0;
    m->count--;
    return 1;
  }
  if (m->cap == 0) return 0;
  size_t mask = m->cap - 1;
  size_t i = slot_of(key, mask);
  while (m->slots[i].key != key) {
    if (m->slots[i].key == EMPTY) return 0;
    i = (i + 1) & mask;
  }
  if (val) *val = m->slots[i].val;
  remove_slot(m, i);
  return 1;
}

void mt__u64map_del_at(mt__u64map *m, uint64_t *val) {
  if (val == &m->empty_key_val) {
    m->has_empty_key = 0;
    m->count--;
    return;
  }
  remove_slot(m, (size_t)((mt__u64slot *)((char *)val - offsetof(mt__u64slot, val)) - m->slots));
}

int mt__u64map_next(const mt__u64map *m, size_t *pos, uint64_t *key, uint64_t *val) {
  while (*pos < m->cap) {
    size_t i = (*pos)++;
    if (m->slots[i].key != EMPTY) {
      *key = m->slots[i].key;
      *val = m->slots[i].val;
      return 1;
    }
  }
  if (*pos == m->cap && m->has_empty_key) {
    (*pos)++;
    *key = EMPTY;
    *val = m->empty_key_val;
    return 1;
  }
  return 0;
}
