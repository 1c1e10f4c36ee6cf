/* SPDX-License-Identifier: MIT */
/* CI budgets as data: the metrics a budget can limit (one table shared by the command line,
 * the budget file and the outputs), budgets on totals or on a function or module glob, the
 * baseline growth limit, and the parsers for sizes, counts and percentages. */
#ifndef MT_ANALYZER_BUDGET_H
#define MT_ANALYZER_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum {
  MT__M_LEAKED, MT__M_LEAKED_BLOCKS, MT__M_PEAK_HEAP, MT__M_PEAK_RSS, MT__M_ALLOCATIONS,
  MT__M_TEMPORARY, MT__M_DEFINITE, MT__M_INDIRECT, MT__M_POSSIBLE, MT__M_REACHABLE, MT__M_COUNT
} mt__metric;

typedef struct {
  const char *option;     /* command-line option and budget-file key without "--" */
  const char *figure;     /* name of the figure (summary JSON key where there is one) */
  int bytes;              /* 1: the limit is a SIZE; 0: a count */
  int scoped;             /* may be limited per function or module */
  const char *leak_kind;  /* leak-kind metrics: the kind from the exit-time scan */
} mt__metric_info;

extern const mt__metric_info mt__metrics[MT__M_COUNT];

/* The metric whose option is name ("max-leaked"), or -1. */
int mt__metric_find(const char *name);

typedef enum { MT__SCOPE_TOTAL, MT__SCOPE_FUNCTION, MT__SCOPE_MODULE } mt__scope;

typedef struct {
  mt__metric metric;
  mt__scope scope;
  char *glob;             /* function or module glob; NULL for totals */
  uint64_t limit;
  int line;               /* line in the budget file, 0 from the command line */
} mt__budget;

typedef struct mt__budgets_s {
  mt__budget *items;
  size_t n, cap;
  double max_growth;      /* percent; < 0 when not set */
  int growth_line;        /* its line in the budget file, 0 from the command line */
  const char *file;       /* the budget file, NULL without one */
} mt__budgets;

void mt__budgets_init(mt__budgets *b);
void mt__budgets_free(mt__budgets *b);

/* Add a budget from its option name and textual limit (a SIZE or a count, per the metric).
 * Errors (unknown name, bad value, a scope the metric does not allow) fill e without a
 * location; the caller prefixes it. @return 0 or -1. */
int mt__budgets_add(mt__budgets *b, const char *option, const char *value, mt__scope scope,
                    const char *glob, int line, mt__err *e);

/* "scope text" for outputs: "total", "function parse_*", "module libfoo.so". */
const char *mt__budget_scope(const mt__budget *b, char *buf, size_t len);

/* A size: a decimal number (fraction allowed), optional spaces, and an optional suffix:
 * B; K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB powers of 1000.
 * Suffix letters are case-insensitive. The result is rounded to the nearest byte.
 * @return 0 or -1. */
int mt__parse_size(const char *s, uint64_t *out);

/* A count: a non-negative decimal integer. @return 0 or -1. */
int mt__parse_count(const char *s, uint64_t *out);

/* A percentage: a non-negative number with an optional '%'. @return 0 or -1. */
int mt__parse_percent(const char *s, double *out);

#endif
