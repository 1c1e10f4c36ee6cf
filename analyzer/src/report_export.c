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
#include "u64map.h"

/* The program's command line for a one-line header field: an argument may hold newlines (a
 * script given with -c), which would end the field and break the file for its readers. */
static int command_line(mt__report_ctx *c, char *buf, size_t len) {
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st, "SELECT coalesce(argv, program, '') FROM processes WHERE id = ?", c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  snprintf(buf, len, "%s", sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "");
  sqlite3_finalize(st);
  for (char *p = buf; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
  return 0;
}

/* ---- massif ---- */

/* Callers below this many levels are left out, as massif's own --depth default does: ms_print
 * reads the tree recursively and floods stderr with warnings past 100 levels, and a node's
 * bytes already hold its callers'. */
#define MASSIF_DEPTH 30

static void massif_tree(FILE *out, const mt__tree *t, size_t node, int depth) {
  const mt__tnode *n = &t->nodes[node];
  size_t shown = depth < MASSIF_DEPTH ? n->nchildren : 0;
  fprintf(out, "%*sn%zu: %" PRIu64 " %s\n", depth, "", shown, n->value, n->label);
  for (size_t i = 0; i < shown; i++) massif_tree(out, t, n->children[i], depth + 1);
}

/* @return 0, or -1 with c->e filled. */
static int massif_peak_tree(mt__report_ctx *c, mt__tree *t) {
  if (mt__tree_init(t, "(heap allocation functions) malloc/new/new[], --alloc-fns, etc."))
    return mt__fail(c->e, "out of memory");
  if (!mt__report_all_stacks(c)) return -1;
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
    if (rc) mt__fail(c->e, "out of memory");
  }
  sqlite3_finalize(st);
  mt__tree_sort(t);
  return rc;
}

static void massif_snapshot(FILE *out, int snap, int64_t time, int64_t heap, const char *tree) {
  fprintf(out, "#-----------\nsnapshot=%d\n#-----------\ntime=%" PRId64 "\nmem_heap_B=%" PRId64
               "\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=%s\n",
          snap, time, heap, tree);
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
    return -1;
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
      massif_snapshot(out, snap++, peak_time, (int64_t)tree.nodes[0].value, "peak");
      massif_tree(out, &tree, 0, 0);
      peak_done = 1;
    }
    massif_snapshot(out, snap++, t, sqlite3_column_int64(st, 1), "empty");
  }
  sqlite3_finalize(st);
  if (snap == 0) /* nothing happened (in the range): ms_print needs one snapshot, as massif writes */
    massif_snapshot(out, snap++, 0, 0, "empty");
  mt__tree_free(&tree);
  return 0;
}

/* ---- callgrind ---- */

/* Name compression of the callgrind format: a name is written once as "(id) name", then
 * as "(id)"; ids are kept per string pointer (frames share their strings). */
typedef struct {
  mt__u64map ids;
  uint64_t next;
} cg_names;

static void cg_name(FILE *out, cg_names *n, const char *key, const char *name) {
  uint64_t *id = mt__u64map_get(&n->ids, (uint64_t)(uintptr_t)name);
  if (id) {
    fprintf(out, "%s=(%" PRIu64 ")\n", key, *id);
    return;
  }
  uint64_t fresh = ++n->next;
  if (mt__u64map_put(&n->ids, (uint64_t)(uintptr_t)name, fresh)) {
    fprintf(out, "%s=%s\n", key, name); /* out of memory: uncompressed is still valid */
    return;
  }
  fprintf(out, "%s=(%" PRIu64 ") %s\n", key, fresh, name);
}

static void cg_position(FILE *out, cg_names *files, cg_names *fns, const char *file_key,
                        const char *fn_key, const mt__frame *f) {
  cg_name(out, files, file_key, f->file ? f->file : "???");
  cg_name(out, fns, fn_key, f->function);
}

/* Costs of one position: self costs of a frame, or inclusive costs of a call edge. */
typedef struct {
  const mt__frame *caller, *callee; /* callee NULL for self costs */
  uint64_t calls, cost[5];
} cg_cost;

typedef struct {
  mt__u64map index;       /* hash of (caller, callee) -> index in costs */
  cg_cost *costs;
  size_t n, cap;
} cg_table;

static cg_cost *cg_get(cg_table *t, const mt__frame *caller, const mt__frame *callee) {
  uint64_t h = (uint64_t)(uintptr_t)caller * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)callee;
  for (;; h++) {
    uint64_t *ix = mt__u64map_get(&t->index, h);
    if (!ix) break;
    if (t->costs[*ix].caller == caller && t->costs[*ix].callee == callee) return &t->costs[*ix];
  }
  if (t->n == t->cap) {
    size_t n = t->cap ? 2 * t->cap : 1024;
    cg_cost *nc = realloc(t->costs, n * sizeof *nc);
    if (!nc) return NULL;
    t->costs = nc;
    t->cap = n;
  }
  if (mt__u64map_put(&t->index, h, t->n)) return NULL;
  cg_cost *x = &t->costs[t->n++];
  memset(x, 0, sizeof *x);
  x->caller = caller;
  x->callee = callee;
  return x;
}

/* Self costs per frame and inclusive costs per call edge, summed over all stacks (an edge is
 * counted once per stack, so recursion does not inflate it), then written once each. */
static int callgrind(mt__report_ctx *c) {
  char cmd[4096];
  if (command_line(c, cmd, sizeof cmd) || !mt__report_all_stacks(c)) return -1;
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT stack_id, allocations, bytes_allocated, temporary_allocations, leaked_bytes,"
                     " peak_bytes FROM stack_stats WHERE process_id = ?1 ORDER BY stack_id",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  cg_table t = {.n = 0};
  mt__u64map_init(&t.index);
  int rc = 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    const mt__frame *f[MT__MAX_FRAMES];
    int excluded;
    size_t n = mt__report_frames(c, (uint64_t)sqlite3_column_int64(st, 0), f, MT__MAX_FRAMES, &excluded);
    if (!c->cs) {
      rc = -1;
      break;
    }
    if (excluded || n == 0) continue;
    uint64_t cost[5];
    for (int k = 0; k < 5; k++) cost[k] = (uint64_t)sqlite3_column_int64(st, k + 1);
    if (cost[3] && mt__filter_suppressed(c->filter, f, n)) cost[3] = 0; /* Leaked, as summary */
    size_t seen[MT__MAX_FRAMES]; /* indexes: cg_get may move the costs */
    size_t nseen = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
      cg_cost *x = cg_get(&t, f[i], i ? f[i - 1] : NULL);
      if (!x) {
        rc = mt__fail(c->e, "out of memory");
        break;
      }
      size_t ix = (size_t)(x - t.costs);
      int dup = 0;
      for (size_t k = 0; k < nseen && !dup; k++) dup = seen[k] == ix;
      if (dup) continue;
      seen[nseen++] = ix;
      x->calls += cost[0];
      for (int k = 0; k < 5; k++) x->cost[k] += cost[k];
    }
  }
  sqlite3_finalize(st);
  FILE *out = c->out;
  if (rc == 0) {
    fprintf(out, "# callgrind format\nversion: 1\ncreator: memtrace-report\ncmd: %s\npositions: line\n"
                 "events: Allocations Bytes Temporary Leaked Peak\n\n", cmd);
    cg_names files = {.next = 0}, fns = {.next = 0};
    mt__u64map_init(&files.ids);
    mt__u64map_init(&fns.ids);
    for (size_t i = 0; i < t.n; i++) {
      const cg_cost *x = &t.costs[i];
      cg_position(out, &files, &fns, "fl", "fn", x->caller);
      if (x->callee) {
        cg_position(out, &files, &fns, "cfi", "cfn", x->callee);
        fprintf(out, "calls=%" PRIu64 " %d\n", x->calls, x->callee->line);
      }
      fprintf(out, "%d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", x->caller->line,
              x->cost[0], x->cost[1], x->cost[2], x->cost[3], x->cost[4]);
    }
    mt__u64map_free(&files.ids);
    mt__u64map_free(&fns.ids);
  }
  mt__u64map_free(&t.index);
  free(t.costs);
  return rc;
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
