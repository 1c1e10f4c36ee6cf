/* SPDX-License-Identifier: MIT */
/* Hotspots screen: one row per function with its allocations, bytes, leaked, peak and
 * temporary figures, self (allocated directly) or inclusive (in any callee); `s` sorts by the
 * next column and `a` switches between self and inclusive. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define NONE UINT32_MAX

static const char *const col_titles[MT__COST_N] = {
    [MT__COST_ALLOCS] = "Allocs", [MT__COST_BYTES] = "Bytes", [MT__COST_LEAKED] = "Leaked",
    [MT__COST_PEAK] = "Peak",     [MT__COST_TEMP] = "Temp",
};

typedef struct {
  mt__panel base;
  int built, sort, inclusive;
  mt__hotspot *all;
  long nall;
  long *order; /* indices into all, of the rows shown, sorted */
  long nrows;
  mt__list list;
} hotspots;

static const hotspots *sort_h;

static const uint64_t *figures(const hotspots *h, const mt__hotspot *e) {
  return h->inclusive ? e->incl : e->self;
}

static int by_column(const void *a, const void *b) {
  const mt__hotspot *x = &sort_h->all[*(const long *)a], *y = &sort_h->all[*(const long *)b];
  uint64_t vx = figures(sort_h, x)[sort_h->sort], vy = figures(sort_h, y)[sort_h->sort];
  if (vx != vy) return vx < vy ? 1 : -1;
  uint64_t ax = figures(sort_h, x)[MT__COST_ALLOCS], ay = figures(sort_h, y)[MT__COST_ALLOCS];
  if (ax != ay) return ax < ay ? 1 : -1;
  return x->func < y->func ? -1 : x->func > y->func;
}

/* Choose the rows (self mode shows only functions that allocate) and sort them. */
static void arrange(hotspots *h) {
  long keep = h->nrows && h->list.sel < h->nrows ? h->order[h->list.sel] : -1;
  h->nrows = 0;
  for (long i = 0; i < h->nall; i++)
    if (h->inclusive || h->all[i].self[MT__COST_ALLOCS]) h->order[h->nrows++] = i;
  sort_h = h;
  qsort(h->order, (size_t)h->nrows, sizeof *h->order, by_column);
  h->list.count = h->nrows;
  h->list.sel = 0;
  for (long i = 0; i < h->nrows; i++)
    if (h->order[i] == keep) h->list.sel = i;
}

static int build(hotspots *h, mt__app *app) {
  if (h->built) return 0;
  mt__model *m = mt__ui_app_model(app);
  if (!m) return -1;
  free(h->all);
  free(h->order);
  h->order = NULL;
  h->nall = mt__ui_model_hotspots(m, app->filter, &h->all);
  if (h->nall < 0 || !(h->order = malloc(((size_t)h->nall + 1) * sizeof *h->order))) {
    h->nall = 0;
    mt__ui_app_message(app, "out of memory computing hotspots");
    return -1;
  }
  h->built = 1;
  h->nrows = 0;
  h->list = (mt__list){0};
  arrange(h);
  return 0;
}

static void draw(mt__panel *p, mt__app *app, int y, int h, int w) {
  hotspots *s = (hotspots *)p;
  char head[200];
  int x = 0;
  for (int c = 0; c < MT__COST_N; c++) {
    char t[24];
    snprintf(t, sizeof t, "%s%s", c == s->sort ? (app->utf8 ? "▼" : "v") : "", col_titles[c]);
    int pad = 9 - mt__ui_text_width(t);
    x += snprintf(head + x, sizeof head - (size_t)x, "%*s%s ", pad > 0 ? pad : 0, "", t);
  }
  snprintf(head + x, sizeof head - (size_t)x, " Function (%s)",
           s->inclusive ? "inclusive" : "self");
  mt__ui_header(y, w, head);
  if (build(s, app)) return;
  if (s->nrows == 0) {
    mt__ui_put(y + 1, 1, w - 1, MT__C_LABEL,
               app->filter[0] ? "no function matches the filter" : "no allocations");
    return;
  }
  mt__ui_list_fit(&s->list, h - 1);
  for (int i = 0; i < h - 1 && s->list.top + i < s->nrows; i++) {
    long ix = s->list.top + i;
    const mt__hotspot *e = &s->all[s->order[ix]];
    int ry = y + 1 + i, sel = ix == s->list.sel ? mt__ui_attr(MT__C_SELECTED) : 0;
    if (sel) mt__ui_fill(ry, 0, w, sel);
    int cx = 0;
    for (int c = 0; c < MT__COST_N; c++) {
      char v[32], cell[40];
      snprintf(cell, sizeof cell, "%9s ", mt__ui_fmt_cost(v, sizeof v, c, figures(s, e)[c]));
      cx += mt__ui_put_attr(
          ry, cx, w - cx, sel ? sel : mt__ui_attr(c == s->sort ? MT__C_VALUE : MT__C_LABEL), cell);
    }
    cx += mt__ui_put_attr(ry, cx, w - cx, sel, " ");
    cx += mt__ui_put_attr(ry, cx, w - cx, sel, mt__ui_model_func_name(app->model, e->func));
    mt__ui_put_location(ry, cx, w, sel, mt__ui_model_func_where(app->model, e->func));
  }
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  hotspots *s = (hotspots *)p;
  if (build(s, app)) return MT__F_IGNORED;
  int f = mt__ui_list_move(&s->list, action, page);
  if (f) return f;
  switch (action) {
    case MT__ACT_SORT:
    case MT__ACT_COST: s->sort = (s->sort + 1) % MT__COST_N; break;
    case MT__ACT_SELF: s->inclusive = !s->inclusive; break;
    case MT__ACT_ENTER:
    case MT__ACT_STACK: {
      if (!s->nrows) return MT__F_HANDLED;
      const mt__hotspot *e = &s->all[s->order[s->list.sel]];
      uint32_t best = e->best[s->sort];
      if (best == NONE) best = e->best[MT__COST_ALLOCS];
      if (best == NONE) return MT__F_HANDLED;
      app->stack_id = mt__ui_model_stack_id(app->model, best);
      snprintf(app->stack_title, sizeof app->stack_title, "heaviest stack (%s) through %s",
               mt__ui_cost_name(s->sort), mt__ui_model_func_name(app->model, e->func));
      return MT__F_HANDLED | MT__F_SHOW_STACK;
    }
    default: return MT__F_IGNORED;
  }
  arrange(s);
  return MT__F_HANDLED | MT__F_REDRAW;
}

static int search(mt__panel *p, mt__app *app, const char *text, int next) {
  hotspots *s = (hotspots *)p;
  if (build(s, app) || !s->nrows) return 0;
  for (long k = 0; k < s->nrows; k++) {
    long ix = (s->list.sel + k + (next ? 1 : 0)) % s->nrows;
    if (mt__ui_contains(mt__ui_model_func_name(app->model, s->all[s->order[ix]].func), text)) {
      mt__ui_list_select(&s->list, ix);
      return 1;
    }
  }
  return 0;
}

static void reset(mt__panel *p, mt__app *app) {
  (void)app;
  ((hotspots *)p)->built = 0;
}

static void destroy(mt__panel *p) {
  hotspots *s = (hotspots *)p;
  free(s->all);
  free(s->order);
  free(s);
}

static const mt__panel_class hotspots_class = {
    .name = "Hotspots",
    .short_name = "Hot",
    .draw = draw,
    .handle = handle,
    .search = search,
    .reset = reset,
    .destroy = destroy,
};

mt__panel *mt__ui_hotspots_panel(mt__app *app) {
  (void)app;
  hotspots *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->base.cls = &hotspots_class;
  s->sort = MT__COST_BYTES;
  return &s->base;
}
