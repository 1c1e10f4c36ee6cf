/* SPDX-License-Identifier: MIT */
/* Symbolized call stacks of one process, loaded from the stacks, frames and modules tables
 * into memory once per report: every report and filter walks stacks through this. */
#ifndef MT_ANALYZER_CALLSTACKS_H
#define MT_ANALYZER_CALLSTACKS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct {
  const char *function;   /* never NULL */
  const char *file;       /* NULL when unknown */
  int line;
  int inlined;
  const char *module;     /* module path, NULL when unknown */
} mt__frame;

typedef struct mt__callstacks mt__callstacks;

/* Load the frames of a process, and its stack nodes: all at once, or (lazy) each on first
 * use, which is faster when a report walks only a few stacks. */
int mt__cs_load(sqlite3 *db, int64_t process_id, int lazy, mt__callstacks **out, mt__err *e);
/* Switch a lazy set to every node at once, before walking all stacks. */
int mt__cs_load_all(mt__callstacks *cs, mt__err *e);
/* Before walking `stacks` stacks: switch a lazy set to every node at once when that is
 * estimated cheaper than fetching their nodes one by one. @return 0 or -1 with e filled. */
int mt__cs_plan_walk(mt__callstacks *cs, size_t stacks, mt__err *e);
void mt__cs_free(mt__callstacks *cs);

/* Frames of a stack, innermost first (inlined frames expanded). Fills at most max pointers
 * and returns the total number of frames. */
size_t mt__cs_frames(mt__callstacks *cs, uint64_t stack_id, const mt__frame **out, size_t max);

/* "function (file:line)" or "function" into buf. */
const char *mt__frame_label(const mt__frame *f, char *buf, size_t len);

/* Basename of a path. */
const char *mt__basename(const char *p);

#endif
