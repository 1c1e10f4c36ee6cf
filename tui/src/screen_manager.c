/* SPDX-License-Identifier: MIT */
/* The ScreenManager owns the main loop: it draws the tab bar, the current panel and the status
 * line, maps keys to actions through the key table, handles the global actions (screens, help,
 * search and filter prompts, quit, resize) and passes the rest to the focused panel. */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

#define MIN_COLS 40
#define MIN_LINES 8
#define ESC 27

typedef struct {
  mt__app *app;
  mt__panel **panels;
  int n, cur, stack_index;
  mt__panel *help;
  int help_open;
  char search[128];
} manager;

void mt__ui_app_message(mt__app *app, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(app->message, sizeof app->message, fmt, ap);
  va_end(ap);
}

/* Label of tab i, short or long, in buf. */
static const char *tab_label(manager *m, int i, int shortnames, char *buf, size_t len) {
  const mt__panel_class *c = m->panels[i]->cls;
  snprintf(buf, len, "%d %s", (i + 1) % 10, shortnames ? c->short_name : c->name);
  return buf;
}

static int short_tabs(manager *m, int w) {
  int total = 0;
  for (int i = 0; i < m->n; i++)
    total += 3 + (int)strlen(m->panels[i]->cls->name);
  return total > w;
}

static void draw_tabs(manager *m, int w) {
  mt__ui_fill(0, 0, w, mt__ui_attr(MT__C_TAB));
  int shortnames = short_tabs(m, w), x = 0;
  for (int i = 0; i < m->n && x < w; i++) {
    char label[48];
    int role = i == m->cur && !m->help_open ? MT__C_TAB_ACTIVE : MT__C_TAB;
    x += mt__ui_put(0, x, w - x, role, tab_label(m, i, shortnames, label, sizeof label));
    x += 1;
  }
}

/* The tab under column x of the tab bar, or -1. */
static int tab_at(manager *m, int x, int w) {
  int shortnames = short_tabs(m, w), from = 0;
  for (int i = 0; i < m->n; i++) {
    char label[48];
    int to = from + mt__ui_text_width(tab_label(m, i, shortnames, label, sizeof label));
    if (x >= from && x < to) return i;
    from = to + 1;
  }
  return -1;
}

static void draw_status(manager *m, int y, int w) {
  int attr = mt__ui_attr(MT__C_STATUS);
  mt__ui_fill(y, 0, w, attr);
  if (m->app->message[0]) {
    mt__ui_put(y, 1, w - 1, MT__C_STATUS, m->app->message);
    return;
  }
  const char *hints = m->help_open ? " q/Esc close help  Up/Down scroll"
                                   : " ?:help  Tab:screen  /:search  f:filter  q:quit";
  int x = mt__ui_put(y, 0, w, MT__C_STATUS, hints);
  if (m->app->filter[0] && !m->help_open) {
    /* a long filter shows its end, so that one is always said to be on */
    int room = w - x - 2 - (int)strlen("filter: .. ");
    if (room < 4) return;
    const char *tail = mt__ui_tail(m->app->filter, room);
    char f[640];
    snprintf(f, sizeof f, "filter: %s%s ", tail == m->app->filter ? "" : "..", tail);
    int fw = mt__ui_text_width(f);
    mt__ui_put(y, w - fw, fw, MT__C_STATUS, f);
  }
}

static void draw(manager *m) {
  int h = LINES, w = COLS;
  erase();
  if (w < MIN_COLS || h < MIN_LINES) {
    mt__ui_put(0, 0, w, MT__C_ERROR, "terminal too small");
    refresh();
    return;
  }
  draw_tabs(m, w);
  mt__panel *p = m->help_open ? m->help : m->panels[m->cur];
  p->cls->draw(p, m->app, 1, h - 2, w);
  draw_status(m, h - 1, w);
  refresh();
}

/* The prompt takes bytes: when it filled up in the middle of a UTF-8 character, that
 * character's first bytes go. */
static void drop_partial_char(char *buf) {
  size_t n = strlen(buf), start = n;
  while (start > 0 && ((unsigned char)buf[start - 1] & 0xc0) == 0x80) start--;
  if (start == 0) return;
  unsigned char lead = (unsigned char)buf[start - 1];
  size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (n - (start - 1) < want) buf[start - 1] = 0;
}

/* Read a line on the status row. @return 1 when accepted with Enter, 0 when cancelled. */
static int prompt(manager *m, const char *label, char *buf, size_t len) {
  size_t n = strlen(buf);
  curs_set(1);
  for (;;) {
    int y = LINES - 1, w = COLS;
    int attr = mt__ui_attr(MT__C_STATUS);
    mt__ui_fill(y, 0, w, attr);
    int x = mt__ui_put(y, 0, w, MT__C_STATUS, label);
    const char *shown = mt__ui_tail(buf, w - x - 1);
    x += mt__ui_put(y, x, w - x, MT__C_STATUS, shown);
    move(y, x < w ? x : w - 1);
    refresh();
    int ch = getch();
    if (ch == KEY_RESIZE) {
      draw(m);
      continue;
    }
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) break;
    if (ch == ESC || ch == 7 /* ^G */) {
      curs_set(0);
      return 0;
    }
    if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
      while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
        n--; /* UTF-8 continuation */
      if (n > 0) n--;
      buf[n] = 0;
    } else if (ch == 21 /* ^U */) {
      n = 0;
      buf[0] = 0;
    } else if (ch >= 0x20 && ch < 0x100 && ch != 127 && n + 1 < len) {
      buf[n++] = (char)ch;
      buf[n] = 0;
    }
  }
  drop_partial_char(buf);
  curs_set(0);
  return 1;
}

static void switch_to(manager *m, int index) {
  if (index < 0 || index >= m->n) return;
  m->cur = index;
  m->help_open = 0;
}

static void do_search(manager *m, int next) {
  mt__panel *p = m->panels[m->cur];
  if (!p->cls->search) {
    mt__ui_app_message(m->app, "nothing to search on this screen");
    return;
  }
  if (!next) {
    char text[128] = "";
    if (!prompt(m, "/", text, sizeof text) || !text[0]) return;
    snprintf(m->search, sizeof m->search, "%s", text);
  } else if (!m->search[0]) {
    mt__ui_app_message(m->app, "no search yet: press / first");
    return;
  }
  if (!p->cls->search(p, m->app, m->search, next))
    mt__ui_app_message(m->app, "no match for \"%s\"", m->search);
}

static void reset_all(manager *m) {
  for (int i = 0; i < m->n; i++)
    if (m->panels[i]->cls->reset) m->panels[i]->cls->reset(m->panels[i], m->app);
}

static void do_filter(manager *m) {
  char text[128];
  snprintf(text, sizeof text, "%s", m->app->filter);
  if (!prompt(m, "filter (function, file or module): ", text, sizeof text)) return;
  snprintf(m->app->filter, sizeof m->app->filter, "%s", text);
  reset_all(m);
}

/* Another process was chosen: its stacks replace the model and every screen starts over. */
static void process_changed(manager *m) {
  mt__ui_model_free(m->app->model);
  m->app->model = NULL;
  m->app->stack_id = 0;
  reset_all(m);
  switch_to(m, 0);
}

/* Global actions; @return 1 when handled, -1 to quit. */
static int global_action(manager *m, int action, int arg) {
  switch (action) {
    case MT__ACT_QUIT: return -1;
    case MT__ACT_HELP: m->help_open = 1; return 1;
    case MT__ACT_SCREEN:
      if (arg >= 1 && arg <= m->n) switch_to(m, arg - 1);
      return 1;
    case MT__ACT_NEXT_SCREEN: switch_to(m, (m->cur + 1) % m->n); return 1;
    case MT__ACT_PREV_SCREEN: switch_to(m, (m->cur + m->n - 1) % m->n); return 1;
    case MT__ACT_SEARCH: do_search(m, 0); return 1;
    case MT__ACT_NEXT_MATCH: do_search(m, 1); return 1;
    case MT__ACT_FILTER: do_filter(m); return 1;
    case MT__ACT_REDRAW: clearok(curscr, TRUE); return 1;
    default: return 0;
  }
}

/* Mouse: a click on a tab switches to it, the wheel scrolls the screen (or the help). */
static void mouse(manager *m) {
  MEVENT ev;
  if (getmouse(&ev) != OK) return;
  if ((ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) && ev.y == 0) {
    int t = tab_at(m, ev.x, COLS);
    if (t >= 0) switch_to(m, t);
    return;
  }
  int action = ev.bstate & BUTTON4_PRESSED   ? MT__ACT_UP
               : ev.bstate & BUTTON5_PRESSED ? MT__ACT_DOWN
                                             : 0;
  if (!action) return;
  mt__panel *p = m->help_open ? m->help : m->panels[m->cur];
  for (int i = 0; i < 3; i++)
    p->cls->handle(p, m->app, action, LINES - 3);
}

int mt__ui_screen_manager_run(mt__app *app, mt__panel **panels, int n, int first, int stack_index) {
  manager m = {.app = app, .panels = panels, .n = n, .stack_index = stack_index};
  m.help = mt__ui_help_panel(app);
  switch_to(&m, first);
  for (;;) {
    draw(&m);
    int ch = getch();
    if (ch == KEY_RESIZE || ch == ERR) continue;
    app->message[0] = 0;
    if (ch == KEY_MOUSE) {
      mouse(&m);
      continue;
    }
    int arg;
    int action = mt__ui_key_action(ch, &arg);
    int page = LINES - 3;
    if (m.help_open) {
      if (action == MT__ACT_QUIT || action == MT__ACT_HELP || ch == ESC)
        m.help_open = 0;
      else if (action == MT__ACT_SCREEN || action == MT__ACT_NEXT_SCREEN ||
               action == MT__ACT_PREV_SCREEN)
        global_action(&m, action, arg);
      else
        m.help->cls->handle(m.help, app, action, page);
      continue;
    }
    int g = global_action(&m, action, arg);
    if (g < 0) break;
    if (g > 0 || action == MT__ACT_NONE) continue;
    mt__panel *p = m.panels[m.cur];
    int flags = p->cls->handle(p, app, action, page);
    if (flags & MT__F_QUIT) break;
    if ((flags & MT__F_SHOW_STACK) && stack_index >= 0) switch_to(&m, stack_index);
    if (flags & MT__F_PROCESS) process_changed(&m);
  }
  for (int i = 0; i < n; i++)
    if (panels[i]->cls->destroy) panels[i]->cls->destroy(panels[i]);
  m.help->cls->destroy(m.help);
  return 0;
}
