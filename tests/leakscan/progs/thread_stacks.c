/* SPDX-License-Identifier: MIT */
/* Blocks held only by the stacks of threads still alive at exit are reachable: two threads
 * wait on a barrier-like condition forever while main returns. A joined thread that dropped
 * its block leaks it. */
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void *holder(void *arg) {
  void *volatile mine = malloc((size_t)arg);
  pthread_mutex_lock(&mu);
  ready++;
  pthread_cond_broadcast(&cv);
  for (;;)
    pthread_cond_wait(&cv, &mu);
  return (void *)mine;
}

static void *dropper(void *arg) {
  void *volatile mine = malloc((size_t)arg);
  mine = NULL;
  return (void *)mine;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, dropper, (void *)1000);
  pthread_join(t, NULL);
  pthread_create(&t, NULL, holder, (void *)111);
  pthread_create(&t, NULL, holder, (void *)222);
  pthread_mutex_lock(&mu);
  while (ready < 2)
    pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return 0;
}
