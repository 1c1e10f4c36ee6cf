/* SPDX-License-Identifier: MIT */
/* Writes to stdout and stderr, registers an atexit handler that leaks a block, and exits with
 * status 3: the scan runs after the handler and changes neither output nor status. */
#include <stdio.h>
#include <stdlib.h>

static void at_exit(void) {
  void *volatile lost = malloc(40);
  lost = NULL;
  fputs(lost ? "lost kept\n" : "handler ran\n", stdout);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0); /* no stdio buffer: the heap holds only our block */
  atexit(at_exit);
  fputs("to stdout\n", stdout);
  fputs("to stderr\n", stderr);
  exit(3);
}
