/* SPDX-License-Identifier: MIT */
/* Test program: 8 threads each allocate and free 1000 blocks of 777 bytes and leak one block
 * of 778 bytes; the main thread waits for all of them. */
#include <pthread.h>
#include <stdlib.h>

#define THREADS 8
#define ROUNDS 1000

static void *volatile leaked[THREADS];

static void *work(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < ROUNDS; i++) {
    void *p = malloc(777);
    *(volatile char *)p = 1;
    free(p);
  }
  leaked[id] = malloc(778);
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], NULL, work, (void *)i))
      return 1;
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  return 0;
}
