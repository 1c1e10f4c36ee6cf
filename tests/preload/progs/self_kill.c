/* SPDX-License-Identifier: MIT */
/* Test program: leaks 1000 blocks of 666 bytes, sleeps 1.5 s (well past the recorder's
 * 250 ms flush interval, even on a loaded machine), then kills itself with SIGKILL, which
 * no handler can see. */
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;

int main(void) {
  for (int i = 0; i < 1000; i++)
    sink = malloc(666);
  struct timespec ts = {1, 500 * 1000 * 1000};
  nanosleep(&ts, NULL);
  kill(getpid(), SIGKILL);
  return 0;
}
