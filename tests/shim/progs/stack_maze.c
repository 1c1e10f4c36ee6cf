/* SPDX-License-Identifier: MIT */
/* 4 threads walk random paths through 16 mutually recursive functions (4 to 15 calls deep)
 * and allocate at the end of each path: hundreds of thousands of distinct stacks created
 * concurrently, so the stack table grows several times under lock-free readers. Each thread
 * keeps one block, so 4 live blocks of known size remain at exit. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

typedef void (*step_fn)(uint64_t r, int depth, void **slot);
static step_fn steps[16];

#define STEP(i)                                                                              \
  __attribute__((noinline)) static void step##i(uint64_t r, int depth, void **slot) {       \
    if (depth == 0) {                                                                        \
      free(*slot);                                                                           \
      *slot = malloc(8 + (r & 63));                                                          \
      return;                                                                                \
    }                                                                                        \
    steps[(r ^ i) & 15](r / 3 + 7, depth - 1, slot);                                         \
    __asm__ volatile("" ::: "memory"); /* not a tail call: keep the frame */                \
  }
STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
STEP(8) STEP(9) STEP(10) STEP(11) STEP(12) STEP(13) STEP(14) STEP(15)

static void *worker(void *arg) {
  uint64_t s = (uintptr_t)arg * 0x9E3779B97F4A7C15ull;
  void *slot = NULL;
  for (int i = 0; i < 60000; i++) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    steps[s & 15](s, 4 + (int)(s % 12), &slot);
  }
  free(slot);
  return NULL;
}

int main(void) {
  step_fn all[16] = {step0, step1, step2,  step3,  step4,  step5,  step6,  step7,
                     step8, step9, step10, step11, step12, step13, step14, step15};
  for (int i = 0; i < 16; i++)
    steps[i] = all[i];
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  return 0;
}
