/* SPDX-License-Identifier: MIT */
/* Each allocation entry point once, sizes 1..10 x 16, then everything freed (valgrind agrees:
 * 12 allocs, 12 frees counting the realloc as one of each). */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>

int main(void) {
  void *a = malloc(16);
  void *b = calloc(4, 8);                 /* 32 */
  void *c = realloc(NULL, 48);            /* ALLOC kind realloc */
  c = realloc(c, 64);                     /* REALLOC: one alloc + one free */
  void *d = reallocarray(NULL, 10, 8);    /* 80 */
  void *e = NULL;
  if (posix_memalign(&e, 64, 96) != 0)
    return 1;
  void *f = aligned_alloc(128, 128);
  void *g = memalign(32, 112);
  void *h = valloc(144);
  void *i = pvalloc(160);
  void *j = malloc(200);
  j = realloc(j, 0);                      /* frees: a FREE record */
  free(a); free(b); free(c); free(d); free(e); free(f); free(g); free(h); free(i);
  free(NULL);
  return j != NULL;
}
