/* SPDX-License-Identifier: MIT */
/* Call tree screens, top-down (from main outwards to the allocating functions) and bottom-up
 * (from the allocating functions to their callers): inclusive and self cost of each function
 * node under the chosen cost, expand/collapse, heaviest-path expansion and search. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define NONE UINT32_MAX
#define MAX_GUIDES 64
#define NAME_MIN 24
#define NUMBERS 28 /* columns of the inclusive, percent and self figures */

typedef struct {
  uint32_t node;
  int depth;
  uint64_t more; /* bit d: the ancestor at depth d has a following sibling */
} row;

typedef struct {
  mt__panel base;
  int bottom_up, cost, built;
  mt__tree tree;
  row *rows;
  size_t nrows, caprows;
  mt__list list;
} tree_panel;

static void add_rows(tree_panel *t, uint32_t parent, int depth, uint64_t more) {
  mt__ui_tree_sort_children(&t->tree, parent, t->cost);
  for (uint32_t c = t->tree.nodes[parent].first_child; c != NONE;
       c = t->tree.nodes[c].next_sibling) {
    if (t->nrows == t->caprows) {
      size_t n = t->caprows ? t->caprows * 2 : 256;
      row *nr = realloc(t->rows, n * sizeof *nr);
      if (!nr) return;
      t->rows = nr;
      t->caprows = n;
    }
    int last = t->tree.nodes[c].next_sibling == NONE;
    uint64_t m = more;
    if (depth < MAX_GUIDES && !last) m |= 1ull << depth;
    t->rows[t->nrows++] = (row){c, depth, m};
    if (t->tree.nodes[c].expanded) add_rows(t, c, depth + 1, m);
  }
}

/* Rebuild the visible rows, keeping the selection on the same node when it is still shown. */
static void refresh_rows(tree_panel *t) {
  uint32_t keep = t->list.sel < (long)t->nrows ? t->rows[t->list.sel].node : NONE;
  t->nrows = 0;
  add_rows(t, 0, 0, 0);
  t->list.count = (long)t->nrows;
  for (size_t i = 0; i < t->nrows && keep != NONE; i++)
    if (t->rows[i].node == keep) {
      t->list.sel = (long)i;
      break;
    }
  mt__ui_list_select(&t->list, t->list.sel);
}

static int build(tree_panel *t, mt__app *app) {
  if (t->built) return 0;
  mt__model *m = mt__ui_app_model(app);
  if (!m) return -1;
  mt__ui_tree_free(&t->tree);
  if (mt__ui_model_tree(m, t->bottom_up, app->filter, &t->tree)) {
    mt__ui_app_message(app, "out of memory building the call tree");
    return -1;
  }
  t->built = 1;
  t->nrows = 0;
  t->list = (mt__list){0};
  /* open single-child chains from the top (_start, __libc_start_main, main...) until the
   * tree branches, so the first screen already shows where the paths part */
  uint32_t node = 0;
  while (t->tree.nodes[node].nchildren == 1) {
    uint32_t child = t->tree.nodes[node].first_child;
    if (!t->tree.nodes[child].has_children || mt__ui_tree_expand(m, &t->tree, child)) break;
    t->tree.nodes[child].expanded = 1;
    node = child;
  }
  refresh_rows(t);
  return 0;
}

/* Levels of indentation hidden on the left so the selected node keeps NAME_MIN columns for
 * its name; the same for every row, so the guides stay aligned. */
static int hidden_levels(const tree_panel *t, int w) {
  if (!t->nrows) return 0;
  int room = (w - NUMBERS - NAME_MIN) / 2 - 2;
  int depth = t->rows[t->list.sel].depth;
  return depth > room ? depth - room : 0;
}

static void draw_row(tree_panel *t, mt__app *app, const row *r, int y, int w, int selected,
                     int hidden) {
  const mt__model *m = app->model;
  const mt__node *n = &t->tree.nodes[r->node];
  char incl[24], self[24], pct[16], line[160];
  uint64_t total = t->tree.total[t->cost];
  mt__ui_fmt_cost(incl, sizeof incl, t->cost, n->incl[t->cost]);
  mt__ui_fmt_cost(self, sizeof self, t->cost, n->self[t->cost]);
  snprintf(pct, sizeof pct, "%.1f%%",
           total ? 100.0 * (double)n->incl[t->cost] / (double)total : 0.0);
  snprintf(line, sizeof line, "%9s %6s %9s  ", incl, pct, self);
  int sel = selected ? mt__ui_attr(MT__C_SELECTED) : 0;
  if (selected) mt__ui_fill(y, 0, w, sel);
  int x = mt__ui_put_attr(y, 0, w, sel ? sel : mt__ui_attr(MT__C_VALUE), line);
  int guide = sel ? sel : mt__ui_attr(MT__C_TREE_GUIDE);
  if (hidden) x += mt__ui_put_attr(y, x, w - x, guide, app->utf8 ? "… " : "..");
  for (int d = 1 + hidden; d < r->depth && x < w; d++) {
    const char *g = d < MAX_GUIDES && (r->more >> d & 1) ? (app->utf8 ? "│ " : "| ") : "  ";
    x += mt__ui_put_attr(y, x, w - x, guide, g);
  }
  if (r->depth > hidden) {
    int last = n->next_sibling == NONE;
    const char *c = app->utf8 ? (last ? "└─" : "├─") : (last ? "`-" : "|-");
    x += mt__ui_put_attr(y, x, w - x, guide, c);
  }
  const char *mark = !n->has_children ? " "
                     : n->expanded    ? (app->utf8 ? "▾" : "-")
                                      : (app->utf8 ? "▸" : "+");
  x += mt__ui_put_attr(y, x, w - x, guide, mark);
  x += mt__ui_put_attr(y, x, w - x, sel, " ");
  x += mt__ui_put_attr(y, x, w - x, sel, mt__ui_model_func_name(m, n->func));
  mt__ui_put_location(y, x, w, sel, mt__ui_model_func_where(m, n->func));
}

static void draw(mt__panel *p, mt__app *app, int y, int h, int w) {
  tree_panel *t = (tree_panel *)p;
  char head[160];
  snprintf(head, sizeof head, "%9s %6s %9s  Function (%s)   cost: %s", "Inclusive", "%", "Self",
           t->bottom_up ? "bottom-up" : "top-down", mt__ui_cost_name(t->cost));
  mt__ui_header(y, w, head);
  if (build(t, app)) return;
  if (t->nrows == 0) {
    mt__ui_put(y + 1, 1, w - 1, MT__C_LABEL,
               app->filter[0] ? "no stack matches the filter" : "no allocations");
    return;
  }
  mt__ui_list_fit(&t->list, h - 1);
  int hidden = hidden_levels(t, w);
  for (int i = 0; i < h - 1 && t->list.top + i < (long)t->nrows; i++) {
    long ix = t->list.top + i;
    draw_row(t, app, &t->rows[ix], y + 1 + i, w, ix == t->list.sel, hidden);
  }
}

/* Build a node's children and show them. @return 0, or -1 (message set) when out of memory. */
static int open_node(tree_panel *t, mt__app *app, uint32_t node) {
  if (mt__ui_tree_expand(app->model, &t->tree, node)) {
    mt__ui_app_message(app, "out of memory expanding the call tree");
    return -1;
  }
  t->tree.nodes[node].expanded = 1;
  return 0;
}

/* Expand the node and, below it, always the heaviest child. */
static void expand_path(tree_panel *t, mt__app *app, uint32_t node) {
  for (int i = 0; i < 4096 && node != NONE && t->tree.nodes[node].has_children; i++) {
    if (open_node(t, app, node)) return;
    mt__ui_tree_sort_children(&t->tree, node, t->cost);
    node = t->tree.nodes[node].first_child;
  }
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  tree_panel *t = (tree_panel *)p;
  if (build(t, app)) return MT__F_IGNORED;
  int f = mt__ui_list_move(&t->list, action, page);
  if (f) return f;
  if (!t->nrows) return MT__F_IGNORED;
  uint32_t id = t->rows[t->list.sel].node;
  mt__node *n = &t->tree.nodes[id];
  switch (action) {
    case MT__ACT_ENTER:
      if (n->expanded)
        n->expanded = 0;
      else if (n->has_children)
        open_node(t, app, id);
      break;
    case MT__ACT_EXPAND:
      if (n->expanded)
        mt__ui_list_select(&t->list, t->list.sel + 1);
      else if (n->has_children)
        open_node(t, app, id);
      break;
    case MT__ACT_COLLAPSE:
      if (n->expanded) {
        n->expanded = 0;
      } else if (n->parent != 0) {
        for (long i = t->list.sel - 1; i >= 0; i--)
          if (t->rows[i].node == n->parent) {
            t->list.sel = i;
            break;
          }
      }
      break;
    case MT__ACT_EXPAND_PATH: expand_path(t, app, id); break;
    case MT__ACT_COST:
    case MT__ACT_SORT: t->cost = (t->cost + 1) % MT__COST_N; break;
    case MT__ACT_STACK: {
      uint32_t best = n->best[t->cost];
      if (best == NONE) {
        mt__ui_app_message(app, "no %s below this node", mt__ui_cost_name(t->cost));
        return MT__F_HANDLED;
      }
      app->stack_id = mt__ui_model_stack_id(app->model, best);
      snprintf(app->stack_title, sizeof app->stack_title, "heaviest stack (%s) through %s",
               mt__ui_cost_name(t->cost), mt__ui_model_func_name(app->model, n->func));
      return MT__F_HANDLED | MT__F_SHOW_STACK;
    }
    default: return MT__F_IGNORED;
  }
  refresh_rows(t);
  return MT__F_HANDLED | MT__F_REDRAW;
}

/* Next node in display order (children sorted by the cost, built as the walk reaches them),
 * wrapping to the first; NONE when out of memory. */
static uint32_t preorder_next(tree_panel *t, mt__app *app, uint32_t node) {
  if (t->tree.nodes[node].has_children) {
    if (mt__ui_tree_expand(app->model, &t->tree, node)) return NONE;
    mt__ui_tree_sort_children(&t->tree, node, t->cost);
    return t->tree.nodes[node].first_child;
  }
  while (node != 0) {
    if (t->tree.nodes[node].next_sibling != NONE) return t->tree.nodes[node].next_sibling;
    node = t->tree.nodes[node].parent;
  }
  mt__ui_tree_sort_children(&t->tree, 0, t->cost);
  return t->tree.nodes[0].first_child;
}

static int search(mt__panel *p, mt__app *app, const char *text, int next) {
  tree_panel *t = (tree_panel *)p;
  if (build(t, app) || t->nrows == 0) return 0;
  uint32_t start = t->rows[t->list.sel].node, node = start;
  if (next) node = preorder_next(t, app, node);
  /* the walk builds the tree as it goes, so bound it by the nodes built so far plus one pass */
  for (uint32_t i = 0; node != NONE && i <= t->tree.nnodes; i++) {
    if (mt__ui_contains(mt__ui_model_func_name(app->model, t->tree.nodes[node].func), text)) {
      for (uint32_t a = t->tree.nodes[node].parent; a != 0; a = t->tree.nodes[a].parent)
        t->tree.nodes[a].expanded = 1;
      refresh_rows(t);
      for (size_t r = 0; r < t->nrows; r++)
        if (t->rows[r].node == node) t->list.sel = (long)r;
      return 1;
    }
    node = preorder_next(t, app, node);
  }
  return 0;
}

static void reset(mt__panel *p, mt__app *app) {
  (void)app;
  ((tree_panel *)p)->built = 0;
}

static void destroy(mt__panel *p) {
  tree_panel *t = (tree_panel *)p;
  mt__ui_tree_free(&t->tree);
  free(t->rows);
  free(t);
}

static const mt__panel_class top_down_class = {
    .name = "Top-down",
    .short_name = "Down",
    .draw = draw,
    .handle = handle,
    .search = search,
    .reset = reset,
    .destroy = destroy,
};

static const mt__panel_class bottom_up_class = {
    .name = "Bottom-up",
    .short_name = "Up",
    .draw = draw,
    .handle = handle,
    .search = search,
    .reset = reset,
    .destroy = destroy,
};

mt__panel *mt__ui_tree_panel(mt__app *app, int bottom_up) {
  (void)app;
  tree_panel *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->base.cls = bottom_up ? &bottom_up_class : &top_down_class;
  t->bottom_up = bottom_up;
  t->cost = MT__COST_BYTES;
  return &t->base;
}
