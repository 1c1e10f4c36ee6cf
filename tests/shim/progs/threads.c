/* SPDX-License-Identifier: MIT */
/* 8 threads x 10000 mallocs of 24 bytes, all freed but 10 per thread; exact totals expected:
 * 80000 + thread-library allocations, which the test subtracts via a 0-thread run. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define THREADS 8
#define N 10000

static void *worker(void *arg) {
  void **keep = arg;
  for (int i = 0; i < N; i++) {
    void *p = malloc(24);
    if (i < 10)
      keep[i] = p;
    else
      free(p);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : THREADS;
  static void *keep[THREADS][10];
  pthread_t t[THREADS];
  for (int i = 0; i < threads; i++)
    pthread_create(&t[i], NULL, worker, keep[i]);
  for (int i = 0; i < threads; i++)
    pthread_join(t[i], NULL);
  return 0;
}
