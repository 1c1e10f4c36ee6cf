/* SPDX-License-Identifier: MIT */
/* check: CI budgets. Evaluates the budgets (command line and --budget file) and the baseline
 * growth limit, lists each with its figure and limit, and each violation's top offending
 * stacks; writes JUnit XML and GitHub annotations on request. A violation sets the exit
 * status 1 (main maps c->failed); input and usage problems stay 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"

static const mt__column budget_columns[] = {
    {"budget", "budget", MT__COL_TEXT},          {"scope", "scope", MT__COL_TEXT},
    {"figure", "figure", MT__COL_TEXT},          {"value", "value", MT__COL_INT},
    {"limit", "limit", MT__COL_INT},             {"baseline", "baseline", MT__COL_INT},
    {"growth_percent", "growth %", MT__COL_REAL}, {"limit_percent", "limit %", MT__COL_REAL},
    {"status", "status", MT__COL_TEXT},          {"line", "file line", MT__COL_INT},
};
#define NBUDGET (sizeof budget_columns / sizeof *budget_columns)

static const mt__column violation_columns[] = {
    {"budget", "budget", MT__COL_TEXT},   {"scope", "scope", MT__COL_TEXT},
    {"value", "value", MT__COL_INT},      {"baseline", "baseline", MT__COL_INT},
    {"function", "allocated at", MT__COL_TEXT}, {"location", "location", MT__COL_TEXT},
    {"stack", "stack", MT__COL_LIST},
};
#define NVIOLATION (sizeof violation_columns / sizeof *violation_columns)

static const mt__column result_columns[] = {
    {"status", "check", MT__COL_TEXT},
    {"budgets", "budgets", MT__COL_INT},
    {"failed", "failed", MT__COL_INT},
};

static int budget_rows(mt__report_ctx *c, const mt__check_result *r) {
  if (mt__doc_section(c->doc, "budgets", "Budgets", budget_columns, NBUDGET, 0)) return -1;
  for (size_t i = 0; i < r->n; i++) {
    const mt__check_item *it = &r->items[i];
    mt__cell cells[NBUDGET] = {
        {.s = it->name},
        {.s = it->scope},
        {.s = it->figure},
        {.i = it->value},
        {.i = it->limit, .null = it->growth},
        {.i = it->baseline, .null = !it->growth},
        {.r = it->growth_pct, .null = !it->growth || it->unbounded},
        {.r = it->limit_pct, .null = !it->growth},
        {.s = it->failed ? "FAIL" : "ok"},
        {.i = it->line, .null = !it->line},
    };
    if (mt__doc_row(c->doc, cells)) return -1;
  }
  return 0;
}

static int violation_rows(mt__report_ctx *c, const mt__check_result *r) {
  if (mt__doc_section(c->doc, "violations", "Violations: top offending stacks and call sites",
                      violation_columns, NVIOLATION, 0))
    return -1;
  char loc[4200];
  for (size_t i = 0; i < r->n; i++) {
    const mt__check_item *it = &r->items[i];
    for (size_t k = 0; it->failed && k < it->noff; k++) {
      const mt__check_offender *o = &it->off[k];
      if (o->file && o->line) snprintf(loc, sizeof loc, "%s:%d", o->file, o->line);
      else snprintf(loc, sizeof loc, "%s", o->file ? o->file : "-");
      mt__cell cells[NVIOLATION] = {
          {.s = it->name},
          {.s = it->scope},
          {.i = o->weight},
          {.i = o->before, .null = !it->growth},
          {.s = o->function},
          {.s = loc},
          {.list = (const char *const *)o->stack, .nlist = o->nstack},
      };
      if (mt__doc_row(c->doc, cells)) return -1;
    }
  }
  return 0;
}

static int fill(mt__report_ctx *c, const mt__check_result *r) {
  mt__cell res[3] = {{.s = r->failed ? "fail" : "pass"}, {.i = (int64_t)r->n}, {.i = (int64_t)r->failed}};
  if (mt__doc_section(c->doc, "result", "Check", result_columns, 3, 1) || mt__doc_row(c->doc, res) ||
      budget_rows(c, r) || violation_rows(c, r))
    return -1;
  char line[1400];
  for (size_t i = 0; i < r->n; i++) {
    if (!r->items[i].failed) continue;
    char desc[1200];
    snprintf(line, sizeof line, "\nFAIL %s", mt__check_describe(&r->items[i], desc, sizeof desc));
    if (mt__doc_note(c->doc, line)) return -1;
  }
  snprintf(line, sizeof line, "\nmemtrace check: %s, %zu of %zu budgets exceeded\n",
           r->failed ? "FAILED" : "passed", r->failed, r->n);
  return mt__doc_note(c->doc, line);
}

static int run(mt__report_ctx *c) {
  const mt__budgets *b = (const mt__budgets *)c->opt->budgets;
  if (mt__check_usage(b, c->opt->baseline != NULL, c->e)) return -1;
  mt__check_result r;
  int rc = mt__check_run(c, b, &r);
  if (rc == 0 && fill(c, &r)) rc = mt__fail(c->e, "out of memory");
  if (rc == 0 && c->opt->junit && mt__check_write_junit(&r, c->in.label, c->opt->junit))
    rc = mt__fail(c->e, "cannot write %s: %m", c->opt->junit);
  if (rc == 0 && c->opt->github) mt__check_write_github(&r, getenv("GITHUB_WORKSPACE"), c->out);
  if (rc == 0) c->failed = r.failed > 0;
  mt__check_result_free(&r);
  return rc;
}

const mt__report mt__report_check = {
    .name = "check",
    .usage = "CI budgets: exit 1 when a --max-* budget, --budget file or --max-growth is exceeded",
    .inputs = 1,
    .run = run,
};
