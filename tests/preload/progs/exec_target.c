/* SPDX-License-Identifier: MIT */
/* Test program started through `exec` from a shell script: allocates and frees 2 blocks of
 * 333 bytes and leaks one of 334. */
#include <stdlib.h>

static void *volatile sink;

int main(void) {
  for (int i = 0; i < 2; i++) {
    void *p = malloc(333);
    sink = p;
    free(p);
  }
  sink = malloc(334);
  return 0;
}
