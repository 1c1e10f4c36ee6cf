/* SPDX-License-Identifier: MIT */
/* The big tables (stack_stats, leaks, timeline) are written in multi-row batches, the others
 * one statement per row through mt__db_run; leaked totals are summed while the live blocks
 * are written, and timeline buckets carry values across empty buckets. */
#include "results.h"

#include <stdio.h>
#include <stdlib.h>

#include "batch.h"
#include "db.h"

enum { B_SITE, B_LEAK, B_TIMELINE, B_COUNT };

static const struct {
  const char *table;
  int ncols;
} batch_tables[B_COUNT] = {
    [B_SITE] = {"stack_stats", 9},
    [B_LEAK] = {"leaks", 9},
    [B_TIMELINE] = {"timeline", 9},
};

enum { W_MARKER, W_TOTALS, W_COUNT };

static const char *const write_sql[W_COUNT] = {
    [W_MARKER] = "INSERT INTO %s.markers VALUES(?,?,?,?,?)",
    [W_TOTALS] = "INSERT INTO %s.totals VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                " ?,?,?,?,?,?,?,?,?)",
};

typedef struct {
  sqlite3 *db;
  sqlite3_stmt *st[W_COUNT];
  mt__batch batch[B_COUNT];
  uint64_t pid;
  const mt__results *r;
  mt__err *e;
} writer;

static int write_sites(writer *w) {
  const mt__accum *a = w->r->acc;
  for (size_t i = 0; i < a->nsites; i++) {
    const mt__site *s = &a->sites[i];
    uint64_t pb, pn;
    mt__accum_site_peak(a, s, &pb, &pn);
    if (mt__batch_row(&w->batch[B_SITE], "iiiiiiiii", w->pid, s->stack, s->allocations,
                      s->bytes, s->temporary, s->leaked_blocks, s->leaked_bytes, pn, pb))
      return -1;
  }
  return mt__batch_flush(&w->batch[B_SITE]);
}

static int by_stack_then_address(const void *x, const void *y) {
  const mt__block *a = *(const mt__block *const *)x, *b = *(const mt__block *const *)y;
  if (a->stack != b->stack) return a->stack < b->stack ? -1 : 1;
  return (a->addr > b->addr) - (a->addr < b->addr);
}

/* In stack order, so that each row lands at the end of the leaks_by_stack index instead of at
 * a random place: that halves the cost of writing leaks. */
static int write_leaks(writer *w, uint64_t *leaked_bytes, uint64_t *leaked_blocks) {
  static const char *const classes[] = {"heap", "mmap", "custom"};
  const mt__accum *a = w->r->acc;
  size_t pos = 0, n = 0, cap = a->live.count + a->stale.count; /* what next_block visits */
  const mt__block *b, **order = malloc((cap ? cap : 1) * sizeof *order);
  *leaked_bytes = *leaked_blocks = 0;
  if (!order) return mt__fail(w->e, "out of memory");
  while (n < cap && mt__accum_next_block(a, &pos, &b)) order[n++] = b;
  qsort(order, n, sizeof *order, by_stack_then_address);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    b = order[i];
    if (b->cls == MT_CLASS_HEAP) {
      *leaked_bytes += b->size;
      (*leaked_blocks)++;
    }
    const char *kind = mt_alloc_kind_name(b->kind);
    uint64_t *reach = w->r->reach ? mt__u64map_get(w->r->reach, b->addr) : NULL;
    const char *leak_kind = reach ? mt_reach_kind_name((int)*reach) : NULL;
    /* the names are static strings: they outlive the batch */
    rc = mt__batch_row(&w->batch[B_LEAK], leak_kind ? "iiittiiit" : "iiittiiin", w->pid, b->addr,
                       b->size, kind ? kind : "?", classes[b->cls < 3 ? b->cls : 2], b->stack,
                       b->seq, b->time, leak_kind);
  }
  free(order);
  return rc ? -1 : mt__batch_flush(&w->batch[B_LEAK]);
}

static int write_timeline(writer *w) {
  const mt__accum *a = w->r->acc;
  int last = -1;
  for (int i = 0; i < MT__TIMELINE_POINTS; i++)
    if (a->timeline[i].used) last = i;
  uint64_t heap = 0, blocks = 0, rss = 0, mmap = 0, seq = 0;
  for (int i = 0; i <= last; i++) {
    const mt__bucket *b = &a->timeline[i];
    uint64_t max = heap;
    if (b->used) {
      heap = b->heap_end;
      blocks = b->blocks_end;
      mmap = b->mmap_end;
      seq = b->seq;
      max = b->heap_max;
      if (b->rss) rss = b->rss;
    }
    uint64_t t = (uint64_t)(i + 1) * a->bucket_ns;
    if (t > a->t.last_time) t = a->t.last_time;
    if (mt__batch_row(&w->batch[B_TIMELINE], "iiiiiiiii", w->pid, (uint64_t)i, t, seq, heap,
                      max, blocks, rss, mmap))
      return -1;
  }
  return mt__batch_flush(&w->batch[B_TIMELINE]);
}

static int write_markers(writer *w) {
  const mt__accum *a = w->r->acc;
  if (!w->r->labels) return 0;
  for (size_t i = 0; i < a->nmarks; i++) {
    const mt__mark *m = &a->marks[i];
    if (mt__db_run(w->db, w->st[W_MARKER], w->e, "iiiti", w->pid, m->seq, m->time,
                   w->r->labels[m->label], m->heap_bytes))
      return -1;
  }
  return 0;
}

static int write_totals(writer *w) {
  uint64_t lb, ln;
  if (write_leaks(w, &lb, &ln)) return -1;
  const mt__totals *t = &w->r->acc->t;
  const mt_rec_end none = {0}, *e = w->r->end ? w->r->end : &none;
  uint64_t peak_rss = e->peak_rss_bytes > t->peak_rss ? e->peak_rss_bytes : t->peak_rss;
  uint64_t mmap = w->r->end ? e->mmap_live_bytes : t->mmap_live;
  const mt_rec_scan noscan = {0}, *sc = w->r->scan ? w->r->scan : &noscan;
  char types[40];
  snprintf(types, sizeof types, "iiiiiiiiiiiiiiiiiii%s%s", w->r->end ? "iiiiii" : "nnnnnn",
           w->r->scan ? "iiiiiiiii" : "nnnnnnnnn");
  return mt__db_run(w->db, w->st[W_TOTALS], w->e, types, w->pid, t->allocations, t->frees,
                    t->bytes_allocated, t->temporary, t->peak_heap, t->peak_seq, t->peak_time, lb,
                    ln, peak_rss, t->mmap_allocations, mmap, t->custom_allocations, t->custom_live,
                    t->unmatched_frees, e->shim_bytes, t->last_seq, t->last_time, e->allocations,
                    e->frees, e->bytes_allocated, e->peak_heap_bytes, e->live_bytes,
                    e->live_blocks, sc->kind_bytes[MT_REACH_DEFINITE],
                    sc->kind_blocks[MT_REACH_DEFINITE], sc->kind_bytes[MT_REACH_INDIRECT],
                    sc->kind_blocks[MT_REACH_INDIRECT], sc->kind_bytes[MT_REACH_POSSIBLE],
                    sc->kind_blocks[MT_REACH_POSSIBLE], sc->kind_bytes[MT_REACH_REACHABLE],
                    sc->kind_blocks[MT_REACH_REACHABLE], sc->duration_ns);
}

int mt__results_write(sqlite3 *db, const char *schema, int64_t process_id, const mt__results *r,
                      mt__err *e) {
  writer w = {.db = db, .pid = (uint64_t)process_id, .r = r, .e = e};
  int rc = 0;
  for (int i = 0; i < W_COUNT && rc == 0; i++) {
    if (i == W_MARKER && !r->labels) continue;
    char sql[256];
    snprintf(sql, sizeof sql, write_sql[i], schema);
    rc = mt__db_prepare(db, &w.st[i], sql, e);
  }
  for (int i = 0; i < B_COUNT && rc == 0; i++) {
    char head[64];
    snprintf(head, sizeof head, "INSERT INTO %s.%s", schema, batch_tables[i].table);
    rc = mt__batch_init(&w.batch[i], db, head, batch_tables[i].ncols, e);
  }
  if (rc == 0) rc = write_sites(&w) || write_totals(&w) || write_timeline(&w) || write_markers(&w);
  for (int i = 0; i < W_COUNT; i++) sqlite3_finalize(w.st[i]);
  for (int i = 0; i < B_COUNT; i++) mt__batch_free(&w.batch[i]);
  return rc ? -1 : 0;
}
