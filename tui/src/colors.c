/* SPDX-License-Identifier: MIT */
/* Colours named by role: one table gives each role its colours and the attribute used when
 * there are no colours (monochrome terminals, NO_COLOR set). Screens only ever name roles. */
#include <curses.h>
#include <stdlib.h>

#include "tui.h"

typedef struct {
  short fg, bg;
  int mono;
} role_style;

static const role_style styles[MT__C_COUNT] = {
#define MT__ROLE_STYLE(name, f, b, m) [MT__C_##name] = {f, b, m},
    MT__ROLE_MAP(MT__ROLE_STYLE)
#undef MT__ROLE_STYLE
};

static int attrs[MT__C_COUNT];

void mt__ui_colors_init(int force_mono) {
  const char *nc = getenv("NO_COLOR");
  int mono = force_mono || (nc && *nc) || !has_colors();
  if (!mono && start_color() == ERR) mono = 1;
  if (!mono) use_default_colors();
  for (int r = 0; r < MT__C_COUNT; r++) {
    const role_style *s = &styles[r];
    if (mono || (s->fg < 0 && s->bg < 0)) {
      attrs[r] = mono ? s->mono : (int)(s->mono & (int)A_BOLD);
      continue;
    }
    init_pair((short)(r + 1), s->fg, s->bg);
    attrs[r] = (int)COLOR_PAIR(r + 1) | (s->mono & (int)A_BOLD);
  }
}

int mt__ui_attr(int role) {
  return role >= 0 && role < MT__C_COUNT ? attrs[role] : 0;
}
