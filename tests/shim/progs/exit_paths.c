/* SPDX-License-Identifier: MIT */
/* Ends through the path named by argv[1]: "return" (main returns 3), "exit" (exit(4)),
 * "_exit" (_exit(5)), "atexit" (an atexit handler allocates 7 bytes after main returns 0),
 * "quick" (an at_quick_exit handler allocates 7 bytes, then quick_exit(6)), "segv" (SIGSEGV),
 * "term" (raise SIGTERM), "handler" (the program's SIGSEGV handler allocates 5 bytes, resets
 * SIG_DFL and re-raises; exits 3 if our handler was visible), "raise N" (signal N, e.g. a
 * real-time one; exits 3 if a handler was visible), "pipe" (writes to a pipe nobody reads:
 * SIGPIPE, as under `| head`), "overflow" (unbounded recursion: SIGSEGV on a stack with no
 * room left), "thread_overflow" (the same in a second thread, after it allocated 3 x 50
 * bytes), "resethand" (a SIGTERM handler installed with SA_RESETHAND allocates 5 bytes and
 * re-raises, as node does; exits 3 if a query does not show the program's own action).
 * Allocates 2 x 100 bytes first. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

#include "overflow.h"

static void late(void) { (void)malloc(7); }

static void *overflow_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < 3; i++)
    (void)malloc(50);
  recurse(NULL, 0);
  return NULL;
}

static void once_then_default(int sig) {
  (void)malloc(5);
  raise(sig);
}

static void on_segv(int sig) {
  (void)malloc(5);
  signal(sig, SIG_DFL);
  raise(sig);
}

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
  if (!strcmp(how, "handler")) {
    struct sigaction old;
    if (sigaction(SIGSEGV, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
      return 3;
    signal(SIGSEGV, on_segv);
    *(volatile int *)(uintptr_t)8 = 1;
  }
  if (!strcmp(how, "segv"))
    *(volatile int *)(uintptr_t)8 = 1;
  if (!strcmp(how, "term"))
    raise(SIGTERM);
  if (!strcmp(how, "raise") && argc > 2) {
    int sig = atoi(argv[2]);
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
      return 3;
    raise(sig);
  }
  if (!strcmp(how, "overflow"))
    return recurse(NULL, 0);
  if (!strcmp(how, "resethand")) {
    struct sigaction sa, q;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = once_then_default;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGTERM, NULL, &q) != 0 ||
        q.sa_handler != once_then_default || !(q.sa_flags & SA_RESETHAND) ||
        (q.sa_flags & SA_SIGINFO))
      return 3;
    raise(SIGTERM);
  }
  if (!strcmp(how, "thread_overflow")) {
    pthread_t t;
    if (pthread_create(&t, NULL, overflow_thread, NULL) != 0)
      return 3;
    pthread_join(t, NULL);
  }
  if (!strcmp(how, "pipe")) {
    int fds[2];
    if (pipe(fds) != 0)
      return 3;
    close(fds[0]);
    (void)!write(fds[1], "x", 1);
  }
  return 3;
}
