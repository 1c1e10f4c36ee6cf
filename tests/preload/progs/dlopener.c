/* SPDX-License-Identifier: MIT */
/* Test program: dlopen the module named by argv[1], call dlmod_work(), dlclose it and exit at
 * once (the recorder hooks dlclose, so the UNLOAD is recorded without waiting for a scan). */
#include <dlfcn.h>

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h)
    return 3;
  int (*work)(void) = (int (*)(void))dlsym(h, "dlmod_work");
  int rc = work && work() == 42 ? 0 : 4;
  dlclose(h);
  return rc;
}
