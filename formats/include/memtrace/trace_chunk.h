/* SPDX-License-Identifier: MIT */
/* Record encoder: appends records to a caller-owned buffer that later becomes one zstd frame.
 * It never allocates and never calls stdio, so the preload shim can use it on its hot path. */
#ifndef MEMTRACE_TRACE_CHUNK_H
#define MEMTRACE_TRACE_CHUNK_H

#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Worst-case encoded size of one ALLOC, FREE, REALLOC or STACK record. A chunk with at least
 * this much room left always accepts the next event. */
#define MT_EVENT_MAX_BYTES 80

/* The addresses of a chunk's latest allocations still live, or of its latest frees, newest
 * first: an event names an address found here by its position, which repeats far more than
 * the address does (docs/trace-format.md, "Address references"). A ring of MT_RECENT_MAX:
 * entry i (0 is the newest) is address[(head - 1 - i) % MT_RECENT_MAX], for i < count. */
typedef struct {
  uint64_t address[MT_RECENT_MAX];
  uint32_t head, count;
} mt_recent;

/* A chunk under construction. Deltas (sequence, time, address, stack ip and id) are relative
 * to the previous record of the chunk, and the recent addresses those of the chunk; all
 * restart empty in every chunk, so frames decode independently. */
typedef struct {
  uint8_t *data;
  size_t len, cap;
  uint32_t tid;
  uint64_t prev_seq, prev_time, prev_address, prev_ip, prev_stack;
  mt_recent live, freed;
} mt_chunk;

/* Attach a buffer of cap bytes (at most MT_CHUNK_MAX) and start the first chunk for tid. */
MT_API void mt_chunk_init(mt_chunk *c, void *buf, size_t cap, uint32_t tid);

/* Empty the chunk and start a new one for tid: writes the CHUNK record, resets deltas. */
MT_API void mt_chunk_reset(mt_chunk *c, uint32_t tid);

/* True when the chunk holds nothing but its CHUNK record. */
MT_API int mt_chunk_empty(const mt_chunk *c);

/* Append one record of any type (rec->tid and rec->frame_offset are ignored; a CHUNK record
 * is refused with MT_EINVAL, use mt_chunk_reset).
 * @return 0, MT_ENOSPC when it does not fit (the chunk is unchanged), or MT_EINVAL for an
 *         unknown type or a field out of the format's range (e.g. too many segments). */
MT_API int mt_chunk_put(mt_chunk *c, const mt_record *rec);

/* Typed fast paths for the four hot record types, which mt_chunk_put also takes for them;
 * same return values and bytes as mt_chunk_put. */
MT_API int mt_chunk_put_alloc(mt_chunk *c, const mt_rec_alloc *a);
MT_API int mt_chunk_put_free(mt_chunk *c, const mt_rec_free *f);
MT_API int mt_chunk_put_realloc(mt_chunk *c, const mt_rec_realloc *r);
MT_API int mt_chunk_put_stack(mt_chunk *c, const mt_rec_stack *s);

#ifdef __cplusplus
}
#endif
#endif /* MEMTRACE_TRACE_CHUNK_H */
