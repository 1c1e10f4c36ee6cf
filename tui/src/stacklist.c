/* SPDX-License-Identifier: MIT */
/* The stack-list screen type: rows of stacks from a paged query (leaks, peak), each with its
 * numeric columns and the allocation site with file:line (past allocator wrappers, as
 * memtrace-report's "allocated at"); Enter shows the full stack.
 * A screen is a descriptor (SQL, columns, title), so a new list is one small table. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocsite.h"
#include "tui.h"

typedef struct {
  mt__panel base;
  mt__panel_class cls;
  const mt__stacklist_desc *d;
  mt__pager pager;
  mt__list list;
  int sort;                 /* numeric column the rows are sorted by */
  sqlite3_stmt *frames;     /* MT__SQL_STACK_FRAMES, prepared on first use */
} stacklist;

/* Show the row's allocation site instead of its innermost frame: cells 1 (function, followed
 * by whatever the query appended to it), 2 (file) and 3 (line) are rewritten. */
static void use_alloc_site(mt__row *r, void *ctx) {
  stacklist *s = ctx;
  if (!r->t[1]) return; /* unknown stack */
  if (!s->frames &&
      sqlite3_prepare_v2(s->pager.db, MT__SQL_STACK_FRAMES, -1, &s->frames, NULL) != SQLITE_OK) {
    sqlite3_finalize(s->frames);
    s->frames = NULL;
    return;
  }
  sqlite3_bind_int64(s->frames, 1, s->pager.process_id);
  sqlite3_bind_int64(s->frames, 2, r->n[0]);
  size_t suffix = 0; /* where the text after the innermost function's name starts in cell 1 */
  for (int k = 0; sqlite3_step(s->frames) == SQLITE_ROW; k++) {
    const char *function = (const char *)sqlite3_column_text(s->frames, 0);
    const char *file = (const char *)sqlite3_column_text(s->frames, 1);
    if (!function) break;
    if (k == 0) {
      size_t len = strlen(function);
      suffix = strncmp(r->t[1], function, len) == 0 ? len : strlen(r->t[1]);
    }
    if (mt__alloc_plumbing(function, file, sqlite3_column_int(s->frames, 3))) continue;
    if (k == 0) break; /* the innermost frame is the site already */
    size_t n = strlen(function) + strlen(r->t[1] + suffix) + 1;
    char *label = malloc(n);
    char *where = file ? strdup(file) : NULL;
    if (!label || (file && !where)) {
      free(label);
      free(where);
      break;
    }
    snprintf(label, n, "%s%s", function, r->t[1] + suffix);
    free(r->t[1]);
    free(r->t[2]);
    r->t[1] = label;
    r->t[2] = where;
    r->n[3] = sqlite3_column_int64(s->frames, 2);
    break;
  }
  sqlite3_reset(s->frames);
}

/* The descriptor's query ordered by the sort column (largest first), then by the first
 * column and the stack id so the order is stable. */
static void order_rows(stacklist *s) {
  size_t n = strlen(s->d->sql) + 64;
  char *sql = malloc(n);
  if (!sql) return;
  snprintf(sql, n, "%s ORDER BY %d DESC, 5 DESC, 1", s->d->sql, 5 + s->sort);
  mt__ui_pager_set_sql(&s->pager, sql);
  free(sql);
}

static void location(const mt__row *r, char *buf, size_t len) {
  const char *slash = r->t[2] ? strrchr(r->t[2], '/') : NULL;
  if (r->t[2])
    snprintf(buf, len, "%s:%lld", slash ? slash + 1 : r->t[2], (long long)r->n[3]);
  else
    buf[0] = 0;
}

static void draw(mt__panel *p, mt__app *app, int y, int h, int w) {
  stacklist *s = (stacklist *)p;
  char buf[256];
  s->d->title(app, buf, sizeof buf);
  mt__ui_put(y, 1, w - 1, MT__C_TITLE, buf);
  int x = 0;
  char head[256] = "";
  for (int c = 0; c < s->d->ncols; c++) {
    char t[32];
    snprintf(t, sizeof t, "%s%s", c == s->sort ? (app->utf8 ? "▼" : "v") : "", s->d->cols[c].title);
    int pad = s->d->cols[c].width - mt__ui_text_width(t);
    x += snprintf(head + x, sizeof head - (size_t)x, "%*s%s ", pad > 0 ? pad : 0, "", t);
  }
  snprintf(head + x, sizeof head - (size_t)x, " Function and location");
  mt__ui_header(y + 1, w, head);
  s->list.count = mt__ui_pager_count(&s->pager);
  if (s->pager.error[0]) {
    mt__ui_put(y + 2, 1, w - 1, MT__C_ERROR, s->pager.error);
    return;
  }
  if (s->list.count == 0) {
    mt__ui_put(y + 2, 1, w - 1, MT__C_LABEL,
               app->filter[0] ? "no stack matches the filter" : s->d->empty);
    return;
  }
  int rows = h - 2;
  mt__ui_list_fit(&s->list, rows);
  for (int i = 0; i < rows; i++) {
    long ix = s->list.top + i;
    const mt__row *r = mt__ui_pager_row(&s->pager, ix);
    if (!r) break;
    int ry = y + 2 + i, sel = ix == s->list.sel ? mt__ui_attr(MT__C_SELECTED) : 0;
    if (sel) mt__ui_fill(ry, 0, w, sel);
    int cx = 0;
    for (int c = 0; c < s->d->ncols; c++) {
      char v[32];
      mt__ui_fmt_cost(v, sizeof v, s->d->cols[c].cost, (uint64_t)r->n[4 + c]);
      snprintf(buf, sizeof buf, "%*s ", s->d->cols[c].width, v);
      cx += mt__ui_put_attr(ry, cx, w - cx, sel ? sel : mt__ui_attr(MT__C_VALUE), buf);
    }
    cx += mt__ui_put_attr(ry, cx, w - cx, sel, " ");
    cx += mt__ui_put_attr(ry, cx, w - cx, sel, r->t[1] ? r->t[1] : "[unknown stack]");
    location(r, buf, sizeof buf);
    mt__ui_put_location(ry, cx, w, sel, buf);
  }
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  stacklist *s = (stacklist *)p;
  s->list.count = mt__ui_pager_count(&s->pager);
  int f = mt__ui_list_move(&s->list, action, page - 1);
  if (f) return f;
  if (action == MT__ACT_SORT) {
    s->sort = (s->sort + 1) % s->d->ncols;
    order_rows(s);
    s->list = (mt__list){0};
    return MT__F_HANDLED | MT__F_REDRAW;
  }
  if (action != MT__ACT_ENTER && action != MT__ACT_STACK) return MT__F_IGNORED;
  const mt__row *r = mt__ui_pager_row(&s->pager, s->list.sel);
  if (!r) return MT__F_HANDLED;
  app->stack_id = r->n[0];
  char v[32];
  mt__ui_fmt_cost(v, sizeof v, s->d->cols[0].cost, (uint64_t)r->n[4]);
  snprintf(app->stack_title, sizeof app->stack_title, "%s: %s %s",
           r->t[1] ? r->t[1] : "[unknown stack]", s->d->what, v);
  return MT__F_HANDLED | MT__F_SHOW_STACK;
}

static int search(mt__panel *p, mt__app *app, const char *text, int next) {
  (void)app;
  stacklist *s = (stacklist *)p;
  long n = mt__ui_pager_count(&s->pager);
  for (long k = 0; k < n; k++) {
    long ix = (s->list.sel + k + (next ? 1 : 0)) % n;
    const mt__row *r = mt__ui_pager_row(&s->pager, ix);
    if (r && mt__ui_contains(r->t[1], text)) {
      mt__ui_list_select(&s->list, ix);
      return 1;
    }
  }
  return 0;
}

static void reset(mt__panel *p, mt__app *app) {
  stacklist *s = (stacklist *)p;
  s->pager.process_id = app->process_id;
  mt__ui_pager_set_filter(&s->pager, app->filter);
  s->list = (mt__list){0};
}

static void destroy(mt__panel *p) {
  stacklist *s = (stacklist *)p;
  mt__ui_pager_free(&s->pager);
  sqlite3_finalize(s->frames);
  free(s);
}

mt__panel *mt__ui_stacklist_panel(mt__app *app, const mt__stacklist_desc *d) {
  stacklist *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->cls = (mt__panel_class){.name = d->name,
                             .short_name = d->short_name,
                             .draw = draw,
                             .handle = handle,
                             .search = search,
                             .reset = reset,
                             .destroy = destroy};
  s->base.cls = &s->cls;
  s->d = d;
  mt__ui_pager_init(&s->pager, app->db, app->process_id, d->sql);
  s->pager.decorate = use_alloc_site;
  s->pager.decorate_ctx = s;
  order_rows(s);
  return &s->base;
}
