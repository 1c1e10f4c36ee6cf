/* SPDX-License-Identifier: MIT */
/* Exactly 10 mallocs of 100 bytes, 7 freed: END must say 10 allocations, 7 frees, 1000 bytes,
 * 300 live in 3 blocks, peak 1000. No stdio, so libc allocates nothing else. */
#include <stdlib.h>

int main(void) {
  void *p[10];
  for (int i = 0; i < 10; i++)
    p[i] = malloc(100);
  for (int i = 0; i < 7; i++)
    free(p[i]);
  return 0;
}
