/* SPDX-License-Identifier: MIT */
/* Prints the descriptor its first open() gets, after an allocation (so the recorder is set
 * up, libunwind included): the same number as without memtrace. Two allocations in all, with
 * stdout's buffer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  free(malloc(64));
  printf("%d\n", open("/dev/null", O_RDONLY));
  return 0;
}
