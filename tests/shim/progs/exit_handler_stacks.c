/* SPDX-License-Identifier: MIT */
/* Allocates from stacks 12 to 18 frames above main, alternating two call sites, 100 times
 * in main and 200 times in an atexit handler that runs inside exit(): the handler's stacks
 * hold two of the shim's frames (its exit() and its main() wrapper), which walks reusing the
 * previous walk must leave out as a fresh walk does. valgrind: 300 allocations, 118 frees. */
#include <stdlib.h>

static void *keep[64];

__attribute__((noinline)) static void site_a(int i) { keep[i % 64] = malloc(16 + (size_t)i); }

__attribute__((noinline)) static void site_b(int i) {
  free(keep[i % 64]);
  keep[i % 64] = malloc(32 + (size_t)i);
}

__attribute__((noinline)) static void deep(int depth, int i) {
  if (depth > 0)
    deep(depth - 1, i);
  else if (i & 1)
    site_a(i);
  else
    site_b(i);
}

/* A trunk of 10 frames that every stack shares: the walk reaches the previous walk there. */
__attribute__((noinline)) static void trunk(int frames, int depth, int i) {
  if (frames > 0)
    trunk(frames - 1, depth, i);
  else
    deep(depth, i);
}

static void at_exit(void) {
  for (int i = 0; i < 200; i++)
    trunk(10, i % 7, i);
}

int main(void) {
  atexit(at_exit);
  for (int i = 0; i < 100; i++)
    trunk(10, i % 5, i);
  exit(0);
}
