/* SPDX-License-Identifier: MIT */
/* 200 short threads, 4 alive at a time, each doing 500 mallocs of 40 bytes and freeing all
 * but one: thread buffers are reused and every event must still be counted. */
#include <pthread.h>
#include <stdlib.h>

static void *worker(void *arg) {
  (void)arg;
  void *keep = NULL;
  for (int i = 0; i < 500; i++) {
    void *p = malloc(40);
    if (i == 0)
      keep = p;
    else
      free(p);
  }
  return keep;
}

int main(void) {
  for (int round = 0; round < 50; round++) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
      pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
      pthread_join(t[i], NULL);
  }
  return 0;
}
