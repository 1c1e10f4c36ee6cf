/* SPDX-License-Identifier: MIT */
/* 4 threads allocate without pause while the main thread forks 20 children; each child
 * does 100 mallocs of 64 bytes (10 kept) and exits 0. Proves fork never deadlocks on the
 * recorder's locks and every child writes a complete trace with exact totals. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;

static void *spin(void *arg) {
  (void)arg;
  while (!atomic_load(&stop))
    free(malloc(32));
  return NULL;
}

int main(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, spin, NULL);
  int bad = 0;
  for (int i = 0; i < 20; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      for (int k = 0; k < 100; k++) {
        void *p = malloc(64);
        if (k >= 10)
          free(p);
      }
      exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  return bad;
}
