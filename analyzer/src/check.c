/* SPDX-License-Identifier: MIT */
/* Budgets evaluated over the database: totals from the totals table, leaks from the
 * suppression-aware leak set, per-stack weights from stack_stats; scoped budgets sum the
 * stacks with a frame matching their glob. Growth compares two runs' totals and call sites
 * (matched by function and file:line, as diff does). */
#include "check.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "leakset.h"
#include "sites.h"

typedef struct {
  uint64_t stack_id;
  int64_t weight;
} contrib;

typedef struct {
  contrib *v;
  size_t n, cap;
} contribs;

static int push(contribs *cs, uint64_t stack, int64_t w) {
  if (cs->n == cs->cap) {
    size_t n = cs->cap ? 2 * cs->cap : 64;
    contrib *nv = realloc(cs->v, n * sizeof *nv);
    if (!nv) return -1;
    cs->v = nv;
    cs->cap = n;
  }
  cs->v[cs->n++] = (contrib){stack, w};
  return 0;
}

/* stack_stats column for the metrics that are per-stack aggregates. */
static const char *const stat_columns[MT__M_COUNT] = {
    [MT__M_PEAK_HEAP] = "peak_bytes", [MT__M_PEAK_RSS] = "peak_bytes",
    [MT__M_ALLOCATIONS] = "allocations", [MT__M_TEMPORARY] = "temporary_allocations",
};

/* totals column for figures taken as recorded. */
static const char *const total_columns[MT__M_COUNT] = {
    [MT__M_PEAK_HEAP] = "peak_heap_bytes", [MT__M_PEAK_RSS] = "peak_rss_bytes",
    [MT__M_ALLOCATIONS] = "allocations", [MT__M_TEMPORARY] = "temporary_allocations",
};

static int is_leak_metric(mt__metric m) { return stat_columns[m] == NULL; }

/* Each stack's share of metric m: leaks from the leak set (reported heap groups), the others
 * from stack_stats; excluded stacks are left out. */
static int stack_contribs(mt__report_ctx *c, mt__metric m, contribs *out) {
  memset(out, 0, sizeof *out);
  if (is_leak_metric(m)) {
    mt__leakset ls;
    if (mt__leakset_load(c, MT__LEAK_KINDS_ALL, &ls)) return -1; /* filtered by kind below */
    const char *kind = mt__metrics[m].leak_kind;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ls.n; i++) {
      const mt__leak_group *g = &ls.groups[i];
      if (g->excluded || g->suppressed || strcmp(g->cls, "heap") != 0) continue;
      if (kind && strcmp(g->kind, kind) != 0) continue;
      rc = push(out, g->stack_id, (int64_t)(m == MT__M_LEAKED_BLOCKS ? g->blocks : g->bytes));
    }
    mt__leakset_free(&ls);
    return rc ? mt__fail(c->e, "out of memory") : 0;
  }
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT stack_id, %s FROM stack_stats WHERE process_id = ?1 AND %s > 0",
           stat_columns[m], stat_columns[m]);
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st, sql, c->e)) return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    uint64_t stack = (uint64_t)sqlite3_column_int64(st, 0);
    const mt__frame *frames[MT__MAX_FRAMES];
    int excluded;
    mt__report_frames(c, stack, frames, MT__MAX_FRAMES, &excluded);
    if (!c->cs) break;
    if (!excluded && push(out, stack, sqlite3_column_int64(st, 1))) break;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    free(out->v);
    return c->e->msg[0] ? -1 : mt__fail(c->e, "database error: %s", sqlite3_errmsg(c->in.db));
  }
  return 0;
}

static int64_t total_column(mt__report_ctx *c, const char *col, int *null, int *ok) {
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT %s FROM totals WHERE process_id = ?1", col);
  sqlite3_stmt *st;
  *ok = 0;
  if (mt__db_prepare(c->in.db, &st, sql, c->e)) return 0;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  int64_t v = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    *ok = 1;
    *null = sqlite3_column_type(st, 0) == SQLITE_NULL;
    v = sqlite3_column_int64(st, 0);
  } else {
    mt__fail(c->e, "no totals for this process in the database");
  }
  sqlite3_finalize(st);
  return v;
}

static int64_t sum(const contribs *cs) {
  int64_t s = 0;
  for (size_t i = 0; i < cs->n; i++) s += cs->v[i].weight;
  return s;
}

/* The whole-process figure of metric m. */
static int total_figure(mt__report_ctx *c, mt__metric m, int64_t *out) {
  int null = 0, ok;
  if (mt__metrics[m].leak_kind) {
    total_column(c, "definite_bytes", &null, &ok);
    if (!ok) return -1;
    if (null)
      return mt__fail(c->e, "%s: %s has no leak-kind scan (recorded with --leak-scan=off, or by a "
                      "recorder without the exit-time scan); use --max-leaked instead",
                      mt__metrics[m].option, c->in.label);
  }
  if (is_leak_metric(m)) {
    contribs cs;
    if (stack_contribs(c, m, &cs)) return -1;
    *out = sum(&cs);
    free(cs.v);
    return 0;
  }
  *out = total_column(c, total_columns[m], &null, &ok);
  return ok ? 0 : -1;
}

static int frame_matches(const mt__budget *b, const mt__frame *f) {
  if (b->scope == MT__SCOPE_FUNCTION) return fnmatch(b->glob, f->function, 0) == 0;
  return f->module && (fnmatch(b->glob, f->module, 0) == 0 || fnmatch(b->glob, mt__basename(f->module), 0) == 0);
}

/* Keep only the stacks with a frame in the budget's scope. */
static void scope_filter(mt__report_ctx *c, const mt__budget *b, contribs *cs) {
  size_t k = 0;
  for (size_t i = 0; i < cs->n; i++) {
    const mt__frame *frames[MT__MAX_FRAMES];
    int excluded, hit = 0;
    size_t n = mt__report_frames(c, cs->v[i].stack_id, frames, MT__MAX_FRAMES, &excluded);
    for (size_t f = 0; f < n && !hit; f++) hit = frame_matches(b, frames[f]);
    if (hit) cs->v[k++] = cs->v[i];
  }
  cs->n = k;
}

static int by_weight(const void *x, const void *y) {
  int64_t a = ((const contrib *)x)->weight, b = ((const contrib *)y)->weight;
  if (a != b) return a < b ? 1 : -1;
  uint64_t s = ((const contrib *)x)->stack_id, t = ((const contrib *)y)->stack_id;
  return s < t ? -1 : s > t;
}

static size_t top_count(const mt__report_ctx *c) {
  return c->opt->top > 0 && c->opt->top < MT__CHECK_TOP ? (size_t)c->opt->top : MT__CHECK_TOP;
}

static int set_site(mt__check_offender *o, const char *function, const char *file, int line) {
  o->function = strdup(function ? function : "(unknown stack)");
  o->file = file ? strdup(file) : NULL;
  o->line = line;
  return !o->function || (file && !o->file) ? -1 : 0;
}

/* The heaviest stacks of cs as offenders of it, symbolized. */
static int stack_offenders(mt__report_ctx *c, contribs *cs, mt__check_item *it) {
  qsort(cs->v, cs->n, sizeof *cs->v, by_weight);
  size_t n = cs->n < top_count(c) ? cs->n : top_count(c);
  it->off = calloc(n ? n : 1, sizeof *it->off);
  if (!it->off) return -1;
  for (size_t i = 0; i < n && cs->v[i].weight > 0; i++) {
    mt__check_offender *o = &it->off[it->noff++];
    const mt__frame *site = mt__report_site_frame(c, cs->v[i].stack_id);
    o->weight = cs->v[i].weight;
    if (set_site(o, site ? site->function : NULL, site ? site->file : NULL, site ? site->line : 0))
      return -1;
    o->nstack = mt__report_stack_labels(c, cs->v[i].stack_id, &o->stack, NULL);
    if (!o->stack) return -1;
  }
  return 0;
}

static mt__check_item *new_item(mt__check_result *r) {
  mt__check_item *ni = realloc(r->items, (r->n + 1) * sizeof *ni);
  if (!ni) return NULL;
  r->items = ni;
  memset(&ni[r->n], 0, sizeof *ni);
  return &ni[r->n++];
}

static int eval_budget(mt__report_ctx *c, const mt__budget *b, mt__check_result *r) {
  mt__check_item *it = new_item(r);
  if (!it) return mt__fail(c->e, "out of memory");
  const mt__metric_info *mi = &mt__metrics[b->metric];
  it->name = mi->option;
  it->figure = mi->figure;
  it->bytes = mi->bytes;
  it->line = b->line;
  /* a limit past what any figure can reach (2^63 and up) passes them all: it must not wrap */
  it->limit = b->limit > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)b->limit;
  mt__budget_scope(b, it->scope, sizeof it->scope);
  contribs cs = {0};
  if (b->scope == MT__SCOPE_TOTAL) {
    if (total_figure(c, b->metric, &it->value)) return -1;
  } else {
    if (stack_contribs(c, b->metric, &cs)) return -1;
    scope_filter(c, b, &cs);
    it->value = sum(&cs);
  }
  it->failed = it->value > it->limit;
  int rc = 0;
  if (it->failed) {
    r->failed++;
    if (b->scope == MT__SCOPE_TOTAL) rc = stack_contribs(c, b->metric, &cs);
    if (rc == 0 && stack_offenders(c, &cs, it)) rc = mt__fail(c->e, "out of memory");
  }
  free(cs.v);
  return rc;
}

/* Figures compared with the baseline, and the site weight that explains each. */
static const struct {
  mt__metric metric;
  int weight;
} growth_figures[] = {
    {MT__M_PEAK_HEAP, MT__W_PEAK}, {MT__M_LEAKED, MT__W_LEAKED}, {MT__M_ALLOCATIONS, MT__W_ALLOCATIONS}};

static int growth_sites(mt__report_ctx *c, const mt__siteset *sa, const mt__siteset *sb, int w,
                        mt__check_item *it) {
  mt__site_change *ch;
  size_t n;
  if (mt__siteset_changes(sa, sb, w, &ch, &n)) return -1;
  it->off = calloc(top_count(c), sizeof *it->off);
  int rc = it->off ? 0 : -1;
  for (size_t i = 0; rc == 0 && i < n && it->noff < top_count(c); i++) {
    if (ch[i].delta <= 0) continue;
    const mt__site_row *s = ch[i].after ? ch[i].after : ch[i].before;
    mt__check_offender *o = &it->off[it->noff++];
    o->weight = ch[i].after ? (int64_t)ch[i].after->self[w] : 0;
    o->before = ch[i].before ? (int64_t)ch[i].before->self[w] : 0;
    rc = set_site(o, s->function, s->file, s->line);
  }
  free(ch);
  return rc;
}

static int eval_growth(mt__report_ctx *c, const mt__budgets *b, mt__check_result *r) {
  mt__report_ctx base = *c;
  base.in = c->other;
  base.cs = NULL;
  mt__siteset sa = {0}, sb = {0};
  int built = 0, rc = 0;
  for (size_t g = 0; rc == 0 && g < sizeof growth_figures / sizeof *growth_figures; g++) {
    mt__check_item *it = new_item(r);
    if (!it) {
      rc = mt__fail(c->e, "out of memory");
      break;
    }
    const mt__metric_info *mi = &mt__metrics[growth_figures[g].metric];
    it->name = "max-growth";
    it->figure = mi->figure;
    it->bytes = mi->bytes;
    it->growth = 1;
    it->line = b->growth_line;
    it->limit_pct = b->max_growth;
    snprintf(it->scope, sizeof it->scope, "%s", mi->figure);
    if (total_figure(c, growth_figures[g].metric, &it->value) ||
        total_figure(&base, growth_figures[g].metric, &it->baseline)) {
      rc = -1;
      break;
    }
    if (it->baseline > 0) {
      it->growth_pct = 100.0 * (double)(it->value - it->baseline) / (double)it->baseline;
      it->failed = it->growth_pct > b->max_growth;
    } else {
      it->unbounded = it->value > 0;
      it->failed = it->unbounded;
    }
    if (!it->failed) continue;
    r->failed++;
    if (!built) {
      mt__callstacks *ca = mt__report_stacks(c), *cb = mt__report_stacks(&base);
      if (!ca || !cb) {
        rc = -1;
        break;
      }
      rc = mt__siteset_build(c, c->in.db, c->in.process_id, ca, &sb);
      if (rc == 0) rc = mt__siteset_build(&base, base.in.db, base.in.process_id, cb, &sa);
      built = 1;
    }
    if (rc == 0 && growth_sites(c, &sa, &sb, growth_figures[g].weight, it))
      rc = mt__fail(c->e, "out of memory");
  }
  mt__siteset_free(&sa);
  mt__siteset_free(&sb);
  mt__cs_free(base.cs);
  return rc;
}

int mt__check_usage(const mt__budgets *b, int have_baseline, mt__err *e) {
  if (have_baseline && (!b || b->max_growth < 0))
    return mt__fail(e, "--baseline needs --max-growth PCT (or max-growth in the budget file)");
  if (!b || (b->n == 0 && b->max_growth < 0))
    return mt__fail(e, "check needs at least one budget (--max-leaked SIZE, ..., --budget FILE)");
  if (b->max_growth >= 0 && !have_baseline && b->growth_line && b->file)
    return mt__fail(e, "%s:%d: max-growth needs a baseline: --baseline OLD", b->file, b->growth_line);
  if (b->max_growth >= 0 && !have_baseline)
    return mt__fail(e, "max-growth needs a baseline: --baseline OLD");
  return 0;
}

int mt__check_run(mt__report_ctx *c, const mt__budgets *b, mt__check_result *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < b->n; i++)
    if (eval_budget(c, &b->items[i], out)) return -1;
  if (b->max_growth >= 0 && eval_growth(c, b, out)) return -1;
  return 0;
}

void mt__check_result_free(mt__check_result *r) {
  for (size_t i = 0; i < r->n; i++) {
    for (size_t k = 0; k < r->items[i].noff; k++) {
      mt__check_offender *o = &r->items[i].off[k];
      free(o->function);
      free(o->file);
      if (o->stack) mt__report_free_list(o->stack, o->nstack);
    }
    free(r->items[i].off);
  }
  free(r->items);
  memset(r, 0, sizeof *r);
}

const char *mt__check_value(const mt__check_item *it, int64_t v, char *buf, size_t len) {
  char h[32];
  if (it->bytes && v >= 1024) snprintf(buf, len, "%s (%" PRId64 ")", mt__fmt_bytes((uint64_t)v, h, sizeof h), v);
  else snprintf(buf, len, "%" PRId64 "%s", v, it->bytes ? " B" : "");
  return buf;
}

const char *mt__check_describe(const mt__check_item *it, char *buf, size_t len) {
  char a[64], b[64];
  if (!it->growth) {
    snprintf(buf, len, "%s (%s): %s %s budget %s", it->name, it->scope,
             mt__check_value(it, it->value, a, sizeof a), it->failed ? "exceeds" : "within",
             mt__check_value(it, it->limit, b, sizeof b));
  } else if (it->unbounded) {
    snprintf(buf, len, "%s (%s): %s, baseline 0: grew without bound, limit %.1f%%", it->name,
             it->scope, mt__check_value(it, it->value, a, sizeof a), it->limit_pct);
  } else {
    snprintf(buf, len, "%s (%s): %s, baseline %s: %+.1f%% %s limit %.1f%%", it->name, it->scope,
             mt__check_value(it, it->value, a, sizeof a), mt__check_value(it, it->baseline, b, sizeof b),
             it->growth_pct, it->failed ? "exceeds" : "within", it->limit_pct);
  }
  return buf;
}
