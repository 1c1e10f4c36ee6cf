/* SPDX-License-Identifier: MIT */
/* 4 mallocs of 50 bytes, then abort(): the trace must still end with END how=1 status=6. */
#include <stdlib.h>

int main(void) {
  for (int i = 0; i < 4; i++)
    (void)malloc(50);
  abort();
}
