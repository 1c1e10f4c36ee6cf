/* SPDX-License-Identifier: MIT */
/* hotspots --by count|bytes|temporary|peak|leaked: call sites ranked by one weight, with the
 * figure of the site itself (self: it called the allocator) and of everything it called
 * (inclusive). */
#include <stdlib.h>

#include "report.h"
#include "sites.h"

static int weight;

static int by_weight(const void *a, const void *b) {
  const mt__site_row *x = *(const mt__site_row *const *)a, *y = *(const mt__site_row *const *)b;
  uint64_t xi = x->incl[weight], yi = y->incl[weight];
  if (xi != yi) return xi < yi ? 1 : -1;
  if (x->self[weight] != y->self[weight]) return x->self[weight] < y->self[weight] ? 1 : -1;
  return 0;
}

static int run(mt__report_ctx *c) {
  weight = mt__weight_find(c->opt->by, MT__W_ALLOCATIONS);
  if (weight < 0)
    return mt__fail(c->e, "hotspots --by: use count, bytes, temporary, peak or leaked, not '%s'", c->opt->by);
  mt__callstacks *cs = mt__report_all_stacks(c);
  if (!cs) return -1;
  mt__siteset ss;
  if (mt__siteset_build(c, c->in.db, c->in.process_id, cs, &ss)) {
    mt__siteset_free(&ss);
    return -1;
  }
  mt__site_row **order = malloc((ss.n ? ss.n : 1) * sizeof *order);
  if (!order) {
    mt__siteset_free(&ss);
    return mt__fail(c->e, "out of memory");
  }
  for (size_t i = 0; i < ss.n; i++) order[i] = &ss.rows[i];
  qsort(order, ss.n, sizeof *order, by_weight);
  mt__coltype t = mt__weights[weight].type;
  const mt__column cols[] = {
      {"inclusive", "inclusive", t},
      {"self", "self", t},
      {"function", "function", MT__COL_TEXT},
      {"location", "location", MT__COL_TEXT},
  };
  char title[128];
  snprintf(title, sizeof title, "Call sites by %s", mt__weights[weight].title);
  int rc = mt__doc_section(c->doc, "hotspots", title, cols, 4, 0);
  char loc[4096];
  for (size_t i = 0; rc == 0 && i < ss.n; i++) {
    if (c->opt->top && (long)i >= c->opt->top) break;
    if (order[i]->incl[weight] == 0) break;
    mt__cell cells[4] = {{.i = (int64_t)order[i]->incl[weight]},
                         {.i = (int64_t)order[i]->self[weight]},
                         {.s = order[i]->function},
                         {.s = mt__site_location(order[i], loc, sizeof loc)}};
    rc = mt__doc_row(c->doc, cells);
  }
  free(order);
  mt__siteset_free(&ss);
  return rc ? mt__fail(c->e, "out of memory") : 0;
}

const mt__report mt__report_hotspots = {
    .name = "hotspots",
    .usage = "call sites ranked --by count|bytes|temporary|peak|leaked, inclusive and self",
    .inputs = 1,
    .run = run,
};
