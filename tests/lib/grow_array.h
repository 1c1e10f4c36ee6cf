/* SPDX-License-Identifier: MIT */
/* Growable arrays for the trace checkers (tests/preload, tests/shim): room for one more
 * element, or for an index, with new elements zeroed. Out of memory ends the checker with
 * status 3: it has nothing to clean up and its caller reports the failure. */
#ifndef MT_TESTS_GROW_ARRAY_H
#define MT_TESTS_GROW_ARRAY_H

#include <stdlib.h>
#include <string.h>

/* Makes *array (of *cap elements of elem_size bytes) hold at least need elements. */
static inline void grow_array(void *array, size_t *cap, size_t need, size_t elem_size) {
  if (need <= *cap)
    return;
  size_t n = *cap ? *cap : 256;
  while (n < need)
    n *= 2;
  void *old; /* copied, not cast: the caller's pointer has its own type */
  memcpy(&old, array, sizeof old);
  char *grown = realloc(old, n * elem_size);
  if (!grown)
    exit(3);
  memset(grown + *cap * elem_size, 0, (n - *cap) * elem_size);
  memcpy(array, &grown, sizeof grown);
  *cap = n;
}

#endif
