/* SPDX-License-Identifier: MIT */
/* One grouped query over the leaks table, then filters applied per stack in C. */
#include "leakset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* mt_reach_kind of a kind name, -1 for none. */
static int kind_id(const char *name) {
  for (int k = 0; name && k < MT_REACH_KIND_COUNT; k++)
    if (strcmp(name, mt_reach_kind_name(k)) == 0) return k;
  return -1;
}

/* Filters per group (every stack walked: the call stacks are planned for that), then the
 * totals of heap groups. */
static int classify(mt__report_ctx *c, mt__leakset *out) {
  mt__callstacks *cs = mt__report_stacks(c);
  if (!cs || mt__cs_plan_walk(cs, out->n, c->e)) return -1;
  for (size_t i = 0; i < out->n; i++) {
    mt__leak_group *g = &out->groups[i];
    const mt__frame *frames[MT__MAX_FRAMES];
    size_t nf = mt__report_frames(c, g->stack_id, frames, MT__MAX_FRAMES, &g->excluded);
    g->suppressed = g->excluded ? NULL : mt__filter_suppressed(c->filter, frames, nf);
    if (strcmp(g->cls, "heap") != 0) continue;
    if (g->kind_id >= 0 && !g->excluded && !g->suppressed) {
      out->kind_bytes[g->kind_id] += g->bytes;
      out->kind_blocks[g->kind_id] += g->blocks;
    }
    if (g->excluded) {
      out->excluded_bytes += g->bytes;
      out->excluded_blocks += g->blocks;
    } else if (g->suppressed) {
      out->suppressed_bytes += g->bytes;
      out->suppressed_blocks += g->blocks;
    } else if (!g->unlisted) {
      out->bytes += g->bytes;
      out->blocks += g->blocks;
    }
  }
  return 0;
}

/* A scan that found no leak leaves no kind in `leaks`, but its figures (all 0) in `totals`:
 * the kinds are then known to be 0, not unknown. */
static int had_scan(sqlite3 *db, int64_t process_id) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT scan_duration_ns IS NOT NULL FROM totals WHERE process_id = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_int64(st, 1, process_id);
  int had = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return had;
}

/* The order of the listing: heap first, then the most bytes, the most blocks, the smallest
 * stack id, the kind, the class. */
static int by_listing_order(const void *a, const void *b) {
  const mt__leak_group *x = a, *y = b;
  int x_other = strcmp(x->cls, "heap") != 0, y_other = strcmp(y->cls, "heap") != 0;
  if (x_other != y_other) return x_other - y_other;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  if (x->blocks != y->blocks) return x->blocks > y->blocks ? -1 : 1;
  if (x->stack_id != y->stack_id) return x->stack_id < y->stack_id ? -1 : 1;
  int by_kind = strcmp(x->kind, y->kind);
  return by_kind ? by_kind : strcmp(x->cls, y->cls);
}

/* snprintf(dst, size, "%s", src) without the format machinery: it ran twice a leaked block. */
static void copy_truncated(char *dst, size_t size, const char *src) {
  size_t n = strnlen(src, size - 1);
  memcpy(dst, src, n);
  dst[n] = 0;
}

/* The group of (stack, class, kind) among those of the current stack, from `first` on (rows
 * come in stack order, and a stack has a few classes and kinds); a new one when none.
 * @return it, NULL when out of memory. */
static mt__leak_group *group_of(mt__leakset *out, size_t *cap, size_t first, uint64_t stack_id,
                                const char *cls, const char *kind) {
  mt__leak_group probe = {.stack_id = stack_id};
  copy_truncated(probe.cls, sizeof probe.cls, cls);
  copy_truncated(probe.kind, sizeof probe.kind, kind);
  for (size_t i = first; i < out->n; i++)
    if (strcmp(out->groups[i].cls, probe.cls) == 0 && strcmp(out->groups[i].kind, probe.kind) == 0)
      return &out->groups[i];
  if (out->n == *cap) {
    size_t n = *cap ? 2 * *cap : 64;
    mt__leak_group *ng = realloc(out->groups, n * sizeof *ng);
    if (!ng) return NULL;
    out->groups = ng;
    *cap = n;
  }
  out->groups[out->n] = probe;
  return &out->groups[out->n++];
}

/* Grouped here rather than by SQL's GROUP BY, whose two temporary B-trees cost more than
 * the scan itself on clang++'s 36,836 leaked blocks. */
int mt__leakset_load(mt__report_ctx *c, unsigned kinds, mt__leakset *out) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT stack_id, size, leak_kind, class FROM leaks WHERE process_id = ?1"
                     " ORDER BY stack_id",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  size_t cap = 0, first = 0;
  uint64_t stack_id = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
    if (out->n == 0 || id != stack_id) first = out->n;
    stack_id = id;
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    const char *cls = (const char *)sqlite3_column_text(st, 3);
    mt__leak_group *g = group_of(out, &cap, first, id, cls ? cls : "heap", kind ? kind : "");
    if (!g) {
      sqlite3_finalize(st);
      mt__leakset_free(out);
      return mt__fail(c->e, "out of memory");
    }
    g->blocks++;
    g->bytes += (uint64_t)sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    mt__fail(c->e, "database error: %s", sqlite3_errmsg(c->in.db));
    mt__leakset_free(out);
    return -1;
  }
  for (size_t i = 0; i < out->n; i++) {
    mt__leak_group *g = &out->groups[i];
    g->kind_id = kind_id(g->kind[0] ? g->kind : NULL);
    g->unlisted = g->kind_id >= 0 && !(kinds & (1u << g->kind_id));
    if (g->kind_id >= 0) out->have_kinds = 1;
  }
  if (out->n) qsort(out->groups, out->n, sizeof *out->groups, by_listing_order);
  if (!out->have_kinds) out->have_kinds = had_scan(c->in.db, c->in.process_id);
  if (classify(c, out) == 0) return 0;
  mt__leakset_free(out);
  return -1;
}

void mt__leakset_free(mt__leakset *s) {
  free(s->groups);
  memset(s, 0, sizeof *s);
}
