/* SPDX-License-Identifier: MIT */
/* The event path shared by every hook: take a call stack, update the live-heap bookkeeping
 * (one atomic for live bytes, a short lock only when a new peak is reached), take a global
 * sequence number and append the record to the calling thread's chunk. Callers have checked
 * mt__recording() / mt__tracking(); everything here runs with the re-entrancy guard set. */
#include "internal.h"

#include <string.h>
#include <time.h>

uint64_t mt__seq_next(void) {
  return atomic_fetch_add_explicit(&mt__g.seq, 1, memory_order_relaxed) + 1;
}

uint64_t mt__time_ns(void) { return mt__clock_now_ns() - mt__g.start_mono_ns; }

static inline int is_heap(int kind) { return kind <= MT_ALLOC_PVALLOC; }

static void peak_update(int64_t live, uint64_t seq) {
  if (live <= 0 || (uint64_t)live <= __atomic_load_n(&mt__g.peak_bytes, __ATOMIC_RELAXED))
    return;
  mt__lock(&mt__g.peak_lock);
  if ((uint64_t)live > mt__g.peak_bytes) {
    __atomic_store_n(&mt__g.peak_bytes, (uint64_t)live, __ATOMIC_RELAXED);
    mt__g.peak_seq = seq;
  }
  mt__unlock(&mt__g.peak_lock);
}

/* After appending: help the writer when the queue is long, start it after a fork. */
static inline void after_append(mt_tbuf *tb) {
  if (mt_unlikely(tb->help)) {
    tb->help = 0;
    mt__writer_help();
  }
  if (mt_unlikely(atomic_load_explicit(&mt__writer_running, memory_order_relaxed) == 0))
    mt__writer_ensure();
}

/* The tbuf shared by exiting threads: numbers must rise within its chunk, so the record
 * gets a fresh one under the lock (the one taken before is left unused). */
static void renumber(mt_record *r) {
  uint64_t seq = mt__seq_next();
  switch (r->type) {
  case MT_REC_ALLOC: r->u.alloc.seq = seq; break;
  case MT_REC_FREE: r->u.free.seq = seq; break;
  case MT_REC_REALLOC: r->u.realloc.seq = seq; break;
  case MT_REC_MARKER: r->u.marker.seq = seq; break;
  case MT_REC_FORK: r->u.fork.seq = seq; break;
  case MT_REC_EXEC: r->u.exec.seq = seq; break;
  default: break;
  }
}

static void put(mt_tbuf *tb, mt_record *r) {
  mt__lock(&tb->lock);
  if (mt_unlikely(tb->shared))
    renumber(r);
  mt__tbuf_put_locked(tb, r);
  mt__unlock(&tb->lock);
  after_append(tb);
}

static uint64_t capture_stack(mt_tbuf *tb) {
  uintptr_t ips[mt__g.opt.depth]; /* sized by the option: programs may run on small stacks */
  int n = mt__unwind(ips, mt__g.opt.depth, tb->shared ? NULL : &tb->l1);
  if (mt_unlikely(tb->shared)) {
    mt_stack_memo local;
    local.n = 0;
    return mt__stack_intern(tb, &local, ips, n);
  }
  return mt__stack_intern(tb, &tb->memo, ips, n);
}

/* FREE of a heap block whose size we know (already removed from the live table). */
static void heap_free_known(mt_tbuf *tb, void *p, uint64_t size) {
  uint64_t seq = mt__seq_next();
  atomic_fetch_sub_explicit(&mt__g.live_bytes, (int64_t)size, memory_order_relaxed);
  tb->frees++;
  tb->live_blocks--;
  mt_record r = {.type = MT_REC_FREE};
  r.u.free = (mt_rec_free){MT_ALLOC_MALLOC, seq, mt__time_ns(), (uintptr_t)p, 0};
  put(tb, &r);
}

void mt__record_alloc(int kind, void *p, uint64_t size) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (!tb)
    goto out;
  uint64_t stack = capture_stack(tb);
  uint64_t seq;
  if (is_heap(kind)) {
    uint64_t old;
    if (mt__live_insert((uintptr_t)p, size, &old)) /* its free went past us: record it now */
      heap_free_known(tb, p, old);
    seq = mt__seq_next();
    int64_t live = atomic_fetch_add_explicit(&mt__g.live_bytes, (int64_t)size,
                                             memory_order_relaxed) + (int64_t)size;
    peak_update(live, seq);
    tb->allocations++;
    tb->bytes_allocated += size;
    tb->live_blocks++;
  } else {
    seq = mt__seq_next();
  }
  mt_record r = {.type = MT_REC_ALLOC};
  r.u.alloc = (mt_rec_alloc){(uint32_t)kind, seq, mt__time_ns(), (uintptr_t)p, size, stack};
  put(tb, &r);
out:
  mt__tls.guard--;
}

void mt__record_free(void *p) {
  uint64_t size;
  if (!mt__live_remove((uintptr_t)p, &size))
    return;
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb)
    heap_free_known(tb, p, size);
  mt__tls.guard--;
}

void mt__record_realloc(int kind, void *old, int old_known, uint64_t old_size, void *q,
                        uint64_t n) {
  if (!old_known) { /* the old block was never recorded: the new one is an allocation */
    if (mt__recording())
      mt__record_alloc(kind, q, n);
    return;
  }
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (!tb)
    goto out;
  if (!atomic_load_explicit(&mt__g.recording, memory_order_relaxed)) {
    heap_free_known(tb, old, old_size); /* paused: the old block leaves, the new is unseen */
    goto out;
  }
  uint64_t stack = capture_stack(tb);
  uint64_t prev;
  if (mt__live_insert((uintptr_t)q, n, &prev))
    heap_free_known(tb, q, prev);
  uint64_t seq = mt__seq_next();
  int64_t delta = (int64_t)n - (int64_t)old_size;
  int64_t live =
      atomic_fetch_add_explicit(&mt__g.live_bytes, delta, memory_order_relaxed) + delta;
  peak_update(live, seq);
  tb->allocations++;
  tb->frees++;
  tb->bytes_allocated += n;
  mt_record r = {.type = MT_REC_REALLOC};
  r.u.realloc =
      (mt_rec_realloc){(uint32_t)kind, seq, mt__time_ns(), (uintptr_t)old, (uintptr_t)q, n, stack};
  put(tb, &r);
out:
  mt__tls.guard--;
}

/* Called by mt__region_remove for every recorded piece of a mapping that goes away. */
static void unmapped_piece(uintptr_t start, uint64_t len, void *arg) {
  mt_tbuf *tb = arg;
  mt_record r = {.type = MT_REC_FREE};
  r.u.free = (mt_rec_free){MT_ALLOC_MMAP, mt__seq_next(), mt__time_ns(), start, len};
  put(tb, &r);
}

void mt__record_mmap(void *p, uint64_t len) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb) {
    uint64_t stack = capture_stack(tb);
    mt__region_remove((uintptr_t)p, len, unmapped_piece, tb); /* stale overlap, if any */
    mt__region_add((uintptr_t)p, len);
    mt_record r = {.type = MT_REC_ALLOC};
    r.u.alloc = (mt_rec_alloc){MT_ALLOC_MMAP, mt__seq_next(), mt__time_ns(), (uintptr_t)p, len,
                               stack};
    put(tb, &r);
  }
  mt__tls.guard--;
}

void mt__record_munmap(void *p, uint64_t len) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb)
    mt__region_remove((uintptr_t)p, len, unmapped_piece, tb);
  mt__tls.guard--;
}

static void count_piece(uintptr_t start, uint64_t len, void *arg) {
  (void)start;
  *(uint64_t *)arg += len;
}

void mt__record_mremap(void *old, uint64_t old_len, void *q, uint64_t new_len) {
  mt__tls.guard++;
  uint64_t known = 0;
  mt__region_remove((uintptr_t)old, old_len, count_piece, &known);
  mt_tbuf *tb = known ? mt__tbuf_get() : NULL;
  if (tb) {
    uint64_t stack = capture_stack(tb);
    mt__region_remove((uintptr_t)q, new_len, unmapped_piece, tb);
    mt__region_add((uintptr_t)q, new_len);
    mt_record r = {.type = MT_REC_REALLOC};
    r.u.realloc = (mt_rec_realloc){MT_ALLOC_MMAP, mt__seq_next(), mt__time_ns(),
                                   (uintptr_t)old, (uintptr_t)q, new_len, stack};
    put(tb, &r);
  }
  mt__tls.guard--;
}

void mt__record_custom_alloc(void *p, uint64_t size) { mt__record_alloc(MT_ALLOC_CUSTOM, p, size); }

void mt__record_custom_free(void *p) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb) {
    mt_record r = {.type = MT_REC_FREE};
    r.u.free = (mt_rec_free){MT_ALLOC_CUSTOM, mt__seq_next(), mt__time_ns(), (uintptr_t)p, 0};
    put(tb, &r);
  }
  mt__tls.guard--;
}

void mt__record_marker(const char *label) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb) {
    mt_record r = {.type = MT_REC_MARKER};
    size_t n = label ? strnlen(label, 1024) : 0;
    r.u.marker.seq = mt__seq_next();
    r.u.marker.time_ns = mt__time_ns();
    r.u.marker.label = (mt_str){label ? label : "", n};
    put(tb, &r);
  }
  mt__tls.guard--;
}

void mt__record_fork(uint32_t child) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb) {
    mt_record r = {.type = MT_REC_FORK};
    r.u.fork = (mt_rec_fork){mt__seq_next(), mt__time_ns(), child};
    put(tb, &r);
  }
  mt__tls.guard--;
}

void mt__record_exec(const char *path) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb) {
    mt_record r = {.type = MT_REC_EXEC};
    r.u.exec.seq = mt__seq_next();
    r.u.exec.time_ns = mt__time_ns();
    r.u.exec.path = (mt_str){path, strnlen(path, MT_PATH_MAX)};
    put(tb, &r);
  }
  mt__tls.guard--;
}
