/* SPDX-License-Identifier: MIT */
/* Streaming trace reader: validates the header, decompresses one frame at a time into a
 * bounded buffer, and decodes records with every length checked. Memory stays constant
 * (input buffer + one chunk of at most MT_CHUNK_MAX bytes + the zstd context). */
#include "memtrace/trace_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec.h"
#include "header.h"

#define INPUT_CAP (256u << 10)
#define CHUNK_INITIAL (128u << 10)
#define WINDOW_LOG_MAX 23 /* frames hold at most 4 MiB, so their window is never larger */
#define SKIPPABLE_MASK 0xFFFFFFF0u
#define SKIPPABLE_MAGIC 0x184D2A50u

enum { NEED_HEADER, READING, FINISHED };

struct mt_reader {
  int fd;                 /* -1 when reading from memory */
  uint8_t *input;         /* owned input buffer (fd mode) */
  const uint8_t *in;      /* bytes available: in[in_pos .. in_len) */
  size_t in_len, in_pos;
  uint64_t in_base;       /* file offset of in[0] */
  int input_eof;
  ZSTD_DCtx *dctx;
  uint8_t *chunk;
  size_t chunk_cap;
  mt__cursor cur;         /* undecoded part of the current chunk */
  mt__delta delta;
  uint32_t tid;
  uint64_t frame_offset;
  int state, saw_process, saw_end;
  int error;
  uint64_t error_offset;
  char message[384];
  int major, minor;
  uint64_t frames;
  /* the layout of each type byte in this trace's format (NULL: unknown), looked up once in
   * read_header rather than searched for every record */
  const mt__record_layout *layouts[256];
};

static int fail(mt_reader *r, int err, uint64_t offset, const char *fmt, ...) {
  r->error = err;
  r->error_offset = offset;
  const char *what = err == MT_ETRUNCATED ? "trace truncated" : mt_strerror(err);
  int n = snprintf(r->message, sizeof r->message, "%s at offset %llu", what, (unsigned long long)offset);
  if (fmt && n > 0 && (size_t)n < sizeof r->message - 4) {
    va_list ap;
    va_start(ap, fmt);
    size_t used = (size_t)n;
    used += (size_t)snprintf(r->message + used, sizeof r->message - used, " (");
    if (used < sizeof r->message) {
      int k = vsnprintf(r->message + used, sizeof r->message - used, fmt, ap);
      if (k > 0) used += (size_t)k;
      if (used < sizeof r->message - 1) snprintf(r->message + used, sizeof r->message - used, ")");
    }
    va_end(ap);
  }
  return err;
}

static int reader_new(mt_reader **out) {
  mt_reader *r = calloc(1, sizeof *r);
  if (!r) return MT_ENOMEM;
  r->fd = -1;
  r->dctx = ZSTD_createDCtx();
  r->chunk_cap = CHUNK_INITIAL;
  r->chunk = malloc(r->chunk_cap);
  if (!r->dctx || !r->chunk || ZSTD_isError(ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, WINDOW_LOG_MAX))) {
    mt_reader_close(r);
    return MT_ENOMEM;
  }
  *out = r;
  return 0;
}

int mt_reader_open_file(mt_reader **out, const char *path) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? MT_ENOENT : MT_EIO;
  mt_reader *r;
  int err = reader_new(&r);
  if (!err && !(r->input = malloc(INPUT_CAP))) {
    mt_reader_close(r);
    err = MT_ENOMEM;
  }
  if (err) {
    close(fd);
    return err;
  }
  r->fd = fd;
  r->in = r->input;
  *out = r;
  return 0;
}

int mt_reader_open_memory(mt_reader **out, const void *data, size_t size) {
  *out = NULL;
  mt_reader *r;
  int err = reader_new(&r);
  if (err) return err;
  r->in = size ? data : (const uint8_t *)"";
  r->in_len = size;
  r->input_eof = 1;
  *out = r;
  return 0;
}

static size_t available(const mt_reader *r) { return r->in_len - r->in_pos; }
static uint64_t position(const mt_reader *r) { return r->in_base + r->in_pos; }

/* Make at least `need` bytes available if the input has them; @return 0 or MT_EIO. */
static int fill(mt_reader *r, size_t need) {
  if (r->fd < 0 || available(r) >= need || r->input_eof) return 0;
  memmove(r->input, r->input + r->in_pos, available(r));
  r->in_base += r->in_pos;
  r->in_len -= r->in_pos;
  r->in_pos = 0;
  while (r->in_len < need && !r->input_eof) {
    ssize_t k = read(r->fd, r->input + r->in_len, INPUT_CAP - r->in_len);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return fail(r, MT_EIO, position(r), "%s", strerror(errno));
    if (k == 0) r->input_eof = 1;
    r->in_len += (size_t)k;
  }
  return 0;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_header(mt_reader *r) {
  int err = fill(r, MT_HEADER_SIZE);
  if (err) return err;
  size_t n = available(r) < MT_HEADER_SIZE ? available(r) : MT_HEADER_SIZE;
  err = mt__header_decode(r->in + r->in_pos, n, &r->major, &r->minor);
  if (err == MT_ETRUNCATED)
    return fail(r, err, 0, n ? "file ends %zu bytes into the %d-byte header" : "file is empty", n, MT_HEADER_SIZE);
  if (err) return fail(r, err, 0, "expected a memtrace header");
  if (r->major < MT_FORMAT_MAJOR_OLDEST || r->major > MT_FORMAT_MAJOR)
    return fail(r, MT_EVERSION, 16, "format %d.%d, this reader reads %d.x to %d.x", r->major, r->minor,
                MT_FORMAT_MAJOR_OLDEST, MT_FORMAT_MAJOR);
  for (int type = 0; type < 256; type++) r->layouts[type] = mt__layout_of_major(r->major, type);
  r->in_pos += MT_HEADER_SIZE;
  r->state = READING;
  return 0;
}

/* Skip `n` bytes of a skippable frame. */
static int skip_bytes(mt_reader *r, uint64_t n, uint64_t frame_offset) {
  while (n > 0) {
    int err = fill(r, 1);
    if (err) return err;
    if (available(r) == 0)
      return fail(r, MT_ETRUNCATED, frame_offset, "skippable frame cut after %llu bytes",
                  (unsigned long long)(position(r) - frame_offset));
    size_t k = available(r) < n ? available(r) : (size_t)n;
    r->in_pos += k;
    n -= k;
  }
  return 0;
}

/* Decompress the zstd frame at the current position into r->chunk; @return its length
 * (>= 0) or an error. */
static long decompress_frame(mt_reader *r) {
  uint64_t start = r->frame_offset;
  ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
  ZSTD_outBuffer out = {r->chunk, r->chunk_cap, 0};
  for (;;) {
    int err = fill(r, 1);
    if (err) return err;
    if (available(r) == 0)
      return fail(r, MT_ETRUNCATED, start, "frame cut after %llu bytes", (unsigned long long)(position(r) - start));
    ZSTD_inBuffer in = {r->in + r->in_pos, available(r), 0};
    size_t before = out.pos;
    size_t ret = ZSTD_decompressStream(r->dctx, &out, &in);
    r->in_pos += in.pos;
    if (ZSTD_isError(ret)) {
      if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge)
        return fail(r, MT_ETOOBIG, start, "window over %u bytes", 1u << WINDOW_LOG_MAX);
      return fail(r, MT_EFRAME, start, "zstd: %s", ZSTD_getErrorName(ret));
    }
    if (out.pos > MT_CHUNK_MAX) return fail(r, MT_ETOOBIG, start, "frame decompresses to over %u bytes", MT_CHUNK_MAX);
    if (ret == 0) return (long)out.pos;
    if (out.pos == out.size) {
      /* One byte over the limit lets a frame of exactly MT_CHUNK_MAX finish its checksum. */
      size_t cap = r->chunk_cap * 2 > MT_CHUNK_MAX + 1 ? MT_CHUNK_MAX + 1 : r->chunk_cap * 2;
      uint8_t *grown = realloc(r->chunk, cap);
      if (!grown) return fail(r, MT_ENOMEM, start, "growing the frame buffer");
      r->chunk = grown;
      r->chunk_cap = cap;
      out.dst = grown;
      out.size = cap;
    } else if (in.pos == 0 && out.pos == before && available(r) > 0) {
      return fail(r, MT_EFRAME, start, "zstd made no progress");
    }
  }
}

/* Read the header of one record: @return 0 with type and payload, or an error. Inline: as a
 * call, it passed type and payload through memory for every record. */
static inline int record_header(mt_reader *r, int *type, mt__cursor *payload) {
  uint64_t len;
  *type = *r->cur.p++;
  if (mt__get_varint(&r->cur, &len) || len > (uint64_t)(r->cur.end - r->cur.p))
    return fail(r, MT_ECORRUPT, r->frame_offset, "record length past the end of its frame");
  payload->p = r->cur.p;
  payload->end = r->cur.p + len;
  r->cur.p += len;
  return 0;
}

/* Load the next frame and its CHUNK record. @return 1 when a chunk is ready, 0 at the end
 * of input on a frame boundary, or an error. */
static int next_chunk(mt_reader *r) {
  for (;;) {
    int err = fill(r, 8);
    if (err) return err;
    r->frame_offset = position(r);
    if (available(r) == 0) return 0;
    if (r->saw_end) return fail(r, MT_ETRAILING, r->frame_offset, "%zu%s bytes follow the end record",
                                available(r), r->input_eof ? "" : " or more");
    if (available(r) < 4)
      return fail(r, MT_ETRUNCATED, r->frame_offset, "file ends %zu bytes into a frame", available(r));
    uint32_t magic = le32(r->in + r->in_pos);
    if ((magic & SKIPPABLE_MASK) == SKIPPABLE_MAGIC) {
      if (available(r) < 8)
        return fail(r, MT_ETRUNCATED, r->frame_offset, "file ends %zu bytes into a frame", available(r));
      uint32_t size = le32(r->in + r->in_pos + 4);
      r->in_pos += 8;
      if ((err = skip_bytes(r, size, r->frame_offset))) return err;
      continue;
    }
    if (magic != ZSTD_MAGICNUMBER)
      return fail(r, MT_EFRAME, r->frame_offset, "bad frame magic 0x%08x", (unsigned)magic);
    long len = decompress_frame(r);
    if (len < 0) return (int)len;
    r->frames++;
    r->cur.p = r->chunk;
    r->cur.end = r->chunk + len;
    int type;
    mt__cursor payload;
    if (r->cur.p == r->cur.end || *r->cur.p != MT_REC_CHUNK)
      return fail(r, MT_ECORRUPT, r->frame_offset, "frame does not start with a chunk record");
    if ((err = record_header(r, &type, &payload))) return err;
    mt_record rec;
    const char *why;
    memset(&r->delta, 0, sizeof r->delta);
    if (mt__decode_payload(mt__layout(MT_REC_CHUNK), &payload, &r->delta, &rec, &why))
      return fail(r, MT_ECORRUPT, r->frame_offset, "chunk record: %s", why);
    r->tid = rec.u.chunk.tid;
    return 1;
  }
}

/* Clear the part of the record union a type fills: the events are small, the union is about
 * 1 KiB (MODULE), and clearing all of it for every event was a sixth of a big ingest. The
 * sizes are constants so that the small clears are a few stores, not a call. */
static void clear_decoded(mt_record *rec, int type) {
  switch (type) {
    case MT_REC_ALLOC: memset(&rec->u.alloc, 0, sizeof rec->u.alloc); break;
    case MT_REC_FREE: memset(&rec->u.free, 0, sizeof rec->u.free); break;
    case MT_REC_REALLOC: memset(&rec->u.realloc, 0, sizeof rec->u.realloc); break;
    case MT_REC_STACK: memset(&rec->u.stack, 0, sizeof rec->u.stack); break;
    default: memset(&rec->u, 0, sizeof rec->u); break;
  }
}

int mt_reader_next(mt_reader *r, mt_record *rec) {
  if (r->error) return r->error;
  if (r->state == FINISHED) return 0;
  if (r->state == NEED_HEADER) {
    int err = read_header(r);
    if (err) return err;
  }
  for (;;) {
    if (r->cur.p >= r->cur.end) {
      int got = next_chunk(r);
      if (got < 0) return got;
      if (got == 0) {
        if (!r->saw_end)
          return fail(r, MT_ENOEND, position(r), "trace stops after %llu frames", (unsigned long long)r->frames);
        r->state = FINISHED;
        return 0;
      }
      continue;
    }
    int type;
    mt__cursor payload;
    int err = record_header(r, &type, &payload);
    if (err) return err;
    const mt__record_layout *layout = r->layouts[type];
    if (!layout) {
      if (type & MT_RECORD_OPTIONAL) continue;
      return fail(r, MT_EUNKNOWN, r->frame_offset, "record type 0x%02x", (unsigned)type);
    }
    if (type == MT_REC_CHUNK) return fail(r, MT_ECORRUPT, r->frame_offset, "chunk record inside a chunk");
    if (r->saw_end) return fail(r, MT_ETRAILING, r->frame_offset, "%s record after the end record", layout->name);
    if (!r->saw_process && type != MT_REC_PROCESS)
      return fail(r, MT_ECORRUPT, r->frame_offset, "first record is %s, expected process", layout->name);
    if (r->saw_process && type == MT_REC_PROCESS)
      return fail(r, MT_ECORRUPT, r->frame_offset, "second process record");
    clear_decoded(rec, type);
    rec->type = type;
    const char *why;
    if (mt__decode_payload(layout, &payload, &r->delta, rec, &why))
      return fail(r, MT_ECORRUPT, r->frame_offset, "%s record: %s", layout->name, why);
    rec->tid = r->tid;
    rec->frame_offset = r->frame_offset;
    r->saw_process = 1;
    if (type == MT_REC_END) r->saw_end = 1;
    return 1;
  }
}

size_t mt_reader_next_events(mt_reader *r, mt_event *ev, size_t max) {
  /* what mt_reader_next checks of every record, once for the run */
  if (r->error || r->state != READING || !r->saw_process || r->saw_end) return 0;
  const mt__record_layout *alloc = r->layouts[MT_REC_ALLOC], *free_ = r->layouts[MT_REC_FREE];
  if (!alloc || !free_ || !alloc->fast || !free_->fast) return 0;
  size_t n = 0;
  mt_record rec;
  while (n < max && r->cur.p < r->cur.end) {
    int type = *r->cur.p;
    if (type != MT_REC_ALLOC && type != MT_REC_FREE) break;
    mt__cursor header = {r->cur.p + 1, r->cur.end}, payload;
    uint64_t len;
    if (mt__get_varint(&header, &len) || len > (uint64_t)(header.end - header.p)) break;
    payload = (mt__cursor){header.p, header.p + len};
    /* the fast decoders fill every field, and change nothing when they refuse */
    if (type == MT_REC_ALLOC) {
      if (alloc->fast(&payload, &r->delta, &rec)) break;
      ev[n] = (mt_event){.seq = rec.u.alloc.seq, .time_ns = rec.u.alloc.time_ns,
                         .address = rec.u.alloc.address, .size = rec.u.alloc.size,
                         .stack = rec.u.alloc.stack, .tid = r->tid, .type = MT_REC_ALLOC,
                         .kind = (uint8_t)rec.u.alloc.kind};
    } else {
      if (free_->fast(&payload, &r->delta, &rec)) break;
      ev[n] = (mt_event){.seq = rec.u.free.seq, .time_ns = rec.u.free.time_ns,
                         .address = rec.u.free.address, .size = rec.u.free.size,
                         .tid = r->tid, .type = MT_REC_FREE, .kind = (uint8_t)rec.u.free.kind};
    }
    r->cur.p = header.p + len;
    n++;
  }
  return n;
}

int mt_reader_is_partial(int err) { return err == MT_ETRUNCATED || err == MT_ENOEND; }

uint64_t mt_reader_error_offset(const mt_reader *r) { return r->error_offset; }

const char *mt_reader_error_message(const mt_reader *r) { return r->error ? r->message : "no error"; }

void mt_reader_version(const mt_reader *r, int *major, int *minor) {
  *major = r->major;
  *minor = r->minor;
}

uint64_t mt_reader_bytes_consumed(const mt_reader *r) { return position(r); }
uint64_t mt_reader_frames(const mt_reader *r) { return r->frames; }

void mt_reader_close(mt_reader *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd);
  ZSTD_freeDCtx(r->dctx);
  free(r->chunk);
  free(r->input);
  free(r);
}
