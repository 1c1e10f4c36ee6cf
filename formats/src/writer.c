/* SPDX-License-Identifier: MIT */
/* Frame writer: the 24-byte header, then one zstd frame per chunk, written with write(2).
 * Its buffers and zstd context come from the caller's allocator, once, at creation. */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCCtx_advanced: a custom allocator */
#include "memtrace/trace_writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "header.h"

struct mt_writer {
  int fd;
  mt_allocator allocator;
  ZSTD_CCtx *cctx;
  void *workspace;        /* the memory of a static cctx (mt_writer_reserve), or NULL */
  size_t workspace_size;
  int level;
  uint8_t *frame;
  size_t frame_cap, max_chunk;
  uint64_t written;
};

/* log2 of the largest match-finder tables (hash and chain, 4 bytes an entry). Level 9 sizes
 * them at 3 MiB for a 256 KiB chunk, memory the shim's writer reserves and keeps for the whole
 * run; at 64 KiB each, sqlite3's trace grew 0.25% and the shim's memory at exit shrank from
 * 4.3 MiB to 1.4 MiB (docs/performance.md). */
#define TABLE_LOG_MAX 14

/* The parameters of a level for chunks of max_chunk bytes, tables capped at TABLE_LOG_MAX. */
static ZSTD_compressionParameters level_params(int level, size_t max_chunk) {
  ZSTD_compressionParameters cp = ZSTD_getCParams(level, max_chunk, 0);
  if (cp.hashLog > TABLE_LOG_MAX) cp.hashLog = TABLE_LOG_MAX;
  if (cp.chainLog > TABLE_LOG_MAX) cp.chainLog = TABLE_LOG_MAX;
  return cp;
}

/* Set a level with its capped tables (a table size once set sticks across later level
 * changes, so both are set each time). */
static int set_level(ZSTD_CCtx *cctx, int level, size_t max_chunk) {
  ZSTD_compressionParameters cp = level_params(level, max_chunk);
  return ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
         ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, (int)cp.hashLog)) ||
         ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_chainLog, (int)cp.chainLog));
}

/* The compression settings of every frame, at the writer's level. */
static int set_parameters(ZSTD_CCtx *cctx, int level, size_t max_chunk) {
  return set_level(cctx, level, max_chunk) ||
         ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
         ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1));
}

static void *libc_alloc(void *opaque, size_t size) { return (void)opaque, malloc(size); }
static void libc_free(void *opaque, void *ptr) { (void)opaque, free(ptr); }

/* write(2) the whole buffer, retrying on EINTR and short writes. */
static int write_all(mt_writer *w, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(w->fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return MT_EIO;
    }
    if (k == 0) {
      errno = EIO;
      return MT_EIO;
    }
    p += k;
    n -= (size_t)k;
    w->written += (uint64_t)k;
  }
  return 0;
}

int mt_writer_create(mt_writer **out, int fd, size_t max_chunk, int level, const mt_allocator *allocator) {
  *out = NULL;
  if (fd < 0 || max_chunk == 0 || max_chunk > MT_CHUNK_MAX || level < 1 || level > ZSTD_maxCLevel())
    return MT_EINVAL;
  mt_allocator a = allocator ? *allocator : (mt_allocator){libc_alloc, libc_free, NULL};
  mt_writer *w = a.alloc(a.opaque, sizeof *w);
  if (!w) return MT_ENOMEM;
  memset(w, 0, sizeof *w);
  w->fd = fd;
  w->allocator = a;
  w->max_chunk = max_chunk;
  w->frame_cap = ZSTD_compressBound(max_chunk);
  w->frame = a.alloc(a.opaque, w->frame_cap);
  ZSTD_customMem mem = {a.alloc, a.free, a.opaque};
  w->cctx = ZSTD_createCCtx_advanced(mem);
  w->level = level;
  if (!w->frame || !w->cctx || set_parameters(w->cctx, level, max_chunk)) {
    mt_writer_destroy(w);
    return MT_ENOMEM;
  }
  *out = w;
  return 0;
}

int mt_writer_set_level(mt_writer *w, int level) {
  if (level < 1 || level > ZSTD_maxCLevel()) return MT_EINVAL;
  if (set_level(w->cctx, level, w->max_chunk)) return MT_EINVAL;
  w->level = level;
  return 0;
}

int mt_writer_reserve(mt_writer *w, int max_level) {
  if (max_level < 1 || max_level > ZSTD_maxCLevel()) return MT_EINVAL;
  size_t size = 0; /* the largest workspace any level up to max_level needs for a chunk */
  for (int level = 1; level <= max_level; level++) {
    size_t need = ZSTD_estimateCCtxSize_usingCParams(level_params(level, w->max_chunk));
    if (need > size) size = need;
  }
  void *ws = w->allocator.alloc(w->allocator.opaque, size);
  if (!ws) return MT_ENOMEM;
  ZSTD_CCtx *cctx = ZSTD_initStaticCCtx(ws, size);
  if (!cctx || set_parameters(cctx, w->level, w->max_chunk)) {
    w->allocator.free(w->allocator.opaque, ws);
    return MT_ENOMEM;
  }
  if (w->workspace) w->allocator.free(w->allocator.opaque, w->workspace);
  else ZSTD_freeCCtx(w->cctx);
  w->cctx = cctx;
  w->workspace = ws;
  w->workspace_size = size;
  return 0;
}

int mt_writer_write_header(mt_writer *w) {
  uint8_t h[MT_HEADER_SIZE];
  mt__header_encode(h, MT_FORMAT_MAJOR, MT_FORMAT_MINOR);
  return write_all(w, h, sizeof h);
}

int mt_writer_write_chunk(mt_writer *w, const mt_chunk *c) {
  if (mt_chunk_empty(c)) return 0;
  if (c->len > w->max_chunk) return MT_ETOOBIG;
  size_t n = ZSTD_compress2(w->cctx, w->frame, w->frame_cap, c->data, c->len);
  if (ZSTD_isError(n)) return ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation ? MT_ENOMEM : MT_ETOOBIG;
  return write_all(w, w->frame, n);
}

uint64_t mt_writer_bytes_written(const mt_writer *w) { return w->written; }

void mt_writer_destroy(mt_writer *w) {
  if (!w) return;
  if (w->workspace) w->allocator.free(w->allocator.opaque, w->workspace); /* a static cctx */
  else ZSTD_freeCCtx(w->cctx);
  if (w->frame) w->allocator.free(w->allocator.opaque, w->frame);
  w->allocator.free(w->allocator.opaque, w);
}

void mt_writer_set_fd(mt_writer *w, int fd) { w->fd = fd; }
