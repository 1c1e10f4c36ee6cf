/* SPDX-License-Identifier: MIT */
/* 8 threads each keep 100 blocks of 48 bytes in a pthread key whose destructor (run after
 * the recorder's own, at thread exit) frees them: 800 allocations and 800 frees, all of them
 * recorded after the threads said goodbye. */
#include <pthread.h>
#include <stdlib.h>

#define N 100
static pthread_key_t key;

static void release(void *arg) {
  void **blocks = arg;
  for (int i = 0; i < N; i++)
    free(blocks[i]);
}

static void *worker(void *arg) {
  (void)arg;
  static __thread void *blocks[N];
  for (int i = 0; i < N; i++)
    blocks[i] = malloc(48);
  pthread_setspecific(key, blocks);
  return NULL;
}

int main(void) {
  pthread_key_create(&key, release);
  pthread_t t[8];
  for (int i = 0; i < 8; i++)
    pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < 8; i++)
    pthread_join(t[i], NULL);
  return 0;
}
