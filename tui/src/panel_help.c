/* SPDX-License-Identifier: MIT */
/* Help screen: every key, generated from the key table (keys.c) so it can never miss one:
 * each action with all the keys bound to it. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

typedef struct {
  mt__panel base;
  char lines[MT__ACT_COUNT][160];
  int nlines;
  mt__list list;
} help;

#define PAIR_KEYS 10  /* two short entries share a line: keys and text within these widths */
#define PAIR_TEXT 26

typedef struct {
  char keys[64];
  const char *text;
} entry;

static int is_short(const entry *e) {
  return strlen(e->keys) <= PAIR_KEYS && strlen(e->text) <= PAIR_TEXT;
}

/* One entry per action with all its keys; neighbouring short entries (Up/Down, Home/End...)
 * share a line so the whole table fits an 80x24 terminal. */
static void build(help *h) {
  size_t n;
  const mt__binding *b = mt__ui_bindings(&n);
  entry entries[MT__ACT_COUNT];
  int ne = 0;
  for (int a = 1; a < MT__ACT_COUNT; a++) {
    entry *e = &entries[ne];
    size_t len = 0;
    e->keys[0] = 0;
    for (size_t i = 0; i < n; i++)
      if (b[i].action == a && b[i].label)
        len += (size_t)snprintf(e->keys + len, len < sizeof e->keys ? sizeof e->keys - len : 0,
                                "%s%s", len ? " " : "", b[i].label);
    e->text = mt__ui_action_help(a);
    if (e->keys[0]) ne++;
  }
  for (int i = 0; i < ne; i++) {
    char *line = h->lines[h->nlines++];
    if (i + 1 < ne && is_short(&entries[i]) && is_short(&entries[i + 1])) {
      snprintf(line, sizeof h->lines[0], "  %-*s %-*s  %-*s %s", PAIR_KEYS, entries[i].keys,
               PAIR_TEXT, entries[i].text, PAIR_KEYS, entries[i + 1].keys, entries[i + 1].text);
      i++;
    } else {
      snprintf(line, sizeof h->lines[0], "  %-*s %s", PAIR_KEYS, entries[i].keys, entries[i].text);
    }
  }
  h->list.count = h->nlines;
}

static void draw(mt__panel *p, mt__app *app, int y, int hgt, int w) {
  (void)app;
  help *h = (help *)p;
  mt__ui_header(y, w, " Keys (q, Esc or ? closes)");
  mt__ui_list_fit(&h->list, hgt - 1);
  for (int i = 0; i < hgt - 1 && h->list.top + i < h->nlines; i++)
    mt__ui_put(y + 1 + i, 0, w, MT__C_LABEL, h->lines[h->list.top + i]);
  if (h->list.top + hgt - 1 < h->nlines) {
    const char *more = "more below: Down, j or End";
    int mw = (int)strlen(more);
    mt__ui_put(y + hgt - 1, w - mw - 1, mw + 1, MT__C_KEY, more);
  }
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  (void)app;
  help *h = (help *)p;
  /* the help scrolls as a whole: move the window, not a selection */
  if (action == MT__ACT_DOWN)
    h->list.sel = h->list.top + page;
  else if (action == MT__ACT_UP)
    h->list.sel = h->list.top - 1;
  else
    return mt__ui_list_move(&h->list, action, page);
  mt__ui_list_select(&h->list, h->list.sel);
  return MT__F_HANDLED | MT__F_REDRAW;
}

static void destroy(mt__panel *p) {
  free(p);
}

static const mt__panel_class help_class = {
    .name = "Help",
    .short_name = "Help",
    .draw = draw,
    .handle = handle,
    .destroy = destroy,
};

mt__panel *mt__ui_help_panel(mt__app *app) {
  (void)app;
  help *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->base.cls = &help_class;
  build(h);
  return &h->base;
}
