/* SPDX-License-Identifier: MIT */
/* The event path shared by every hook: take a call stack, update the live table, take the
 * global sequence number (for heap events together with the live-bytes change, in one
 * 16-byte CAS; a short lock only when a new peak is reached) and append the record to the
 * calling thread's chunk. Callers have checked mt__recording() / mt__tracking(); everything
 * here runs with the re-entrancy guard set. */
#include "internal.h"

#include <string.h>
#include <time.h>

uint64_t mt__seq_next(void) { return __atomic_add_fetch(&mt__g.ctr.seq, 1, __ATOMIC_RELAXED); }

/* Next sequence number and live bytes after adding delta, as one atomic step: replaying the
 * trace in sequence order then meets exactly the live-bytes values (and peak) we saw. */
static inline void counter_take(int64_t delta, uint64_t *seq, int64_t *live) {
#if defined(__x86_64__)
  uint64_t lo = __atomic_load_n(&mt__g.ctr.seq, __ATOMIC_RELAXED);
  uint64_t hi = (uint64_t)__atomic_load_n(&mt__g.ctr.live, __ATOMIC_RELAXED);
  for (;;) {
    uint64_t nlo = lo + 1, nhi = hi + (uint64_t)delta;
    unsigned char ok;
    __asm__ __volatile__("lock cmpxchg16b %1\n\tsete %0"
                         : "=q"(ok), "+m"(mt__g.ctr), "+a"(lo), "+d"(hi)
                         : "b"(nlo), "c"(nhi)
                         : "memory", "cc");
    if (ok) {
      *seq = nlo;
      *live = (int64_t)nhi;
      return;
    }
  }
#else
  *seq = mt__seq_next();
  *live = __atomic_add_fetch(&mt__g.ctr.live, delta, __ATOMIC_RELAXED);
#endif
}

/* Event times are kept to MT_TIME_RESOLUTION_NS: finer times cost more trace bytes than all
 * other fields together (they are noise to zstd) and no report needs them; order comes from
 * sequence numbers, not times. */
uint64_t mt__time_ns(void) {
  uint64_t t = mt__clock_now_ns() - mt__g.start_mono_ns;
  return t - t % MT_TIME_RESOLUTION_NS;
}

/* Records here are not zero-initialised: mt_record's union holds MODULE's segment table
 * (1.1 KiB), and clearing it cost ~40 ns an event, more than encoding it. Each site sets the
 * type and every field of its member, which is all the encoder reads. */

static inline int is_heap(int kind) { return kind <= MT_ALLOC_PVALLOC; }

/* Peak and the first sequence number that reached it (threads may report out of order). */
static void peak_update(int64_t live, uint64_t seq) {
  if (live <= 0 || (uint64_t)live < __atomic_load_n(&mt__g.peak_bytes, __ATOMIC_RELAXED))
    return;
  mt__lock(&mt__g.peak_lock);
  if ((uint64_t)live > mt__g.peak_bytes ||
      ((uint64_t)live == mt__g.peak_bytes && seq < mt__g.peak_seq)) {
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

static void set_seq(mt_record *r, uint64_t seq) {
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

/* Append a record. In the tbuf shared by exiting threads numbers must rise within the chunk,
 * so the record gets a fresh one under the lock (the one taken before stays unused). */
static void put(mt_tbuf *tb, mt_record *r) {
  mt__lock(&tb->lock);
  if (mt_unlikely(tb->shared))
    set_seq(r, mt__seq_next());
  mt__tbuf_put_locked(tb, r);
  mt__unlock(&tb->lock);
  after_append(tb);
}

/* Append a heap event whose sequence number is taken together with its live-bytes change,
 * under the chunk lock (so numbers rise within the chunk even when it is shared). */
static void put_heap(mt_tbuf *tb, mt_record *r, int64_t delta) {
  uint64_t seq;
  int64_t live;
  mt__lock(&tb->lock);
  counter_take(delta, &seq, &live);
  set_seq(r, seq);
  mt__tbuf_put_locked(tb, r);
  mt__unlock(&tb->lock);
  if (delta > 0)
    peak_update(live, seq);
  after_append(tb);
}

static uint64_t capture_stack(mt_tbuf *tb) {
  uintptr_t ips[mt__g.opt.depth]; /* sized by the option: programs may run on small stacks */
  int n = mt__unwind(ips, mt__g.opt.depth, tb->shared ? NULL : &tb->l1);
  if (mt_unlikely(tb->shared)) {
    mt_stack_memo local;
    local.n = 0;
    return mt__stack_intern(tb, &local, ips, n, 0);
  }
  if (tb->l1.known)
    return tb->l1.known; /* a recent walk again: ips was not written */
  /* The memo holds the stack of this thread's last walk (given_stack breaks the pair) */
  if (mt_unlikely(n <= 0))
    tb->memo.n = 0; /* this walk is the last one now, and the memo no longer its stack */
  uint64_t stack = mt__stack_intern(tb, &tb->memo, ips, n, tb->l1.same_root);
  if (stack)
    mt__cfi_remember(&tb->l1, stack);
  return stack;
}

/* A stack unwound earlier (early.c), ips[0] innermost. */
static uint64_t given_stack(mt_tbuf *tb, const uintptr_t *ips, int n) {
  mt_stack_memo local;
  local.n = 0;
  if (tb->shared)
    return mt__stack_intern(tb, &local, ips, n, 0);
  tb->l1.last_steps = -1; /* the memo no longer holds the last walk's stack */
  return mt__stack_intern(tb, &tb->memo, ips, n, 0);
}

/* FREE of a heap block whose size we know (already removed from the live table). */
static void heap_free_known(mt_tbuf *tb, void *p, uint64_t size) {
  tb->frees++;
  tb->live_blocks--;
  mt_record r;
  r.type = MT_REC_FREE;
  r.u.free = (mt_rec_free){MT_ALLOC_MALLOC, 0, mt__time_ns(), (uintptr_t)p, 0};
  put_heap(tb, &r, -(int64_t)size);
}

/* ALLOC with the caller's stack (ips NULL) or a given one (replayed early events). */
static inline __attribute__((always_inline)) void record_alloc(int kind, void *p, uint64_t size,
                                                               const uintptr_t *ips, int nips) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (!tb)
    goto out;
  if (is_heap(kind))
    mt__live_prefetch((uintptr_t)p);
  uint64_t stack = ips ? given_stack(tb, ips, nips) : capture_stack(tb);
  mt_record r;
  r.type = MT_REC_ALLOC;
  if (is_heap(kind)) {
    uint64_t old;
    if (mt__live_insert((uintptr_t)p, size, &old)) /* its free went past us: record it now */
      heap_free_known(tb, p, old);
    tb->allocations++;
    tb->bytes_allocated += size;
    tb->live_blocks++;
    r.u.alloc = (mt_rec_alloc){(uint32_t)kind, 0, mt__time_ns(), (uintptr_t)p, size, stack};
    put_heap(tb, &r, (int64_t)size);
  } else {
    r.u.alloc = (mt_rec_alloc){(uint32_t)kind, mt__seq_next(), mt__time_ns(), (uintptr_t)p,
                               size, stack};
    put(tb, &r);
  }
out:
  mt__tls.guard--;
}

void mt__record_alloc(int kind, void *p, uint64_t size) { record_alloc(kind, p, size, NULL, 0); }

void mt__record_free(void *p) {
  uint64_t size;
  mt__tls.guard++; /* before any lock: a signal handler that allocates must pass through */
  if (mt__live_remove((uintptr_t)p, &size)) {
    mt_tbuf *tb = mt__tbuf_get();
    if (tb)
      heap_free_known(tb, p, size);
  }
  mt__tls.guard--;
}

/* REALLOC of a known block with the caller's stack (ips NULL) or a given one. */
static void record_realloc(int kind, void *old, uint64_t old_size, void *q, uint64_t n,
                           const uintptr_t *ips, int nips) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (!tb)
    goto out;
  if (!atomic_load_explicit(&mt__g.recording, memory_order_relaxed)) {
    heap_free_known(tb, old, old_size); /* paused: the old block leaves, the new is unseen */
    goto out;
  }
  mt__live_prefetch((uintptr_t)q);
  uint64_t stack = ips ? given_stack(tb, ips, nips) : capture_stack(tb);
  uint64_t prev;
  if (mt__live_insert((uintptr_t)q, n, &prev))
    heap_free_known(tb, q, prev);
  tb->allocations++;
  tb->frees++;
  tb->bytes_allocated += n;
  mt_record r;
  r.type = MT_REC_REALLOC;
  r.u.realloc =
      (mt_rec_realloc){(uint32_t)kind, 0, mt__time_ns(), (uintptr_t)old, (uintptr_t)q, n, stack};
  put_heap(tb, &r, (int64_t)n - (int64_t)old_size);
out:
  mt__tls.guard--;
}

void mt__record_realloc(int kind, void *old, int old_known, uint64_t old_size, void *q,
                        uint64_t n) {
  if (!old_known) { /* the old block was never recorded: the new one is an allocation */
    if (mt__recording())
      mt__record_alloc(kind, q, n);
    return;
  }
  record_realloc(kind, old, old_size, q, n, NULL, 0);
}

void mt__record_replayed(int kind, uintptr_t old, uintptr_t p, uint64_t size,
                         const uintptr_t *ips, int nips) {
  uint64_t old_size = 0;
  mt__tls.guard++;
  int known = old && mt__live_remove(old, &old_size);
  mt__tls.guard--;
  if (known)
    record_realloc(kind, (void *)old, old_size, (void *)p, size, ips, nips);
  else
    record_alloc(kind, (void *)p, size, ips, nips);
}

/* Called by mt__region_remove for every recorded piece of a mapping that goes away. */
static void unmapped_piece(uintptr_t start, uint64_t len, void *arg) {
  mt_tbuf *tb = arg;
  mt_record r;
  r.type = MT_REC_FREE;
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
    mt_record r;
    r.type = MT_REC_ALLOC;
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
    mt_record r;
    r.type = MT_REC_REALLOC;
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
    mt_record r;
    r.type = MT_REC_FREE;
    r.u.free = (mt_rec_free){MT_ALLOC_CUSTOM, mt__seq_next(), mt__time_ns(), (uintptr_t)p, 0};
    put(tb, &r);
  }
  mt__tls.guard--;
}

void mt__record_marker(const char *label) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb) {
    mt_record r;
    r.type = MT_REC_MARKER;
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
    mt_record r;
    r.type = MT_REC_FORK;
    r.u.fork = (mt_rec_fork){mt__seq_next(), mt__time_ns(), child};
    put(tb, &r);
  }
  mt__tls.guard--;
}

void mt__record_exec(const char *path) {
  mt__tls.guard++;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb) {
    mt_record r;
    r.type = MT_REC_EXEC;
    r.u.exec.seq = mt__seq_next();
    r.u.exec.time_ns = mt__time_ns();
    r.u.exec.path = (mt_str){path, strnlen(path, MT_PATH_MAX)};
    put(tb, &r);
  }
  mt__tls.guard--;
}
