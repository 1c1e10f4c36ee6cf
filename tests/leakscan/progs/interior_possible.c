/* SPDX-License-Identifier: MIT */
/* Interior pointers: a global keeps a pointer into the middle of block A (possibly lost);
 * A points at the start of B, which is therefore only possibly lost too; C is reachable from
 * a global but holds only an interior pointer to D (possibly lost). */
#include <stdlib.h>

static char *middle_of_a;
static void **c_holder;

int main(void) {
  void **a = malloc(64);
  void **b = malloc(48);
  a[0] = b;
  middle_of_a = (char *)a + 24;
  c_holder = malloc(32);
  char *d = malloc(100);
  c_holder[1] = d + 40;
  a = NULL;
  b = NULL;
  d = NULL;
  return 0;
}
