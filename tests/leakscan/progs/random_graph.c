/* SPDX-License-Identifier: MIT */
/* A deterministic random graph of blocks of many sizes with start and interior pointers
 * between them; a few are held by globals (start or interior), many are freed afterwards
 * (leaving stale pointers in freed memory and dangling ones in live blocks). Exercises every
 * rule of the classification at once. Usage: random_graph [blocks] */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 88172645463325252ull;
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

static char *roots[64];

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atol(argv[1]) : 20000;
  char **b = calloc(n, sizeof *b);
  size_t *sz = calloc(n, sizeof *sz);
  for (size_t i = 0; i < n; i++) {
    uint64_t r = next();
    sz[i] = r % 8 == 0 ? 8 + r % 4000 : 8 + (r >> 8) % 120;
    if (r % 1000 == 1)
      sz[i] = 0;
    b[i] = malloc(sz[i]);
    if (sz[i])
      memset(b[i], 0, sz[i]);
  }
  for (size_t i = 0; i < n; i++) {
    size_t words = sz[i] / sizeof(void *);
    for (size_t w = 0; w < words; w++) {
      uint64_t r = next();
      if (r % 4 != 0)
        continue;
      size_t j = (size_t)((r >> 8) % n);
      size_t off = (r >> 40) % 3 == 0 && sz[j] > 1 ? (size_t)((r >> 20) % sz[j]) : 0;
      ((char **)b[i])[w] = b[j] + off;
    }
  }
  for (size_t k = 0; k < 64; k++) {
    uint64_t r = next();
    size_t j = (size_t)(r % n);
    roots[k] = b[j] + (r % 5 == 0 && sz[j] > 1 ? (size_t)((r >> 20) % sz[j]) : 0);
  }
  for (size_t i = 0; i < n; i++)
    if (next() % 3 == 0) {
      free(b[i]);
      b[i] = NULL;
    }
  free(b);
  free(sz);
  return 0;
}
