/* SPDX-License-Identifier: MIT */
/* Glob lists and suppression rules; the built-in suppressions are a table of rules. LSan
 * patterns match a frame's function, module or source file as a substring, with '*' wildcards
 * and '^'/'$' anchors, which maps onto fnmatch by adding '*' at unanchored ends. */
#include "filter.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "u64map.h"

typedef struct {
  char **items;
  size_t n, cap;
} strlist;

struct mt__filter {
  strlist ex_functions, ex_modules;
  strlist supp_globs, supp_text; /* fnmatch glob and the line as written */
  int builtin;
  mt__u64map *cache;      /* frame -> bits (see frame_bits); filled while reports run */
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
    {"setlocale|newlocale|bindtextdomain|textdomain|bind_textdomain_codeset|__dcigettext|"
     "__dcngettext|gettext|dgettext|dcgettext|ngettext|dngettext|dcngettext",
     NULL, "built-in: libc locale and message catalog data (freed by libc at exit)"},
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
  (*out)->cache = malloc(sizeof *(*out)->cache);
  if (!(*out)->cache) {
    free(*out);
    return -1;
  }
  mt__u64map_init((*out)->cache);
  (*out)->builtin = 1;
  return 0;
}

void mt__filter_free(mt__filter *f) {
  if (!f) return;
  clear(&f->ex_functions);
  clear(&f->ex_modules);
  clear(&f->supp_globs);
  clear(&f->supp_text);
  mt__u64map_free(f->cache);
  free(f->cache);
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

/* What a frame contributes to every filter, computed once per frame (frames are shared by
 * all stacks through the same address): bit 0 excluded, bits 1 + 2r and 2 + 2r the function
 * and module tests of built-in rule r, bits 16 and up the first user suppression that
 * matches it, plus one (0: none). */
#define BIT_EXCLUDED 1u
#define RULE_FN(r) (1ull << (1 + 2 * (r)))
#define RULE_MOD(r) (1ull << (2 + 2 * (r)))
#define SUPP_SHIFT 16

static uint64_t compute_bits(const mt__filter *f, const mt__frame *fr) {
  uint64_t bits = 0;
  for (size_t g = 0; g < f->ex_functions.n && !bits; g++)
    if (fnmatch(f->ex_functions.items[g], fr->function, 0) == 0) bits |= BIT_EXCLUDED;
  for (size_t g = 0; g < f->ex_modules.n && !bits; g++)
    if (fr->module && (fnmatch(f->ex_modules.items[g], fr->module, 0) == 0 ||
                       fnmatch(f->ex_modules.items[g], mt__basename(fr->module), 0) == 0))
      bits |= BIT_EXCLUDED;
  for (size_t r = 0; r < sizeof builtin_rules / sizeof *builtin_rules; r++) {
    const builtin_rule *b = &builtin_rules[r];
    if (b->any_function && match_any(b->any_function, fr->function)) bits |= RULE_FN(r);
    if (!b->all_modules || match_any(b->all_modules, fr->module)) bits |= RULE_MOD(r);
  }
  for (size_t g = 0; g < f->supp_globs.n; g++) {
    const char *glob = f->supp_globs.items[g];
    if (fnmatch(glob, fr->function, 0) == 0 || (fr->module && fnmatch(glob, fr->module, 0) == 0) ||
        (fr->file && fnmatch(glob, fr->file, 0) == 0)) {
      bits |= (uint64_t)(g + 1) << SUPP_SHIFT;
      break;
    }
  }
  return bits;
}

static uint64_t frame_bits(const mt__filter *f, const mt__frame *fr) {
  uint64_t key = (uint64_t)(uintptr_t)fr;
  uint64_t *v = mt__u64map_get(f->cache, key);
  if (v) return *v;
  uint64_t bits = compute_bits(f, fr);
  mt__u64map_put(f->cache, key, bits); /* out of memory: computed again next time */
  return bits;
}

int mt__filter_excluded(const mt__filter *f, const mt__frame *const *frames, size_t n) {
  if (!f->ex_functions.n && !f->ex_modules.n) return 0;
  for (size_t i = 0; i < n; i++)
    if (frame_bits(f, frames[i]) & BIT_EXCLUDED) return 1;
  return 0;
}

const char *mt__filter_suppressed(const mt__filter *f, const mt__frame *const *frames, size_t n) {
  uint64_t first = 0; /* smallest suppression index + 1 over the frames */
  uint64_t any = 0, all = ~0ull;
  for (size_t i = 0; i < n; i++) {
    uint64_t b = frame_bits(f, frames[i]);
    uint64_t supp = b >> SUPP_SHIFT;
    if (supp && (!first || supp < first)) first = supp;
    any |= b;
    all &= b;
  }
  if (first) return f->supp_text.items[first - 1];
  if (!f->builtin || n == 0) return NULL;
  for (size_t r = 0; r < sizeof builtin_rules / sizeof *builtin_rules; r++) {
    const builtin_rule *b = &builtin_rules[r];
    if ((!b->any_function || (any & RULE_FN(r))) && (all & RULE_MOD(r))) return b->reason;
  }
  return NULL;
}
