/* SPDX-License-Identifier: MIT */
/* Test module loaded with dlopen: dlmod_work() allocates and frees 4 blocks of 555 bytes. */
#include <stdlib.h>

static void *volatile sink;

int dlmod_work(void);

int dlmod_work(void) {
  for (int i = 0; i < 4; i++) {
    void *p = malloc(555);
    sink = p;
    free(p);
  }
  return 42;
}
