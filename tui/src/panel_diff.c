/* SPDX-License-Identifier: MIT */
/* Diff screen: two runs of one program side by side. Totals before and after with their
 * change, then call sites (allocating function and file:line, matched by name, not address)
 * ordered by how much they grew or shrank under the chosen cost. The other database is
 * attached to the main connection so each page is one query. */
#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

typedef struct {
  mt__panel base;
  int attached, cost, have_totals;
  int64_t totals[6][2];
  mt__pager pager;
  mt__list list;
  char error[256];
  char side[2][160]; /* "run.db pid 4242 (partial)": which process of which input, and how read */
} diff;

/* Rows of the totals block: label, column of totals, how values are written. */
static const struct {
  const char *label, *column;
  int cost;
} totals_rows[6] = {
    {"Allocations", "allocations", MT__COST_ALLOCS},
    {"Bytes allocated", "bytes_allocated", MT__COST_BYTES},
    {"Peak heap", "peak_heap_bytes", MT__COST_BYTES},
    {"Leaked bytes", "leaked_bytes", MT__COST_BYTES},
    {"Temporary", "temporary_allocations", MT__COST_ALLOCS},
    {"Peak RSS", "peak_rss_bytes", MT__COST_BYTES},
};

static const char *const cost_column[MT__COST_N] = {
    [MT__COST_ALLOCS] = "allocations",         [MT__COST_BYTES] = "bytes_allocated",
    [MT__COST_LEAKED] = "leaked_bytes",        [MT__COST_PEAK] = "peak_bytes",
    [MT__COST_TEMP] = "temporary_allocations",
};

static void site_sql(diff *d, mt__app *app, char *sql, size_t len) {
  const char *col = cost_column[d->cost];
  char side[2][640];
  for (int i = 0; i < 2; i++) {
    const char *db = i ? "other" : "main";
    char pid[32];
    snprintf(pid, sizeof pid, i ? "%" PRId64 : "?1", app->other_process);
    char suppressed[96] = ""; /* leaked weights leave suppressed stacks out, as the report */
    if (d->cost == MT__COST_LEAKED)
      snprintf(suppressed, sizeof suppressed,
               " AND s.stack_id NOT IN (SELECT stack_id FROM temp.mt_suppressed WHERE side = %d)", i);
    snprintf(side[i], sizeof side[i],
             "SELECT f.function AS fn, f.file AS file, f.line AS line, sum(s.%s) AS v"
             " FROM %s.stack_stats s JOIN %s.stacks t ON t.process_id = s.process_id"
             " AND t.id = s.stack_id JOIN %s.frames f ON f.process_id = s.process_id"
             " AND f.ip = t.ip AND f.depth = 0 WHERE s.process_id = %s%s GROUP BY 1, 2, 3",
             col, db, db, db, pid, suppressed);
  }
  snprintf(
      sql, len,
      "WITH a AS (%s), b AS (%s), u AS (SELECT fn, file, line, v AS v0, 0 AS v1 FROM a"
      " UNION ALL SELECT fn, file, line, 0, v FROM b)"
      " SELECT fn, file, line, sum(v0), sum(v1), sum(v1) - sum(v0) FROM u"
      " WHERE ?2 = '' OR instr(lower(fn), lower(?2)) OR instr(lower(coalesce(file, '')), lower(?2))"
      " GROUP BY fn, file, line HAVING sum(v0) <> 0 OR sum(v1) <> 0"
      " ORDER BY abs(sum(v1) - sum(v0)) DESC, sum(v1) DESC, fn, file, line",
      side[0], side[1]);
}

static void load_totals(diff *d, mt__app *app) {
  char sql[1024];
  int n = snprintf(sql, sizeof sql, "SELECT ");
  for (int i = 0; i < 6; i++)
    n += snprintf(sql + n, sizeof sql - (size_t)n, "%sa.%s, b.%s", i ? ", " : "",
                  totals_rows[i].column, totals_rows[i].column);
  snprintf(sql + n, sizeof sql - (size_t)n,
           " FROM main.totals a, other.totals b WHERE a.process_id = ?1 AND b.process_id = ?2");
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(app->db, sql, -1, &st, NULL) != SQLITE_OK) {
    snprintf(d->error, sizeof d->error, "cannot compare totals: %s", sqlite3_errmsg(app->db));
    return;
  }
  sqlite3_bind_int64(st, 1, app->process_id);
  sqlite3_bind_int64(st, 2, app->other_process);
  if (sqlite3_step(st) == SQLITE_ROW) {
    d->have_totals = 1;
    for (int i = 0; i < 6; i++)
      for (int k = 0; k < 2; k++)
        d->totals[i][k] = sqlite3_column_int64(st, 2 * i + k);
  }
  sqlite3_finalize(st);
}

/* Leaked bytes as memtrace-report diff counts them (without suppressed stacks) into the
 * totals, and the suppressed stacks of each side into temp.mt_suppressed for the sites. */
static void load_reported_leaks(diff *d, mt__app *app) {
  sqlite3 *other = NULL;
  if (sqlite3_open_v2(app->other_path, &other, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    sqlite3_close(other);
    return;
  }
  sqlite3_exec(app->db, "CREATE TEMP TABLE IF NOT EXISTS mt_suppressed(side INTEGER, stack_id INTEGER);"
               " DELETE FROM temp.mt_suppressed", NULL, NULL, NULL);
  sqlite3_stmt *ins = NULL;
  sqlite3_prepare_v2(app->db, "INSERT INTO temp.mt_suppressed VALUES (?1, ?2)", -1, &ins, NULL);
  for (int side = 0; side < 2; side++) {
    mt__leakset ls;
    if (mt__ui_leakset(side ? other : app->db, side ? app->other_process : app->process_id, &ls))
      continue;
    for (int i = 0; i < 6; i++)
      if (!strcmp(totals_rows[i].column, "leaked_bytes")) d->totals[i][side] = (int64_t)ls.bytes;
    for (size_t g = 0; ins && g < ls.n; g++) {
      if (!mt__ui_suppressed_heap(&ls.groups[g])) continue;
      sqlite3_bind_int(ins, 1, side);
      sqlite3_bind_int64(ins, 2, (int64_t)ls.groups[g].stack_id);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    mt__leakset_free(&ls);
  }
  sqlite3_finalize(ins);
  sqlite3_close(other);
}

static const char *base_name(const char *p);

/* The title's name of one side: the input, the pid when its database holds several
 * processes, and a note when its trace was not read to the end (as memtrace-report diff
 * warns). */
static void name_side(diff *d, mt__app *app, int i) {
  const char *db = i ? "other" : "main";
  char sql[384];
  snprintf(sql, sizeof sql,
           "SELECT p.pid, t.complete, (SELECT count(*) FROM %s.processes) FROM %s.processes p"
           " JOIN %s.traces t ON t.id = p.trace_id WHERE p.id = ?1", db, db, db);
  snprintf(d->side[i], sizeof d->side[i], "%s", base_name(i ? app->other_path : app->path));
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(app->db, sql, -1, &st, NULL) != SQLITE_OK) return;
  sqlite3_bind_int64(st, 1, i ? app->other_process : app->process_id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    size_t n = strlen(d->side[i]);
    int complete = sqlite3_column_int(st, 1);
    if (sqlite3_column_int64(st, 2) > 1)
      n += (size_t)snprintf(d->side[i] + n, sizeof d->side[i] - n, " pid %lld",
                            (long long)sqlite3_column_int64(st, 0));
    if (complete != 1 && n < sizeof d->side[i])
      snprintf(d->side[i] + n, sizeof d->side[i] - n, " (%s trace)",
               complete < 0 ? "damaged" : "partial");
  }
  sqlite3_finalize(st);
}

static int attach(diff *d, mt__app *app) {
  if (d->attached) return d->error[0] ? -1 : 0;
  d->attached = 1;
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(app->db, "ATTACH DATABASE ?1 AS other", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, app->other_path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    sqlite3_finalize(st);
  }
  if (rc != SQLITE_OK) {
    snprintf(d->error, sizeof d->error, "cannot open %s: %s", app->other_path,
             sqlite3_errmsg(app->db));
    return -1;
  }
  name_side(d, app, 0);
  name_side(d, app, 1);
  load_totals(d, app);
  if (d->have_totals) load_reported_leaks(d, app);
  char sql[4096];
  site_sql(d, app, sql, sizeof sql);
  mt__ui_pager_set_sql(&d->pager, sql);
  return 0;
}

static const char *base_name(const char *p) {
  const char *b = strrchr(p, '/');
  return b ? b + 1 : p;
}

static int delta_role(int64_t v) {
  return v > 0 ? MT__C_GROWTH : v < 0 ? MT__C_SHRINK : MT__C_LABEL;
}

static void draw_totals(diff *d, int y, int w) {
  char buf[160];
  snprintf(buf, sizeof buf, "%-17s %12s %12s %12s", "", "Before", "After", "Change");
  mt__ui_put(y, 0, w, MT__C_TITLE, buf);
  for (int i = 0; i < 6; i++) {
    char b[32], a[32], c[32];
    int cost = totals_rows[i].cost;
    int64_t before = d->totals[i][0], after = d->totals[i][1];
    snprintf(buf, sizeof buf, " %-16s %12s %12s ", totals_rows[i].label,
             mt__ui_fmt_cost(b, sizeof b, cost, (uint64_t)before),
             mt__ui_fmt_cost(a, sizeof a, cost, (uint64_t)after));
    int x = mt__ui_put(y + 1 + i, 0, w, MT__C_VALUE, buf);
    snprintf(buf, sizeof buf, "%12s", mt__ui_fmt_delta(c, sizeof c, cost, after - before));
    mt__ui_put(y + 1 + i, x, w - x, delta_role(after - before), buf);
  }
}

static void draw(mt__panel *p, mt__app *app, int y, int h, int w) {
  diff *d = (diff *)p;
  char buf[512];
  int failed = attach(d, app);
  if (d->side[0][0])
    snprintf(buf, sizeof buf, "Diff: %s -> %s", d->side[0], d->side[1]);
  else
    snprintf(buf, sizeof buf, "Diff: %s -> %s", base_name(app->path), base_name(app->other_path));
  mt__ui_put(y, 1, w - 1, MT__C_TITLE, buf);
  if (failed || !d->have_totals) {
    mt__ui_put(y + 2, 1, w - 1, MT__C_ERROR, d->error[0] ? d->error : "no totals to compare");
    return;
  }
  draw_totals(d, y + 1, w);
  snprintf(buf, sizeof buf, "%10s %10s %10s  Call site   cost: %s", "Before", "After", "Change",
           mt__ui_cost_name(d->cost));
  mt__ui_header(y + 8, w, buf);
  d->list.count = mt__ui_pager_count(&d->pager);
  if (d->pager.error[0]) {
    mt__ui_put(y + 9, 1, w - 1, MT__C_ERROR, d->pager.error);
    return;
  }
  if (d->list.count == 0) {
    mt__ui_put(y + 9, 1, w - 1, MT__C_LABEL,
               app->filter[0] ? "no call site matches the filter" : "no call sites");
    return;
  }
  int rows = h - 9;
  mt__ui_list_fit(&d->list, rows);
  for (int i = 0; i < rows; i++) {
    long ix = d->list.top + i;
    const mt__row *r = mt__ui_pager_row(&d->pager, ix);
    if (!r) break;
    int ry = y + 9 + i, sel = ix == d->list.sel ? mt__ui_attr(MT__C_SELECTED) : 0;
    if (sel) mt__ui_fill(ry, 0, w, sel);
    char b[32], a[32], c[32];
    snprintf(buf, sizeof buf, "%10s %10s ",
             mt__ui_fmt_cost(b, sizeof b, d->cost, (uint64_t)r->n[3]),
             mt__ui_fmt_cost(a, sizeof a, d->cost, (uint64_t)r->n[4]));
    int x = mt__ui_put_attr(ry, 0, w, sel ? sel : mt__ui_attr(MT__C_VALUE), buf);
    snprintf(buf, sizeof buf, "%10s  ", mt__ui_fmt_delta(c, sizeof c, d->cost, r->n[5]));
    x += mt__ui_put_attr(ry, x, w - x, sel ? sel : mt__ui_attr(delta_role(r->n[5])), buf);
    x += mt__ui_put_attr(ry, x, w - x, sel, r->t[0] ? r->t[0] : "?");
    if (r->t[1]) {
      snprintf(buf, sizeof buf, "%s:%lld", base_name(r->t[1]), (long long)r->n[2]);
      mt__ui_put_location(ry, x, w, sel, buf);
    }
  }
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  diff *d = (diff *)p;
  if (attach(d, app)) return MT__F_IGNORED;
  d->list.count = mt__ui_pager_count(&d->pager);
  int f = mt__ui_list_move(&d->list, action, page - 8);
  if (f) return f;
  if (action == MT__ACT_COST || action == MT__ACT_SORT) {
    d->cost = (d->cost + 1) % MT__COST_N;
    char sql[4096];
    site_sql(d, app, sql, sizeof sql);
    mt__ui_pager_set_sql(&d->pager, sql);
    d->list = (mt__list){0};
    return MT__F_HANDLED | MT__F_REDRAW;
  }
  if (action == MT__ACT_ENTER) {
    const mt__row *r = mt__ui_pager_row(&d->pager, d->list.sel);
    if (r)
      mt__ui_app_message(app, "%s  %s:%lld", r->t[0] ? r->t[0] : "?", r->t[1] ? r->t[1] : "?",
                         (long long)r->n[2]);
    return MT__F_HANDLED | MT__F_REDRAW;
  }
  return MT__F_IGNORED;
}

static int search(mt__panel *p, mt__app *app, const char *text, int next) {
  diff *d = (diff *)p;
  if (attach(d, app)) return 0;
  long n = mt__ui_pager_count(&d->pager);
  for (long k = 0; k < n; k++) {
    long ix = (d->list.sel + k + (next ? 1 : 0)) % n;
    const mt__row *r = mt__ui_pager_row(&d->pager, ix);
    if (r && mt__ui_contains(r->t[0], text)) {
      mt__ui_list_select(&d->list, ix);
      return 1;
    }
  }
  return 0;
}

static void reset(mt__panel *p, mt__app *app) {
  diff *d = (diff *)p;
  d->pager.process_id = app->process_id;
  if (d->attached && !d->error[0]) {
    char sql[4096];
    load_totals(d, app);
    site_sql(d, app, sql, sizeof sql);
    mt__ui_pager_set_sql(&d->pager, sql);
  }
  mt__ui_pager_set_filter(&d->pager, app->filter);
  d->list = (mt__list){0};
}

static void destroy(mt__panel *p) {
  diff *d = (diff *)p;
  mt__ui_pager_free(&d->pager);
  free(d);
}

static const mt__panel_class diff_class = {
    .name = "Diff",
    .short_name = "Diff",
    .draw = draw,
    .handle = handle,
    .search = search,
    .reset = reset,
    .destroy = destroy,
};

mt__panel *mt__ui_diff_panel(mt__app *app) {
  diff *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->base.cls = &diff_class;
  d->cost = MT__COST_BYTES;
  mt__ui_pager_init(&d->pager, app->db, app->process_id, "SELECT 1 WHERE 0");
  return &d->base;
}
