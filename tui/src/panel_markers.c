/* SPDX-License-Identifier: MIT */
/* Markers screen: the labels a program set with memtrace_mark, in order, with their time,
 * event number, the heap in use at that moment and its change since the previous marker. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "tui.h"

typedef struct {
  mt__panel base;
  mt__pager pager;
  mt__list list;
} markers;

static const char markers_sql[] =
    "SELECT time_ns, seq, heap_bytes, heap_bytes - lag(heap_bytes, 1, 0) OVER (ORDER BY seq),"
    " label FROM markers WHERE process_id = ?1"
    " AND (?2 = '' OR instr(lower(label), lower(?2))) ORDER BY seq";

static void draw(mt__panel *p, mt__app *app, int y, int h, int w) {
  markers *m = (markers *)p;
  char buf[256];
  m->list.count = mt__ui_pager_count(&m->pager);
  snprintf(buf, sizeof buf, "%ld markers (memtrace_mark)", m->list.count);
  mt__ui_put(y, 1, w - 1, MT__C_TITLE, buf);
  snprintf(buf, sizeof buf, "%10s %10s %10s %10s  %s", "Time", "Event", "Heap", "Change", "Label");
  mt__ui_header(y + 1, w, buf);
  if (m->pager.error[0]) {
    mt__ui_put(y + 2, 1, w - 1, MT__C_ERROR, m->pager.error);
    return;
  }
  if (m->list.count == 0) {
    mt__ui_put(y + 2, 1, w - 1, MT__C_LABEL,
               app->filter[0] ? "no marker matches the filter"
                              : "no markers: the program called no memtrace_mark");
    return;
  }
  mt__ui_list_fit(&m->list, h - 2);
  for (int i = 0; i < h - 2; i++) {
    long ix = m->list.top + i;
    const mt__row *r = mt__ui_pager_row(&m->pager, ix);
    if (!r) break;
    int ry = y + 2 + i, sel = ix == m->list.sel ? mt__ui_attr(MT__C_SELECTED) : 0;
    if (sel) mt__ui_fill(ry, 0, w, sel);
    char t[32], seq[32], heap[32], delta[32];
    snprintf(buf, sizeof buf, "%10s %10s %10s ", mt__ui_fmt_time(t, sizeof t, (uint64_t)r->n[0]),
             mt__ui_fmt_count(seq, sizeof seq, (uint64_t)r->n[1]),
             mt__ui_fmt_bytes(heap, sizeof heap, (uint64_t)r->n[2]));
    int x = mt__ui_put_attr(ry, 0, w, sel ? sel : mt__ui_attr(MT__C_VALUE), buf);
    mt__ui_fmt_delta(delta, sizeof delta, MT__COST_BYTES, r->n[3]);
    snprintf(buf, sizeof buf, "%10s ", delta);
    int role = r->n[3] > 0 ? MT__C_GROWTH : r->n[3] < 0 ? MT__C_SHRINK : MT__C_LABEL;
    x += mt__ui_put_attr(ry, x, w - x, sel ? sel : mt__ui_attr(role), buf);
    x += mt__ui_put_attr(ry, x, w - x, sel, " ");
    mt__ui_put_attr(ry, x, w - x, sel, r->t[4] ? r->t[4] : "");
  }
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  (void)app;
  markers *m = (markers *)p;
  m->list.count = mt__ui_pager_count(&m->pager);
  return mt__ui_list_move(&m->list, action, page - 1);
}

static int search(mt__panel *p, mt__app *app, const char *text, int next) {
  (void)app;
  markers *m = (markers *)p;
  long n = mt__ui_pager_count(&m->pager);
  for (long k = 0; k < n; k++) {
    long ix = (m->list.sel + k + (next ? 1 : 0)) % n;
    const mt__row *r = mt__ui_pager_row(&m->pager, ix);
    if (r && mt__ui_contains(r->t[4], text)) {
      mt__ui_list_select(&m->list, ix);
      return 1;
    }
  }
  return 0;
}

static void reset(mt__panel *p, mt__app *app) {
  markers *m = (markers *)p;
  m->pager.process_id = app->process_id;
  mt__ui_pager_set_filter(&m->pager, app->filter);
  m->list = (mt__list){0};
}

static void destroy(mt__panel *p) {
  markers *m = (markers *)p;
  mt__ui_pager_free(&m->pager);
  free(m);
}

static const mt__panel_class markers_class = {
    .name = "Markers",
    .short_name = "Mark",
    .draw = draw,
    .handle = handle,
    .search = search,
    .reset = reset,
    .destroy = destroy,
};

mt__panel *mt__ui_markers_panel(mt__app *app) {
  markers *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->base.cls = &markers_class;
  mt__ui_pager_init(&m->pager, app->db, app->process_id, markers_sql);
  return &m->base;
}
