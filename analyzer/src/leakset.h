/* SPDX-License-Identifier: MIT */
/* Heap leaks of a process grouped by stack, largest first, each marked excluded, suppressed
 * (with the reason) or reported: shared by the leaks and summary reports. */
#ifndef MT_ANALYZER_LEAKSET_H
#define MT_ANALYZER_LEAKSET_H

#include <stdint.h>

#include "report.h"

typedef struct {
  uint64_t stack_id, blocks, bytes;
  char kind[16];          /* leak kind from the exit-time scan ("definite", ...), or "" */
  char cls[8];            /* "heap", "mmap" or "custom" */
  int excluded;
  const char *suppressed; /* reason, or NULL */
} mt__leak_group;

typedef struct {
  mt__leak_group *groups;
  size_t n;
  /* heap figures only (mmap and custom groups are listed but not counted here) */
  uint64_t bytes, blocks;                      /* reported (not suppressed, not excluded) */
  uint64_t suppressed_bytes, suppressed_blocks;
  uint64_t excluded_bytes, excluded_blocks;
} mt__leakset;

int mt__leakset_load(mt__report_ctx *c, mt__leakset *out);
void mt__leakset_free(mt__leakset *s);

#endif
