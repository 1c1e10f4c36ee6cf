/* SPDX-License-Identifier: MIT */
/* Compile units by address, for objects without .debug_aranges: clang and rustc do not write
 * that table, and libdw (up to 0.190) finds no unit, hence no file:line, without it. The
 * index reads every unit's own ranges once. */
#ifndef MT_ANALYZER_CUINDEX_H
#define MT_ANALYZER_CUINDEX_H

#include <elfutils/libdw.h>
#include <stddef.h>

typedef struct {
  Dwarf *dwarf;
  struct mt__cu_range *ranges; /* sorted by start */
  size_t n;
  int built;
} mt__cu_index;

/* Read the units of dwarf (once; an index that could not be built finds nothing). */
void mt__cu_index_build(mt__cu_index *x, Dwarf *dwarf);
void mt__cu_index_free(mt__cu_index *x);
/* The unit whose ranges hold pc (a DWARF address) into *unit; @return unit, or NULL. */
Dwarf_Die *mt__cu_index_at(const mt__cu_index *x, Dwarf_Addr pc, Dwarf_Die *unit);

#endif
