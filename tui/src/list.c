/* SPDX-License-Identifier: MIT */
/* Selection and scrolling of a list of rows, shared by every screen that shows rows: movement
 * actions, clamping after the list changes, and keeping the selection visible. */
#include "tui.h"

void mt__ui_list_select(mt__list *l, long index) {
  l->sel = index;
  if (l->sel >= l->count) l->sel = l->count - 1;
  if (l->sel < 0) l->sel = 0;
}

int mt__ui_list_move(mt__list *l, int action, int page) {
  long step = page > 1 ? page - 1 : 1;
  switch (action) {
    case MT__ACT_UP: mt__ui_list_select(l, l->sel - 1); break;
    case MT__ACT_DOWN: mt__ui_list_select(l, l->sel + 1); break;
    case MT__ACT_PAGE_UP:
      mt__ui_list_select(l, l->sel - step);
      l->top -= step;
      break;
    case MT__ACT_PAGE_DOWN:
      mt__ui_list_select(l, l->sel + step);
      l->top += step;
      break;
    case MT__ACT_HOME: mt__ui_list_select(l, 0); break;
    case MT__ACT_END: mt__ui_list_select(l, l->count - 1); break;
    default: return MT__F_IGNORED;
  }
  return MT__F_HANDLED | MT__F_REDRAW;
}

void mt__ui_list_fit(mt__list *l, int h) {
  mt__ui_list_select(l, l->sel);
  if (h < 1) h = 1;
  if (l->top > l->count - h) l->top = l->count - h;
  if (l->top < 0) l->top = 0;
  if (l->sel < l->top) l->top = l->sel;
  if (l->sel >= l->top + h) l->top = l->sel - h + 1;
}
