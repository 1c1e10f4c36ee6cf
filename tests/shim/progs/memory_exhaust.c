/* SPDX-License-Identifier: MIT */
/* Runs into its address-space limit (run it under `ulimit -v`): the main thread allocates
 * 1 MiB blocks until malloc fails, frees them, then argv[1] threads each make 200,000
 * allocations of up to 1 MiB, freeing their oldest block whenever one fails. Prints "ok"
 * when malloc failed at least once and everything was freed: a program short of memory that
 * copes, whose trace must go on to the end. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KEPT = 4096 };

static void *worker(void *arg) {
  (void)arg;
  void *kept[KEPT];
  int n = 0;
  for (int i = 0; i < 200000; i++) {
    size_t size = (size_t)(i * 7919) % (1u << 20) + 1;
    void *p = malloc(size);
    if (!p) {
      if (n) free(kept[--n]);
      continue;
    }
    memset(p, 1, size < 4096 ? size : 4096);
    if (n < KEPT) kept[n++] = p;
    else free(p);
  }
  while (n) free(kept[--n]);
  return NULL;
}

int main(int argc, char **argv) {
  static void *blocks[1 << 16];
  int n = 0;
  while (n < (1 << 16) && (blocks[n] = malloc(1u << 20)) != NULL) n++;
  int failed = n < (1 << 16);
  while (n) free(blocks[--n]);
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  pthread_t t[16];
  for (int i = 0; i < threads && i < 16; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < threads && i < 16; i++) pthread_join(t[i], NULL);
  puts(failed ? "ok" : "the limit was never reached");
  return 0;
}
