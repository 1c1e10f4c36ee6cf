/* SPDX-License-Identifier: MIT */
/* Which functions an address sits in, by a compile unit's DWARF: the subprogram and the
 * inlined subroutines containing it, innermost first. Each unit's DIE tree is walked once and
 * kept as sorted address ranges, so that a lookup is a binary search instead of the walk of
 * the whole unit that dwarf_getscopes makes for every address. */
#ifndef MT_ANALYZER_SCOPES_H
#define MT_ANALYZER_SCOPES_H

#include <elfutils/libdw.h>

typedef struct mt__scope {
  Dwarf_Die die;
  const struct mt__scope *parent; /* the enclosing subprogram or inlined subroutine, or NULL */
  int inlined;                    /* 1: DW_TAG_inlined_subroutine, 0: DW_TAG_subprogram */
} mt__scope;

typedef struct mt__scope_index mt__scope_index;

/* @return 0 or -1 when out of memory. */
int mt__scope_index_new(mt__scope_index **out);
/* Frees the index; the Dwarf handles it was built from are not touched. */
void mt__scope_index_free(mt__scope_index *x);

/* The innermost subprogram or inlined subroutine of unit cu (as dwfl_module_addrdie returns
 * it) whose ranges hold pc (a DWARF address, without the module's bias); its parent chain
 * leads outwards. NULL when no function of the unit holds pc, or when out of memory. The
 * result stays valid until the index is freed. */
const mt__scope *mt__scope_at(mt__scope_index *x, Dwarf_Die *cu, Dwarf_Addr pc);

#endif
