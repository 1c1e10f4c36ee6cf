/* SPDX-License-Identifier: MIT */
/* A small static arena that serves allocations made before the real allocator is known
 * (dlsym allocates while we look up malloc). Blocks are never given back: free() of a pointer
 * inside the arena is ignored, realloc() copies it out. */
#include "internal.h"

#define ARENA_SIZE (256u * 1024u)
#define HEADER 16u

static _Alignas(64) unsigned char arena[ARENA_SIZE];
static atomic_size_t arena_used;

void *mt__boot_alloc(size_t size, size_t align) {
  if (align < HEADER)
    align = HEADER;
  if (size > ARENA_SIZE || align > 4096)
    return NULL;
  size_t need = (size + HEADER + align - 1 + 15) & ~(size_t)15;
  size_t start = atomic_fetch_add(&arena_used, need);
  if (start + need > ARENA_SIZE)
    return NULL;
  uintptr_t base = (uintptr_t)arena + start + HEADER;
  uintptr_t p = (base + align - 1) & ~(uintptr_t)(align - 1);
  ((size_t *)p)[-1] = size;
  return (void *)p; /* static storage: already zeroed, as calloc needs */
}

int mt__boot_owns(const void *p) {
  return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + ARENA_SIZE;
}

size_t mt__boot_size(const void *p) { return ((const size_t *)p)[-1]; }
