/* SPDX-License-Identifier: MIT */
/* A sorted array: programs hold few anonymous mappings at once (malloc's own are not
 * recorded), so an insertion's memmove costs less than a tree would. */
#include "mapranges.h"

#include <stdlib.h>
#include <string.h>

void mt__mapranges_free(mt__mapranges *m) {
  free(m->starts);
  memset(m, 0, sizeof *m);
}

/* Index of the first start >= addr. */
static size_t lower_bound(const mt__mapranges *m, uint64_t addr) {
  size_t lo = 0, hi = m->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->starts[mid] < addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

int mt__mapranges_add(mt__mapranges *m, uint64_t start) {
  size_t i = lower_bound(m, start);
  if (i < m->n && m->starts[i] == start) return 0;
  if (m->n == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 64;
    uint64_t *s = realloc(m->starts, cap * sizeof *s);
    if (!s) return -1;
    m->starts = s;
    m->cap = cap;
  }
  memmove(&m->starts[i + 1], &m->starts[i], (m->n - i) * sizeof *m->starts);
  m->starts[i] = start;
  m->n++;
  return 0;
}

void mt__mapranges_remove(mt__mapranges *m, uint64_t start) {
  size_t i = lower_bound(m, start);
  if (i == m->n || m->starts[i] != start) return;
  memmove(&m->starts[i], &m->starts[i + 1], (m->n - i - 1) * sizeof *m->starts);
  m->n--;
}

int mt__mapranges_floor(const mt__mapranges *m, uint64_t addr, uint64_t *start) {
  size_t i = lower_bound(m, addr);
  if (i < m->n && m->starts[i] == addr) {
    *start = addr;
    return 1;
  }
  if (i == 0) return 0;
  *start = m->starts[i - 1];
  return 1;
}

int mt__mapranges_after(const mt__mapranges *m, uint64_t addr, uint64_t *start) {
  size_t i = lower_bound(m, addr);
  if (i < m->n && m->starts[i] == addr) i++;
  if (i == m->n) return 0;
  *start = m->starts[i];
  return 1;
}
