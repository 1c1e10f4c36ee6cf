/* SPDX-License-Identifier: MIT */
/* Marker lookup, a second streaming pass over the trace restricted to a sequence range, and
 * TEMP copies of the result tables. */
#include "range.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <memtrace/trace_reader.h>

#include "accum.h"
#include "db.h"
#include "reorder.h"
#include "results.h"

static int marker_seq(sqlite3 *db, int64_t pid, const char *label, uint64_t after, uint64_t *seq,
                      mt__err *e) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st,
                     "SELECT seq FROM markers WHERE process_id = ? AND label = ? AND seq >= ?"
                     " ORDER BY seq LIMIT 1",
                     e))
    return -1;
  sqlite3_bind_int64(st, 1, pid);
  sqlite3_bind_text(st, 2, label, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)after);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *seq = (uint64_t)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return mt__fail(e, "no marker '%s'%s in this process (see: memtrace-report timeline)", label,
                    after ? " after the first marker" : "");
  return 0;
}

static int trace_of(sqlite3 *db, int64_t pid, char *path, size_t len, mt__err *e) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st,
                     "SELECT t.path, t.size, t.mtime_ns FROM traces t JOIN processes p"
                     " ON p.trace_id = t.id WHERE p.id = ?",
                     e))
    return -1;
  sqlite3_bind_int64(st, 1, pid);
  int rc = -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    snprintf(path, len, "%s", (const char *)sqlite3_column_text(st, 0));
    struct stat sb;
    if (stat(path, &sb) != 0)
      mt__fail(e, "--between reads the trace again, but %s is gone", path);
    else if (sb.st_size != sqlite3_column_int64(st, 1) ||
             (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec != sqlite3_column_int64(st, 2))
      mt__fail(e, "%s changed since it was ingested: run the report on the trace", path);
    else rc = 0;
  } else {
    mt__fail(e, "process has no trace in the database");
  }
  sqlite3_finalize(st);
  return rc;
}

static int deliver(void *ctx, const mt__event *ev) { return mt__accum_event(ctx, ev); }

/* Re-read the trace, feeding heap events (and ticks) in order to the engine. */
static int reread(const char *path, mt__accum *acc, mt__err *e) {
  mt_reader *rd;
  int rc = mt_reader_open_file(&rd, path);
  if (rc) return mt__fail(e, "%s: cannot open trace: %s", path, mt_strerror(rc));
  mt__reorder win;
  mt__reorder_init(&win, deliver, acc);
  mt_record r;
  int fail = 0;
  while (!fail && (rc = mt_reader_next(rd, &r)) == 1) {
    mt__event ev = {.tid = r.tid};
    switch (r.type) {
    case MT_REC_ALLOC:
      ev = (mt__event){.seq = r.u.alloc.seq, .time = r.u.alloc.time_ns, .addr = r.u.alloc.address,
                       .size = r.u.alloc.size, .stack = r.u.alloc.stack, .tid = r.tid,
                       .type = MT__EV_ALLOC, .kind = (uint8_t)r.u.alloc.kind};
      break;
    case MT_REC_FREE:
      ev = (mt__event){.seq = r.u.free.seq, .time = r.u.free.time_ns, .addr = r.u.free.address,
                       .size = r.u.free.size, .tid = r.tid, .type = MT__EV_FREE,
                       .kind = (uint8_t)r.u.free.kind};
      break;
    case MT_REC_REALLOC:
      ev = (mt__event){.seq = r.u.realloc.seq, .time = r.u.realloc.time_ns,
                       .addr = r.u.realloc.old_address, .addr2 = r.u.realloc.new_address,
                       .size = r.u.realloc.size, .stack = r.u.realloc.stack, .tid = r.tid,
                       .type = MT__EV_REALLOC, .kind = (uint8_t)r.u.realloc.kind};
      break;
    case MT_REC_RSS:
      ev = (mt__event){.seq = r.u.rss.seq, .time = r.u.rss.time_ns, .size = r.u.rss.rss_bytes,
                       .tid = r.tid, .type = MT__EV_RSS};
      break;
    case MT_REC_MARKER: ev.seq = r.u.marker.seq; ev.type = MT__EV_TICK; break;
    case MT_REC_MODULE: ev.seq = r.u.module.seq; ev.type = MT__EV_TICK; break;
    case MT_REC_UNLOAD: ev.seq = r.u.unload.seq; ev.type = MT__EV_TICK; break;
    case MT_REC_THREAD: ev.seq = r.u.thread.seq; ev.type = MT__EV_TICK; break;
    case MT_REC_FORK: ev.seq = r.u.fork.seq; ev.type = MT__EV_TICK; break;
    case MT_REC_EXEC: ev.seq = r.u.exec.seq; ev.type = MT__EV_TICK; break;
    case MT_REC_END: ev.seq = r.u.end.seq; ev.type = MT__EV_TICK; break;
    case MT_REC_SCAN: ev.seq = r.u.scan.seq; ev.type = MT__EV_TICK; break;
    default: continue;
    }
    if (mt__reorder_push(&win, &ev)) fail = mt__fail(e, "out of memory");
  }
  if (!fail && mt__reorder_drain(&win)) fail = mt__fail(e, "out of memory");
  mt__reorder_free(&win);
  mt_reader_close(rd);
  if (!fail) mt__accum_finish(acc);
  return fail;
}

/* Parse "seq:N" or "time:N<unit>" into *seq or *time; @return 1 when parsed, 0 when the
 * bound is a marker label, -1 when malformed. */
static int parse_bound(const char *b, uint64_t *seq, uint64_t *time, int *is_time, mt__err *e) {
  static const struct {
    const char *unit;
    uint64_t ns;
  } units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
  int t = strncmp(b, "time:", 5) == 0;
  if (!t && strncmp(b, "seq:", 4) != 0) return 0;
  const char *num = b + (t ? 5 : 4);
  char *end;
  if (!t) { /* whole numbers past the last event (even past 2^64) mean "to the end" */
    if (*num < '0' || *num > '9') return mt__fail(e, "bad range bound '%s': seq:N takes a whole number", b);
    errno = 0;
    unsigned long long n = strtoull(num, &end, 10);
    if (*end) return mt__fail(e, "bad range bound '%s': seq:N takes a whole number", b);
    *seq = errno == ERANGE ? UINT64_MAX : (uint64_t)n;
    *is_time = 0;
    return 1;
  }
  errno = 0;
  double v = strtod(num, &end);
  if ((errno && errno != ERANGE) || end == num || !(v >= 0)) return mt__fail(e, "bad range bound '%s'", b);
  if (v == 0 && !*end) { /* time:0 needs no unit */
    *time = 0;
    *is_time = 1;
    return 1;
  }
  for (size_t i = 0; i < sizeof units / sizeof *units; i++)
    if (strcmp(end, units[i].unit) == 0) {
      double ns = v * (double)units[i].ns;
      *time = ns >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)ns;
      *is_time = 1;
      return 1;
    }
  return mt__fail(e, "bad range bound '%s': give a unit, e.g. time:250ms", b);
}

static const char *const shadowed[] = {"stack_stats", "leaks", "totals", "timeline"};

int mt__range_apply(sqlite3 *db, int64_t process_id, const char *from, const char *to,
                    mt__err *e) {
  uint64_t seq_lo = 0, seq_hi = UINT64_MAX, time_lo = 0, time_hi = UINT64_MAX, v_seq = 0, v_time = 0;
  int is_time = 0;
  int rc = parse_bound(from, &v_seq, &v_time, &is_time, e);
  if (rc < 0) return -1;
  if (rc == 0 && marker_seq(db, process_id, from, 0, &seq_lo, e)) return -1;
  if (rc == 1 && is_time) time_lo = v_time;
  if (rc == 1 && !is_time) seq_lo = v_seq;
  rc = parse_bound(to, &v_seq, &v_time, &is_time, e);
  if (rc < 0) return -1;
  if (rc == 0 && marker_seq(db, process_id, to, seq_lo + 1, &seq_hi, e)) return -1;
  if (rc == 1 && is_time) time_hi = v_time;
  if (rc == 1 && !is_time) seq_hi = v_seq;
  if (seq_lo > seq_hi || time_lo > time_hi) return mt__fail(e, "empty range: %s comes after %s", from, to);
  char path[4096];
  if (trace_of(db, process_id, path, sizeof path, e)) return -1;
  for (size_t i = 0; i < sizeof shadowed / sizeof *shadowed; i++) {
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE TEMP TABLE %s AS SELECT * FROM main.%s WHERE 0", shadowed[i],
             shadowed[i]);
    if (mt__db_exec(db, sql, e)) return -1;
  }
  mt__accum acc;
  mt__accum_init(&acc, seq_lo, seq_hi);
  acc.time_lo = time_lo;
  acc.time_hi = time_hi;
  rc = reread(path, &acc, e);
  if (rc == 0) {
    mt__results res = {.acc = &acc};
    rc = mt__results_write(db, "temp", process_id, &res, e);
  }
  mt__accum_free(&acc);
  return rc;
}
