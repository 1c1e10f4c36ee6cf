/* SPDX-License-Identifier: MIT */
/* Ingest driver: record handlers in a table indexed by record type turn records into rows
 * (process, modules, threads, stacks, forks) and ordered events (allocations, markers, RSS);
 * at the end the accounting results and the symbolized frames are written. The records are
 * read on a reading thread and ordered and accounted on an accounting thread; the main
 * thread writes their rows, in order. */
#include "ingest.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <memtrace/trace_reader.h>

#include "accum.h"
#include "batch.h"
#include "db.h"
#include "reorder.h"
#include "results.h"
#include "rowqueue.h"
#include "stackpack.h"
#include "stackrun.h"
#include "symthread.h"
#include "u64map.h"

enum {
  ST_PROCESS, ST_MODULE, ST_UNLOAD, ST_THREAD, ST_FORK, ST_END, ST_COUNT,
  ROW_STACK = ST_COUNT, ROW_KINDS   /* a stacks row goes to the batch, not a statement */
};

/* Values of each kind of row, as mt__db_run's types plus 'p': the process id, known only to
 * the writing thread (the PROCESS row's rowid). */
static const char *const row_types[ROW_KINDS] = {
    [ST_PROCESS] = "iiitsstsssii", [ST_MODULE] = "pistii", [ST_UNLOAD] = "ipi",
    [ST_THREAD] = "pis",           [ST_FORK] = "piii",     [ST_END] = "tiip",
    [ROW_STACK] = "piii",
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_PROCESS] = "INSERT INTO processes(trace_id, pid, ppid, origin, parent_trace, program,"
                   " argv, hostname, recorder_version, options, start_wall_ns, page_size)"
                   " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_MODULE] = "INSERT OR REPLACE INTO modules(process_id, id, path, build_id, base, load_seq)"
                  " VALUES(?,?,?,?,?,?)",
    [ST_UNLOAD] = "UPDATE modules SET unload_seq = ? WHERE process_id = ? AND id = ?",
    [ST_THREAD] = "INSERT OR REPLACE INTO threads(process_id, tid, name) VALUES(?,?,?)",
    [ST_FORK] = "INSERT INTO forks(process_id, seq, time_ns, child_pid) VALUES(?,?,?,?)",
    [ST_END] = "UPDATE processes SET end_how = ?, exit_status = ?, duration_ns = ? WHERE id = ?",
  };

static const char *const end_how_names[] = {"exit", "signal", "exec", "stopped"};
static const char *const origin_names[] = {"launch", "fork", "exec"};

typedef struct {
  /* main thread: the database */
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT];
  int64_t trace_id, process_id;
  mt__stackrun_writer runs;   /* stack nodes for people's queries */
  mt__stacktree *tree;        /* and for a report to follow, or NULL */
  mt__stackpack_writer packs; /* the same nodes packed, for reports to load */
  mt__err *e;
  /* reading thread (the main thread's once it is joined) */
  mt__rowq *rows;         /* rows from the reading thread to the main thread */
  mt__rowq *events;       /* events as read, from the reading thread to the accounting one */
  mt__err read_err;
  int have_process, have_end;
  mt_rec_end end;
  /* accounting thread (the main thread's once it is joined) */
  mt__reorder win;
  mt__accum acc;
  mt__err acct_err;
  mt__symthread *sym;     /* symbolizes stack addresses while the trace is read */
  mt__u64map reach;       /* address -> leak kind from REACH records */
  int have_scan;
  mt_rec_scan scan;
  char **labels;          /* marker labels, indexed by mt__mark.label */
  size_t nlabels, caplabels;
  uint64_t records;
} ingest_ctx;

#define NULL_TEXT UINT64_MAX

static size_t text_words(size_t len) { return (len + 1 + 7) / 8; }   /* with its NUL */

/* Reading thread: room for `bytes` in queue q, or NULL (-1 to return; when the consumer
 * stopped, it says why). */
static void *reserve_in(ingest_ctx *c, mt__rowq *q, size_t bytes) {
  void *p = mt__rowq_reserve(q, bytes);
  if (!p && !mt__rowq_stopped(q)) mt__fail(&c->read_err, "out of memory");
  return p;
}

/* Reading thread: room for a row of `words` words, or NULL (-1 to return). */
static uint64_t *reserve_row(ingest_ctx *c, size_t words) { return reserve_in(c, c->rows, words * 8); }

/* Reading thread: queue a row of kind `which`, its values as row_types says ('p' takes no
 * argument). Strings are copied: the reader's die at the next record. A row is 64-bit
 * words: the kind, then per value an integer, or a length (NULL_TEXT) and the text. */
static int put_row(ingest_ctx *c, int which, ...) {
  const char *types = row_types[which];
  size_t words = 1;
  va_list ap;
  va_start(ap, which);
  for (const char *t = types; *t; t++) {
    if (*t == 'i') {
      (void)va_arg(ap, uint64_t);
      words++;
    } else if (*t == 't') {
      const char *s = va_arg(ap, const char *);
      words += 1 + (s ? text_words(strlen(s)) : 0);
    } else if (*t == 's') {
      mt_str s = va_arg(ap, mt_str);
      words += 1 + text_words(s.data ? s.len : 0);
    }
  }
  va_end(ap);
  uint64_t *w = reserve_row(c, words);
  if (!w) return -1;
  *w++ = (uint64_t)which;
  va_start(ap, which);
  for (const char *t = types; *t; t++) {
    const char *text = NULL;
    size_t len = 0;
    if (*t == 'i') {
      *w++ = va_arg(ap, uint64_t);
      continue;
    } else if (*t == 't') {
      text = va_arg(ap, const char *);
      len = text ? strlen(text) : 0;
    } else if (*t == 's') {
      mt_str s = va_arg(ap, mt_str);
      text = s.data ? s.data : "";
      len = s.data ? s.len : 0;
    } else {
      continue;
    }
    if (!text) {
      *w++ = NULL_TEXT;
      continue;
    }
    *w++ = len;
    char *dst = (char *)w;
    memcpy(dst, text, len);
    memset(dst + len, 0, text_words(len) * 8 - len);
    w += text_words(len);
  }
  va_end(ap);
  return 0;
}

/* Main thread: write the row at w (as put_row made it). @return its length in words, or 0
 * with c->e filled. */
static size_t write_row(ingest_ctx *c, const uint64_t *w) {
  const uint64_t *start = w;
  int which = (int)*w++;
  if (which == ROW_STACK) {
    mt__stacktree_add(c->tree, w[0], w[1], w[2]);
    if (mt__stackpack_add(&c->packs, c->process_id, w[0], w[1], w[2]) ||
        mt__stackrun_add(&c->runs, c->process_id, w[0], w[1], w[2]))
      return 0;
    return 4;
  }
  const char *types = row_types[which];
  sqlite3_stmt *st = c->st[which];
  for (int i = 0; types[i]; i++) {
    if (types[i] == 'p') {
      sqlite3_bind_int64(st, i + 1, c->process_id);
    } else if (types[i] == 'i') {
      sqlite3_bind_int64(st, i + 1, (sqlite3_int64)*w++);
    } else {
      uint64_t len = *w++;
      if (len == NULL_TEXT) {
        sqlite3_bind_null(st, i + 1);
      } else {
        sqlite3_bind_text(st, i + 1, (const char *)w, (int)len, SQLITE_STATIC);
        w += text_words(len);
      }
    }
  }
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    mt__fail(c->e, "database error: %s", sqlite3_errmsg(c->db));
    return 0;
  }
  if (which == ST_PROCESS) c->process_id = sqlite3_last_insert_rowid(c->db);
  return (size_t)(w - start);
}

/* Reading thread: hand an event on to the accounting thread. */
static int push(ingest_ctx *c, const mt__event *ev) {
  mt__event *slot = reserve_in(c, c->events, sizeof *slot);
  if (!slot) return -1;
  *slot = *ev;
  return 0;
}

static int tick(ingest_ctx *c, const mt_record *r, uint64_t seq) {
  mt__event ev = {.seq = seq, .tid = r->tid, .type = MT__EV_TICK};
  return push(c, &ev);
}

static int on_process(ingest_ctx *c, const mt_record *r) {
  const mt_rec_process *p = &r->u.process;
  /* argv as one string, arguments separated by spaces */
  char *argv = malloc(p->argv.len + 1);
  if (!argv) return mt__fail(&c->read_err, "out of memory");
  memcpy(argv, p->argv.data, p->argv.len);
  argv[p->argv.len] = 0;
  for (size_t i = 0; i + 1 < p->argv.len; i++)
    if (argv[i] == 0) argv[i] = ' ';
  if (p->argv.len) argv[p->argv.len - 1] = 0;
  const char *origin = p->origin < 3 ? origin_names[p->origin] : "unknown";
  int rc = put_row(c, ST_PROCESS, (uint64_t)c->trace_id, (uint64_t)p->pid,
               (uint64_t)p->ppid, origin, p->parent_trace, p->exe, argv, p->hostname,
               p->version, p->options, p->start_wall_ns, (uint64_t)p->page_size);
  free(argv);
  if (rc) return -1;
  c->have_process = 1;
  return 0;
}

static int on_end(ingest_ctx *c, const mt_record *r) {
  c->end = r->u.end;
  c->have_end = 1;
  const char *how = r->u.end.how < 4 ? end_how_names[r->u.end.how] : "unknown";
  if (put_row(c, ST_END, how, (uint64_t)(int64_t)r->u.end.status, r->u.end.time_ns))
    return -1;
  return tick(c, r, r->u.end.seq);
}

static int on_alloc(ingest_ctx *c, const mt_record *r) {
  const mt_rec_alloc *a = &r->u.alloc;
  mt__event ev = {.seq = a->seq, .time = a->time_ns, .addr = a->address, .size = a->size,
                  .stack = a->stack, .tid = r->tid, .type = MT__EV_ALLOC, .kind = (uint8_t)a->kind};
  return push(c, &ev);
}

static int on_free(ingest_ctx *c, const mt_record *r) {
  const mt_rec_free *f = &r->u.free;
  mt__event ev = {.seq = f->seq, .time = f->time_ns, .addr = f->address, .size = f->size,
                  .tid = r->tid, .type = MT__EV_FREE, .kind = (uint8_t)f->kind};
  return push(c, &ev);
}

static int on_realloc(ingest_ctx *c, const mt_record *r) {
  const mt_rec_realloc *a = &r->u.realloc;
  mt__event ev = {.seq = a->seq, .time = a->time_ns, .addr = a->old_address,
                  .addr2 = a->new_address, .size = a->size, .stack = a->stack, .tid = r->tid,
                  .type = MT__EV_REALLOC, .kind = (uint8_t)a->kind};
  return push(c, &ev);
}

static int on_stack(ingest_ctx *c, const mt_record *r) {
  const mt_rec_stack *s = &r->u.stack;
  if (mt__symthread_add_ip(c->sym, s->ip)) return mt__fail(&c->read_err, "out of memory");
  /* the row put_row makes for "piii", written directly: a million-node trace spent a tenth
   * of its reading thread walking put_row's format string */
  uint64_t *w = reserve_row(c, 4);
  if (!w) return -1;
  w[0] = ROW_STACK;
  w[1] = s->id;
  w[2] = s->parent;
  w[3] = s->ip;
  return 0;
}

static int on_module(ingest_ctx *c, const mt_record *r) {
  const mt_rec_module *m = &r->u.module;
  char hex[2 * MT_BUILD_ID_MAX + 1];
  for (uint32_t i = 0; i < m->build_id_len && i < MT_BUILD_ID_MAX; i++)
    snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
  hex[2 * (m->build_id_len < MT_BUILD_ID_MAX ? m->build_id_len : MT_BUILD_ID_MAX)] = 0;
  if (put_row(c, ST_MODULE, m->id, m->path, hex, m->base, m->seq))
    return -1;
  if (mt__symthread_add_module(c->sym, m)) return mt__fail(&c->read_err, "out of memory");
  return tick(c, r, m->seq);
}

static int on_unload(ingest_ctx *c, const mt_record *r) {
  if (put_row(c, ST_UNLOAD, r->u.unload.seq, r->u.unload.id))
    return -1;
  return tick(c, r, r->u.unload.seq);
}

static int on_thread(ingest_ctx *c, const mt_record *r) {
  if (put_row(c, ST_THREAD, (uint64_t)r->u.thread.tid, r->u.thread.name))
    return -1;
  return tick(c, r, r->u.thread.seq);
}

static int on_rss(ingest_ctx *c, const mt_record *r) {
  mt__event ev = {.seq = r->u.rss.seq, .time = r->u.rss.time_ns, .size = r->u.rss.rss_bytes,
                  .tid = r->tid, .type = MT__EV_RSS};
  return push(c, &ev);
}

static int on_marker(ingest_ctx *c, const mt_record *r) {
  if (c->nlabels == c->caplabels) {
    size_t n = c->caplabels ? 2 * c->caplabels : 16;
    char **nl = realloc(c->labels, n * sizeof *nl);
    if (!nl) return mt__fail(&c->read_err, "out of memory");
    c->labels = nl;
    c->caplabels = n;
  }
  char *label = strndup(r->u.marker.label.data ? r->u.marker.label.data : "",
                        r->u.marker.label.len);
  if (!label) return mt__fail(&c->read_err, "out of memory");
  c->labels[c->nlabels] = label;
  mt__event ev = {.seq = r->u.marker.seq, .time = r->u.marker.time_ns, .addr = c->nlabels++,
                  .tid = r->tid, .type = MT__EV_MARKER};
  return push(c, &ev);
}

static int on_fork(ingest_ctx *c, const mt_record *r) {
  if (put_row(c, ST_FORK, r->u.fork.seq, r->u.fork.time_ns, (uint64_t)r->u.fork.child_pid))
    return -1;
  return tick(c, r, r->u.fork.seq);
}

static int on_exec(ingest_ctx *c, const mt_record *r) { return tick(c, r, r->u.exec.seq); }

static int on_scan(ingest_ctx *c, const mt_record *r) {
  c->scan = r->u.scan;
  c->have_scan = 1;
  return tick(c, r, r->u.scan.seq);
}

static int on_reach(ingest_ctx *c, const mt_record *r) {
  if (mt__u64map_put(&c->reach, r->u.reach.address, r->u.reach.kind)) return mt__fail(&c->read_err, "out of memory");
  return 0;
}

static int on_chunk(ingest_ctx *c, const mt_record *r) {
  (void)c;
  (void)r;
  return 0;
}

typedef int (*record_handler)(ingest_ctx *c, const mt_record *r);

static const record_handler handlers[] = {
    [MT_REC_CHUNK] = on_chunk,   [MT_REC_PROCESS] = on_process, [MT_REC_END] = on_end,
    [MT_REC_ALLOC] = on_alloc,   [MT_REC_FREE] = on_free,       [MT_REC_REALLOC] = on_realloc,
    [MT_REC_STACK] = on_stack,   [MT_REC_MODULE] = on_module,   [MT_REC_UNLOAD] = on_unload,
    [MT_REC_THREAD] = on_thread, [MT_REC_RSS] = on_rss,         [MT_REC_MARKER] = on_marker,
    [MT_REC_FORK] = on_fork,     [MT_REC_EXEC] = on_exec,       [MT_REC_SCAN] = on_scan,
    [MT_REC_REACH] = on_reach,
};

static int deliver(void *ctx, const mt__event *ev) {
  ingest_ctx *c = ctx;
  return mt__accum_event(&c->acc, ev);
}

/* Accounting thread: order and account every event until the reading thread closes the
 * queue; when out of memory tell it to stop. @return NULL, or the context on failure. */
static void *accounting_main(void *arg) {
  ingest_ctx *c = arg;
  const void *data;
  size_t len;
  int failed = 0;
  while (!failed && mt__rowq_take(c->events, &data, &len)) {
    const mt__event *ev = data, *end = ev + len / sizeof *ev;
    while (ev < end && mt__reorder_push(&c->win, ev) == 0) ev++;
    mt__rowq_release(c->events);
    failed = ev < end;
  }
  if (!failed && mt__reorder_drain(&c->win) == 0) return NULL;
  mt__fail(&c->acct_err, "out of memory while ordering events");
  mt__rowq_stop(c->events);
  return c;
}

typedef struct {
  mt__batch rows;
  int64_t process_id;
} frame_rows;

static int put_frame(void *ctx, uint64_t ip, uint64_t module_id, uint64_t offset,
                     const mt__symframe *f, int depth) {
  frame_rows *fr = ctx;
  mt__batch_value row[10] = {
      mt__bv_int(fr->process_id), mt__bv_int((int64_t)ip), mt__bv_int(depth),
      mt__bv_text(f->function), mt__bv_text(f->file),
      f->line ? mt__bv_int(f->line) : mt__bv_null(),
      module_id ? mt__bv_int((int64_t)module_id) : mt__bv_null(),
      mt__bv_int((int64_t)offset), mt__bv_int(f->inlined), mt__bv_int(f->resolved)};
  return mt__batch_values(&fr->rows, row);
}

static int write_frames(ingest_ctx *c) {
  if (mt__symthread_finish(c->sym, c->e)) return -1;
  frame_rows fr = {.process_id = c->process_id};
  if (mt__batch_init(&fr.rows, c->db, "INSERT OR REPLACE INTO frames", 10, c->e)) return -1;
  int rc = mt__symthread_frames(c->sym, put_frame, &fr) || mt__batch_flush(&fr.rows);
  mt__batch_free(&fr.rows);
  if (rc) return -1;
  sqlite3_stmt *st;
  if (mt__db_prepare(c->db, &st, "UPDATE modules SET debug_file = ? WHERE process_id = ? AND id = ?",
                     c->e))
    return -1;
  sqlite3_stmt *ids;
  if (mt__db_prepare(c->db, &ids, "SELECT id FROM modules WHERE process_id = ?", c->e)) {
    sqlite3_finalize(st);
    return -1;
  }
  sqlite3_bind_int64(ids, 1, c->process_id);
  while (sqlite3_step(ids) == SQLITE_ROW) {
    uint64_t id = (uint64_t)sqlite3_column_int64(ids, 0);
    const char *f = mt__symthread_module_file(c->sym, id);
    if (!f) continue;
    sqlite3_bind_text(st, 1, f, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, c->process_id);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)id);
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  sqlite3_finalize(ids);
  sqlite3_finalize(st);
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(const char *path, uint64_t done, uint64_t total, uint64_t records, int final) {
  double pct = total ? 100.0 * (double)done / (double)total : 100.0;
  fprintf(stderr, "\rmemtrace-report: ingesting %s: %5.1f%% (%llu records)%s", path, pct,
          (unsigned long long)records, final ? "\n" : "");
  fflush(stderr);
}

/* Reading thread: hand a run of ALLOC and FREE records on to the accounting thread, room
 * for all of them taken at once. */
static int push_events(ingest_ctx *c, const mt_event *in, size_t n) {
  mt__event *out = reserve_in(c, c->events, n * sizeof *out);
  if (!out) return -1;
  for (size_t i = 0; i < n; i++)
    out[i] = (mt__event){.seq = in[i].seq, .time = in[i].time_ns, .addr = in[i].address,
                         .size = in[i].size, .stack = in[i].stack, .tid = in[i].tid,
                         .type = in[i].type == MT_REC_ALLOC ? MT__EV_ALLOC : MT__EV_FREE,
                         .kind = in[i].kind};
  return 0;
}

#define EVENT_RUN 256

static int read_all(ingest_ctx *c, mt_reader *rd, const char *path, uint64_t fsize,
                    const mt__ingest_opts *o, int *rc_out) {
  mt_record rec;
  mt_event run[EVENT_RUN];
  int rc;
  double last = now_s();
  int shown = 0;
  uint64_t next_check = 0x10000; /* when to look at the writer and the progress bar */
  for (;;) {
    size_t n = mt_reader_next_events(rd, run, EVENT_RUN);
    if (n) {
      if (push_events(c, run, n)) return -1;
      c->records += n;
    } else {
      if ((rc = mt_reader_next(rd, &rec)) != 1) break;
      c->records++;
      if (!c->have_process && rec.type != MT_REC_CHUNK && rec.type != MT_REC_PROCESS)
        return mt__fail(&c->read_err, "%s: trace does not start with a PROCESS record", path);
      if ((size_t)rec.type < sizeof handlers / sizeof *handlers && handlers[rec.type]) {
        if (handlers[rec.type](c, &rec)) return -1;
      }
    }
    if (c->records < next_check) continue;
    next_check = c->records + 0x10000;
    if (mt__rowq_stopped(c->rows)) return -1;
    if (o->progress) {
      double t = now_s();
      if (t - last > 0.25) {
        progress(path, mt_reader_bytes_consumed(rd), fsize, c->records, 0);
        last = t;
        shown = 1;
      }
    }
  }
  if (shown) progress(path, fsize, fsize, c->records, 1);
  *rc_out = rc;
  return 0;
}

/* The reading thread's job and how it ended. */
typedef struct {
  ingest_ctx *c;
  mt_reader *rd;
  const char *path;
  uint64_t fsize;
  const mt__ingest_opts *o;
  int reader_rc;          /* mt_reader_next's last result */
  int failed;             /* c->read_err says why, unless the main thread stopped it */
} reading;

static void *reading_main(void *arg) {
  reading *job = arg;
  ingest_ctx *c = job->c;
  job->failed = read_all(c, job->rd, job->path, job->fsize, job->o, &job->reader_rc);
  mt__rowq_close(c->events);
  mt__rowq_close(c->rows);
  return NULL;
}

/* Main thread: write the queued rows until the reading thread closes the queue; on a
 * database error tell it to stop. @return 0 or -1 with c->e filled. */
static int write_rows(ingest_ctx *c) {
  const void *data;
  size_t len;
  while (mt__rowq_take(c->rows, &data, &len)) {
    const uint64_t *w = data, *end = w + len / 8;
    while (w < end) {
      size_t words = write_row(c, w);
      if (!words) {
        mt__rowq_release(c->rows);
        mt__rowq_stop(c->rows);
        return -1;
      }
      w += words;
    }
    mt__rowq_release(c->rows);
  }
  return 0;
}

/* Read the trace on a second thread and order and account its events on a third (decoding
 * and accounting cost about the same), while this one writes the rows. The rows are written
 * in record order, so the first failure in that order is the one reported. */
static int read_and_write(ingest_ctx *c, mt_reader *rd, const char *path, uint64_t fsize,
                          const mt__ingest_opts *o, int *rc_out) {
  c->rows = mt__rowq_new();
  c->events = mt__rowq_new();
  if (!c->rows || !c->events) return mt__fail(c->e, "out of memory");
  pthread_t accounting;
  if (pthread_create(&accounting, NULL, accounting_main, c))
    return mt__fail(c->e, "cannot start the accounting thread");
  reading job = {.c = c, .rd = rd, .path = path, .fsize = fsize, .o = o};
  pthread_t thread;
  if (pthread_create(&thread, NULL, reading_main, &job)) {
    mt__rowq_close(c->events);
    pthread_join(accounting, NULL);
    return mt__fail(c->e, "cannot start the reading thread");
  }
  int written = write_rows(c);
  pthread_join(thread, NULL);
  void *acct_failed;
  pthread_join(accounting, &acct_failed);
  if (written) return -1;
  if (acct_failed) {
    *c->e = c->acct_err;
    return -1;
  }
  if (job.failed) {
    *c->e = c->read_err;
    return -1;
  }
  *rc_out = job.reader_rc;
  return 0;
}

static int finish(ingest_ctx *c) {
  if (mt__stackrun_flush(&c->runs) || mt__stackpack_flush(&c->packs)) return -1;
  mt__accum_finish(&c->acc);
  mt__results res = {.acc = &c->acc, .end = c->have_end ? &c->end : NULL,
                     .labels = (const char *const *)c->labels,
                     .scan = c->have_scan ? &c->scan : NULL, .reach = &c->reach};
  if (mt__results_write(c->db, "main", c->process_id, &res, c->e) || write_frames(c)) return -1;
  return 0;
}

static int insert_trace(ingest_ctx *c, const char *path, const struct stat *sb) {
  sqlite3_stmt *st;
  if (mt__db_prepare(c->db, &st, "INSERT INTO traces(path, size, mtime_ns, ingested_by) VALUES(?,?,?,?)", c->e))
    return -1;
  sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)sb->st_size);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec);
  sqlite3_bind_text(st, 4, MT__INGEST_ID, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return mt__fail(c->e, "database error: %s", sqlite3_errmsg(c->db));
  c->trace_id = sqlite3_last_insert_rowid(c->db);
  return 0;
}

static int update_trace(ingest_ctx *c, mt_reader *rd, mt__ingest_result *r) {
  sqlite3_stmt *st;
  if (mt__db_prepare(c->db, &st,
                     "UPDATE traces SET format_major = ?, format_minor = ?, complete = ?,"
                     " error = ?, error_offset = ?, records = ?, reorder_late = ? WHERE id = ?",
                     c->e))
    return -1;
  int major = 0, minor = 0;
  mt_reader_version(rd, &major, &minor);
  sqlite3_bind_int(st, 1, major);
  sqlite3_bind_int(st, 2, minor);
  sqlite3_bind_int(st, 3, r->state);
  if (r->state != MT__TRACE_COMPLETE) {
    sqlite3_bind_text(st, 4, r->message, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)mt_reader_error_offset(rd));
  }
  sqlite3_bind_int64(st, 6, (sqlite3_int64)c->records);
  sqlite3_bind_int64(st, 7, (sqlite3_int64)c->win.late);
  sqlite3_bind_int64(st, 8, c->trace_id);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : mt__fail(c->e, "database error: %s", sqlite3_errmsg(c->db));
}

static void ctx_free(ingest_ctx *c) {
  for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(c->st[i]);
  mt__stackrun_free(&c->runs);
  mt__stackpack_free(&c->packs);
  mt__accum_free(&c->acc);
  mt__reorder_free(&c->win);
  mt__symthread_free(c->sym);
  mt__u64map_free(&c->reach);
  mt__rowq_free(c->rows);
  mt__rowq_free(c->events);
  for (size_t i = 0; i < c->nlabels; i++) free(c->labels[i]);
  free(c->labels);
}

static int ingest_body(ingest_ctx *c, mt_reader *rd, const char *path, const struct stat *sb,
                       const mt__ingest_opts *o, mt__ingest_result *r) {
  for (int i = 0; i < ST_COUNT; i++)
    if (mt__db_prepare(c->db, &c->st[i], stmt_sql[i], c->e)) return -1;
  if (mt__stackrun_init(&c->runs, c->db, c->e) ||
      mt__stackpack_init(&c->packs, c->db, c->e))
    return -1;
  if (insert_trace(c, path, sb)) return -1;
  int rc = 0;
  int isatty_progress = o->progress && isatty(2);
  mt__ingest_opts local = *o;
  local.progress = isatty_progress;
  if (read_and_write(c, rd, path, (uint64_t)sb->st_size, &local, &rc)) return -1;
  if (rc < 0 && !c->have_process)
    return mt__fail(c->e, "%s: %s", path, mt_reader_error_message(rd));
  if (rc == 0) {
    r->state = MT__TRACE_COMPLETE;
  } else {
    r->state = mt_reader_is_partial(rc) ? MT__TRACE_PARTIAL : MT__TRACE_DAMAGED;
    snprintf(r->message, sizeof r->message, "%s", mt_reader_error_message(rd));
  }
  if (finish(c) || update_trace(c, rd, r)) return -1;
  r->trace_id = c->trace_id;
  r->process_id = c->process_id;
  return 0;
}

int mt__ingest(sqlite3 *db, const char *path, const mt__ingest_opts *o, mt__ingest_result *r,
               mt__err *e) {
  memset(r, 0, sizeof *r);
  struct stat sb;
  if (stat(path, &sb) != 0) return mt__fail(e, "%s: cannot read trace: %m", path);
  mt_reader *rd;
  int rc = mt_reader_open_file(&rd, path);
  if (rc) return mt__fail(e, "%s: cannot open trace: %s", path, mt_strerror(rc));
  ingest_ctx c;
  memset(&c, 0, sizeof c);
  c.db = db;
  c.e = e;
  c.tree = o->tree;
  mt__accum_init(&c.acc, 0, UINT64_MAX);
  mt__reorder_init(&c.win, deliver, &c);
  mt__u64map_init(&c.reach);
  if (mt__symthread_start(&c.sym, o->sym, e)) {
    mt_reader_close(rd);
    ctx_free(&c);
    return -1;
  }
  rc = ingest_body(&c, rd, path, &sb, o, r);
  mt_reader_close(rd);
  ctx_free(&c);
  return rc ? -1 : 0; /* the caller links parents once its traces are in */
}
