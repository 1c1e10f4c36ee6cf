/* SPDX-License-Identifier: MIT */
/* Call sites: per-stack aggregates folded onto (function, file, line) with self figures (the
 * innermost frame) and inclusive ones (every frame, once per stack). Shared by hotspots and
 * diff, which matches sites of two runs by function and file:line, never by address. */
#ifndef MT_ANALYZER_SITES_H
#define MT_ANALYZER_SITES_H

#include <sqlite3.h>
#include <stdint.h>

#include "report.h"
#include "u64map.h"

/* Weights of a site, in the order of mt__weight_names. */
enum { MT__W_ALLOCATIONS, MT__W_BYTES, MT__W_TEMPORARY, MT__W_LEAKED, MT__W_PEAK, MT__W_COUNT };

typedef struct {
  const char *name;       /* as given to --by */
  const char *alias;      /* second accepted name, or NULL */
  const char *title;
  mt__coltype type;
} mt__weight;

extern const mt__weight mt__weights[MT__W_COUNT];

/* The weight named by --by (or def when NULL); -1 when unknown. */
int mt__weight_find(const char *name, int def);

typedef struct {
  char *function, *file;
  int line;
  uint64_t self[MT__W_COUNT], incl[MT__W_COUNT];
} mt__site_row;

typedef struct {
  mt__site_row *rows;
  size_t n, cap;
  mt__u64map index;       /* key hash -> row */
} mt__siteset;

/* Fold the stack_stats of process pid (through callstacks cs and the report's filters). */
int mt__siteset_build(mt__report_ctx *c, sqlite3 *db, int64_t pid, mt__callstacks *cs,
                      mt__siteset *out);
/* The row for (function, file, line), or NULL. */
mt__site_row *mt__siteset_find(const mt__siteset *s, const char *function, const char *file, int line);
void mt__siteset_free(mt__siteset *s);

/* A site of two runs matched by function and file:line, and the change of one weight. */
typedef struct {
  const mt__site_row *before, *after; /* NULL when the site is missing from that run */
  int64_t delta;
} mt__site_change;

/* Sites whose self weight w changed from before to after, largest change (absolute) first.
 * *out is malloc'd (free it). @return 0 or -1 (no memory). */
int mt__siteset_changes(const mt__siteset *before, const mt__siteset *after, int w,
                        mt__site_change **out, size_t *n);

/* "file:line" or "-" into buf. */
const char *mt__site_location(const mt__site_row *r, char *buf, size_t len);

#endif
