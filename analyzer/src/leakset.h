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
  int kind_id;            /* its mt_reach_kind, -1 without a scan */
  int unlisted;           /* a kind left out by the mask: not reported (still counted and
                           * listed when suppressed or excluded, as memcheck's "suppressed") */
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
  /* reported heap figures per mt_reach_kind (all kinds, whatever the mask) */
  int have_kinds;                              /* the process had an exit-time scan */
  uint64_t kind_bytes[MT_REACH_KIND_COUNT], kind_blocks[MT_REACH_KIND_COUNT];
} mt__leakset;

/* Load the groups; kinds: the leak kinds to count and list (MT__LEAK_KINDS_*), applied only
 * when the trace has an exit-time scan. @return 0 or -1 with c->e filled. */
int mt__leakset_load(mt__report_ctx *c, unsigned kinds, mt__leakset *out);
void mt__leakset_free(mt__leakset *s);

#endif
