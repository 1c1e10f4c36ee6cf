/* SPDX-License-Identifier: MIT */
/* 200000 mallocs of varying size, all freed, then writes "done": enough trace data to hit a
 * small file size limit. */
#include <stdlib.h>
#include <unistd.h>

int main(void) {
  for (int i = 0; i < 200000; i++)
    free(malloc(16 + (size_t)(i % 1000)));
  return write(1, "done\n", 5) == 5 ? 0 : 1;
}
