/* SPDX-License-Identifier: MIT */
/* The metric table, the budget list and the value parsers behind every budget source
 * (command line, budget file, memtrace --check, the CMake helper). */
#include "budget.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const mt__metric_info mt__metrics[MT__M_COUNT] = {
    [MT__M_LEAKED] = {"max-leaked", "leaked_bytes", 1, 1, NULL},
    [MT__M_LEAKED_BLOCKS] = {"max-leaked-blocks", "leaked_blocks", 0, 1, NULL},
    [MT__M_PEAK_HEAP] = {"max-peak-heap", "peak_heap_bytes", 1, 1, NULL},
    [MT__M_PEAK_RSS] = {"max-peak-rss", "peak_rss_bytes", 1, 0, NULL},
    [MT__M_ALLOCATIONS] = {"max-allocations", "allocations", 0, 1, NULL},
    [MT__M_TEMPORARY] = {"max-temporary", "temporary_allocations", 0, 1, NULL},
    [MT__M_DEFINITE] = {"max-definitely-lost", "definitely_lost_bytes", 1, 1, "definite"},
    [MT__M_INDIRECT] = {"max-indirectly-lost", "indirectly_lost_bytes", 1, 1, "indirect"},
    [MT__M_POSSIBLE] = {"max-possibly-lost", "possibly_lost_bytes", 1, 1, "possible"},
    [MT__M_REACHABLE] = {"max-reachable", "reachable_bytes", 1, 1, "reachable"},
};

int mt__metric_find(const char *name) {
  for (int i = 0; i < MT__M_COUNT; i++)
    if (strcmp(mt__metrics[i].option, name) == 0) return i;
  return -1;
}

void mt__budgets_init(mt__budgets *b) {
  memset(b, 0, sizeof *b);
  b->max_growth = -1;
}

void mt__budgets_free(mt__budgets *b) {
  for (size_t i = 0; i < b->n; i++) free(b->items[i].glob);
  free(b->items);
  mt__budgets_init(b);
}

static const char *const scope_names[] = {"total", "function", "module"};

int mt__budgets_add(mt__budgets *b, const char *option, const char *value, mt__scope scope,
                    const char *glob, int line, mt__err *e) {
  int m = mt__metric_find(option);
  if (m < 0) return mt__fail(e, "unknown budget '%s'", option);
  if (scope != MT__SCOPE_TOTAL && !mt__metrics[m].scoped)
    return mt__fail(e, "%s applies to the whole process, not per %s", option, scope_names[scope]);
  uint64_t limit;
  if (mt__metrics[m].bytes ? mt__parse_size(value, &limit) : mt__parse_count(value, &limit))
    return mt__fail(e, "%s: '%s' is not a %s", option, value,
                    mt__metrics[m].bytes ? "size (e.g. 0, 512, 64KiB, 1.5MB)" : "count");
  if (b->n == b->cap) {
    size_t n = b->cap ? 2 * b->cap : 16;
    mt__budget *ni = realloc(b->items, n * sizeof *ni);
    if (!ni) return mt__fail(e, "out of memory");
    b->items = ni;
    b->cap = n;
  }
  mt__budget *x = &b->items[b->n];
  *x = (mt__budget){.metric = (mt__metric)m, .scope = scope, .limit = limit, .line = line};
  if (glob && !(x->glob = strdup(glob))) return mt__fail(e, "out of memory");
  b->n++;
  return 0;
}

const char *mt__budget_scope(const mt__budget *b, char *buf, size_t len) {
  if (b->scope == MT__SCOPE_TOTAL) snprintf(buf, len, "total");
  else snprintf(buf, len, "%s %s", scope_names[b->scope], b->glob);
  return buf;
}

static const struct {
  const char *suffix;
  uint64_t mult;
} size_suffixes[] = {
    {"", 1},
    {"b", 1},
    {"k", 1ULL << 10},        {"kib", 1ULL << 10},       {"kb", 1000ULL},
    {"m", 1ULL << 20},        {"mib", 1ULL << 20},       {"mb", 1000000ULL},
    {"g", 1ULL << 30},        {"gib", 1ULL << 30},       {"gb", 1000000000ULL},
    {"t", 1ULL << 40},        {"tib", 1ULL << 40},       {"tb", 1000000000000ULL},
};

/* A non-negative decimal number (fraction allowed), then optional spaces: *unit is what
 * follows them. */
static int parse_number(const char *s, long double *v, const char **unit) {
  if (!s || (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))) return -1;
  char *e;
  errno = 0;
  *v = strtold(s, &e);
  /* strtold also takes hex, exponents, inf and nan: accept only digits and one point */
  for (const char *p = s; p < e; p++)
    if (!isdigit((unsigned char)*p) && *p != '.') return -1;
  if (errno || !isfinite(*v)) return -1;
  while (*e == ' ') e++;
  *unit = e;
  return 0;
}

int mt__parse_size(const char *s, uint64_t *out) {
  long double v;
  const char *unit;
  if (parse_number(s, &v, &unit)) return -1;
  for (size_t i = 0; i < sizeof size_suffixes / sizeof *size_suffixes; i++) {
    if (strcasecmp(unit, size_suffixes[i].suffix) != 0) continue;
    long double bytes = roundl(v * (long double)size_suffixes[i].mult);
    if (bytes > 18446744073709551615.0L) return -1;
    *out = (uint64_t)bytes;
    return 0;
  }
  return -1;
}

int mt__parse_count(const char *s, uint64_t *out) {
  if (!s || !isdigit((unsigned char)*s)) return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int mt__parse_percent(const char *s, double *out) {
  long double v;
  const char *unit;
  if (parse_number(s, &v, &unit) || (*unit && strcmp(unit, "%") != 0)) return -1;
  *out = (double)v;
  return 0;
}
