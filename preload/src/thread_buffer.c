/* SPDX-License-Identifier: MIT */
/* Per-thread chunks. Each thread appends its records to its own 64 KiB chunk under its own
 * lock, which only the writer thread ever contends for (to flush a partial chunk), so the
 * allocation path takes no global lock. A pthread key destructor flushes a thread's chunk and
 * names the thread when it exits; the chunk memory is reused by later threads. */
#include "internal.h"

#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>

MT_TLS mt_tls_state mt__tls;

/* Threads that record after their key destructor ran (other TLS destructors freeing memory)
 * share this tbuf instead of leaking a new one. */
static MT_TLS int thread_exiting;

static pthread_key_t exit_key;
static int exit_key_ok;
static _Atomic(mt_tbuf *) registry;
static mt_tbuf orphan;

mt_tbuf *mt__tbuf_first(void) { return atomic_load_explicit(&registry, memory_order_acquire); }

static void registry_add(mt_tbuf *tb) {
  mt_tbuf *head = atomic_load(&registry);
  do
    tb->next_all = head;
  while (!atomic_compare_exchange_weak(&registry, &head, tb));
}

/* A free tbuf from the registry, or a new one in its own mapping (its 175 KiB are mostly the
 * unwinder's caches: their pages count once they are touched). */
static mt_tbuf *tbuf_acquire(void) {
  for (mt_tbuf *tb = mt__tbuf_first(); tb; tb = tb->next_all) {
    int expected = 0;
    if (tb != &orphan && atomic_load_explicit(&tb->in_use, memory_order_relaxed) == 0 &&
        atomic_compare_exchange_strong(&tb->in_use, &expected, 1))
      return tb;
  }
  mt_tbuf *tb = mt__os_alloc(sizeof(mt_tbuf));
  if (tb) {
    atomic_store(&tb->in_use, 1);
    registry_add(tb);
  }
  return tb;
}

void mt__tbuf_put_thread_locked(mt_tbuf *tb) {
  char name[17] = {0};
  prctl(PR_GET_NAME, name, 0, 0, 0);
  mt_record r = {.type = MT_REC_THREAD};
  r.u.thread.tid = mt__tid();
  r.u.thread.seq = mt__seq_next();
  r.u.thread.name = mt_str_from(name);
  mt__tbuf_put_locked(tb, &r);
}

static int tbuf_start(mt_tbuf *tb, uint32_t tid) {
  mt__lock(&tb->lock);
  if (!tb->buf)
    tb->buf = mt__buf_get();
  if (!tb->buf) {
    mt__unlock(&tb->lock);
    return -1;
  }
  tb->tid = tid;
  mt_chunk_init(&tb->chunk, tb->buf->data, MT_BUF_DATA_CAP, tid);
  mt__unlock(&tb->lock);
  return 0;
}

/* The tbuf shared by exiting threads, started on first use. Threads often exit together, so
 * the check and the start happen under its lock: starting it twice would drop the records the
 * first thread already put in it. */
static mt_tbuf *orphan_get(void) {
  mt__lock(&orphan.lock);
  if (!orphan.buf && (orphan.buf = mt__buf_get()) != NULL) {
    orphan.tid = mt__tid();
    mt_chunk_init(&orphan.chunk, orphan.buf->data, MT_BUF_DATA_CAP, orphan.tid);
  }
  mt_tbuf *tb = orphan.buf ? &orphan : NULL;
  mt__unlock(&orphan.lock);
  return tb;
}

/* mt__tbuf_get's first call on a thread (or after its key destructor ran). */
mt_tbuf *mt__tbuf_attach(void) {
  if (thread_exiting)
    return orphan_get();
  mt_tbuf *tb = tbuf_acquire();
  if (!tb)
    return NULL;
  if (tbuf_start(tb, mt__tid()) != 0) {
    atomic_store(&tb->in_use, 0);
    return NULL;
  }
  mt__tls.tbuf = tb;
  if (exit_key_ok)
    pthread_setspecific(exit_key, tb);
  if (mt__os_gettid() != mt__os_getpid())
    tb->signal_stack_on = mt__signal_stack_enter(&tb->signal_stack);
  mt__lock(&tb->lock);
  mt__tbuf_put_thread_locked(tb);
  mt__unlock(&tb->lock);
  return tb;
}

void mt__tbuf_swap_locked(mt_tbuf *tb) {
  if (mt_chunk_empty(&tb->chunk))
    return;
  mt_buf *fresh = mt__buf_get();
  if (!fresh) { /* out of memory for another buffer: write this one now and keep it */
    mt__writer_write_through(&tb->chunk);
    mt_chunk_reset(&tb->chunk, tb->tid);
    return;
  }
  mt_buf *full = tb->buf;
  full->len = tb->chunk.len;
  full->tid = tb->chunk.tid;
  tb->buf = fresh;
  mt_chunk_init(&tb->chunk, fresh->data, MT_BUF_DATA_CAP, tb->tid);
  if (mt__queue_push(full))
    tb->help = 1;
}

void mt__tbuf_put_locked(mt_tbuf *tb, const mt_record *rec) {
  if (mt_chunk_put(&tb->chunk, rec) == MT_ENOSPC) {
    mt__tbuf_swap_locked(tb);
    mt_chunk_put(&tb->chunk, rec);
  }
}

/* Thread exit: name the thread, hand its chunk to the writer, free the tbuf for reuse. */
static void on_thread_exit(void *arg) {
  mt_tbuf *tb = arg;
  mt__tls.guard++;
  if (atomic_load(&mt__g.state) == MT_STATE_RUNNING) {
    mt__lock(&tb->lock);
    mt__tbuf_put_thread_locked(tb);
    mt__tbuf_swap_locked(tb);
    mt__unlock(&tb->lock);
  }
  int help = tb->help;
  tb->help = 0;
  mt__tls.tbuf = NULL;
  thread_exiting = 1;
  if (tb->signal_stack_on && !mt__signal_stack_leave(tb->signal_stack))
    tb->signal_stack = NULL; /* still this thread's: the next one gets another */
  tb->signal_stack_on = 0;
  atomic_store_explicit(&tb->in_use, 0, memory_order_release);
  if (help)
    mt__writer_help();
  mt__tls.guard--;
}

void mt__tbuf_setup(void) {
  if (!exit_key_ok && pthread_key_create(&exit_key, on_thread_exit) == 0)
    exit_key_ok = 1;
  static int orphan_added;
  if (!orphan_added) {
    orphan_added = 1;
    orphan.shared = 1;
    atomic_store(&orphan.in_use, 1);
    registry_add(&orphan);
  }
}

void mt__tbuf_reset_after_fork(void) {
  for (mt_tbuf *tb = mt__tbuf_first(); tb; tb = tb->next_all) {
    mt__lock_init(&tb->lock);
    if (tb != &orphan)
      atomic_store(&tb->in_use, 0);
    tb->allocations = tb->frees = tb->bytes_allocated = 0;
    tb->live_blocks = 0;
    tb->help = 0;
    tb->memo.n = 0;           /* node ids restart in the child's trace */
    mt__cfi_forget(&tb->l1); /* and the walks kept lose their stacks */
    if (mt__signal_stack_is(tb->signal_stack))
      tb->signal_stack = NULL; /* the child's only thread keeps it */
    tb->signal_stack_on = 0;
    if (tb->buf)
      mt_chunk_init(&tb->chunk, tb->buf->data, MT_BUF_DATA_CAP, tb->tid);
  }
  mt__tls.tbuf = NULL;
  mt__tls.tid = 0;
}
