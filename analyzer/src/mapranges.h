/* SPDX-License-Identifier: MIT */
/* The start addresses of the live anonymous mappings, in order, so that an munmap of any
 * part of one (or of several at once) finds the mappings it cuts. */
#ifndef MT_ANALYZER_MAPRANGES_H
#define MT_ANALYZER_MAPRANGES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t *starts; /* ascending, distinct */
  size_t n, cap;
} mt__mapranges;

void mt__mapranges_free(mt__mapranges *m);
int mt__mapranges_add(mt__mapranges *m, uint64_t start);    /* 0, or -1 out of memory */
void mt__mapranges_remove(mt__mapranges *m, uint64_t start);
/* The greatest start <= addr: 1 with *start, 0 when there is none. */
int mt__mapranges_floor(const mt__mapranges *m, uint64_t addr, uint64_t *start);
/* The least start > addr: 1 with *start, 0 when there is none. */
int mt__mapranges_after(const mt__mapranges *m, uint64_t addr, uint64_t *start);

#endif
