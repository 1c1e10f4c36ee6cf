/* SPDX-License-Identifier: MIT */
/* The background writer: full chunk buffers queue up here and one thread compresses and
 * writes them. Every MT_FLUSH_INTERVAL_MS it also writes the partial chunks of all threads
 * and looks for newly loaded modules; every rss_interval_ms it samples the resident set
 * size into a frame of its own, written at once. Buffers come from a small pool of mmap'd
 * 64 KiB blocks. All file writes happen under mt__io_lock. At exit it helps with the leak
 * scan, then ends. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define POOL_KEEP ((4u << 20) / MT_BUF_SIZE) /* free buffers kept for reuse: 4 MiB */
#define QUEUE_HELP 128       /* beyond this many queued buffers producers write themselves */
#define TICK_MS 50

mt_lock mt__io_lock, mt__queue_lock, mt__pool_lock;
atomic_int mt__writer_running;

static mt_buf *pool;
static size_t pool_count;
static mt_buf *queue_head, *queue_tail;
static atomic_int queue_len;
static atomic_uint wake_word;
static atomic_int writer_sleeping;
static atomic_int stepping_aside;   /* mt__writer_step_aside: the thread ends, none starts */
static _Atomic uint32_t writer_tid; /* the last writer thread's */

/* Buffers ------------------------------------------------------------------------------------ */

mt_buf *mt__buf_get(void) {
  mt__lock(&mt__pool_lock);
  mt_buf *b = pool;
  if (b) {
    pool = b->next;
    pool_count--;
  }
  mt__unlock(&mt__pool_lock);
  if (!b)
    b = mt__os_alloc(MT_BUF_SIZE);
  if (b)
    b->next = NULL;
  return b;
}

void mt__buf_put(mt_buf *b) {
  mt__lock(&mt__pool_lock);
  if (pool_count < POOL_KEEP) {
    b->next = pool;
    pool = b;
    pool_count++;
    b = NULL;
  }
  mt__unlock(&mt__pool_lock);
  if (b)
    mt__os_free(b, MT_BUF_SIZE);
}

/* Queue --------------------------------------------------------------------------------------- */

int mt__queue_push(mt_buf *b) {
  b->next = NULL;
  mt__lock(&mt__queue_lock);
  if (queue_tail)
    queue_tail->next = b;
  else
    queue_head = b;
  queue_tail = b;
  int len = atomic_fetch_add(&queue_len, 1) + 1;
  mt__unlock(&mt__queue_lock);
  mt__writer_wake();
  return len > QUEUE_HELP || atomic_load(&mt__writer_running) != 1;
}

static mt_buf *queue_pop(void) {
  mt__lock(&mt__queue_lock);
  mt_buf *b = queue_head;
  if (b) {
    queue_head = b->next;
    if (!queue_head)
      queue_tail = NULL;
    atomic_fetch_sub(&queue_len, 1);
  }
  mt__unlock(&mt__queue_lock);
  return b;
}

/* Writing --------------------------------------------------------------------------------------- */

/* Write one frame at the zstd level in use. */
static int write_frame(const mt_chunk *c) {
  if (mt__g.fd < 0 || !mt__g.writer)
    return -1;
  struct stat st;
  if (fstat(mt__g.fd, &st) != 0 || st.st_ino != mt__g.fd_ino || st.st_dev != mt__g.fd_dev) {
    mt__stop("the trace file descriptor was closed by the program", 0);
    return -1;
  }
  uint64_t before = mt_writer_bytes_written(mt__g.writer);
  int rc = mt_writer_write_chunk(mt__g.writer, c);
  if (rc != 0) {
    mt__stop("cannot write the trace: ", rc == MT_EIO ? errno : rc == MT_ENOMEM ? ENOMEM : EINVAL);
    return -1;
  }
  mt__zlevel_observe(c->len, mt_writer_bytes_written(mt__g.writer) - before);
  return 0;
}

/* background: written by the writer thread, which may take a slower, stronger level. */
static int write_chunk(const mt_chunk *c, int background) {
  mt__zlevel_pick(background, atomic_load(&queue_len));
  return write_frame(c);
}

int mt__io_write_chunk(const mt_chunk *c) { return write_chunk(c, 0); }

static void drain_locked(int background) {
  mt_buf *b;
  while ((b = queue_pop()) != NULL) {
    mt_chunk c = {.data = b->data, .len = b->len, .cap = MT_BUF_DATA_CAP, .tid = b->tid};
    write_chunk(&c, background);
    mt__buf_put(b);
  }
}

void mt__writer_write_through(const mt_chunk *c) {
  /* a flush that ran out of buffers holds the lock already: the lock does not nest */
  int mine = atomic_load_explicit(&mt__io_lock.owner, memory_order_relaxed) == mt__tid();
  if (!mine)
    mt__lock(&mt__io_lock);
  drain_locked(0); /* the thread's earlier buffers go first */
  write_chunk(c, 0);
  if (!mine)
    mt__unlock(&mt__io_lock);
}

void mt__writer_wake(void) {
  atomic_fetch_add(&wake_word, 1);
  if (atomic_load(&writer_sleeping))
    mt__os_futex_wake(&wake_word);
}

void mt__writer_help(void) {
  mt__lock(&mt__io_lock);
  drain_locked(0);
  mt__unlock(&mt__io_lock);
}

static void flush_all_locked(int timed, int background) {
  drain_locked(background);
  for (mt_tbuf *tb = mt__tbuf_first(); tb; tb = tb->next_all) {
    int locked;
    if (timed) { /* exit: the owner may be frozen inside; its chunk is written anyway */
      locked = mt__lock_timed(&tb->lock, 100);
    } else if (background) {
      /* the periodic flush: a buffer whose owner holds it is flushed next time (its owner
       * may be writing through, see mt__writer_write_through: owners take io after tb) */
      if (!mt__lock_timed(&tb->lock, 20))
        continue;
      locked = 1;
    } else {
      mt__lock(&tb->lock);
      locked = 1;
    }
    if (tb->buf && !mt_chunk_empty(&tb->chunk)) {
      write_chunk(&tb->chunk, background);
      mt_chunk_reset(&tb->chunk, tb->tid);
    }
    if (locked)
      mt__unlock(&tb->lock);
  }
  drain_locked(background);
}

void mt__writer_flush_all_locked(int timed) { flush_all_locked(timed, 0); }

/* Thread ---------------------------------------------------------------------------------------- */

/* Samples closer together than this share a frame: at --rss-interval 1, a frame each made
 * a short program's trace 40% larger. */
#define RSS_FRAME_SPACING_NS 10000000ull

static void sample_rss(uint64_t now) {
  static uint64_t last_frame;
  char buf[128];
  if (mt__os_read_file("/proc/self/statm", buf, sizeof buf) <= 0)
    return;
  const char *p = buf;
  while (*p && *p != ' ')
    p++;
  uint64_t pages = 0;
  for (p++; *p >= '0' && *p <= '9'; p++)
    pages = pages * 10 + (uint64_t)(*p - '0');
  mt_tbuf *tb = mt__tbuf_get();
  if (!tb)
    return;
  mt_record r = {.type = MT_REC_RSS};
  r.u.rss.seq = mt__seq_next();
  r.u.rss.time_ns = mt__time_ns();
  r.u.rss.rss_bytes = pages * (uint64_t)sysconf(_SC_PAGESIZE);
  mt__lock(&tb->lock);
  mt__tbuf_put_locked(tb, &r);
  /* Written at once, so the sample reaches the file before the allocating threads' events
   * after it: written with the next periodic flush instead, it left a gap in their numbers
   * that held every event after it in the analyzer's ordering window until the window was
   * full (half the events of a 4M-event trace went through that window). Not queued: a
   * buffer in the queue keeps the frames written before it at the fast level (sqlite3's
   * trace grew 19%), and at the level in use: a sample is too small to judge the data by. */
  if (now - last_frame >= RSS_FRAME_SPACING_NS) {
    last_frame = now;
    mt__lock(&mt__io_lock);
    write_frame(&tb->chunk);
    mt_chunk_reset(&tb->chunk, tb->tid);
    mt__unlock(&mt__io_lock);
  }
  mt__unlock(&tb->lock);
}

static void *writer_main(void *arg) {
  (void)arg;
  mt__tls.guard = 1;
  prctl(PR_SET_NAME, "memtrace-writer", 0, 0, 0);
  int rss_ms = mt__g.opt.rss_interval_ms;
  int tick = rss_ms > 0 && rss_ms < TICK_MS ? rss_ms : TICK_MS;
  uint64_t last_flush = mt__os_now_ns(CLOCK_MONOTONIC), last_rss = 0;
  atomic_store(&writer_tid, mt__os_gettid());
  for (;;) {
    unsigned w = atomic_load(&wake_word);
    if (atomic_load(&queue_len) == 0 && !atomic_load(&stepping_aside)) {
      atomic_store(&writer_sleeping, 1);
      mt__os_futex_wait(&wake_word, w, tick);
      atomic_store(&writer_sleeping, 0);
    }
    if (atomic_load(&stepping_aside))
      break; /* queued buffers wait for the next writer (producers write them if many) */
    uint64_t now = mt__os_now_ns(CLOCK_MONOTONIC);
    mt__clock_calibrate();
    if (rss_ms > 0 && now - last_rss >= (uint64_t)rss_ms * 1000000u &&
        atomic_load(&mt__g.state) == MT_STATE_RUNNING) {
      last_rss = now;
      sample_rss(now);
    }
    mt__lock(&mt__io_lock);
    if (atomic_load(&mt__g.state) > MT_STATE_RUNNING) { /* UNINIT: the constructor replays */
      mt__unlock(&mt__io_lock);
      mt__leak_scan_help();
      break;
    }
    if (now - last_flush >= MT_FLUSH_INTERVAL_MS * 1000000ull) {
      last_flush = now;
      flush_all_locked(0, 1);
    } else {
      drain_locked(1);
    }
    mt__unlock(&mt__io_lock);
    if (now == last_flush) {
      mt_tbuf *tb = mt__tbuf_get();
      if (tb)
        mt__modules_scan(tb, 0);
    }
  }
  atomic_store(&mt__writer_running, 0);
  return NULL;
}

void mt__writer_ensure(void) {
  int expected = 0;
  if (atomic_load(&stepping_aside) ||
      !atomic_compare_exchange_strong(&mt__writer_running, &expected, 1))
    return;
  mt__tls.guard++;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_t t;
  int ok = pthread_attr_init(&attr) == 0;
  if (ok) {
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    ok = pthread_create(&t, &attr, writer_main, NULL) == 0;
    pthread_attr_destroy(&attr);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!ok) {
    atomic_store(&mt__writer_running, 2); /* no thread: producers write themselves */
    mt__message("cannot start the writer thread; writing from the program's threads", NULL);
  }
  mt__tls.guard--;
}

/* Some calls need a process with one thread: unshare(CLONE_NEWUSER), setns into a user or
 * mount namespace. For them the writer thread ends, and the kernel has let it go, before the
 * call; the next event after mt__writer_return starts a new one. A program that has threads
 * of its own gets the error it would get natively (after a bounded wait). */
void mt__writer_step_aside(void) {
  atomic_store(&stepping_aside, 1);
  if (atomic_load(&mt__writer_running) != 1)
    return;
  atomic_fetch_add(&wake_word, 1);
  mt__os_futex_wake(&wake_word);
  int saved = errno;
  for (int i = 0; i < 2000; i++) { /* 1 s at most */
    /* it stored its tid before it could end */
    if (atomic_load(&mt__writer_running) == 0 &&
        syscall(SYS_tgkill, mt__os_getpid(), atomic_load(&writer_tid), 0) != 0 && errno == ESRCH)
      break; /* gone from the thread group */
    struct timespec half_ms = {0, 500000};
    nanosleep(&half_ms, NULL);
  }
  errno = saved;
}

void mt__writer_return(void) { atomic_store(&stepping_aside, 0); }

void mt__writer_reset_after_fork(void) {
  mt__lock_init(&mt__io_lock);
  mt__lock_init(&mt__queue_lock);
  mt__lock_init(&mt__pool_lock);
  mt_buf *b;
  while ((b = queue_pop()) != NULL)
    mt__buf_put(b);
  atomic_store(&queue_len, 0);
  atomic_store(&writer_sleeping, 0);
  atomic_store(&mt__writer_running, 0);
}
