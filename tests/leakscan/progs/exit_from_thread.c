/* SPDX-License-Identifier: MIT */
/* exit() called by a second thread while main waits in pthread_join: the block on main's
 * stack is reachable, the one the exiting thread dropped is definitely lost, and a block in
 * the second thread's arena referenced from a global is reachable. */
#include <pthread.h>
#include <stdlib.h>

static void *from_arena;

static void *quitter(void *arg) {
  (void)arg;
  from_arena = malloc(4000);
  void *volatile dropped = malloc(5000);
  dropped = NULL;
  exit(dropped != NULL);
}

int main(void) {
  void *volatile on_main_stack = malloc(3000);
  pthread_t t;
  pthread_create(&t, NULL, quitter, NULL);
  pthread_join(t, NULL);
  return on_main_stack == NULL;
}
