/* SPDX-License-Identifier: MIT */
/* Test program: dlopen the module named by argv[1], call dlmod_work(), dlclose it, then stay
 * alive 400 ms: the recorder notices unloads on its periodic module scan (every flush
 * interval, 200 ms), not inside dlclose. */
#include <dlfcn.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h)
    return 3;
  int (*work)(void) = (int (*)(void))dlsym(h, "dlmod_work");
  int rc = work && work() == 42 ? 0 : 4;
  dlclose(h);
  struct timespec ts = {0, 400 * 1000 * 1000};
  while (nanosleep(&ts, &ts) != 0) {
  }
  return rc;
}
