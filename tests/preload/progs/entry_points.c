/* SPDX-License-Identifier: MIT */
/* Test program: calls every allocation entry point the recorder hooks once, each with a size
 * of its own so the test can find its record, and frees everything. No stdio (stdio would
 * add libc's own buffer to the counts). Sizes: see tests/preload/run_case.sh. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>
#include <sys/mman.h>

static void *volatile sink;
static void *volatile null_block; /* realloc(NULL, n) the compiler cannot turn into malloc */

int main(void) {
  void *p = malloc(1001);
  sink = p;
  free(p);
  p = calloc(10, 101);
  sink = p;
  free(p);
  p = realloc(null_block, 1020);
  p = realloc(p, 1030);
  sink = p;
  free(p);
  p = reallocarray(null_block, 10, 104);
  p = reallocarray(p, 10, 105);
  sink = p;
  free(p);
  if (posix_memalign(&p, 64, 1060) == 0)
    free(p);
  p = aligned_alloc(64, 1088);
  sink = p;
  free(p);
  p = memalign(128, 1100);
  sink = p;
  free(p);
  p = valloc(1110);
  sink = p;
  free(p);
  p = pvalloc(1120);
  sink = p;
  free(p);
  free(NULL);
  p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED)
    munmap(p, 8192);
  return 0;
}
