/* SPDX-License-Identifier: MIT */
/* A bounded queue of byte chunks from one producing thread to one consuming thread: ingest's
 * reading thread packs database rows into chunks, the main thread writes them. At most 64
 * chunks of 64 KiB exist (a longer row gets a chunk of its size), so memory does not grow
 * with the trace. */
#ifndef MT_ANALYZER_ROWQUEUE_H
#define MT_ANALYZER_ROWQUEUE_H

#include <stddef.h>

typedef struct mt__rowq mt__rowq;

/* @return a new queue, or NULL (no memory). */
mt__rowq *mt__rowq_new(void);
void mt__rowq_free(mt__rowq *q);

/* Producer: n bytes (a multiple of 8) at the end of the current chunk, published when it is
 * full (waiting while every chunk is in use). @return the space, or NULL when the consumer
 * stopped (mt__rowq_stopped) or there is no memory. */
void *mt__rowq_reserve(mt__rowq *q, size_t n);
/* Producer: publish the last chunk; the consumer sees the end after it. */
void mt__rowq_close(mt__rowq *q);
/* Producer: whether the consumer stopped (can be polled without blocking). */
int mt__rowq_stopped(mt__rowq *q);

/* Consumer: wait for the next chunk. @return 1 with *data and *len set (valid until
 * mt__rowq_release), or 0 once the producer closed the queue and every chunk was taken. */
int mt__rowq_take(mt__rowq *q, const void **data, size_t *len);
/* Consumer: hand the chunk of the last mt__rowq_take back to the producer. */
void mt__rowq_release(mt__rowq *q);
/* Consumer: give up; the producer's next mt__rowq_reserve that needs a chunk returns NULL. */
void mt__rowq_stop(mt__rowq *q);

#endif
