/* SPDX-License-Identifier: MIT */
/* Test program: allocates one block of 888 bytes, sleeps argv[1] milliseconds, frees, exits 0. */
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  long ms = argc > 1 ? atol(argv[1]) : 500;
  void *p = malloc(888);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0) {
  }
  free(p);
  return 0;
}
