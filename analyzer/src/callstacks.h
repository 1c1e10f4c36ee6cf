/* SPDX-License-Identifier: MIT */
/* Symbolized call stacks of one process, loaded from the stack_packs (or stack_runs), frames
 * and modules tables into memory once per report: every report and filter walks stacks
 * through this. */
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

/* The stack tree of one process as ingest writes it, kept so that a report run by the same
 * command right after the ingest does not read the tree back from the database. */
typedef struct mt__stacktree mt__stacktree;

/* @return an empty tree, NULL when out of memory. */
mt__stacktree *mt__stacktree_new(void);
/* Add the next node. The tree gives up (and frees its nodes) unless ids come as 1, 2, 3, ...,
 * as the recorder writes them, or when out of memory: it is only a shortcut. */
void mt__stacktree_add(mt__stacktree *t, uint64_t id, uint64_t parent, uint64_t ip);
/* Ingest committed: the tree is that of process_id in the database. */
void mt__stacktree_bind(mt__stacktree *t, int64_t process_id);
void mt__stacktree_free(mt__stacktree *t);

/* Load the frames of a process, and its stack nodes: from tree (which may be NULL) when it
 * is bound to the process, else all at once, or (lazy) each on first use, which is faster
 * when a report walks only a few stacks. */
int mt__cs_load_from(sqlite3 *db, int64_t process_id, int lazy, mt__stacktree *tree,
                     mt__callstacks **out, mt__err *e);
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
