/* SPDX-License-Identifier: MIT */
/* Processes screen, shown when the database holds several (fork and exec children ingested
 * with their parent): one row per process with its figures; Enter makes every other screen
 * show that process. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "tui.h"

typedef struct {
  mt__panel base;
  mt__pager pager;
  mt__list list;
} processes;

static const char processes_sql[] =
    "SELECT p.id, p.pid, p.ppid, p.origin, coalesce(t.allocations, 0),"
    " coalesce(t.peak_heap_bytes, 0), coalesce(t.leaked_bytes, 0),"
    " coalesce(nullif(p.argv, ''), p.program, '?')"
    " FROM processes p LEFT JOIN totals t ON t.process_id = p.id"
    " WHERE ?2 = '' OR instr(lower(coalesce(p.argv, p.program, '')), lower(?2)) ORDER BY p.id";

/* Leaked bytes as the report counts them (without what the built-in suppressions match), as
 * on every other screen; the totals table holds every unfreed block. */
static void reported_leaks(mt__row *r, void *ctx) {
  mt__leakset ls;
  if (mt__ui_leakset(ctx, r->n[0], &ls) != 0) return;
  r->n[6] = (int64_t)ls.bytes;
  mt__leakset_free(&ls);
}

static void draw(mt__panel *p, mt__app *app, int y, int h, int w) {
  processes *s = (processes *)p;
  char buf[512];
  s->list.count = mt__ui_pager_count(&s->pager);
  snprintf(buf, sizeof buf, "%ld processes in this database; Enter shows one on every screen",
           s->list.count);
  mt__ui_put(y, 1, w - 1, MT__C_TITLE, buf);
  snprintf(buf, sizeof buf, "  %7s %7s %-6s %9s %9s %9s  %s", "PID", "Parent", "Origin", "Allocs",
           "Peak", "Leaked", "Command");
  mt__ui_header(y + 1, w, buf);
  if (s->pager.error[0]) {
    mt__ui_put(y + 2, 1, w - 1, MT__C_ERROR, s->pager.error);
    return;
  }
  mt__ui_list_fit(&s->list, h - 2);
  for (int i = 0; i < h - 2; i++) {
    long ix = s->list.top + i;
    const mt__row *r = mt__ui_pager_row(&s->pager, ix);
    if (!r) break;
    int ry = y + 2 + i, sel = ix == s->list.sel ? mt__ui_attr(MT__C_SELECTED) : 0;
    if (sel) mt__ui_fill(ry, 0, w, sel);
    char allocs[32], peak[32], leaked[32];
    snprintf(buf, sizeof buf, "%s %7lld %7lld %-6s %9s %9s %9s  ",
             r->n[0] == app->process_id ? "*" : " ", (long long)r->n[1], (long long)r->n[2],
             r->t[3] ? r->t[3] : "?",
             mt__ui_fmt_cost(allocs, sizeof allocs, MT__COST_ALLOCS, (uint64_t)r->n[4]),
             mt__ui_fmt_bytes(peak, sizeof peak, (uint64_t)r->n[5]),
             mt__ui_fmt_bytes(leaked, sizeof leaked, (uint64_t)r->n[6]));
    int x = mt__ui_put_attr(ry, 0, w, sel ? sel : mt__ui_attr(MT__C_VALUE), buf);
    mt__ui_put_attr(ry, x, w - x, sel, r->t[7] ? r->t[7] : "?");
  }
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  processes *s = (processes *)p;
  s->list.count = mt__ui_pager_count(&s->pager);
  int f = mt__ui_list_move(&s->list, action, page - 1);
  if (f) return f;
  if (action != MT__ACT_ENTER) return MT__F_IGNORED;
  const mt__row *r = mt__ui_pager_row(&s->pager, s->list.sel);
  if (!r || r->n[0] == app->process_id) return MT__F_HANDLED;
  app->process_id = r->n[0];
  return MT__F_HANDLED | MT__F_PROCESS;
}

static int search(mt__panel *p, mt__app *app, const char *text, int next) {
  (void)app;
  processes *s = (processes *)p;
  long n = mt__ui_pager_count(&s->pager);
  for (long k = 0; k < n; k++) {
    long ix = (s->list.sel + k + (next ? 1 : 0)) % n;
    const mt__row *r = mt__ui_pager_row(&s->pager, ix);
    if (r && mt__ui_contains(r->t[7], text)) {
      mt__ui_list_select(&s->list, ix);
      return 1;
    }
  }
  return 0;
}

static void reset(mt__panel *p, mt__app *app) {
  processes *s = (processes *)p;
  long sel = s->list.sel;
  mt__ui_pager_set_filter(&s->pager, app->filter);
  s->list = (mt__list){.sel = sel};
}

static void destroy(mt__panel *p) {
  processes *s = (processes *)p;
  mt__ui_pager_free(&s->pager);
  free(s);
}

static const mt__panel_class processes_class = {
    .name = "Processes",
    .short_name = "Proc",
    .draw = draw,
    .handle = handle,
    .search = search,
    .reset = reset,
    .destroy = destroy,
};

mt__panel *mt__ui_processes_panel(mt__app *app) {
  processes *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->base.cls = &processes_class;
  mt__ui_pager_init(&s->pager, app->db, app->process_id, processes_sql);
  s->pager.decorate = reported_leaks;
  s->pager.decorate_ctx = app->db;
  return &s->base;
}
