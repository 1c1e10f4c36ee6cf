/* SPDX-License-Identifier: MIT */
/* dlopen/dlclose of a system library 20 times, allocating between: modules come and go
 * (MODULE, UNLOAD) and unwinding stays correct after every unload. 40 mallocs of 16 bytes. */
#include <dlfcn.h>
#include <stdlib.h>

int main(void) {
  for (int i = 0; i < 20; i++) {
    void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    free(malloc(16));
    if (h)
      dlclose(h);
    free(malloc(16));
  }
  return 0;
}
