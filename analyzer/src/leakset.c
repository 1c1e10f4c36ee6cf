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

int mt__leakset_load(mt__report_ctx *c, unsigned kinds, mt__leakset *out) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT stack_id, count(*), sum(size), leak_kind, class FROM leaks"
                     " WHERE process_id = ?1 GROUP BY stack_id, class, leak_kind"
                     " ORDER BY class <> 'heap', sum(size) DESC, count(*) DESC, stack_id, leak_kind",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (out->n == cap) {
      cap = cap ? 2 * cap : 64;
      mt__leak_group *ng = realloc(out->groups, cap * sizeof *ng);
      if (!ng) {
        sqlite3_finalize(st);
        mt__leakset_free(out);
        return mt__fail(c->e, "out of memory");
      }
      out->groups = ng;
    }
    mt__leak_group *g = &out->groups[out->n++];
    g->stack_id = (uint64_t)sqlite3_column_int64(st, 0);
    g->blocks = (uint64_t)sqlite3_column_int64(st, 1);
    g->bytes = (uint64_t)sqlite3_column_int64(st, 2);
    const char *kind = (const char *)sqlite3_column_text(st, 3);
    snprintf(g->kind, sizeof g->kind, "%s", kind ? kind : "");
    g->kind_id = kind_id(kind);
    g->unlisted = g->kind_id >= 0 && !(kinds & (1u << g->kind_id));
    if (g->kind_id >= 0) out->have_kinds = 1;
    const char *cls = (const char *)sqlite3_column_text(st, 4);
    snprintf(g->cls, sizeof g->cls, "%s", cls ? cls : "heap");
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    mt__fail(c->e, "database error: %s", sqlite3_errmsg(c->in.db));
    mt__leakset_free(out);
    return -1;
  }
  if (!out->have_kinds) out->have_kinds = had_scan(c->in.db, c->in.process_id);
  if (classify(c, out) == 0) return 0;
  mt__leakset_free(out);
  return -1;
}

void mt__leakset_free(mt__leakset *s) {
  free(s->groups);
  memset(s, 0, sizeof *s);
}
