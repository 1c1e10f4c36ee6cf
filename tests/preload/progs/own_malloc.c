/* SPDX-License-Identifier: MIT */
/* Test program: defines malloc, free, calloc and realloc itself (a bump allocator, as a
 * program that links jemalloc in does), allocates 100 blocks and prints "done". */
#include <stdio.h>
#include <string.h>

static char pool[1 << 22];
static size_t used;

void *malloc(size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (used + n > sizeof pool)
    return NULL;
  void *p = pool + used;
  used += n;
  return p;
}

void free(void *p) { (void)p; }

void *calloc(size_t a, size_t b) {
  void *p = malloc(a * b);
  if (p)
    memset(p, 0, a * b);
  return p;
}

void *realloc(void *p, size_t n) {
  void *q = malloc(n);
  if (p && q)
    memcpy(q, p, n);
  return q;
}

int main(void) {
  for (int i = 0; i < 100; i++) {
    char *volatile q = malloc(100);
    free(q);
  }
  printf("done\n");
  return 0;
}
