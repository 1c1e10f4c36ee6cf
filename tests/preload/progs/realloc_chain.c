/* SPDX-License-Identifier: MIT */
/* Test program: realloc(NULL) allocates, 10 growing reallocs, 5 shrinking ones, then
 * realloc(p, 0) frees. Valgrind and memtrace count each realloc of a live block as one
 * allocation and one free. */
#include <stdlib.h>

static void *volatile sink;
static void *volatile null_block; /* realloc(NULL, n) the compiler cannot turn into malloc */

int main(void) {
  char *p = realloc(null_block, 2000);
  for (int i = 1; i <= 10; i++)
    p = realloc(p, 2000 + (size_t)i * 100);
  for (int i = 1; i <= 5; i++)
    p = realloc(p, 3000 - (size_t)i * 10);
  sink = p;
  p = realloc(p, 0);
  sink = p;
  free(p);
  return 0;
}
