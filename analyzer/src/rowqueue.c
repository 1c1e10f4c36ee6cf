/* SPDX-License-Identifier: MIT */
/* A ring of chunks under one mutex. The producer fills chunk `fill` alone, the consumer reads
 * chunk `drain` alone; `published` counts the chunks handed over and not yet released, so
 * the lock is taken once per chunk, not once per row. Chunks are allocated when first used:
 * a small trace needs one. */
#include "rowqueue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Up to 4 MiB in flight: stack rows come in bursts (a new code path), and a deep queue lets
 * the writer keep working through the stretches of events between them (clang++ trace:
 * 4 chunks left the writer idle 0.05 s of 0.32 s, 64 chunks under 0.01 s). */
#define MT__ROWQ_CHUNKS 64
#define CHUNK_BYTES (64 * 1024)

typedef struct {
  char *buf;
  size_t len, cap;
} chunk;

struct mt__rowq {
  chunk chunks[MT__ROWQ_CHUNKS];
  size_t fill, drain;
  pthread_mutex_t lock;
  pthread_cond_t changed;   /* a chunk was published or released, or the queue closed/stopped */
  size_t published;         /* under lock */
  int closed;               /* under lock */
  atomic_int stopped;
};

mt__rowq *mt__rowq_new(void) {
  mt__rowq *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->changed, NULL);
  return q;
}

void mt__rowq_free(mt__rowq *q) {
  if (!q) return;
  for (int i = 0; i < MT__ROWQ_CHUNKS; i++) free(q->chunks[i].buf);
  pthread_mutex_destroy(&q->lock);
  pthread_cond_destroy(&q->changed);
  free(q);
}

/* Hand the current chunk over and wait for a free one. @return 0, or -1 when stopped. */
static int publish(mt__rowq *q) {
  pthread_mutex_lock(&q->lock);
  q->published++;
  pthread_cond_broadcast(&q->changed);
  while (q->published == MT__ROWQ_CHUNKS && !atomic_load(&q->stopped))
    pthread_cond_wait(&q->changed, &q->lock);
  pthread_mutex_unlock(&q->lock);
  if (atomic_load(&q->stopped)) return -1;
  q->fill = (q->fill + 1) % MT__ROWQ_CHUNKS;
  q->chunks[q->fill].len = 0;
  return 0;
}

/* A chunk with room for n more bytes when the current one has not: the next one once the
 * current one holds rows, made large enough. @return it, or NULL when stopped or out of
 * memory. Out of line: inlined, it made every row save and restore five registers. */
__attribute__((noinline)) static chunk *make_room(mt__rowq *q, size_t n) {
  chunk *c = &q->chunks[q->fill];
  if (c->len > 0) {
    if (publish(q)) return NULL;
    c = &q->chunks[q->fill];
  }
  if (n > c->cap) {
    /* a row larger than a chunk (a long argv) gets a chunk of its own size */
    size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
    char *buf = realloc(c->buf, cap);
    if (!buf) return NULL;
    c->buf = buf;
    c->cap = cap;
  }
  return c;
}

void *mt__rowq_reserve(mt__rowq *q, size_t n) {
  chunk *c = &q->chunks[q->fill];
  if (c->len + n > c->cap && !(c = make_room(q, n))) return NULL;
  void *p = c->buf + c->len;
  c->len += n;
  return p;
}

void mt__rowq_close(mt__rowq *q) {
  pthread_mutex_lock(&q->lock);
  if (q->chunks[q->fill].len > 0) q->published++;
  q->closed = 1;
  pthread_cond_broadcast(&q->changed);
  pthread_mutex_unlock(&q->lock);
}

int mt__rowq_stopped(mt__rowq *q) { return atomic_load(&q->stopped); }

int mt__rowq_take(mt__rowq *q, const void **data, size_t *len) {
  pthread_mutex_lock(&q->lock);
  while (q->published == 0 && !q->closed) pthread_cond_wait(&q->changed, &q->lock);
  int have = q->published > 0;
  pthread_mutex_unlock(&q->lock);
  if (!have) return 0;
  *data = q->chunks[q->drain].buf;
  *len = q->chunks[q->drain].len;
  return 1;
}

void mt__rowq_release(mt__rowq *q) {
  q->drain = (q->drain + 1) % MT__ROWQ_CHUNKS;
  pthread_mutex_lock(&q->lock);
  q->published--;
  pthread_cond_broadcast(&q->changed);
  pthread_mutex_unlock(&q->lock);
}

void mt__rowq_stop(mt__rowq *q) {
  pthread_mutex_lock(&q->lock);
  atomic_store(&q->stopped, 1);
  pthread_cond_broadcast(&q->changed);
  pthread_mutex_unlock(&q->lock);
}
