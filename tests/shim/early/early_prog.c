/* SPDX-License-Identifier: MIT */
/* early_ctor: links libearly.so, whose constructor allocates before the shim's constructor
 * runs; main frees one of those blocks and allocates a little itself. Prints "shim first"
 * when the shim's constructor had run before the library's (which would defeat the test). */
#include <stdio.h>
#include <stdlib.h>

void *early_lib_kept(void);
int early_lib_shim_started_first(void);

int main(void) {
  free(early_lib_kept());
  void *p = malloc(77);
  free(p);
  puts(early_lib_shim_started_first() ? "shim first" : "library first");
  return 0;
}
