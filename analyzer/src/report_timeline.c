/* SPDX-License-Identifier: MIT */
/* timeline: heap and RSS over time from the timeline table, resampled to --top points (0 keeps
 * all), the markers, and in text a terminal chart of the heap (#) and RSS (.). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "report.h"

typedef struct {
  int64_t time, seq, heap, heap_max, blocks, rss, mmap;
} point;

static const mt__column point_columns[] = {
    {"time_ns", "time (ns)", MT__COL_INT},   {"seq", "event", MT__COL_INT},
    {"heap_bytes", "heap", MT__COL_BYTES},   {"heap_max_bytes", "heap max", MT__COL_BYTES},
    {"heap_blocks", "blocks", MT__COL_INT},  {"rss_bytes", "RSS", MT__COL_BYTES},
    {"mmap_bytes", "mmap", MT__COL_BYTES},
};

static const mt__column marker_columns[] = {
    {"time_ns", "time (ns)", MT__COL_INT},
    {"seq", "event", MT__COL_INT},
    {"heap_bytes", "heap", MT__COL_BYTES},
    {"label", "marker", MT__COL_TEXT},
};

#define CHART_ROWS 12
#define CHART_COLS 64

static int chart(mt__report_ctx *c, const point *p, size_t n) {
  int64_t top = 1;
  for (size_t i = 0; i < n; i++) {
    if (p[i].heap_max > top) top = p[i].heap_max;
    if (p[i].rss > top) top = p[i].rss;
  }
  size_t cols = n < CHART_COLS ? n : CHART_COLS;
  int64_t heap[CHART_COLS] = {0}, rss[CHART_COLS] = {0};
  for (size_t i = 0; i < n; i++) {
    size_t col = i * cols / n;
    if (p[i].heap_max > heap[col]) heap[col] = p[i].heap_max;
    if (p[i].rss > rss[col]) rss[col] = p[i].rss;
  }
  char line[CHART_COLS + 64], label[32];
  if (mt__doc_note(c->doc, "\nHeap (#) and RSS (.) over time\n")) return -1;
  for (int r = CHART_ROWS; r >= 1; r--) {
    int64_t level = top * r / CHART_ROWS;
    mt__fmt_bytes((uint64_t)level, label, sizeof label);
    int k = snprintf(line, sizeof line, "%11s |", r == CHART_ROWS || r == CHART_ROWS / 2 ? label : "");
    for (size_t col = 0; col < cols; col++) {
      int64_t threshold = top * (2 * r - 1) / (2 * CHART_ROWS);
      line[k++] = heap[col] >= threshold ? '#' : rss[col] >= threshold ? '.' : ' ';
    }
    while (k > 0 && line[k - 1] == ' ') k--;
    line[k++] = '\n';
    line[k] = 0;
    if (mt__doc_note(c->doc, line)) return -1;
  }
  snprintf(line, sizeof line, "%11s +", "0 B");
  size_t k = strlen(line);
  for (size_t col = 0; col < cols; col++) line[k++] = '-';
  line[k++] = '\n';
  line[k] = 0;
  if (mt__doc_note(c->doc, line)) return -1;
  snprintf(line, sizeof line, "%13s0 ns%*s%lld ns\n", "", (int)(cols > 12 ? cols - 12 : 1), "",
           (long long)(n ? p[n - 1].time : 0));
  return mt__doc_note(c->doc, line);
}

static int run(mt__report_ctx *c) {
  sqlite3_stmt *st;
  if (mt__db_prepare(c->in.db, &st,
                     "SELECT time_ns, seq, heap_bytes, heap_max_bytes, heap_blocks, rss_bytes,"
                     " mmap_bytes FROM timeline WHERE process_id = ?1 ORDER BY idx",
                     c->e))
    return -1;
  sqlite3_bind_int64(st, 1, c->in.process_id);
  point *p = NULL;
  size_t n = 0, cap = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? 2 * cap : 512;
      point *np = realloc(p, cap * sizeof *np);
      if (!np) break;
      p = np;
    }
    int64_t *f = &p[n].time;
    for (int i = 0; i < 7; i++) f[i] = sqlite3_column_int64(st, i);
    n++;
  }
  sqlite3_finalize(st);
  /* resample: each output point covers a run of input points, keeping the run's maximum */
  size_t out = c->opt->top && (size_t)c->opt->top < n ? (size_t)c->opt->top : n;
  int rc = mt__doc_section(c->doc, "timeline", "Heap over time", point_columns, 7, 0);
  for (size_t o = 0; rc == 0 && o < out; o++) {
    size_t from = o * n / out, to = (o + 1) * n / out;
    point q = p[to - 1];
    for (size_t i = from; i < to; i++)
      if (p[i].heap_max > q.heap_max) q.heap_max = p[i].heap_max;
    mt__cell cells[7];
    int64_t *f = &q.time;
    for (int i = 0; i < 7; i++) cells[i] = (mt__cell){.i = f[i]};
    rc = mt__doc_row(c->doc, cells);
  }
  if (rc == 0 && c->opt->format == MT__FMT_TEXT && n) rc = chart(c, p, n);
  free(p);
  if (rc) return mt__fail(c->e, "out of memory");
  return mt__report_query(c, c->in.db, c->in.process_id, "markers", "Markers", marker_columns, 4, 0,
                          "SELECT time_ns, seq, heap_bytes, label FROM markers WHERE process_id = ?1"
                          " ORDER BY seq");
}

const mt__report mt__report_timeline = {
    .name = "timeline",
    .usage = "heap and RSS over time (--top N points), markers, and a terminal chart",
    .inputs = 1,
    .run = run,
};
