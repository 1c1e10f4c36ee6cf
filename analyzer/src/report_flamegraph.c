/* SPDX-License-Identifier: MIT */
/* flamegraph: collapsed stacks ("outer;...;inner weight" lines, for FlameGraph, inferno and
 * speedscope) or, with --svg, a self-contained SVG with tooltips, weighted --by allocations,
 * bytes (default), leaked or peak. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "db.h"
#include "report.h"
#include "sites.h"

static const char *const weight_columns[MT__W_COUNT] = {
    [MT__W_ALLOCATIONS] = "allocations", [MT__W_BYTES] = "bytes_allocated",
    [MT__W_TEMPORARY] = "temporary_allocations", [MT__W_LEAKED] = "leaked_bytes",
    [MT__W_PEAK] = "peak_bytes",
};

/* Frame names in collapsed stacks must not contain ';' (the separator) or a newline. */
static void put_name(FILE *out, const char *s) {
  if (!strpbrk(s, ";\n")) {
    fputs(s, out);
    return;
  }
  for (; *s; s++) fputc(*s == ';' || *s == '\n' ? ':' : *s, out);
}

#define SVG_WIDTH 1200
#define SVG_ROW 16

static void svg_escape(FILE *out, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", out);
    else if (*s == '>') fputs("&gt;", out);
    else if (*s == '&') fputs("&amp;", out);
    else if (*s == '"') fputs("&quot;", out);
    else fputc(*s, out);
  }
}

static size_t depth_of(const mt__tree *t, size_t node) {
  size_t d = 0;
  for (size_t i = 0; i < t->nodes[node].nchildren; i++) {
    size_t cd = depth_of(t, t->nodes[node].children[i]);
    if (cd > d) d = cd;
  }
  return d + 1;
}

static void svg_node(FILE *out, const mt__tree *t, size_t node, double x, size_t depth,
                     size_t height, const char *unit) {
  const mt__tnode *n = &t->nodes[node];
  double total = (double)t->nodes[0].value, w = total ? (double)n->value * SVG_WIDTH / total : 0;
  if (w < 0.3) return;
  double y = (double)(height - depth - 1) * SVG_ROW;
  unsigned hash = 0;
  for (const char *p = n->label; *p; p++) hash = hash * 31 + (unsigned char)*p;
  fprintf(out, "<g><title>");
  svg_escape(out, n->label);
  fprintf(out, " (%" PRIu64 " %s, %.2f%%)</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\""
          " fill=\"rgb(%u,%u,%u)\" rx=\"2\"/>",
          n->value, unit, total ? 100.0 * (double)n->value / total : 0.0, x, y, w, SVG_ROW - 1,
          205 + hash % 50, 80 + (hash >> 8) % 120, 40 + (hash >> 16) % 50);
  size_t chars = (size_t)(w / 7);
  if (chars > 3) {
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + SVG_ROW - 4);
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s%s", (int)(chars - 2 < strlen(n->label) ? chars - 2 : strlen(n->label)),
             n->label, chars - 2 < strlen(n->label) ? ".." : "");
    svg_escape(out, buf);
    fputs("</text>", out);
  }
  fputs("</g>\n", out);
  for (size_t i = 0; i < n->nchildren; i++) {
    size_t c = n->children[i];
    svg_node(out, t, c, x, depth + 1, height, unit);
    x += (double)t->nodes[c].value * SVG_WIDTH / total;
  }
}

static void svg(FILE *out, mt__tree *t, const char *unit, const char *title) {
  mt__tree_sort(t);
  size_t height = depth_of(t, 0) + 1;
  fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
               "<svg version=\"1.1\" width=\"%d\" height=\"%zu\" xmlns=\"http://www.w3.org/2000/svg\">\n"
               "<style>text{font-family:monospace;font-size:11px;pointer-events:none}"
               "rect:hover{stroke:black;stroke-width:0.5}</style>\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"#f8f8f8\"/>\n"
               "<text x=\"4\" y=\"%d\">",
          SVG_WIDTH, (height + 1) * SVG_ROW, SVG_ROW - 4);
  svg_escape(out, title);
  fputs("</text>\n<g transform=\"translate(0,16)\">\n", out);
  svg_node(out, t, 0, 0, 0, height, unit);
  fputs("</g>\n</svg>\n", out);
}

static int run(mt__report_ctx *c) {
  int w = mt__weight_find(c->opt->by, MT__W_BYTES);
  if (w < 0) return mt__fail(c->e, "flamegraph --by: use allocations, bytes, temporary, leaked or peak, not '%s'", c->opt->by);
  mt__callstacks *cs = mt__report_all_stacks(c);
  if (!cs) return -1;
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT stack_id, %s FROM stack_stats WHERE process_id = ?1 AND %s > 0 ORDER BY stack_id",
           weight_columns[w], weight_columns[w]);
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st, sql, c->e)) return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  mt__tree tree;
  if (mt__tree_init(&tree, "all")) {
    sqlite3_finalize(st);
    return mt__fail(c->e, "out of memory");
  }
  int rc = 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    uint64_t v = (uint64_t)sqlite3_column_int64(st, 1);
    const mt__frame *frames[MT__MAX_FRAMES];
    int excluded;
    size_t n = mt__report_frames(c, (uint64_t)sqlite3_column_int64(st, 0), frames, MT__MAX_FRAMES, &excluded);
    if (excluded) continue;
    if (w == MT__W_LEAKED && mt__filter_suppressed(c->filter, frames, n)) continue;
    const char *names[MT__MAX_FRAMES];
    size_t k = 0;
    for (size_t i = n; i-- > 0;) names[k++] = frames[i]->function; /* outermost first */
    if (k == 0) names[k++] = "(unknown stack)";
    if (c->opt->svg) {
      rc = mt__tree_add(&tree, names, k, v);
    } else {
      for (size_t i = 0; i < k; i++) {
        if (i) fputc(';', c->out);
        put_name(c->out, names[i]);
      }
      fprintf(c->out, " %" PRIu64 "\n", v);
    }
  }
  sqlite3_finalize(st);
  if (rc == 0 && c->opt->svg) {
    char title[256];
    snprintf(title, sizeof title, "memtrace flamegraph: %s (%s)", c->in.label, mt__weights[w].title);
    svg(c->out, &tree, mt__weights[w].title, title);
  }
  mt__tree_free(&tree);
  return rc ? mt__fail(c->e, "out of memory") : 0;
}

const mt__report mt__report_flamegraph = {
    .name = "flamegraph",
    .usage = "collapsed stacks (or --svg) weighted --by allocations|bytes|temporary|leaked|peak",
    .inputs = 1,
    .run = run,
};
