/* SPDX-License-Identifier: MIT */
/* Streaming trace reader: decodes a trace record by record in constant memory (one frame at a
 * time, at most MT_CHUNK_MAX bytes), validating every byte. It never crashes, hangs or reads
 * out of bounds, whatever the input; on damage it reports the error and the byte offset. */
#ifndef MEMTRACE_TRACE_READER_H
#define MEMTRACE_TRACE_READER_H

#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mt_reader mt_reader;

/* Open a trace file. Nothing is validated until the first mt_reader_next().
 * @return 0, MT_ENOENT, MT_EIO (errno kept) or MT_ENOMEM. */
MT_API int mt_reader_open_file(mt_reader **out, const char *path);

/* Read a trace from memory that stays valid until mt_reader_close(). @return 0 or MT_ENOMEM. */
MT_API int mt_reader_open_memory(mt_reader **out, const void *data, size_t size);

/* Decode the next record into *rec.
 * @return 1 with a record; 0 at the clean end (END record seen, nothing after it); or a
 *         negative error. Records before a damaged frame are all delivered first. Once an
 *         error is returned, every later call returns it again.
 *         MT_ETRUNCATED: the file ends inside a frame (e.g. killed while writing);
 *         MT_ENOEND: the file ends on a frame boundary but before the END record.
 *         Both mean the records delivered so far are valid: see mt_reader_is_partial(). */
MT_API int mt_reader_next(mt_reader *r, mt_record *rec);

/* An ALLOC or FREE record as mt_reader_next_events delivers it. */
typedef struct {
  uint64_t seq, time_ns;
  uint64_t address, size;   /* FREE: size as in mt_rec_free (0: the whole block) */
  uint64_t stack;           /* ALLOC: stack node id; FREE: 0 */
  uint32_t tid;             /* thread of the chunk holding the record */
  uint8_t type;             /* MT_REC_ALLOC or MT_REC_FREE */
  uint8_t kind;             /* mt_alloc_kind */
} mt_event;

/* Decode up to max ALLOC and FREE records that come next in the current frame into ev,
 * stopping before any other record, at the end of the frame, and before anything unusual.
 * They are exactly the records mt_reader_next would return one by one, without its
 * per-record dispatch (most records of a trace are these two). Call mt_reader_next for
 * what comes after them; it also reports any damage they stopped at.
 * @return how many were decoded, 0 when the next record is not one of them. */
MT_API size_t mt_reader_next_events(mt_reader *r, mt_event *ev, size_t max);
/* True for the errors that just mean "the trace stops early": MT_ETRUNCATED, MT_ENOEND. */
MT_API int mt_reader_is_partial(int err);

/* After an error: the byte offset where reading failed, and a one-line message that names
 * the error, the offset and the detail, e.g.
 * "trace truncated at offset 1234 (frame cut after 100 of 356 bytes)". */
MT_API uint64_t mt_reader_error_offset(const mt_reader *r);
MT_API const char *mt_reader_error_message(const mt_reader *r);

/* Format version of the trace (valid after the first successful mt_reader_next()). */
MT_API void mt_reader_version(const mt_reader *r, int *major, int *minor);

/* Bytes consumed and frames decoded so far (for progress bars). */
MT_API uint64_t mt_reader_bytes_consumed(const mt_reader *r);
MT_API uint64_t mt_reader_frames(const mt_reader *r);

/* Close the reader and free its memory. NULL is ignored. */
MT_API void mt_reader_close(mt_reader *r);

#ifdef __cplusplus
}
#endif
#endif /* MEMTRACE_TRACE_READER_H */
