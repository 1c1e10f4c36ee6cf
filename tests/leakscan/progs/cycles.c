/* SPDX-License-Identifier: MIT */
/* Unreachable cycles: a two-block cycle (one definitely, one indirectly lost), a block that
 * points at itself (definitely lost) and a reachable cycle (both still reachable). */
#include <stdlib.h>

static void **kept;

static void make_cycle(size_t a_size, size_t b_size, void ***out) {
  void **a = malloc(a_size), **b = malloc(b_size);
  a[0] = b;
  b[0] = a;
  *out = a;
}

int main(void) {
  void **lost;
  make_cycle(40, 56, &lost);
  lost = NULL;
  void **self = malloc(24);
  self[0] = self;
  self = NULL;
  make_cycle(72, 88, &kept);
  return 0;
}
