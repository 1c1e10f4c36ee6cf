/* SPDX-License-Identifier: MIT */
/* Drawing helpers over ncursesw: clipped UTF-8 text in a colour role, row fills and column
 * headers, and the small string utilities (display width, tails of paths, matching). */
#include <curses.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "tui.h"

/* Decode one character of the locale's encoding; returns its byte length and display width
 * in *w. A byte that is not a character there (UTF-8 names under LANG=C) is one column. */
static int decode_char(const char *s, int *w, int *bad) {
  mbstate_t st;
  memset(&st, 0, sizeof st);
  wchar_t wc;
  size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
  *bad = n == (size_t)-1 || n == (size_t)-2 || n == 0;
  if (*bad) {
    *w = 1;
    return 1;
  }
  int cw = wcwidth(wc);
  *w = cw < 0 ? 1 : cw;
  return (int)n;
}

static int next_char(const char *s, int *w) {
  int bad;
  return decode_char(s, w, &bad);
}

int mt__ui_text_width(const char *s) {
  int total = 0;
  while (*s) {
    int w;
    s += next_char(s, &w);
    total += w;
  }
  return total;
}

const char *mt__ui_tail(const char *s, int cols) {
  int width = mt__ui_text_width(s);
  while (*s && width > cols) {
    int w;
    s += next_char(s, &w);
    width -= w;
  }
  return s;
}

int mt__ui_put_attr(int y, int x, int width, int attr, const char *text) {
  if (width <= 0 || !text) return 0;
  char out[2048];
  size_t len = 0;
  int used = 0;
  for (const char *p = text; *p && len + MB_LEN_MAX < sizeof out;) {
    int w, bad;
    int n = decode_char(p, &w, &bad);
    if (used + w > width) break;
    if ((unsigned char)*p < 0x20) break; /* control characters never reach the screen */
    if (bad || (unsigned char)*p == 0x7f) { /* ncurses would spell it over several columns */
      out[len++] = '?';
    } else {
      memcpy(out + len, p, (size_t)n);
      len += (size_t)n;
    }
    p += n;
    used += w;
  }
  attron(attr);
  mvaddnstr(y, x, out, (int)len);
  attroff(attr);
  return used;
}

int mt__ui_put(int y, int x, int width, int role, const char *text) {
  return mt__ui_put_attr(y, x, width, mt__ui_attr(role), text);
}

void mt__ui_fill(int y, int x, int w, int attr) {
  attron(attr);
  for (int i = x; i < w; i++)
    mvaddch(y, i, ' ');
  attroff(attr);
}

void mt__ui_header(int y, int w, const char *text) {
  mt__ui_fill(y, 0, w, mt__ui_attr(MT__C_HEADER));
  mt__ui_put(y, 0, w, MT__C_HEADER, text);
}

int mt__ui_put_location(int y, int x, int w, int sel, const char *where) {
  if (!where || !*where || x + 2 + mt__ui_text_width(where) > w) return 0;
  int used = mt__ui_put_attr(y, x, w - x, sel, "  ");
  return used +
         mt__ui_put_attr(y, x + used, w - x - used, sel ? sel : mt__ui_attr(MT__C_LOCATION), where);
}

int mt__ui_contains(const char *hay, const char *needle) {
  if (!needle || !*needle) return 1;
  if (!hay) return 0;
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0) return 1;
  return 0;
}
