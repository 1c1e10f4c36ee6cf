/* SPDX-License-Identifier: MIT */
/* Test program, built without PIE: takes malloc's address, so its malloc symbol is an
 * undefined one valued at a PLT entry (as node's is), and allocates 3 blocks through it. */
#include <stdio.h>
#include <stdlib.h>

void *(*volatile allocate)(size_t);

int main(void) {
  allocate = malloc; /* an absolute address in code: the linker makes malloc's PLT entry canonical */
  for (int i = 0; i < 3; i++)
    free(allocate(100));
  printf("done\n");
  return 0;
}
