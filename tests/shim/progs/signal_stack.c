/* SPDX-License-Identifier: MIT */
/* A program that looks at its signal stacks as LLVM does: it asks whether the thread has one
 * and allocates its own (73,728 bytes) only when it has none. The main thread does so, then
 * disables it and frees it; a second thread does so after it allocated 3 x 50 bytes. Exits 3
 * when a query shows a stack the program did not install.
 * "overflow" then recurses without end in the main thread (SIGSEGV, which needs a signal
 * stack to be reported). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "overflow.h"

#define OWN_SIZE 73728

static int has_signal_stack(void) {
  stack_t cur;
  return sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE) || cur.ss_sp;
}

/* LLVM's CreateSigAltStack, then the query a handler library would make. @return 0 or 3. */
static int own_signal_stack(void **mem) {
  if (has_signal_stack())
    return 3;
  stack_t ss = {.ss_sp = malloc(OWN_SIZE), .ss_size = OWN_SIZE, .ss_flags = 0}, old, cur;
  if (!ss.ss_sp || sigaltstack(&ss, &old) != 0 || !(old.ss_flags & SS_DISABLE))
    return 3;
  if (sigaltstack(NULL, &cur) != 0 || cur.ss_sp != ss.ss_sp || cur.ss_size != OWN_SIZE)
    return 3;
  *mem = ss.ss_sp;
  return 0;
}

static int disable_signal_stack(void *mem) {
  stack_t off = {.ss_flags = SS_DISABLE}, old;
  if (sigaltstack(&off, &old) != 0 || old.ss_sp != mem || has_signal_stack())
    return 3;
  free(mem);
  return 0;
}

static void *second_thread(void *arg) {
  for (int i = 0; i < 3; i++)
    (void)malloc(50);
  void *mem = NULL;
  *(int *)arg = own_signal_stack(&mem);
  return NULL;
}

int main(int argc, char **argv) {
  void *mem = NULL;
  if (own_signal_stack(&mem) || disable_signal_stack(mem))
    return 3;
  pthread_t t;
  int thread_result = 3;
  if (pthread_create(&t, NULL, second_thread, &thread_result) != 0 ||
      pthread_join(t, NULL) != 0 || thread_result)
    return 3;
  if (argc > 1 && !strcmp(argv[1], "overflow"))
    return recurse(NULL, 0);
  return 0;
}
