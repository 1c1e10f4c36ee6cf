/* SPDX-License-Identifier: MIT */
/* Ends through the path named by argv[1]: "return" (main returns 3), "exit" (exit(4)),
 * "_exit" (_exit(5)), "atexit" (an atexit handler allocates 7 bytes after main returns 0),
 * "quick" (an at_quick_exit handler allocates 7 bytes, then quick_exit(6)), "segv" (SIGSEGV),
 * "term" (raise SIGTERM). Allocates 2 blocks of 100 bytes first. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

static void late(void) { (void)malloc(7); }

int main(int argc, char **argv) {
  (void)malloc(100);
  (void)malloc(100);
  const char *how = argc > 1 ? argv[1] : "return";
  if (!strcmp(how, "exit"))
    exit(4);
  if (!strcmp(how, "_exit"))
    _exit(5);
  if (!strcmp(how, "atexit")) {
    atexit(late);
    return 0;
  }
  if (!strcmp(how, "quick")) {
    at_quick_exit(late);
    quick_exit(6);
  }
  if (!strcmp(how, "segv"))
    *(volatile int *)(uintptr_t)8 = 1;
  if (!strcmp(how, "term"))
    raise(SIGTERM);
  return 3;
}
