/* SPDX-License-Identifier: MIT */
/* A weighted tree of frame labels built from stacks, for outputs that nest frames: the
 * flamegraph SVG (outermost frame at the root) and massif's heap tree (allocation site at the
 * root, callers below). */
#ifndef MT_ANALYZER_CALLTREE_H
#define MT_ANALYZER_CALLTREE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  char *label;
  uint64_t value;
  size_t *children;       /* node indices, unordered until mt__tree_sort */
  size_t nchildren, capchildren;
} mt__tnode;

typedef struct {
  mt__tnode *nodes;       /* nodes[0] is the root */
  size_t n, cap;
} mt__tree;

int mt__tree_init(mt__tree *t, const char *root_label);
void mt__tree_free(mt__tree *t);
/* Add value along a path of labels (path[0] just under the root). @return 0 or -1. */
int mt__tree_add(mt__tree *t, const char *const *path, size_t n, uint64_t value);
/* Order every node's children by value, largest first. */
void mt__tree_sort(mt__tree *t);

#endif
