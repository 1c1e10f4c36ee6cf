/* SPDX-License-Identifier: MIT */
/* Test program for the analyzer: prints through stdio (libc allocates stdout's buffer, which
 * valgrind releases at exit through freeres) and leaks one block of 100 bytes. Under valgrind:
 * 2 allocs, 0 frees (1 with freeres), in use at exit 100 bytes in 1 block. */
#include <stdio.h>
#include <stdlib.h>

static void *volatile keep;

int main(void) {
  keep = malloc(100);
  printf("stdio_leak: %p\n", keep);
  return 0;
}
