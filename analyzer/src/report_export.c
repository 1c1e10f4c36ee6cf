/* SPDX-License-Identifier: MIT */
/* export --massif (massif.out for ms_print and massif-visualizer: one snapshot per timeline
 * point and a detailed heap tree at the peak) or --callgrind (callgrind.out for KCachegrind:
 * allocations, bytes, temporaries, leaked and peak bytes as events, with call edges). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "db.h"
#include "report.h"

static int command_line(mt__report_ctx *c, char *buf, size_t len) {
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st, "SELECT coalesce(argv, program, '') FROM processes WHERE id = ?", c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  snprintf(buf, len, "%s", sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "");
  sqlite3_finalize(st);
  return 0;
}

/* ---- massif ---- */

static void massif_tree(FILE *out, const mt__tree *t, size_t node, int depth) {
  const mt__tnode *n = &t->nodes[node];
  fprintf(out, "%*sn%zu: %" PRIu64 " %s\n", depth, "", n->nchildren, n->value, n->label);
  for (size_t i = 0; i < n->nchildren; i++) massif_tree(out, t, n->children[i], depth + 1);
}

static int massif_peak_tree(mt__report_ctx *c, mt__tree *t) {
  if (mt__tree_init(t, "(heap allocation functions) malloc/new/new[], --alloc-fns, etc.")) return -1;
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT stack_id, peak_bytes FROM stack_stats WHERE process_id = ?1 AND peak_bytes > 0",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  int rc = 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    const mt__frame *frames[MT__MAX_FRAMES];
    int excluded;
    size_t n = mt__report_frames(c, (uint64_t)sqlite3_column_int64(st, 0), frames, MT__MAX_FRAMES, &excluded);
    if (!c->cs) {
      rc = -1;
      break;
    }
    char *labels[MT__MAX_FRAMES], buf[4096], lab[4200];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) { /* allocation site first, callers below */
      snprintf(lab, sizeof lab, "0x0: %s", mt__frame_label(frames[i], buf, sizeof buf));
      labels[k] = strdup(lab);
      if (labels[k]) k++;
    }
    rc = mt__tree_add(t, (const char *const *)labels, k, (uint64_t)sqlite3_column_int64(st, 1));
    for (size_t i = 0; i < k; i++) free(labels[i]);
  }
  sqlite3_finalize(st);
  mt__tree_sort(t);
  return rc;
}

static int massif(mt__report_ctx *c) {
  char cmd[4096];
  if (command_line(c, cmd, sizeof cmd)) return -1;
  int64_t peak_time = -1;
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st, "SELECT peak_heap_time_ns FROM totals WHERE process_id = ?", c->e)) return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  if (sqlite3_step(st) == SQLITE_ROW) peak_time = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  mt__tree tree;
  if (massif_peak_tree(c, &tree)) {
    mt__tree_free(&tree);
    return mt__fail(c->e, "out of memory");
  }
  FILE *out = c->out;
  fprintf(out, "desc: memtrace-report export --massif\ncmd: %s\ntime_unit: i\n", cmd);
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT time_ns, heap_bytes FROM timeline WHERE process_id = ? ORDER BY idx", c->e)) {
    mt__tree_free(&tree);
    return -1;
  }
  sqlite3_bind_int64(st, 1, c->in.process_id);
  int snap = 0, peak_done = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    int64_t t = sqlite3_column_int64(st, 0);
    if (!peak_done && peak_time >= 0 && t >= peak_time) {
      fprintf(out, "#-----------\nsnapshot=%d\n#-----------\ntime=%" PRId64 "\nmem_heap_B=%" PRIu64
                   "\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=peak\n",
              snap++, peak_time, tree.nodes[0].value);
      massif_tree(out, &tree, 0, 0);
      peak_done = 1;
    }
    fprintf(out, "#-----------\nsnapshot=%d\n#-----------\ntime=%" PRId64 "\nmem_heap_B=%" PRId64
                 "\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=empty\n",
            snap++, t, (int64_t)sqlite3_column_int64(st, 1));
  }
  sqlite3_finalize(st);
  mt__tree_free(&tree);
  return 0;
}

/* ---- callgrind ---- */

static void cg_position(FILE *out, const char *file_key, const char *fn_key, const mt__frame *f) {
  fprintf(out, "%s=%s\n%s=%s\n", file_key, f->file ? f->file : "???", fn_key, f->function);
}

static int callgrind(mt__report_ctx *c) {
  char cmd[4096];
  if (command_line(c, cmd, sizeof cmd)) return -1;
  FILE *out = c->out;
  fprintf(out, "# callgrind format\nversion: 1\ncreator: memtrace-report\ncmd: %s\npositions: line\n"
               "events: Allocations Bytes Temporary Leaked Peak\n\n", cmd);
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT stack_id, allocations, bytes_allocated, temporary_allocations, leaked_bytes,"
                     " peak_bytes FROM stack_stats WHERE process_id = ?1 ORDER BY stack_id",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const mt__frame *f[MT__MAX_FRAMES];
    int excluded;
    size_t n = mt__report_frames(c, (uint64_t)sqlite3_column_int64(st, 0), f, MT__MAX_FRAMES, &excluded);
    if (!c->cs) {
      sqlite3_finalize(st);
      return -1;
    }
    if (excluded || n == 0) continue;
    char costs[160];
    snprintf(costs, sizeof costs, "%lld %lld %lld %lld %lld", sqlite3_column_int64(st, 1),
             sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
             sqlite3_column_int64(st, 5));
    cg_position(out, "fl", "fn", f[0]);
    fprintf(out, "%d %s\n", f[0]->line, costs);
    for (size_t i = 1; i < n; i++) {
      cg_position(out, "fl", "fn", f[i]);
      cg_position(out, "cfl", "cfn", f[i - 1]);
      fprintf(out, "calls=%lld %d\n%d %s\n", sqlite3_column_int64(st, 1), f[i - 1]->line, f[i]->line, costs);
    }
    fputc('\n', out);
  }
  sqlite3_finalize(st);
  return 0;
}

static int run(mt__report_ctx *c) {
  if (c->opt->massif == c->opt->callgrind)
    return mt__fail(c->e, "export needs exactly one of --massif or --callgrind");
  return c->opt->massif ? massif(c) : callgrind(c);
}

const mt__report mt__report_export = {
    .name = "export",
    .usage = "--massif (ms_print, massif-visualizer) or --callgrind (KCachegrind) output",
    .inputs = 1,
    .run = run,
};
