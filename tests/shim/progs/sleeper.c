/* SPDX-License-Identifier: MIT */
/* 1000 mallocs of 16 bytes, writes "ready" and sleeps until killed. */
#include <stdlib.h>
#include <unistd.h>

int main(void) {
  for (int i = 0; i < 1000; i++)
    (void)malloc(16);
  if (write(1, "ready\n", 6) != 6)
    return 1;
  for (;;)
    pause();
}
