/* SPDX-License-Identifier: MIT */
/* One block grown by realloc 10 times (100, 200, ... 1100 bytes), then freed: 11 allocations
 * and 11 frees as valgrind counts them, 6600 bytes in total, peak 1100. */
#include <stdlib.h>

int main(void) {
  char *p = malloc(100);
  for (int i = 2; i <= 11; i++)
    p = realloc(p, (size_t)i * 100);
  free(p);
  return 0;
}
