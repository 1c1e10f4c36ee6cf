/* SPDX-License-Identifier: MIT */
/* Glob lists and suppression rules; the built-in suppressions are a table of rules. LSan
 * patterns match a frame's function, module or source file as a substring, with '*' wildcards
 * and '^'/'$' anchors, which maps onto fnmatch by adding '*' at unanchored ends. */
#include "filter.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char **items;
  size_t n, cap;
} strlist;

struct mt__filter {
  strlist ex_functions, ex_modules;
  strlist supp_globs, supp_text; /* fnmatch glob and the line as written */
  int builtin;
};

/* A one-time allocation of the system libraries: when every frame of the stack matches
 * all_modules (or the stack has any frame whose function matches any_function). */
typedef struct {
  const char *any_function;
  const char *all_modules;
  const char *reason;
} builtin_rule;

static const builtin_rule builtin_rules[] = {
    {"*_IO_file_doallocate", NULL, "built-in: libc stdio buffer (freed by libc at exit)"},
    {NULL, "*/ld-linux*.so*|*/libc.so*|*/libstdc++.so*|*/libgcc_s.so*|*/libm.so*",
     "built-in: start-up allocation of libc, ld.so or libstdc++"},
};

static int push(strlist *l, const char *s) {
  if (l->n == l->cap) {
    size_t n = l->cap ? 2 * l->cap : 8;
    char **ni = realloc(l->items, n * sizeof *ni);
    if (!ni) return -1;
    l->items = ni;
    l->cap = n;
  }
  char *d = strdup(s);
  if (!d) return -1;
  l->items[l->n++] = d;
  return 0;
}

static void clear(strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->items[i]);
  free(l->items);
}

int mt__filter_new(mt__filter **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return -1;
  (*out)->builtin = 1;
  return 0;
}

void mt__filter_free(mt__filter *f) {
  if (!f) return;
  clear(&f->ex_functions);
  clear(&f->ex_modules);
  clear(&f->supp_globs);
  clear(&f->supp_text);
  free(f);
}

int mt__filter_exclude_function(mt__filter *f, const char *glob) { return push(&f->ex_functions, glob); }
int mt__filter_exclude_module(mt__filter *f, const char *glob) { return push(&f->ex_modules, glob); }
void mt__filter_builtin(mt__filter *f, int on) { f->builtin = on; }

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = 0;
  return s;
}

/* An LSan pattern (substring, '*' wildcard, '^' '$' anchors) as a glob; text is the reason. */
static int add_suppression(mt__filter *f, const char *pat, const char *text) {
  size_t n = strlen(pat);
  char glob[4200];
  int anchored_start = pat[0] == '^', anchored_end = n > 1 && pat[n - 1] == '$';
  snprintf(glob, sizeof glob, "%s%.*s%s", anchored_start ? "" : "*",
           (int)(n - (size_t)anchored_start - (size_t)anchored_end), pat + anchored_start,
           anchored_end ? "" : "*");
  return push(&f->supp_globs, glob) || push(&f->supp_text, text) ? -1 : 0;
}

int mt__filter_load_suppressions(mt__filter *f, const char *path, mt__err *e) {
  FILE *in = fopen(path, "r");
  if (!in) return mt__fail(e, "cannot read suppressions %s: %m", path);
  char line[4096];
  int lineno = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, in)) {
    lineno++;
    char *s = trim(line);
    if (!*s || *s == '#') continue;
    char *colon = strchr(s, ':');
    if (!colon || colon == s || !colon[1]) {
      rc = mt__fail(e, "%s:%d: expected TYPE:PATTERN, e.g. leak:parse_*", path, lineno);
      break;
    }
    *colon = 0;
    if (strcmp(s, "leak") != 0) continue; /* other sanitizer kinds do not apply */
    *colon = ':';
    if (add_suppression(f, colon + 1, s)) rc = mt__fail(e, "out of memory");
  }
  fclose(in);
  return rc;
}

int mt__filter_suppress(mt__filter *f, const char *pattern) {
  char text[4200];
  snprintf(text, sizeof text, "leak:%s", pattern);
  return add_suppression(f, pattern, text);
}

/* fnmatch over '|'-separated alternatives. */
static int match_any(const char *alts, const char *s) {
  if (!s) return 0;
  char buf[512];
  for (const char *p = alts; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len < sizeof buf) {
      memcpy(buf, p, len);
      buf[len] = 0;
      if (fnmatch(buf, s, 0) == 0) return 1;
    }
    p += len + (bar ? 1 : 0);
  }
  return 0;
}

int mt__filter_excluded(const mt__filter *f, const mt__frame *const *frames, size_t n) {
  for (size_t i = 0; i < n; i++) {
    for (size_t g = 0; g < f->ex_functions.n; g++)
      if (fnmatch(f->ex_functions.items[g], frames[i]->function, 0) == 0) return 1;
    for (size_t g = 0; g < f->ex_modules.n; g++)
      if (frames[i]->module && (fnmatch(f->ex_modules.items[g], frames[i]->module, 0) == 0 ||
                                fnmatch(f->ex_modules.items[g], mt__basename(frames[i]->module), 0) == 0))
        return 1;
  }
  return 0;
}

static const char *builtin_reason(const mt__frame *const *frames, size_t n) {
  if (n == 0) return NULL;
  for (size_t r = 0; r < sizeof builtin_rules / sizeof *builtin_rules; r++) {
    const builtin_rule *b = &builtin_rules[r];
    int any = b->any_function == NULL, all = 1;
    for (size_t i = 0; i < n; i++) {
      if (b->any_function && match_any(b->any_function, frames[i]->function)) any = 1;
      if (b->all_modules && !match_any(b->all_modules, frames[i]->module)) all = 0;
    }
    if (any && all) return b->reason;
  }
  return NULL;
}

const char *mt__filter_suppressed(const mt__filter *f, const mt__frame *const *frames, size_t n) {
  for (size_t g = 0; g < f->supp_globs.n; g++)
    for (size_t i = 0; i < n; i++) {
      const char *glob = f->supp_globs.items[g];
      if (fnmatch(glob, frames[i]->function, 0) == 0 ||
          (frames[i]->module && fnmatch(glob, frames[i]->module, 0) == 0) ||
          (frames[i]->file && fnmatch(glob, frames[i]->file, 0) == 0))
        return f->supp_text.items[g];
    }
  return f->builtin ? builtin_reason(frames, n) : NULL;
}
