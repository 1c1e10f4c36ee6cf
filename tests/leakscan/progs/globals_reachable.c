/* SPDX-License-Identifier: MIT */
/* Blocks held by globals: a pointer in .bss, a table in .data, a thread-local variable and a
 * tree hanging from a global (every node reachable). One leaked block for contrast. */
#include <stdlib.h>

struct tree {
  struct tree *left, *right;
  int key;
};

static void *in_bss;
static void *table[4] = {0};
static __thread void *in_tls;
struct tree *root;

static struct tree *grow(int depth) {
  if (depth == 0)
    return NULL;
  struct tree *t = calloc(1, sizeof *t);
  t->left = grow(depth - 1);
  t->right = grow(depth - 1);
  t->key = depth;
  return t;
}

int main(void) {
  in_bss = malloc(10);
  for (int i = 0; i < 4; i++)
    table[i] = malloc(16 * (size_t)(i + 1));
  in_tls = malloc(24);
  root = grow(4);
  void *volatile lost = malloc(77);
  lost = NULL;
  return lost != NULL;
}
