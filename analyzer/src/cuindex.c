/* SPDX-License-Identifier: MIT */
/* Compile units by address (cuindex.h): the ranges of every unit's DIE, sorted. Units do not
 * overlap, so the last range starting at or before an address is the only candidate. */
#include "cuindex.h"

#include <dwarf.h>
#include <stdlib.h>

struct mt__cu_range {
  Dwarf_Addr lo, hi;
  Dwarf_Off unit; /* offset of the unit's DIE */
};

static int by_start(const void *a, const void *b) {
  const struct mt__cu_range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int add(mt__cu_index *x, size_t *cap, Dwarf_Addr lo, Dwarf_Addr hi, Dwarf_Off unit) {
  if (x->n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 64;
    struct mt__cu_range *r = realloc(x->ranges, ncap * sizeof *r);
    if (!r) return -1;
    x->ranges = r;
    *cap = ncap;
  }
  x->ranges[x->n++] = (struct mt__cu_range){lo, hi, unit};
  return 0;
}

void mt__cu_index_build(mt__cu_index *x, Dwarf *dwarf) {
  if (x->built) return;
  x->built = 1;
  x->dwarf = dwarf;
  size_t cap = 0;
  Dwarf_CU *cu = NULL, *next;
  Dwarf_Half version;
  uint8_t type;
  Dwarf_Die die;
  while (dwarf_get_units(dwarf, cu, &next, &version, &type, &die, NULL) == 0) {
    cu = next;
    /* partial and type units hold no code of their own; a skeleton stands for a split unit */
    if (type != DW_UT_compile && type != DW_UT_skeleton) continue;
    Dwarf_Addr base, lo, hi;
    for (ptrdiff_t off = 0; (off = dwarf_ranges(&die, off, &base, &lo, &hi)) > 0;)
      if (lo < hi && add(x, &cap, lo, hi, dwarf_dieoffset(&die))) {
        mt__cu_index_free(x);
        x->built = 1;
        return;
      }
  }
  qsort(x->ranges, x->n, sizeof *x->ranges, by_start);
}

void mt__cu_index_free(mt__cu_index *x) {
  free(x->ranges);
  *x = (mt__cu_index){0};
}

Dwarf_Die *mt__cu_index_at(const mt__cu_index *x, Dwarf_Addr pc, Dwarf_Die *unit) {
  size_t lo = 0, hi = x->n;
  while (lo < hi) { /* first range starting after pc */
    size_t mid = lo + (hi - lo) / 2;
    if (x->ranges[mid].lo <= pc) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0 || pc >= x->ranges[lo - 1].hi) return NULL;
  return dwarf_offdie(x->dwarf, x->ranges[lo - 1].unit, unit);
}
