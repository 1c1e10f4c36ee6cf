/* SPDX-License-Identifier: MIT */
/* 200000 mallocs of pseudo-random sizes kept in a ring of 1000 live blocks, all freed, then
 * writes "done": varied addresses and sizes give enough trace data (hundreds of KiB even
 * compressed) to hit a small file size limit. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define RING 1000

int main(void) {
  static void *ring[RING];
  uint32_t x = 12345;
  for (int i = 0; i < 200000; i++) {
    x = x * 1103515245u + 12345u;
    free(ring[i % RING]);
    ring[i % RING] = malloc(16 + (x >> 16) % 4000);
  }
  for (int i = 0; i < RING; i++) free(ring[i]);
  return write(1, "done\n", 5) == 5 ? 0 : 1;
}
