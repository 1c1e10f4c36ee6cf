/* SPDX-License-Identifier: MIT */
/* Scope index of compile units (scopes.h). A unit's functions are found by one depth-first
 * walk that descends only into DIEs that may own code (as libdw's own scope walk does) and
 * follows imported units (dwz). Every range of a function becomes an entry; entries sorted by
 * start address, each knowing the innermost entry enclosing it, answer "innermost function at
 * pc": the last entry starting at or before pc, or the first of its enclosing entries that
 * still holds pc. Nested functions' ranges nest, so the climb is short. */
#include "scopes.h"

#include <dwarf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "u64map.h"

#define IMPORTS_MAX 8 /* imported units within imported units: deeper is a cycle */

typedef struct {
  Dwarf_Addr lo, hi;
  uint32_t scope;
  uint32_t depth;    /* of the DIE in the unit's tree */
  int32_t enclosing; /* index of the innermost entry holding this one, -1 for none */
} scope_range;

typedef struct {
  mt__scope *scopes;
  int32_t *parents;  /* while walking: index of each scope's parent (the array still moves) */
  size_t nscopes, capscopes, capparents;
  scope_range *ranges;
  size_t nranges, capranges;
} unit_index;

struct mt__scope_index {
  mt__u64map units; /* unit DIE's address -> unit_index *, or 0 for a unit that failed */
};

/* One level of the walk: the DIE being visited and the function its children belong to. */
typedef struct {
  Dwarf_Die die;
  int32_t parent;
  uint32_t depth;
  int imports;
} walk_level;

static int grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap * 2 : 64;
  while (n < need) n *= 2;
  void *q = realloc(*p, n * size);
  if (!q) return -1;
  *p = q;
  *cap = n;
  return 0;
}

/* DIEs that can hold code, or hold DIEs that do (libdw's scope walk descends the same). */
static int may_hold_code(int tag) {
  switch (tag) {
    case DW_TAG_subprogram:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_lexical_block:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_with_stmt:
    case DW_TAG_entry_point:
    case DW_TAG_module:
    case DW_TAG_namespace:
    case DW_TAG_class_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
      return 1;
    default:
      return 0;
  }
}

/* Record die as a function if it has code. @return its index, -2 when it has none, -1 when
 * out of memory. */
static int64_t add_function(unit_index *u, Dwarf_Die *die, int32_t parent, int inlined,
                            uint32_t depth) {
  Dwarf_Addr base, start, end;
  ptrdiff_t off = 0;
  int64_t index = -2;
  while ((off = dwarf_ranges(die, off, &base, &start, &end)) > 0) {
    if (end <= start) continue;
    if (index == -2) {
      if (u->nscopes >= INT32_MAX ||
          grow((void **)&u->scopes, &u->capscopes, u->nscopes + 1, sizeof *u->scopes) ||
          grow((void **)&u->parents, &u->capparents, u->nscopes + 1, sizeof *u->parents))
        return -1;
      index = (int64_t)u->nscopes++;
      u->scopes[index] = (mt__scope){*die, NULL, inlined};
      u->parents[index] = parent;
    }
    if (grow((void **)&u->ranges, &u->capranges, u->nranges + 1, sizeof *u->ranges)) return -1;
    u->ranges[u->nranges++] = (scope_range){start, end, (uint32_t)index, depth, -1};
  }
  return index;
}

/* Depth-first walk of the unit's DIEs. @return 0 or -1 when out of memory. */
static int walk_unit(unit_index *u, Dwarf_Die *cu) {
  walk_level *stack = NULL;
  size_t top = 0, cap = 0;
  Dwarf_Die first;
  int rc = 0;
  if (dwarf_child(cu, &first) != 0) return 0;
  if (grow((void **)&stack, &cap, 1, sizeof *stack)) return -1;
  stack[top++] = (walk_level){first, -1, 1, 0};
  while (top > 0 && rc == 0) {
    walk_level level = stack[top - 1];
    /* the level moves on to the next sibling now; the children go on top of it. A sibling
     * lies after its DIE: one that does not (a damaged DW_AT_sibling) would loop forever. */
    if (dwarf_siblingof(&level.die, &stack[top - 1].die) != 0 ||
        (const char *)stack[top - 1].die.addr <= (const char *)level.die.addr)
      top--;
    int tag = dwarf_tag(&level.die);
    Dwarf_Die child;
    int32_t parent = level.parent;
    int imports = level.imports;
    if (tag == DW_TAG_imported_unit) {
      Dwarf_Attribute attr;
      Dwarf_Die unit;
      if (imports >= IMPORTS_MAX ||
          !dwarf_formref_die(dwarf_attr(&level.die, DW_AT_import, &attr), &unit) ||
          dwarf_child(&unit, &child) != 0)
        continue;
      imports++;
    } else {
      if (!may_hold_code(tag)) continue;
      if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
        int64_t index =
            add_function(u, &level.die, parent, tag == DW_TAG_inlined_subroutine, level.depth);
        if (index == -1) rc = -1;
        if (index >= 0) parent = (int32_t)index;
      }
      if (!dwarf_haschildren(&level.die) || dwarf_child(&level.die, &child) != 0) continue;
    }
    if (rc == 0 && grow((void **)&stack, &cap, top + 1, sizeof *stack)) rc = -1;
    if (rc == 0) stack[top++] = (walk_level){child, parent, level.depth + 1, imports};
  }
  free(stack);
  return rc;
}

/* By start, the outer of two ranges first. Of equal ranges (aliases in assembly units), the
 * one a lookup lands on sorts last: a DIE's child over the DIE, the first of siblings over
 * later ones, as libdw's walk takes the first DIE holding the address and then its children. */
static int by_start(const void *a, const void *b) {
  const scope_range *x = a, *y = b;
  if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
  if (x->hi != y->hi) return x->hi > y->hi ? -1 : 1;
  if (x->depth != y->depth) return x->depth < y->depth ? -1 : 1;
  return x->scope > y->scope ? -1 : x->scope < y->scope;
}

static void link_parents(unit_index *u) {
  for (size_t i = 0; i < u->nscopes; i++)
    u->scopes[i].parent = u->parents[i] >= 0 ? &u->scopes[u->parents[i]] : NULL;
  free(u->parents);
  u->parents = NULL;
}

/* Sort the entries and find each one's enclosing entry with a stack of open ones. */
static int link_ranges(unit_index *u) {
  qsort(u->ranges, u->nranges, sizeof *u->ranges, by_start);
  int32_t *open = malloc((u->nranges ? u->nranges : 1) * sizeof *open);
  if (!open) return -1;
  size_t depth = 0;
  for (size_t i = 0; i < u->nranges; i++) {
    while (depth > 0 && u->ranges[open[depth - 1]].hi <= u->ranges[i].lo) depth--;
    u->ranges[i].enclosing = depth > 0 ? open[depth - 1] : -1;
    open[depth++] = (int32_t)i;
  }
  free(open);
  return 0;
}

static void unit_free(unit_index *u) {
  if (!u) return;
  free(u->scopes);
  free(u->parents);
  free(u->ranges);
  free(u);
}

static unit_index *unit_build(Dwarf_Die *cu) {
  unit_index *u = calloc(1, sizeof *u);
  if (!u) return NULL;
  if (walk_unit(u, cu) || u->nranges > INT32_MAX || link_ranges(u)) {
    unit_free(u);
    return NULL;
  }
  link_parents(u);
  return u;
}

int mt__scope_index_new(mt__scope_index **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return -1;
  mt__u64map_init(&(*out)->units);
  return 0;
}

void mt__scope_index_free(mt__scope_index *x) {
  if (!x) return;
  size_t pos = 0;
  uint64_t key, val;
  while (mt__u64map_next(&x->units, &pos, &key, &val)) unit_free((unit_index *)(uintptr_t)val);
  mt__u64map_free(&x->units);
  free(x);
}

const mt__scope *mt__scope_at(mt__scope_index *x, Dwarf_Die *cu, Dwarf_Addr pc) {
  uint64_t key = (uint64_t)(uintptr_t)cu->addr;
  uint64_t *found = mt__u64map_get(&x->units, key);
  unit_index *u;
  if (found) {
    u = (unit_index *)(uintptr_t)*found;
  } else {
    u = unit_build(cu);
    if (mt__u64map_put(&x->units, key, (uint64_t)(uintptr_t)u)) {
      unit_free(u);
      return NULL;
    }
  }
  if (!u || u->nranges == 0) return NULL;
  size_t lo = 0, hi = u->nranges;
  while (lo < hi) { /* first entry starting after pc */
    size_t mid = lo + (hi - lo) / 2;
    if (u->ranges[mid].lo <= pc) lo = mid + 1;
    else hi = mid;
  }
  int64_t r = (int64_t)lo - 1;
  while (r >= 0 && pc >= u->ranges[r].hi) r = u->ranges[r].enclosing;
  return r >= 0 ? &u->scopes[u->ranges[r].scope] : NULL;
}
