/* SPDX-License-Identifier: MIT */
/* The key table: every binding of memtrace-tui in one place. The ScreenManager maps keys to
 * actions through it and the help screen is generated from it, so the two never disagree. */
#include <curses.h>

#include "tui.h"

#define CTRL(c) ((c)&0x1f)

static const mt__binding bindings[] = {
    {KEY_UP, "Up", MT__ACT_UP, 0},
    {'k', "k", MT__ACT_UP, 0},
    {KEY_DOWN, "Down", MT__ACT_DOWN, 0},
    {'j', "j", MT__ACT_DOWN, 0},
    {KEY_PPAGE, "PgUp", MT__ACT_PAGE_UP, 0},
    {CTRL('b'), "^B", MT__ACT_PAGE_UP, 0},
    {KEY_NPAGE, "PgDn", MT__ACT_PAGE_DOWN, 0},
    {CTRL('f'), "^F", MT__ACT_PAGE_DOWN, 0},
    {' ', "Space", MT__ACT_PAGE_DOWN, 0},
    {KEY_HOME, "Home", MT__ACT_HOME, 0},
    {'g', "g", MT__ACT_HOME, 0},
    {KEY_END, "End", MT__ACT_END, 0},
    {'G', "G", MT__ACT_END, 0},
    {'\n', "Enter", MT__ACT_ENTER, 0},
    {'\r', NULL, MT__ACT_ENTER, 0},
    {KEY_ENTER, NULL, MT__ACT_ENTER, 0},
    {KEY_RIGHT, "Right", MT__ACT_EXPAND, 0},
    {'l', "l", MT__ACT_EXPAND, 0},
    {'+', "+", MT__ACT_EXPAND, 0},
    {KEY_LEFT, "Left", MT__ACT_COLLAPSE, 0},
    {'h', "h", MT__ACT_COLLAPSE, 0},
    {'-', "-", MT__ACT_COLLAPSE, 0},
    {'e', "e", MT__ACT_EXPAND_PATH, 0},
    {'i', "i", MT__ACT_STACK, 0},
    {'c', "c", MT__ACT_COST, 0},
    {'s', "s", MT__ACT_SORT, 0},
    {'a', "a", MT__ACT_SELF, 0},
    {'/', "/", MT__ACT_SEARCH, 0},
    {'n', "n", MT__ACT_NEXT_MATCH, 0},
    {'f', "f", MT__ACT_FILTER, 0},
    {'\t', "Tab", MT__ACT_NEXT_SCREEN, 0},
    {KEY_BTAB, "S-Tab", MT__ACT_PREV_SCREEN, 0},
    {'1', "1", MT__ACT_SCREEN, 1},
    {'2', "2", MT__ACT_SCREEN, 2},
    {'3', "3", MT__ACT_SCREEN, 3},
    {'4', "4", MT__ACT_SCREEN, 4},
    {'5', "5", MT__ACT_SCREEN, 5},
    {'6', "6", MT__ACT_SCREEN, 6},
    {'7', "7", MT__ACT_SCREEN, 7},
    {'8', "8", MT__ACT_SCREEN, 8},
    {'9', "9", MT__ACT_SCREEN, 9},
    {'0', "0", MT__ACT_SCREEN, 10},
    {'?', "?", MT__ACT_HELP, 0},
    {KEY_F(1), "F1", MT__ACT_HELP, 0},
    {CTRL('l'), "^L", MT__ACT_REDRAW, 0},
    {'q', "q", MT__ACT_QUIT, 0},
    {KEY_F(10), "F10", MT__ACT_QUIT, 0},
};

static const char *const action_help[] = {[MT__ACT_NONE] = "",
#define MT__ACTION_HELP(name, help) [MT__ACT_##name] = help,
                                          MT__ACTION_MAP(MT__ACTION_HELP)
#undef MT__ACTION_HELP
};

int mt__ui_key_action(int key, int *arg) {
  for (size_t i = 0; i < sizeof bindings / sizeof *bindings; i++)
    if (bindings[i].key == key) {
      *arg = bindings[i].arg;
      return bindings[i].action;
    }
  *arg = 0;
  return MT__ACT_NONE;
}

const mt__binding *mt__ui_bindings(size_t *n) {
  *n = sizeof bindings / sizeof *bindings;
  return bindings;
}

const char *mt__ui_action_help(int action) {
  return action > 0 && action < MT__ACT_COUNT ? action_help[action] : "";
}
