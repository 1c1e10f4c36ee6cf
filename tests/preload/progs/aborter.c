/* SPDX-License-Identifier: MIT */
/* Test program: leaks 4 blocks of 444 bytes, then calls abort(). */
#include <stdlib.h>

static void *volatile sink;

int main(void) {
  for (int i = 0; i < 4; i++)
    sink = malloc(444);
  abort();
}
