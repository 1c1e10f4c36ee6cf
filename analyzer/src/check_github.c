/* SPDX-License-Identifier: MIT */
/* check --github: GitHub Actions workflow commands, "::error file=F,line=L,title=T::MESSAGE",
 * one per offending allocation site of each failed budget, so the annotation sits on the
 * source line that allocated; items without a known site get one plain ::error. */
#include <stdio.h>
#include <string.h>

#include "check.h"

/* Workflow command escaping: % \r \n always, and , : in properties. */
static void esc(FILE *out, const char *s, int property) {
  for (; s && *s; s++) {
    if (*s == '%') fputs("%25", out);
    else if (*s == '\r') fputs("%0D", out);
    else if (*s == '\n') fputs("%0A", out);
    else if (property && *s == ':') fputs("%3A", out);
    else if (property && *s == ',') fputs("%2C", out);
    else fputc(*s, out);
  }
}

static const char *relative(const char *file, const char *root) {
  size_t n = root ? strlen(root) : 0;
  while (n > 1 && root[n - 1] == '/') n--;
  if (n && strncmp(file, root, n) == 0 && file[n] == '/') return file + n + 1;
  return file;
}

void mt__check_write_github(const mt__check_result *r, const char *root, FILE *out) {
  for (size_t i = 0; i < r->n; i++) {
    const mt__check_item *it = &r->items[i];
    if (!it->failed) continue;
    char desc[1200], title[600], v[64];
    mt__check_describe(it, desc, sizeof desc);
    snprintf(title, sizeof title, "memtrace %s (%s)", it->name, it->scope);
    size_t shown = 0;
    for (size_t k = 0; k < it->noff; k++) {
      const mt__check_offender *o = &it->off[k];
      if (!o->file) continue;
      fputs("::error file=", out);
      esc(out, relative(o->file, root), 1);
      fprintf(out, ",line=%d,title=", o->line > 0 ? o->line : 1);
      esc(out, title, 1);
      fputs("::", out);
      esc(out, desc, 0);
      fprintf(out, "; %s allocated here by ", mt__check_value(it, o->weight, v, sizeof v));
      esc(out, o->function, 0);
      fputc('\n', out);
      shown++;
    }
    if (shown) continue;
    fputs("::error title=", out);
    esc(out, title, 1);
    fputs("::", out);
    esc(out, desc, 0);
    fputc('\n', out);
  }
}
