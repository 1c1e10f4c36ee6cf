/* SPDX-License-Identifier: MIT */
/* 5 mallocs of 8 bytes, raise(SIGUSR2), 3 mallocs of 16 bytes: started paused, only the
 * last 3 are recorded. */
#include <signal.h>
#include <stdlib.h>

int main(void) {
  for (int i = 0; i < 5; i++)
    (void)malloc(8);
  raise(SIGUSR2);
  for (int i = 0; i < 3; i++)
    (void)malloc(16);
  return 0;
}
