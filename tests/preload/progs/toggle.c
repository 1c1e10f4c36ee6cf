/* SPDX-License-Identifier: MIT */
/* Test program: leaks 10 blocks of 1501 bytes, raises the signal numbered argv[1] (the
 * recorder's pause/resume toggle), then leaks 5 blocks of 1502 bytes. */
#include <signal.h>
#include <stdlib.h>

static void *volatile sink;

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  for (int i = 0; i < 10; i++)
    sink = malloc(1501);
  raise(atoi(argv[1]));
  for (int i = 0; i < 5; i++)
    sink = malloc(1502);
  return 0;
}
