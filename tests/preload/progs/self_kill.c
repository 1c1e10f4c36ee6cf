/* SPDX-License-Identifier: MIT */
/* Test program: leaks 1000 blocks of 666 bytes, sleeps 700 ms (longer than the recorder's
 * 250 ms flush interval), then kills itself with SIGKILL, which no handler can see. */
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;

int main(void) {
  for (int i = 0; i < 1000; i++)
    sink = malloc(666);
  struct timespec ts = {0, 700 * 1000 * 1000};
  nanosleep(&ts, NULL);
  kill(getpid(), SIGKILL);
  return 0;
}
