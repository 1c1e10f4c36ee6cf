/* SPDX-License-Identifier: MIT */
/* Budget evaluation for `check`: each budget (and the baseline growth limit) becomes one
 * item with its figure, its limit, pass or fail, and for failures the top offending stacks
 * or call sites, symbolized. The check report and the JUnit and GitHub writers read items. */
#ifndef MT_ANALYZER_CHECK_H
#define MT_ANALYZER_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "budget.h"
#include "report.h"

/* Offending stacks (or call sites, for growth) listed per failed item. */
#define MT__CHECK_TOP 5

typedef struct {
  char *function, *file;  /* allocation site; file NULL when unknown */
  int line;
  int64_t weight;         /* the stack's or site's share of the figure */
  int64_t before;         /* growth: the site's figure in the baseline */
  char **stack;           /* frames innermost first (budgets; NULL for growth sites) */
  size_t nstack;
} mt__check_offender;

typedef struct {
  const char *name;       /* "max-leaked", ..., or "max-growth" */
  const char *figure;     /* figure name: "leaked_bytes", ... */
  char scope[512];        /* "total", "function parse_*", "module libfoo.so" */
  int bytes;              /* figure and limit are byte counts */
  int line;               /* budget file line, 0 for the command line */
  int64_t value, limit;   /* growth: value is the current figure, limit unused */
  int growth;             /* a baseline growth item */
  int64_t baseline;
  double growth_pct, limit_pct; /* growth_pct is negative for a figure that shrank */
  int unbounded;                /* the baseline figure was 0 and the current one is not */
  int failed;
  mt__check_offender *off;
  size_t noff;
} mt__check_item;

typedef struct {
  mt__check_item *items;
  size_t n, failed;
} mt__check_result;

/* Usage errors of a check, known from its options alone: no budget, a baseline without
 * max-growth or the other way round. @return 0 or -1 with e filled. */
int mt__check_usage(const mt__budgets *b, int have_baseline, mt__err *e);

/* Evaluate budgets b on c->in (and growth against c->other when b->max_growth >= 0); the
 * options passed mt__check_usage.
 * Leak-kind budgets need the recorder's exit-time scan; without one it is an error.
 * @return 0 (whether or not budgets hold) or -1 with c->e filled. */
int mt__check_run(mt__report_ctx *c, const mt__budgets *b, mt__check_result *out);
void mt__check_result_free(mt__check_result *r);

/* "1.50 MiB (1572864)" for byte figures, the number otherwise. */
const char *mt__check_value(const mt__check_item *it, int64_t v, char *buf, size_t len);
/* One-line description of an item: "max-leaked (total): 15 B > 0 B". */
const char *mt__check_describe(const mt__check_item *it, char *buf, size_t len);

/* JUnit XML: one testsuite, one testcase per item, a <failure> with figure, limit and
 * offenders for failed ones. @return 0 or -1 (errno). */
int mt__check_write_junit(const mt__check_result *r, const char *input, const char *path);
/* GitHub Actions workflow commands: one ::error per offender of each failed item, at its
 * file:line when known; files under root (the workspace, may be NULL) are made relative to
 * it, as GitHub expects. */
void mt__check_write_github(const mt__check_result *r, const char *root, FILE *out);

#endif
