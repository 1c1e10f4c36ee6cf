/* SPDX-License-Identifier: MIT */
/* leaks: blocks still allocated at the end, grouped by stack and leak kind (heap first, then
 * mmap and custom blocks), largest first, with full symbolized stacks; suppressed groups are
 * listed apart with their reason, never hidden. With an exit-time scan only the kinds of
 * --kind are reported (default definite,indirect); suppressed and excluded figures cover
 * every kind, like memcheck's "suppressed". The totals count heap blocks. */
#include <stdlib.h>

#include "leakset.h"
#include "report.h"

static const mt__column leak_columns[] = {
    {"bytes", "bytes", MT__COL_BYTES},
    {"blocks", "blocks", MT__COL_INT},
    {"class", "class", MT__COL_TEXT},
    {"kind", "kind", MT__COL_TEXT},
    {"stack_id", "stack", MT__COL_INT},
    {"function", "allocated at", MT__COL_TEXT},
    {"stack", "stack", MT__COL_LIST},
};

static const mt__column suppressed_columns[] = {
    {"bytes", "bytes", MT__COL_BYTES},
    {"blocks", "blocks", MT__COL_INT},
    {"class", "class", MT__COL_TEXT},
    {"kind", "kind", MT__COL_TEXT},
    {"stack_id", "stack", MT__COL_INT},
    {"function", "allocated at", MT__COL_TEXT},
    {"reason", "suppressed by", MT__COL_TEXT},
};

static const mt__column total_columns[] = {
    {"kinds", "leak kinds", MT__COL_TEXT},
    {"leaked_bytes", "leaked", MT__COL_BYTES},
    {"leaked_blocks", "leaked blocks", MT__COL_INT},
    {"suppressed_bytes", "suppressed", MT__COL_BYTES},
    {"suppressed_blocks", "suppressed blocks", MT__COL_INT},
    {"excluded_bytes", "excluded", MT__COL_BYTES},
    {"excluded_blocks", "excluded blocks", MT__COL_INT},
};

static int add_group(mt__report_ctx *c, const mt__leak_group *g, int suppressed) {
  char **labels;
  size_t site;
  size_t n = mt__report_stack_labels(c, g->stack_id, &labels, &site);
  mt__cell cells[7] = {
      {.i = (int64_t)g->bytes},
      {.i = (int64_t)g->blocks},
      {.s = g->cls},
      {.s = g->kind[0] ? g->kind : NULL, .null = !g->kind[0]},
      {.i = (int64_t)g->stack_id},
      {.s = site < n ? labels[site] : "?"},
  };
  if (suppressed) cells[6].s = g->suppressed;
  else {
    cells[6].list = (const char *const *)labels;
    cells[6].nlist = n;
  }
  int rc = mt__doc_row(c->doc, cells);
  mt__report_free_list(labels, n);
  return rc;
}

/* "definite,indirect": the kinds of the mask, in kind order. */
static void kind_list(unsigned kinds, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (int k = 0; k < MT_REACH_KIND_COUNT; k++)
    if (kinds & (1u << k))
      len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? "," : "",
                              mt_reach_kind_name(k));
}

static int run(mt__report_ctx *c) {
  mt__leakset ls;
  unsigned kinds = c->opt->leak_kinds ? c->opt->leak_kinds : MT__LEAK_KINDS_DEFAULT;
  if (mt__leakset_load(c, kinds, &ls)) return -1;
  char listed[64];
  kind_list(kinds, listed, sizeof listed);
  int rc = mt__doc_section(c->doc, "totals", "Leaked heap memory", total_columns,
                           sizeof total_columns / sizeof *total_columns, 1);
  mt__cell t[7] = {{.s = ls.have_kinds ? listed : NULL, .null = !ls.have_kinds},
                   {.i = (int64_t)ls.bytes},           {.i = (int64_t)ls.blocks},
                   {.i = (int64_t)ls.suppressed_bytes}, {.i = (int64_t)ls.suppressed_blocks},
                   {.i = (int64_t)ls.excluded_bytes},   {.i = (int64_t)ls.excluded_blocks}};
  rc = rc || mt__doc_row(c->doc, t);
  rc = rc || mt__doc_section(c->doc, "leaks", "Leaks by stack", leak_columns,
                             sizeof leak_columns / sizeof *leak_columns, 0);
  long shown = 0;
  for (size_t i = 0; !rc && i < ls.n; i++) {
    if (ls.groups[i].excluded || ls.groups[i].suppressed || ls.groups[i].unlisted) continue;
    if (c->opt->top && shown++ >= c->opt->top) break;
    rc = add_group(c, &ls.groups[i], 0);
  }
  rc = rc || mt__doc_section(c->doc, "suppressed", "Suppressed leaks", suppressed_columns,
                             sizeof suppressed_columns / sizeof *suppressed_columns, 0);
  shown = 0;
  for (size_t i = 0; !rc && i < ls.n; i++) {
    if (!ls.groups[i].suppressed) continue;
    if (c->opt->top && shown++ >= c->opt->top) break;
    rc = add_group(c, &ls.groups[i], 1);
  }
  mt__leakset_free(&ls);
  return rc ? mt__fail(c->e, "out of memory") : 0;
}

const mt__report mt__report_leaks = {
    .name = "leaks",
    .usage = "leaked allocations grouped by stack and kind, largest first, with symbolized"
             " stacks (--kind)",
    .inputs = 1,
    .run = run,
};
