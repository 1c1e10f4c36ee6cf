/* SPDX-License-Identifier: MIT */
/* Open-addressing hash map from 64-bit keys to 64-bit values, used by ingest for live blocks,
 * allocation sites, stack nodes and threads. Memory grows with the number of keys only. */
#ifndef MT_ANALYZER_U64MAP_H
#define MT_ANALYZER_U64MAP_H

#include <stddef.h>
#include <stdint.h>

/* A key and its value side by side: a lookup touches one cache line, not two. */
typedef struct {
  uint64_t key, val;
} mt__u64slot;

typedef struct {
  mt__u64slot *slots;
  size_t cap;   /* power of two, 0 when nothing is allocated */
  size_t count;
  int has_empty_key;           /* the key used as the "empty slot" marker is stored apart */
  uint64_t empty_key_val;
} mt__u64map;

void mt__u64map_init(mt__u64map *m);
void mt__u64map_free(mt__u64map *m);
/* Pointer to the value of key, or NULL when absent. */
uint64_t *mt__u64map_get(const mt__u64map *m, uint64_t key);
/* Insert or overwrite. @return 0 or -1 when out of memory. */
int mt__u64map_put(mt__u64map *m, uint64_t key, uint64_t val);
/* Remove key; @return 1 when it was present (its value stored in *val if val), else 0. */
int mt__u64map_del(mt__u64map *m, uint64_t key, uint64_t *val);
/* Remove the entry whose value pointer mt__u64map_get just returned (no lookup again; the
 * map must not have changed in between). */
void mt__u64map_del_at(mt__u64map *m, uint64_t *val);
/* Iterate: start with *pos = 0; @return 1 with key/val filled, 0 at the end. */
int mt__u64map_next(const mt__u64map *m, size_t *pos, uint64_t *key, uint64_t *val);

#endif
