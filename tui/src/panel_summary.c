/* SPDX-License-Identifier: MIT */
/* Summary screen: the figures of `memtrace-report summary` (program, exit, allocations, frees,
 * bytes, peak heap and RSS, leaks, temporaries, mmap) and a chart of heap and RSS over time
 * drawn from the timeline table, with block glyphs in UTF-8 and '#' in ASCII. */
#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

typedef struct {
  uint64_t time, heap, rss;
} point;

typedef struct {
  mt__panel base;
  int loaded;
  char program[512], process[256], error[256];
  char note[512];  /* partial trace, other processes: shown under the process line */
  char kinds[256]; /* leak kinds from the exit-time scan, "" without one */
  char suppressed[256]; /* what the built-in suppressions left out of the leaks, or "" */
  uint64_t fig[12];
  int have_totals;
  point *points;
  int npoints;
  uint64_t duration;
} summary;

/* Figures: label, column of the query below, bytes or count, screen column (0 left, 1 right). */
typedef struct {
  const char *label;
  int col, bytes, side;
} figure;

enum { F_ALLOCS, F_FREES, F_BYTES, F_TEMP, F_MMAP, F_PEAK, F_RSS, F_LEAKED, F_BLOCKS, F_CUSTOM };

static const figure figures[] = {
    {"Allocations", F_ALLOCS, 0, 0},    {"Peak heap", F_PEAK, 1, 1},
    {"Frees", F_FREES, 0, 0},           {"Peak RSS", F_RSS, 1, 1},
    {"Bytes allocated", F_BYTES, 1, 0}, {"Leaked bytes", F_LEAKED, 1, 1},
    {"Temporary allocs", F_TEMP, 0, 0}, {"Leaked blocks", F_BLOCKS, 0, 1},
    {"mmap outstanding", F_MMAP, 1, 0}, {"Custom allocs", F_CUSTOM, 0, 1},
};

static const char totals_sql[] =
    "SELECT allocations, frees, bytes_allocated, temporary_allocations, mmap_bytes,"
    " peak_heap_bytes, peak_rss_bytes, leaked_bytes, leaked_blocks, custom_allocations"
    " FROM totals WHERE process_id = ?1";

static void load_process(summary *s, mt__app *app) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(app->db,
                         "SELECT pid, coalesce(nullif(argv, ''), program, '?'), end_how,"
                         " exit_status, duration_ns, hostname, (SELECT last_time_ns FROM totals"
                         " WHERE process_id = ?1) FROM processes WHERE id = ?1",
                         -1, &st, NULL) != SQLITE_OK) {
    snprintf(s->error, sizeof s->error, "cannot read the process: %s", sqlite3_errmsg(app->db));
    return;
  }
  sqlite3_bind_int64(st, 1, app->process_id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    const char *how = (const char *)sqlite3_column_text(st, 2);
    int status = sqlite3_column_int(st, 3);
    char end[96], dur[32];
    /* without END the run lasted at least until its last event */
    int ended = sqlite3_column_type(st, 4) != SQLITE_NULL;
    s->duration = (uint64_t)sqlite3_column_int64(st, ended ? 4 : 6);
    if (!how)
      snprintf(end, sizeof end, "killed or still running"); /* the line below says why */
    else if (!strcmp(how, "exit"))
      snprintf(end, sizeof end, "exited with status %d", status);
    else if (!strcmp(how, "signal"))
      snprintf(end, sizeof end, "killed by signal %d", status);
    else if (!strcmp(how, "exec"))
      snprintf(end, sizeof end, "replaced by exec");
    else
      snprintf(end, sizeof end, "recording %s", how);
    snprintf(s->program, sizeof s->program, "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(s->process, sizeof s->process, "pid %lld, %s, ran %s%s",
             (long long)sqlite3_column_int64(st, 0), end, ended ? "" : "at least ",
             mt__ui_fmt_time(dur, sizeof dur, s->duration));
  }
  sqlite3_finalize(st);
}

/* How the trace was read, and how many processes share the database. */
static void load_notes(summary *s, mt__app *app) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(app->db,
                         "SELECT t.complete, t.error, (SELECT count(*) FROM processes),"
                         " (SELECT count(*) FROM processes q WHERE q.id <= p.id)"
                         " FROM processes p JOIN traces t ON t.id = p.trace_id WHERE p.id = ?1",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, app->process_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
      int complete = sqlite3_column_int(st, 0);
      const char *err = (const char *)sqlite3_column_text(st, 1);
      long n = (long)sqlite3_column_int64(st, 2), ix = (long)sqlite3_column_int64(st, 3);
      size_t len = 0;
      if (complete != 1)
        len += (size_t)snprintf(s->note, sizeof s->note, "%s trace: %s. ",
                                complete < 0 ? "damaged" : "partial", err ? err : "no end record");
      if (n > 1 && len < sizeof s->note)
        snprintf(s->note + len, sizeof s->note - len,
                 "Process %ld of %ld in this database (-p PID shows another).", ix, n);
    }
    sqlite3_finalize(st);
  }
}

/* Leaked bytes and blocks and their kinds as `memtrace-report summary` counts them: without
 * the stacks its built-in suppressions match (one-time allocations of libc, ld.so and
 * libstdc++), which are said apart. The totals table holds every unfreed block. */
static void load_reported_leaks(summary *s, mt__app *app) {
  mt__leakset ls;
  if (mt__ui_leakset(app->db, app->process_id, &ls) != 0) return;
  s->fig[F_LEAKED] = ls.bytes;
  s->fig[F_BLOCKS] = ls.blocks;
  if (ls.have_kinds) {
    char v[4][32];
    static const int kind[4] = {MT_REACH_DEFINITE, MT_REACH_INDIRECT, MT_REACH_POSSIBLE,
                                MT_REACH_REACHABLE};
    for (int i = 0; i < 4; i++) mt__ui_fmt_bytes(v[i], sizeof v[i], ls.kind_bytes[kind[i]]);
    snprintf(s->kinds, sizeof s->kinds, "definite %s, indirect %s, possible %s, reachable %s",
             v[0], v[1], v[2], v[3]);
  }
  if (ls.suppressed_blocks) {
    char b[32];
    snprintf(s->suppressed, sizeof s->suppressed,
             "%s in %" PRIu64 " blocks (one-time allocations of libc, ld.so, libstdc++)",
             mt__ui_fmt_bytes(b, sizeof b, ls.suppressed_bytes), ls.suppressed_blocks);
  }
  mt__leakset_free(&ls);
}

static void load(summary *s, mt__app *app) {
  s->loaded = 1;
  load_process(s, app);
  load_notes(s, app);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(app->db, totals_sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, app->process_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
      s->have_totals = 1;
      for (int i = 0; i < 10; i++)
        s->fig[i] = (uint64_t)sqlite3_column_int64(st, i);
    }
    sqlite3_finalize(st);
  }
  if (s->have_totals) load_reported_leaks(s, app);
  /* the timeline holds at most a few hundred evenly spaced points */
  if (sqlite3_prepare_v2(app->db,
                         "SELECT time_ns, heap_max_bytes, rss_bytes FROM timeline"
                         " WHERE process_id = ?1 ORDER BY idx LIMIT 4096",
                         -1, &st, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64(st, 1, app->process_id);
  int cap = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (s->npoints == cap) {
      cap = cap ? cap * 2 : 256;
      point *np = realloc(s->points, (size_t)cap * sizeof *np);
      if (!np) break;
      s->points = np;
    }
    point *p = &s->points[s->npoints++];
    p->time = (uint64_t)sqlite3_column_int64(st, 0);
    p->heap = (uint64_t)sqlite3_column_int64(st, 1);
    p->rss = (uint64_t)sqlite3_column_int64(st, 2);
  }
  sqlite3_finalize(st);
}

#define NFIGURES (int)(sizeof figures / sizeof *figures)
#define TWO_COLUMNS 76 /* narrower terminals get one figure per row */

static int figure_rows(int w) { return w >= TWO_COLUMNS ? (NFIGURES + 1) / 2 : NFIGURES; }

static void draw_figures(summary *s, int y, int w) {
  int two = w >= TWO_COLUMNS, half = w / 2;
  for (int i = 0; i < NFIGURES; i++) {
    const figure *f = &figures[i];
    int right = two && f->side;
    int row = y + (two ? i / 2 : i);
    int x = right ? half + 1 : 1;
    int width = right ? w - x : two ? half - 1 : w - 1;
    char value[64], exact[32], human[32];
    uint64_t v = s->fig[f->col];
    int lw = right ? 14 : 18;
    /* exact figures always; the short form too when it fits */
    if (f->bytes)
      snprintf(value, sizeof value, "%s B", mt__ui_fmt_count(exact, sizeof exact, v));
    else
      mt__ui_fmt_count(value, sizeof value, v);
    if (f->bytes && v >= 1024) {
      size_t n = strlen(value);
      snprintf(value + n, sizeof value - n, " (%s)", mt__ui_fmt_bytes(human, sizeof human, v));
      if (mt__ui_text_width(value) > width - lw) value[n] = 0;
    }
    mt__ui_put(row, x, width, MT__C_LABEL, f->label);
    int role = (f->col == F_LEAKED || f->col == F_BLOCKS) && v ? MT__C_LEAK : MT__C_VALUE;
    mt__ui_put(row, x + lw, width - lw, role, value);
  }
}

/* Largest heap and RSS over the points mapped to column x of n columns. */
static void column_values(const summary *s, int x, int n, uint64_t *heap, uint64_t *rss) {
  int from = (int)((int64_t)x * s->npoints / n), to = (int)((int64_t)(x + 1) * s->npoints / n);
  if (to <= from) to = from + 1;
  *heap = *rss = 0;
  for (int i = from; i < to && i < s->npoints; i++) {
    if (s->points[i].heap > *heap) *heap = s->points[i].heap;
    if (s->points[i].rss > *rss) *rss = s->points[i].rss;
  }
}

static void draw_chart(summary *s, mt__app *app, int y, int h, int w) {
  static const char *const eighths[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  char buf[64], top[32];
  snprintf(buf, sizeof buf, "Heap (%s) and RSS (%s) over time", app->utf8 ? "█" : "#",
           app->utf8 ? "•" : "*");
  mt__ui_put(y, 1, w - 1, MT__C_TITLE, buf);
  if (s->npoints == 0) {
    mt__ui_put(y + 1, 1, w - 1, MT__C_LABEL, "no timeline in this database");
    return;
  }
  int ch = h - 3, axis = 10, cw = w - axis - 1;
  if (ch < 2 || cw < 8) return;
  uint64_t max = 1;
  for (int i = 0; i < s->npoints; i++) {
    if (s->points[i].heap > max) max = s->points[i].heap;
    if (s->points[i].rss > max) max = s->points[i].rss;
  }
  mt__ui_fmt_bytes(top, sizeof top, max);
  snprintf(buf, sizeof buf, "%8s ", top);
  mt__ui_put(y + 1, 0, axis, MT__C_CHART_AXIS, buf);
  mt__ui_put(y + ch, 0, axis, MT__C_CHART_AXIS, "       0 ");
  for (int r = 0; r < ch; r++)
    mt__ui_put(y + 1 + r, axis - 1, 1, MT__C_CHART_AXIS, app->utf8 ? "│" : "|");
  for (int x = 0; x < cw; x++) {
    uint64_t heap, rss;
    column_values(s, x, cw, &heap, &rss);
    uint64_t bar = heap * (uint64_t)ch * 8 / max;
    int rss_row =
        rss ? ch - 1 -
                  (int)(rss * (uint64_t)ch / max > (uint64_t)ch - 1 ? (uint64_t)ch - 1
                                                                    : rss * (uint64_t)ch / max)
            : -1;
    for (int r = 0; r < ch; r++) {
      int64_t level = (int64_t)(ch - 1 - r) * 8;
      int64_t fill = (int64_t)bar - level;
      if (fill > 8) fill = 8;
      if (fill < 0) fill = 0;
      const char *g = app->utf8 ? eighths[fill] : (fill >= 4 ? "#" : " ");
      if (r == rss_row)
        mt__ui_put(y + 1 + r, axis + x, 1, MT__C_CHART_RSS, app->utf8 ? "•" : "*");
      else if (fill)
        mt__ui_put(y + 1 + r, axis + x, 1, MT__C_CHART_HEAP, g);
    }
  }
  int base = y + 1 + ch;
  mt__ui_put(base, axis - 1, 1, MT__C_CHART_AXIS, app->utf8 ? "└" : "+");
  for (int x = 0; x < cw; x++)
    mt__ui_put(base, axis + x, 1, MT__C_CHART_AXIS, app->utf8 ? "─" : "-");
  uint64_t end = s->points[s->npoints - 1].time;
  if (s->duration > end) end = s->duration;
  mt__ui_put(base + 1, axis, cw, MT__C_CHART_AXIS, "0");
  mt__ui_fmt_time(buf, sizeof buf, end);
  int bw = (int)strlen(buf);
  if (bw < cw) mt__ui_put(base + 1, axis + cw - bw, bw, MT__C_CHART_AXIS, buf);
}

static void draw(mt__panel *p, mt__app *app, int y, int h, int w) {
  summary *s = (summary *)p;
  if (!s->loaded) load(s, app);
  if (s->error[0]) {
    mt__ui_put(y, 1, w - 1, MT__C_ERROR, s->error);
    return;
  }
  mt__ui_put(y, 1, 10, MT__C_LABEL, "Program");
  mt__ui_put(y, 10, w - 10, MT__C_VALUE, s->program);
  mt__ui_put(y + 1, 1, 10, MT__C_LABEL, "Process");
  mt__ui_put(y + 1, 10, w - 10, MT__C_LABEL, s->process);
  if (!s->have_totals) {
    mt__ui_put(y + 3, 1, w - 1, MT__C_ERROR, "no totals for this process");
    return;
  }
  if (s->note[0]) mt__ui_put(y + 2, 1, w - 1, MT__C_ERROR, s->note);
  draw_figures(s, y + 3, w);
  int cy = y + 3 + figure_rows(w) + 1;
  if (s->kinds[0]) {
    mt__ui_put(cy - 1, 1, 18, MT__C_LABEL, "Leak kinds");
    mt__ui_put(cy - 1, 19, w - 19, MT__C_VALUE, s->kinds);
    cy++;
  }
  if (s->suppressed[0]) {
    mt__ui_put(cy - 1, 1, 18, MT__C_LABEL, "Suppressed");
    mt__ui_put(cy - 1, 19, w - 19, MT__C_VALUE, s->suppressed);
    cy++;
  }
  if (y + h - cy >= 6) draw_chart(s, app, cy, y + h - cy, w);
}

static int handle(mt__panel *p, mt__app *app, int action, int page) {
  (void)p, (void)app, (void)action, (void)page;
  return MT__F_IGNORED;
}

static void reset(mt__panel *p, mt__app *app) {
  (void)app;
  summary *s = (summary *)p;
  free(s->points);
  memset((char *)s + sizeof s->base, 0, sizeof *s - sizeof s->base);
}

static void destroy(mt__panel *p) {
  summary *s = (summary *)p;
  free(s->points);
  free(s);
}

static const mt__panel_class summary_class = {
    .name = "Summary",
    .short_name = "Sum",
    .draw = draw,
    .handle = handle,
    .reset = reset,
    .destroy = destroy,
};

mt__panel *mt__ui_summary_panel(mt__app *app) {
  (void)app;
  summary *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->base.cls = &summary_class;
  return &s->base;
}
