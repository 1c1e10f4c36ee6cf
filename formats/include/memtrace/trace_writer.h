/* SPDX-License-Identifier: MIT */
/* Frame writer: writes the file header and turns finished chunks into zstd frames on a file
 * descriptor. It allocates only at creation, through an allocator the caller may supply, and
 * uses write(2) directly (no stdio), so it is safe inside the preload shim. */
#ifndef MEMTRACE_TRACE_WRITER_H
#define MEMTRACE_TRACE_WRITER_H

#include "trace_chunk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Memory source for the writer's buffers and compression context. */
typedef struct {
  void *(*alloc)(void *opaque, size_t size);
  void (*free)(void *opaque, void *ptr);
  void *opaque;
} mt_allocator;

typedef struct mt_writer mt_writer;

/* Create a writer on fd (which it does not own or close) for chunks of up to max_chunk bytes,
 * compressing at zstd level `level` (1 is the shim's default). allocator may be NULL (malloc).
 * @return 0, MT_EINVAL (bad size or level) or MT_ENOMEM. */
MT_API int mt_writer_create(mt_writer **out, int fd, size_t max_chunk, int level,
                            const mt_allocator *allocator);

/* Compress the next chunks at zstd level `level` (1 to ZSTD_maxCLevel()); frames already
 * written keep theirs. Every level reads the same. @return 0 or MT_EINVAL. */
MT_API int mt_writer_set_level(mt_writer *w, int level);

/* Write the 24-byte file header. Call once, first. @return 0 or MT_EIO (errno is kept). */
MT_API int mt_writer_write_header(mt_writer *w);

/* Compress the chunk into one frame and write it whole (retrying on EINTR and short writes).
 * An empty chunk writes nothing. @return 0, MT_EIO (errno kept, e.g. ENOSPC) or MT_ETOOBIG. */
MT_API int mt_writer_write_chunk(mt_writer *w, const mt_chunk *c);

/* Bytes written to the file so far, header included. */
MT_API uint64_t mt_writer_bytes_written(const mt_writer *w);
/* Allocate, once, all the memory compression at levels up to max_level will ever need, so
 * that writing never allocates again (a program short of memory does not end its trace;
 * switching levels does not map and unmap a workspace each frame). @return 0, MT_EINVAL or
 * MT_ENOMEM (the writer keeps working as before). */
MT_API int mt_writer_reserve(mt_writer *w, int max_level);
/* Continue writing through another descriptor of the same open file (a dup of the first):
 * used when the first one's number must be given up. */
MT_API void mt_writer_set_fd(mt_writer *w, int fd);

/* Free the writer (the file descriptor stays open). NULL is ignored. */
MT_API void mt_writer_destroy(mt_writer *w);

#ifdef __cplusplus
}
#endif
#endif /* MEMTRACE_TRACE_WRITER_H */
