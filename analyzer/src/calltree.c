/* SPDX-License-Identifier: MIT */
/* Tree insertion by linear search among children (fan-out is small in call trees). */
#include "calltree.h"

#include <stdlib.h>
#include <string.h>

static long new_node(mt__tree *t, const char *label) {
  if (t->n == t->cap) {
    size_t n = t->cap ? 2 * t->cap : 256;
    mt__tnode *nn = realloc(t->nodes, n * sizeof *nn);
    if (!nn) return -1;
    t->nodes = nn;
    t->cap = n;
  }
  mt__tnode *d = &t->nodes[t->n];
  memset(d, 0, sizeof *d);
  d->label = strdup(label);
  if (!d->label) return -1;
  return (long)t->n++;
}

int mt__tree_init(mt__tree *t, const char *root_label) {
  memset(t, 0, sizeof *t);
  return new_node(t, root_label) < 0 ? -1 : 0;
}

void mt__tree_free(mt__tree *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->nodes[i].label);
    free(t->nodes[i].children);
  }
  free(t->nodes);
  memset(t, 0, sizeof *t);
}

static long child(mt__tree *t, size_t parent, const char *label) {
  for (size_t i = 0; i < t->nodes[parent].nchildren; i++) {
    size_t c = t->nodes[parent].children[i];
    if (strcmp(t->nodes[c].label, label) == 0) return (long)c;
  }
  long c = new_node(t, label);
  if (c < 0) return -1;
  mt__tnode *p = &t->nodes[parent];
  if (p->nchildren == p->capchildren) {
    size_t n = p->capchildren ? 2 * p->capchildren : 4;
    size_t *nc = realloc(p->children, n * sizeof *nc);
    if (!nc) return -1;
    p->children = nc;
    p->capchildren = n;
  }
  p->children[p->nchildren++] = (size_t)c;
  return c;
}

int mt__tree_add(mt__tree *t, const char *const *path, size_t n, uint64_t value) {
  size_t at = 0;
  t->nodes[0].value += value;
  for (size_t i = 0; i < n; i++) {
    long c = child(t, at, path[i]);
    if (c < 0) return -1;
    at = (size_t)c;
    t->nodes[at].value += value;
  }
  return 0;
}

static const mt__tree *sorting;

static int by_value(const void *a, const void *b) {
  uint64_t x = sorting->nodes[*(const size_t *)a].value, y = sorting->nodes[*(const size_t *)b].value;
  if (x != y) return x < y ? 1 : -1;
  return strcmp(sorting->nodes[*(const size_t *)a].label, sorting->nodes[*(const size_t *)b].label);
}

void mt__tree_sort(mt__tree *t) {
  sorting = t;
  for (size_t i = 0; i < t->n; i++)
    if (t->nodes[i].nchildren > 1)
      qsort(t->nodes[i].children, t->nodes[i].nchildren, sizeof(size_t), by_value);
}
