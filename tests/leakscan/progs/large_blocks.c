/* SPDX-License-Identifier: MIT */
/* Blocks above the mmap threshold live in their own mappings: one held by a global, one
 * leaked holding the only pointers to two small blocks (indirectly lost), one leaked that is
 * referenced only from a freed block (a stale pointer never counts). */
#include <stdlib.h>
#include <string.h>

static void **big_kept;

int main(void) {
  big_kept = malloc(1 << 20);
  memset(big_kept, 0, 1 << 20);
  big_kept[1000] = malloc(33);
  void **big_lost = malloc(300000);
  memset(big_lost, 0, 300000);
  big_lost[7] = malloc(17);
  big_lost[30000] = malloc(19);
  big_lost = NULL;
  void **gone = malloc(64);
  gone[5] = malloc(200000);
  free(gone);
  return 0;
}
