/* SPDX-License-Identifier: MIT */
/* diff BEFORE AFTER: totals side by side, and call sites of the two runs matched by function
 * and file:line (addresses differ between runs), ranked by the change of the --by weight
 * (default bytes), growth and shrink alike. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "report.h"
#include "leakset.h"
#include "sites.h"

/* Totals compared, as data: key and the totals column it reads. */
static const struct {
  const char *key;
  mt__coltype type;
} metrics[] = {
    {"allocations", MT__COL_INT},         {"frees", MT__COL_INT},
    {"bytes_allocated", MT__COL_BYTES},   {"peak_heap_bytes", MT__COL_BYTES},
    {"leaked_bytes", MT__COL_BYTES},      {"leaked_blocks", MT__COL_INT},
    {"temporary_allocations", MT__COL_INT}, {"peak_rss_bytes", MT__COL_BYTES},
};
#define NMETRICS (sizeof metrics / sizeof *metrics)

/* The totals of one input (c->in); leaked bytes and blocks as summary counts them (without
 * suppressed and excluded stacks). */
static int load_totals(mt__report_ctx *c, int64_t *v) {
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT allocations, frees, bytes_allocated, peak_heap_bytes, leaked_bytes,"
                     " leaked_blocks, temporary_allocations, peak_rss_bytes FROM totals"
                     " WHERE process_id = ?",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  int rc = sqlite3_step(st);
  for (size_t i = 0; i < NMETRICS; i++) v[i] = rc == SQLITE_ROW ? sqlite3_column_int64(st, (int)i) : 0;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) return mt__fail(c->e, "no totals in the database");
  mt__leakset ls;
  if (mt__leakset_load(c, MT__LEAK_KINDS_ALL, &ls)) return -1;
  v[4] = (int64_t)ls.bytes;
  v[5] = (int64_t)ls.blocks;
  mt__leakset_free(&ls);
  return 0;
}

/* other_stacks: the other input's stacks, loaded once for its sites and its totals.
 * @return 0, or -1 with c->e filled. */
static int totals_section(mt__report_ctx *c, mt__callstacks *other_stacks) {
  int64_t a[NMETRICS], b[NMETRICS];
  mt__report_ctx after = *c; /* the same questions of the other input, with its own stacks */
  after.in = c->other;
  after.cs = other_stacks;
  if (load_totals(c, a) || load_totals(&after, b)) return -1;
  static const mt__column cols[] = {{"metric", "metric", MT__COL_TEXT},
                                    {"before", "before", MT__COL_INT},
                                    {"after", "after", MT__COL_INT},
                                    {"change", "change", MT__COL_INT}};
  if (mt__doc_section(c->doc, "totals", "Totals", cols, 4, 0)) return mt__fail(c->e, "out of memory");
  for (size_t i = 0; i < NMETRICS; i++) {
    mt__cell cells[4] = {{.s = metrics[i].key}, {.i = a[i]}, {.i = b[i]}, {.i = b[i] - a[i]}};
    if (mt__doc_row(c->doc, cells)) return mt__fail(c->e, "out of memory");
  }
  return 0;
}

static int sites_section(mt__report_ctx *c, int w, const mt__siteset *sa, const mt__siteset *sb) {
  mt__site_change *ch;
  size_t n;
  if (mt__siteset_changes(sa, sb, w, &ch, &n)) return -1;
  mt__coltype t = mt__weights[w].type;
  const mt__column cols[] = {{"before", "before", t},
                             {"after", "after", t},
                             {"change", "change", t},
                             {"function", "function", MT__COL_TEXT},
                             {"location", "location", MT__COL_TEXT}};
  char title[128], loc[4096];
  snprintf(title, sizeof title, "Call sites by change of %s", mt__weights[w].title);
  int rc = mt__doc_section(c->doc, "sites", title, cols, 5, 0);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (c->opt->top && (long)i >= c->opt->top) break;
    const mt__site_row *r = ch[i].after ? ch[i].after : ch[i].before;
    mt__cell cells[5] = {{.i = ch[i].before ? (int64_t)ch[i].before->self[w] : 0},
                         {.i = ch[i].after ? (int64_t)ch[i].after->self[w] : 0},
                         {.i = ch[i].delta},
                         {.s = r->function},
                         {.s = mt__site_location(r, loc, sizeof loc)}};
    rc = mt__doc_row(c->doc, cells);
  }
  free(ch);
  return rc;
}

static int run(mt__report_ctx *c) {
  int w = mt__weight_find(c->opt->by, MT__W_BYTES);
  if (w < 0) return mt__fail(c->e, "diff --by: use count, bytes, temporary, peak or leaked, not '%s'", c->opt->by);
  mt__callstacks *ca = mt__report_all_stacks(c), *cb = NULL;
  if (!ca || mt__cs_load_from(c->other.db, c->other.process_id, 0, c->other.tree, &cb, c->e))
    return -1;
  mt__siteset sa, sb;
  int rc = mt__siteset_build(c, c->in.db, c->in.process_id, ca, &sa);
  if (rc == 0) rc = mt__siteset_build(c, c->other.db, c->other.process_id, cb, &sb);
  else memset(&sb, 0, sizeof sb);
  if (rc == 0) rc = totals_section(c, cb);
  if (rc == 0 && sites_section(c, w, &sa, &sb)) rc = mt__fail(c->e, "out of memory");
  mt__siteset_free(&sa);
  mt__siteset_free(&sb);
  mt__cs_free(cb);
  return rc;
}

const mt__report mt__report_diff = {
    .name = "diff",
    .usage = "compare two runs: totals and call sites matched by function and file:line",
    .inputs = 2,
    .run = run,
};
