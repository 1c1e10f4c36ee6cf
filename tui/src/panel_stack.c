/* SPDX-License-Identifier: MIT */
/* Stack screen: the full stack of the entry selected on another screen, innermost frame
 * first, each frame with its function, file:line and module (inlined frames marked), and the
 * figures of that stack. Reads one stack with a recursive query, never the whole table. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

typedef struct {
  char *function, *where;
  int inlined;
} frame_row;

typedef struct {
  mt__panel base;
  int64_t shown; /* stack id loaded, -1 before the first load */
  frame_row *frames;
  long nframes;
  char figures[256];
  mt__list list;
} stack_panel;

static void drop_frames(stack_panel *s) {
  for (long i = 0; i < s->nframes; i++) {
    free(s->frames[i].function);
    free(s->frames[i].where);
  }
  free(s->frames);
  s->frames = NULL;
  s->nframes = 0;
}

static const char *base_name(const char *p) {
  const char *b = strrchr(p, '/');
  return b ? b + 1 : p;
}

static void load_figures(stack_panel *s, mt__app *app) {
  sqlite3_stmt *st;
  s->figures[0] = 0;
  if (sqlite3_prepare_v2(app->db,
                         "SELECT allocations, bytes_allocated, leaked_bytes, leaked_blocks,"
                         " peak_bytes, temporary_allocations FROM stack_stats"
                         " WHERE process_id = ?1 AND stack_id = ?2",
                         -1, &st, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64(st, 1, app->process_id);
  sqlite3_bind_int64(st, 2, app->stack_id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    char a[32], b[32], l[32], lb[32], p[32], t[32];
    snprintf(s->figures, sizeof s->figures,
             "%s allocs, %s, leaked %s in %s blocks, %s at peak, %s temporary",
             mt__ui_fmt_count(a, sizeof a, (uint64_t)sqlite3_column_int64(st, 0)),
             mt__ui_fmt_bytes(b, sizeof b, (uint64_t)sqlite3_column_int64(st, 1)),
             mt__ui_fmt_bytes(l, sizeof l, (uint64_t)sqlite3_column_int64(st, 2)),
             mt__ui_fmt_count(lb, sizeof lb, (uint64_t)sqlite3_column_int64(st, 3)),
             mt__ui_fmt_bytes(p, sizeof p, (uint64_t)sqlite3_column_int64(st, 4)),
             mt__ui_fmt_count(t, sizeof t, (uint64_t)sqlite3_column_int64(st, 5)));
  }
  sqlite3_finalize(st);
}

static void load(stack_panel *s, mt__app *app) {
  drop_frames(s);
  s->shown = app->stack_id;
  s->list = (mt__list){0};
  load_figures(s, app);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(app->db, MT__SQL_STACK_FRAMES, -1, &st, NULL) != SQLITE_OK) {
    mt__ui_app_message(app, "cannot read the stack: %s", sqlite3_errmsg(app->db));
    return;
  }
  sqlite3_bind_int64(st, 1, app->process_id);
  sqlite3_bind_int64(st, 2, app->stack_id);
  long cap = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (s->nframes == cap) {
      cap = cap ? cap * 2 : 64;
      frame_row *nf = realloc(s->frames, (size_t)cap * sizeof *nf);
      if (!nf) break;
      s->frames = nf;
    }
    const char *fn = (const char *)sqlite3_column_text(st, 0);
    const char *file = (const char *)sqlite3_column_text(st, 1);
    const char *mod = (const char *)sqlite3_column_text(st, 4);
    char where[4200];
    if (file)
      snprintf(where, sizeof where, "%s:%d", file, sqlite3_column_int(st, 2));
    else
      snprintf(where, sizeof where, "%s", mod ? base_name(mod) : "");
    frame_row *f = &s->frames[s->nframes++];
    f->function = strdup(fn ? fn : "??");
    f->where = strdup(where);
    f->inlined = sqlite3_column_int(st, 3);
  }
  sqlite3_finalize(st);
  s->list.count = s->nframes;
}

static void draw(mt__panel *p, mt__app *app, int y, int h, int w) {
  stack_panel *s = (stack_panel *)p;
  if (app->stack_id == 0) {
    mt__ui_put(y, 1, w - 1, MT__C_TITLE, "Stack");
    mt__ui_put(y + 2, 1, w - 1, MT__C_LABEL,
               "Select an entry on another screen and press Enter (lists) or i (trees).");
    return;
  }
  if (s->shown != app->stack_id) load(s, app);
  mt__ui_put(y, 1, w - 1, MT__C_TITLE, app->stack_title);
  mt__ui_put(y + 1, 1, w - 1, MT__C_LABEL, s->figures);
  char head[64];
  snprintf(head, sizeof head, "  #  Function, then file:line (innermost first)");
  mt__ui_header(y + 2, w, head);
  int rows = h - 3;
  mt__ui_list_fit(&s->list, rows);
  for (int i = 0; i < rows && s->list.top + i < s->nframes; i++) {
    long ix = s->list.top + i;
    const frame_row *f = &s->frames[ix];
    int ry = y + 3 + i, sel = ix == s->list.sel ? mt__ui_attr(MT__C_SELECTED) : 0;
    if (sel) mt__ui_fill(ry, 0, w, sel);
    char num[32];
    snprintf(num, sizeof num, "%3ld  ", ix);
    int x = mt__ui_put_attr(ry, 0, w, sel ? sel : mt__ui_attr(MT__C_LABEL), num);
    x += mt__ui_put_attr(ry, x, w - x, sel, f->function);
    if (f->inlined)
      x += mt__ui_put_attr(ry, x, w - x, sel ? sel : mt__ui_attr(MT__C_LABEL), " (inlined)");
    if (f->where[0] && x + 4 < w) {
      x += mt__ui_put_attr(ry, x, w - x, sel, "  ");
      mt__ui_put_attr(ry, x, w - x, sel ? sel : mt__ui_attr(MT__C_LOCATION),
                      mt__ui_tail(f->where, w - x));
    }
  }
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  (void)app;
  stack_panel *s = (stack_panel *)p;
  int f = mt__ui_list_move(&s->list, action, page - 2);
  if (f) return f;
  if (action == MT__ACT_ENTER && s->nframes) {
    mt__ui_app_message(app, "%s  %s", s->frames[s->list.sel].function,
                       s->frames[s->list.sel].where);
    return MT__F_HANDLED | MT__F_REDRAW;
  }
  return MT__F_IGNORED;
}

static int search(mt__panel *p, mt__app *app, const char *text, int next) {
  (void)app;
  stack_panel *s = (stack_panel *)p;
  for (long k = 0; k < s->nframes; k++) {
    long ix = (s->list.sel + k + (next ? 1 : 0)) % s->nframes;
    if (mt__ui_contains(s->frames[ix].function, text) ||
        mt__ui_contains(s->frames[ix].where, text)) {
      mt__ui_list_select(&s->list, ix);
      return 1;
    }
  }
  return 0;
}

static void reset(mt__panel *p, mt__app *app) {
  (void)app;
  stack_panel *s = (stack_panel *)p;
  drop_frames(s);
  s->shown = -1;
}

static void destroy(mt__panel *p) {
  stack_panel *s = (stack_panel *)p;
  drop_frames(s);
  free(s);
}

static const mt__panel_class stack_class = {
    .name = "Stack",
    .short_name = "Stack",
    .draw = draw,
    .handle = handle,
    .search = search,
    .reset = reset,
    .destroy = destroy,
};

mt__panel *mt__ui_stack_panel(mt__app *app) {
  (void)app;
  stack_panel *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->base.cls = &stack_class;
  s->shown = -1;
  return &s->base;
}
