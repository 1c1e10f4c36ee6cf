/* SPDX-License-Identifier: MIT */
/* Site folding with a hash of (function, file, line); collisions are resolved by comparing
 * the strings and probing the next hash value. */
#include "sites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

const mt__weight mt__weights[MT__W_COUNT] = {
    [MT__W_ALLOCATIONS] = {"count", "allocations", "allocations", MT__COL_INT},
    [MT__W_BYTES] = {"bytes", NULL, "bytes allocated", MT__COL_BYTES},
    [MT__W_TEMPORARY] = {"temporary", NULL, "temporary allocations", MT__COL_INT},
    [MT__W_LEAKED] = {"leaked", NULL, "leaked bytes", MT__COL_BYTES},
    [MT__W_PEAK] = {"peak", NULL, "bytes at peak", MT__COL_BYTES},
};

int mt__weight_find(const char *name, int def) {
  if (!name) return def;
  for (int i = 0; i < MT__W_COUNT; i++)
    if (strcmp(name, mt__weights[i].name) == 0 ||
        (mt__weights[i].alias && strcmp(name, mt__weights[i].alias) == 0))
      return i;
  return -1;
}

static uint64_t hash_key(const char *function, const char *file, int line) {
  uint64_t h = 1469598103934665603ULL;
  for (const char *p = function; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h = (h ^ 0xff) * 1099511628211ULL;
  for (const char *p = file ? file : ""; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return (h ^ (uint64_t)(unsigned)line) * 1099511628211ULL;
}

static int same(const mt__site_row *r, const char *function, const char *file, int line) {
  return r->line == line && strcmp(r->function, function) == 0 &&
         strcmp(r->file ? r->file : "", file ? file : "") == 0;
}

mt__site_row *mt__siteset_find(const mt__siteset *s, const char *function, const char *file, int line) {
  for (uint64_t h = hash_key(function, file, line);; h++) {
    uint64_t *ix = mt__u64map_get(&s->index, h);
    if (!ix) return NULL;
    if (same(&s->rows[*ix], function, file, line)) return &s->rows[*ix];
  }
}

static mt__site_row *get_row(mt__siteset *s, const mt__frame *f) {
  uint64_t h = hash_key(f->function, f->file, f->line);
  for (;; h++) {
    uint64_t *ix = mt__u64map_get(&s->index, h);
    if (!ix) break;
    if (same(&s->rows[*ix], f->function, f->file, f->line)) return &s->rows[*ix];
  }
  if (s->n == s->cap) {
    size_t n = s->cap ? 2 * s->cap : 256;
    mt__site_row *nr = realloc(s->rows, n * sizeof *nr);
    if (!nr) return NULL;
    s->rows = nr;
    s->cap = n;
  }
  mt__site_row *r = &s->rows[s->n];
  memset(r, 0, sizeof *r);
  r->function = strdup(f->function);
  r->file = f->file ? strdup(f->file) : NULL;
  r->line = f->line;
  if (!r->function || mt__u64map_put(&s->index, h, s->n)) return NULL;
  s->n++;
  return r;
}

int mt__siteset_build(mt__report_ctx *c, sqlite3 *db, int64_t pid, mt__callstacks *cs,
                      mt__siteset *out) {
  memset(out, 0, sizeof *out);
  mt__u64map_init(&out->index);
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st,
                     "SELECT stack_id, allocations, bytes_allocated, temporary_allocations,"
                     " leaked_bytes, peak_bytes FROM stack_stats WHERE process_id = ?",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, pid);
  const mt__frame *frames[MT__MAX_FRAMES];
  size_t seen[MT__MAX_FRAMES]; /* row indexes: get_row may move the rows */
  static const mt__frame unknown = {.function = "(unknown stack)"};
  mt__u64map by_frame;    /* frame -> row index */
  mt__u64map_init(&by_frame);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    uint64_t w[MT__W_COUNT];
    for (int i = 0; i < MT__W_COUNT; i++) w[i] = (uint64_t)sqlite3_column_int64(st, i + 1);
    size_t n = mt__cs_frames(cs, (uint64_t)sqlite3_column_int64(st, 0), frames, MT__MAX_FRAMES);
    if (n > MT__MAX_FRAMES) n = MT__MAX_FRAMES;
    if (mt__filter_excluded(c->filter, frames, n)) continue;
    /* suppressed leaks are not leaks: as in summary and leaks */
    if (w[MT__W_LEAKED] && mt__filter_suppressed(c->filter, frames, n)) w[MT__W_LEAKED] = 0;
    if (n == 0) {
      frames[0] = &unknown;
      n = 1;
    }
    size_t nseen = 0;
    for (size_t f = 0; f < n; f++) {
      /* frames are shared by every stack through the same address: cache their row */
      uint64_t *cached = mt__u64map_get(&by_frame, (uint64_t)(uintptr_t)frames[f]);
      mt__site_row *r = cached ? &out->rows[*cached] : get_row(out, frames[f]);
      if (r && !cached && mt__u64map_put(&by_frame, (uint64_t)(uintptr_t)frames[f], (uint64_t)(r - out->rows)))
        r = NULL;
      if (!r) {
        mt__u64map_free(&by_frame);
        sqlite3_finalize(st);
        return mt__fail(c->e, "out of memory");
      }
      size_t row = (size_t)(r - out->rows);
      int dup = 0; /* recursion: count a site once per stack */
      for (size_t k = 0; k < nseen && !dup; k++) dup = seen[k] == row;
      if (f == 0)
        for (int i = 0; i < MT__W_COUNT; i++) r->self[i] += w[i];
      if (!dup) {
        seen[nseen++] = row;
        for (int i = 0; i < MT__W_COUNT; i++) r->incl[i] += w[i];
      }
    }
  }
  sqlite3_finalize(st);
  mt__u64map_free(&by_frame);
  if (rc != SQLITE_DONE) return mt__fail(c->e, "database error: %s", sqlite3_errmsg(db));
  return 0;
}

void mt__siteset_free(mt__siteset *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->rows[i].function);
    free(s->rows[i].file);
  }
  free(s->rows);
  mt__u64map_free(&s->index);
  memset(s, 0, sizeof *s);
}

static int by_delta(const void *x, const void *y) {
  int64_t a = llabs(((const mt__site_change *)x)->delta), b = llabs(((const mt__site_change *)y)->delta);
  return a < b ? 1 : a > b ? -1 : 0;
}

int mt__siteset_changes(const mt__siteset *sa, const mt__siteset *sb, int w, mt__site_change **out,
                        size_t *nout) {
  mt__site_change *ch = malloc((sa->n + sb->n + 1) * sizeof *ch);
  if (!ch) return -1;
  size_t n = 0;
  for (size_t i = 0; i < sa->n; i++) {
    const mt__site_row *a = &sa->rows[i];
    const mt__site_row *b = mt__siteset_find(sb, a->function, a->file, a->line);
    int64_t d = (int64_t)(b ? b->self[w] : 0) - (int64_t)a->self[w];
    if (d) ch[n++] = (mt__site_change){a, b, d};
  }
  for (size_t i = 0; i < sb->n; i++) {
    const mt__site_row *b = &sb->rows[i];
    if (!mt__siteset_find(sa, b->function, b->file, b->line) && b->self[w])
      ch[n++] = (mt__site_change){NULL, b, (int64_t)b->self[w]};
  }
  qsort(ch, n, sizeof *ch, by_delta);
  *out = ch;
  *nout = n;
  return 0;
}

const char *mt__site_location(const mt__site_row *r, char *buf, size_t len) {
  if (r->file && r->line) snprintf(buf, len, "%s:%d", r->file, r->line);
  else snprintf(buf, len, "%s", r->file ? r->file : "-");
  return buf;
}
