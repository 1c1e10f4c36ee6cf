/* SPDX-License-Identifier: MIT */
/* Unit tests of the format library: varints, round trips of every record type, edge
 * values, full chunks, range checks, the writer's errors. Run one: `test_codec NAME`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../formats/src/codec.h"
#include "../lib/unit_test.h"
#include "memtrace/trace_reader.h"
#include "memtrace/trace_writer.h"

static uint8_t buf[MT_CHUNK_MAX];

/* Write chunks to a temporary file and return an open reader on it. */
typedef struct {
  char path[64];
  int fd;
  mt_writer *w;
} tmp_trace;

static void tmp_open(tmp_trace *t) {
  strcpy(t->path, "/tmp/mt_test_codec_XXXXXX");
  t->fd = mkstemp(t->path);
  CHECK(t->fd >= 0);
  CHECK_EQ(mt_writer_create(&t->w, t->fd, MT_CHUNK_MAX, 1, NULL), 0);
  CHECK_EQ(mt_writer_write_header(t->w), 0);
}

static mt_reader *tmp_reader(tmp_trace *t) {
  mt_writer_destroy(t->w);
  close(t->fd);
  mt_reader *r;
  CHECK_EQ(mt_reader_open_file(&r, t->path), 0);
  unlink(t->path);
  return r;
}

static int str_eq(mt_str a, mt_str b) { return a.len == b.len && (a.len == 0 || !memcmp(a.data, b.data, a.len)); }

static mt_record sample_process(void) {
  static const char argv[] = "prog\0a b\0";
  mt_record r = {.type = MT_REC_PROCESS};
  r.u.process = (mt_rec_process){.pid = 12, .ppid = 1, .origin = MT_ORIGIN_FORK, .start_wall_ns = 42,
      .start_mono_ns = 43, .page_size = 65536, .argc = 2, .argv = {argv, sizeof argv - 1},
      .exe = mt_str_from("/bin/prog"), .hostname = mt_str_from("h"), .version = mt_str_from("9.9"),
      .options = mt_str_from("depth=3"), .parent_trace = mt_str_from("parent.mt")};
  return r;
}

static void test_varint_sizes(void) {
  static const struct { uint64_t value; size_t size; } cases[] = {
      {0, 1}, {127, 1}, {128, 2}, {16383, 2}, {16384, 3}, {1ull << 63, 10}, {UINT64_MAX, 10}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t out[MT__VARINT_MAX];
    size_t n = mt__put_varint(out, cases[i].value);
    CHECK_EQ(n, cases[i].size);
    mt__cursor c = {out, out + n};
    uint64_t back;
    CHECK_EQ(mt__get_varint(&c, &back), 0);
    CHECK_EQ(back, cases[i].value);
    CHECK(c.p == out + n);
  }
  CHECK_EQ(mt__zigzag(-1), 1);
  CHECK_EQ(mt__zigzag(1), 2);
  CHECK_EQ(mt__unzigzag(mt__zigzag(INT64_MIN)), (uint64_t)INT64_MIN);
}

/* Every length from 1 to 10 bytes, at each 7-bit boundary, read with nothing after it and
 * with bytes after it: a varint stops at its own last byte whatever follows (here bytes
 * with their high bit set, which would continue it). */
static void test_varint_every_length_and_tail(void) {
  for (unsigned bits = 1; bits <= 64; bits++) {
    uint64_t top = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    uint64_t values[] = {top, top >> 1 | 1ull << (bits - 1), 1ull << (bits - 1)};
    for (size_t k = 0; k < sizeof values / sizeof *values; k++) {
      for (size_t tail = 0; tail <= 12; tail += 12) {
        uint8_t buf[MT__VARINT_MAX + 12];
        memset(buf, 0xff, sizeof buf);
        size_t n = mt__put_varint(buf, values[k]);
        mt__cursor c = {buf, buf + n + tail};
        uint64_t back = 0;
        CHECK_EQ(mt__get_varint(&c, &back), 0);
        CHECK_EQ(back, values[k]);
        CHECK_EQ((size_t)(c.p - buf), n);
      }
    }
  }
  /* two varints side by side: the second is read from where the first ended */
  uint8_t two[20] = {0};
  size_t a = mt__put_varint(two, 300), b = mt__put_varint(two + a, 1ull << 40);
  mt__cursor c = {two, two + sizeof two};
  uint64_t v1, v2;
  CHECK_EQ(mt__get_varint(&c, &v1) | mt__get_varint(&c, &v2), 0);
  CHECK_EQ(v1, 300);
  CHECK_EQ(v2, 1ull << 40);
  CHECK_EQ((size_t)(c.p - two), a + b);
}

static void test_varint_rejects_malformed(void) {
  uint8_t eleven[11];
  memset(eleven, 0xff, sizeof eleven);
  mt__cursor c = {eleven, eleven + 11};
  uint64_t v;
  CHECK_EQ(mt__get_varint(&c, &v), (unsigned long long)MT_ECORRUPT);
  uint8_t too_big[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  c = (mt__cursor){too_big, too_big + 10};
  CHECK_EQ(mt__get_varint(&c, &v), (unsigned long long)MT_ECORRUPT);
  uint8_t cut[2] = {0x80, 0x80};
  c = (mt__cursor){cut, cut + 2};
  CHECK_EQ(mt__get_varint(&c, &v), (unsigned long long)MT_ECORRUPT);
}

/* One record of every type through chunk, writer, file and reader. */
static void test_roundtrip_every_record_type(void) {
  mt_record recs[20];
  size_t n = 0;
  recs[n++] = sample_process();
  mt_record m = {.type = MT_REC_MODULE};
  m.u.module = (mt_rec_module){.id = 3, .seq = 4, .base = 0x7f0000000000ull, .path = mt_str_from("/lib/libc.so.6"),
      .build_id = {1, 2, 3}, .build_id_len = 3, .nsegments = 1, .segments = {{0x1000, 0x2000, 0x1000, 5}}};
  recs[n++] = m;
  recs[n++] = (mt_record){.type = MT_REC_STACK, .u.stack = {.id = 1, .parent = 0, .ip = 0x401000}};
  recs[n++] = (mt_record){.type = MT_REC_STACK, .u.stack = {.id = 2, .parent = 1, .ip = 0x400ff0}};
  recs[n++] = (mt_record){.type = MT_REC_ALLOC, .u.alloc = {MT_ALLOC_ALIGNED_ALLOC, 5, 100, 0x10000, 64, 2}};
  recs[n++] = (mt_record){.type = MT_REC_REALLOC, .u.realloc = {MT_ALLOC_REALLOCARRAY, 6, 90, 0x10000, 0x8000, 128, 1}};
  recs[n++] = (mt_record){.type = MT_REC_FREE, .u.free = {MT_ALLOC_MMAP, 7, 200, 0x9000, 4096}};
  recs[n++] = (mt_record){.type = MT_REC_UNLOAD, .u.unload = {3, 8}};
  recs[n++] = (mt_record){.type = MT_REC_THREAD, .u.thread = {77, 9, {"t1", 2}}};
  recs[n++] = (mt_record){.type = MT_REC_SCAN, .u.scan = {15, 16, 17, 18, 19, 20, {21, 22, 23, 24}, {25, 26, 27, 28}}};
  recs[n++] = (mt_record){.type = MT_REC_REACH, .u.reach = {0x7ffff000, MT_REACH_POSSIBLE}};
  recs[n++] = (mt_record){.type = MT_REC_RSS, .u.rss = {10, 300, 1 << 20}};
  recs[n++] = (mt_record){.type = MT_REC_MARKER, .u.marker = {11, 310, {"m", 1}}};
  recs[n++] = (mt_record){.type = MT_REC_FORK, .u.fork = {12, 320, 99}};
  recs[n++] = (mt_record){.type = MT_REC_EXEC, .u.exec = {13, 330, {"/bin/sh", 7}}};
  recs[n++] = (mt_record){.type = MT_REC_END, .u.end = {14, 340, MT_END_SIGNAL, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};

  tmp_trace t;
  tmp_open(&t);
  mt_chunk c;
  mt_chunk_init(&c, buf, sizeof buf, 77);
  for (size_t i = 0; i < n; i++) CHECK_EQ(mt_chunk_put(&c, &recs[i]), 0);
  CHECK_EQ(mt_writer_write_chunk(t.w, &c), 0);
  mt_reader *r = tmp_reader(&t);
  mt_record got;
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ(mt_reader_next(r, &got), 1);
    CHECK_EQ(got.type, recs[i].type);
    CHECK_EQ(got.tid, 77);
    CHECK_EQ(got.frame_offset, MT_HEADER_SIZE);
    switch (got.type) {
      case MT_REC_PROCESS: {
        const mt_rec_process *a = &got.u.process, *b = &recs[i].u.process;
        CHECK(a->pid == b->pid && a->ppid == b->ppid && a->origin == b->origin && a->argc == b->argc);
        CHECK(a->start_wall_ns == b->start_wall_ns && a->start_mono_ns == b->start_mono_ns && a->page_size == b->page_size);
        CHECK(str_eq(a->argv, b->argv) && str_eq(a->exe, b->exe) && str_eq(a->hostname, b->hostname));
        CHECK(str_eq(a->version, b->version) && str_eq(a->options, b->options) && str_eq(a->parent_trace, b->parent_trace));
        break;
      }
      case MT_REC_MODULE: {
        const mt_rec_module *a = &got.u.module, *b = &recs[i].u.module;
        CHECK(a->id == b->id && a->seq == b->seq && a->base == b->base && str_eq(a->path, b->path));
        CHECK(a->build_id_len == 3 && !memcmp(a->build_id, b->build_id, 3) && a->nsegments == 1);
        CHECK(!memcmp(&a->segments[0], &b->segments[0], sizeof a->segments[0]));
        break;
      }
      case MT_REC_THREAD: CHECK(got.u.thread.tid == 77 && got.u.thread.seq == 9 && str_eq(got.u.thread.name, recs[i].u.thread.name)); break;
      case MT_REC_MARKER: CHECK(got.u.marker.seq == 11 && str_eq(got.u.marker.label, recs[i].u.marker.label)); break;
      case MT_REC_EXEC: CHECK(got.u.exec.seq == 13 && str_eq(got.u.exec.path, recs[i].u.exec.path)); break;
      case MT_REC_ALLOC: CHECK(!memcmp(&got.u.alloc, &recs[i].u.alloc, sizeof got.u.alloc)); break;
      case MT_REC_FREE: CHECK(!memcmp(&got.u.free, &recs[i].u.free, sizeof got.u.free)); break;
      case MT_REC_REALLOC: CHECK(!memcmp(&got.u.realloc, &recs[i].u.realloc, sizeof got.u.realloc)); break;
      case MT_REC_STACK: CHECK(!memcmp(&got.u.stack, &recs[i].u.stack, sizeof got.u.stack)); break;
      case MT_REC_UNLOAD: CHECK(!memcmp(&got.u.unload, &recs[i].u.unload, sizeof got.u.unload)); break;
      case MT_REC_SCAN: CHECK(!memcmp(&got.u.scan, &recs[i].u.scan, sizeof got.u.scan)); break;
      case MT_REC_REACH: CHECK(got.u.reach.address == 0x7ffff000 && got.u.reach.kind == MT_REACH_POSSIBLE); break;
      case MT_REC_RSS: CHECK(!memcmp(&got.u.rss, &recs[i].u.rss, sizeof got.u.rss)); break;
      case MT_REC_FORK: CHECK(!memcmp(&got.u.fork, &recs[i].u.fork, sizeof got.u.fork)); break;
      case MT_REC_END: CHECK(!memcmp(&got.u.end, &recs[i].u.end, sizeof got.u.end)); break;
      default: CHECK(!"unexpected type");
    }
  }
  CHECK_EQ(mt_reader_next(r, &got), 0);
  CHECK_EQ(mt_reader_next(r, &got), 0);
  mt_reader_close(r);
}

/* Deltas in both directions between extreme addresses and times, across chunk resets. */
static void test_roundtrip_extreme_deltas(void) {
  static const uint64_t values[] = {0, UINT64_MAX, 1, 0x8000000000000000ull, 0x7fffffffffffffffull, 0x00007fffffffe000ull, 0};
  const size_t nv = sizeof values / sizeof values[0];
  tmp_trace t;
  tmp_open(&t);
  mt_chunk c;
  mt_chunk_init(&c, buf, sizeof buf, 1);
  mt_record p = sample_process();
  CHECK_EQ(mt_chunk_put(&c, &p), 0);
  for (int chunk = 0; chunk < 2; chunk++) {
    for (size_t i = 0; i < nv; i++) {
      mt_rec_alloc a = {MT_ALLOC_MALLOC, values[i], values[nv - 1 - i], values[i], values[(i + 1) % nv], values[(i + 2) % nv]};
      CHECK_EQ(mt_chunk_put_alloc(&c, &a), 0);
      mt_rec_realloc re = {MT_ALLOC_REALLOC, values[(i + 3) % nv], values[i], values[(i + 4) % nv], values[i], 0, 0};
      CHECK_EQ(mt_chunk_put_realloc(&c, &re), 0);
    }
    CHECK_EQ(mt_writer_write_chunk(t.w, &c), 0);
    mt_chunk_reset(&c, 2 + (uint32_t)chunk);
  }
  mt_rec_end e = {.seq = 1};
  CHECK_EQ(mt_chunk_put(&c, &(mt_record){.type = MT_REC_END, .u.end = e}), 0);
  CHECK_EQ(mt_writer_write_chunk(t.w, &c), 0);
  mt_reader *r = tmp_reader(&t);
  mt_record got;
  CHECK_EQ(mt_reader_next(r, &got), 1);
  for (int chunk = 0; chunk < 2; chunk++) {
    for (size_t i = 0; i < nv; i++) {
      CHECK_EQ(mt_reader_next(r, &got), 1);
      CHECK_EQ(got.type, MT_REC_ALLOC);
      CHECK_EQ(got.tid, chunk == 0 ? 1 : 2);
      CHECK_EQ(got.u.alloc.seq, values[i]);
      CHECK_EQ(got.u.alloc.time_ns, values[nv - 1 - i]);
      CHECK_EQ(got.u.alloc.address, values[i]);
      CHECK_EQ(got.u.alloc.size, values[(i + 1) % nv]);
      CHECK_EQ(got.u.alloc.stack, values[(i + 2) % nv]);
      CHECK_EQ(mt_reader_next(r, &got), 1);
      CHECK_EQ(got.u.realloc.seq, values[(i + 3) % nv]);
      CHECK_EQ(got.u.realloc.old_address, values[(i + 4) % nv]);
      CHECK_EQ(got.u.realloc.new_address, values[i]);
    }
  }
  CHECK_EQ(mt_reader_next(r, &got), 1);
  CHECK_EQ(got.type, MT_REC_END);
  CHECK_EQ(mt_reader_next(r, &got), 0);
  mt_reader_close(r);
}

/* A full chunk refuses the record and stays exactly as it was, deltas included. */
static void test_full_chunk_is_unchanged(void) {
  uint8_t small[64];
  mt_chunk c;
  mt_chunk_init(&c, small, sizeof small, 5);
  mt_rec_alloc a = {MT_ALLOC_MALLOC, 1000, 1000, 0x7f0000001000ull, 10, 1};
  int puts = 0, err;
  while ((err = mt_chunk_put_alloc(&c, &a)) == 0) {
    a.seq++;
    a.address += 16;
    puts++;
  }
  CHECK_EQ(err, (unsigned long long)MT_ENOSPC);
  CHECK(puts > 2);
  mt_chunk before = c;
  mt_record big = {.type = MT_REC_MARKER, .u.marker = {1, 1, {"a label far longer than the room left in the chunk buffer", 56}}};
  CHECK_EQ(mt_chunk_put(&c, &big), (unsigned long long)MT_ENOSPC);
  CHECK(!memcmp(&before, &c, sizeof c));
  /* what is in the chunk decodes to exactly `puts` allocations with consecutive seqs */
  mt__cursor cur = {small, small + c.len};
  mt__delta d = {0};
  int decoded = 0;
  while (cur.p < cur.end) {
    int type = *cur.p++;
    uint64_t len;
    CHECK_EQ(mt__get_varint(&cur, &len), 0);
    mt__cursor payload = {cur.p, cur.p + len};
    cur.p += len;
    mt_record rec = {.type = type};
    const char *why;
    CHECK_EQ(mt__decode_payload(mt__layout(type), &payload, &d, &rec, &why), 0);
    if (type == MT_REC_ALLOC) CHECK_EQ(rec.u.alloc.seq, 1000 + (uint64_t)decoded++);
  }
  CHECK_EQ(decoded, puts);
  CHECK(!mt_chunk_empty(&c));
  mt_chunk_reset(&c, 5);
  CHECK(mt_chunk_empty(&c));
}

static void test_encoder_rejects_out_of_range(void) {
  mt_chunk c;
  mt_chunk_init(&c, buf, 4096, 1);
  size_t len = c.len;
  mt_rec_alloc bad_kind = {MT_ALLOC_KIND_COUNT, 1, 1, 1, 1, 1};
  CHECK_EQ(mt_chunk_put_alloc(&c, &bad_kind), (unsigned long long)MT_EINVAL);
  mt_record m = {.type = MT_REC_MODULE, .u.module = {.nsegments = MT_SEGMENTS_MAX + 1}};
  CHECK_EQ(mt_chunk_put(&c, &m), (unsigned long long)MT_EINVAL);
  m.u.module.nsegments = 0;
  m.u.module.build_id_len = MT_BUILD_ID_MAX + 1;
  CHECK_EQ(mt_chunk_put(&c, &m), (unsigned long long)MT_EINVAL);
  mt_record reach = {.type = MT_REC_REACH, .u.reach = {1, MT_REACH_KIND_COUNT}};
  CHECK_EQ(mt_chunk_put(&c, &reach), (unsigned long long)MT_EINVAL);
  mt_record loop = {.type = MT_REC_STACK, .u.stack = {.id = 5, .parent = 5, .ip = 1}};
  CHECK_EQ(mt_chunk_put(&c, &loop), (unsigned long long)MT_EINVAL);
  mt_record root = {.type = MT_REC_STACK, .u.stack = {.id = 0, .parent = 0, .ip = 1}};
  CHECK_EQ(mt_chunk_put(&c, &root), (unsigned long long)MT_EINVAL);
  mt_record chunk = {.type = MT_REC_CHUNK};
  CHECK_EQ(mt_chunk_put(&c, &chunk), (unsigned long long)MT_EINVAL);
  mt_record unknown = {.type = 0x7e};
  CHECK_EQ(mt_chunk_put(&c, &unknown), (unsigned long long)MT_EINVAL);
  CHECK_EQ(c.len, len);
}

/* A frame of exactly MT_CHUNK_MAX bytes is accepted by writer and reader. */
static void test_largest_frame(void) {
  tmp_trace t;
  tmp_open(&t);
  mt_chunk c;
  mt_chunk_init(&c, buf, MT_CHUNK_MAX, 1);
  mt_record p = sample_process();
  CHECK_EQ(mt_chunk_put(&c, &p), 0);
  static char label[60000];
  memset(label, 'x', sizeof label);
  uint64_t markers = 0;
  for (;;) {
    size_t room = c.cap - c.len;
    size_t n = room > sizeof label + 16 ? sizeof label : (room > 16 ? room - 16 : 0);
    mt_record m = {.type = MT_REC_MARKER, .u.marker = {markers + 1, 0, {label, n}}};
    if (mt_chunk_put(&c, &m) != 0) break;
    markers++;
  }
  while (c.len < c.cap) { /* top up to the exact limit with one-byte-payload-free records */
    mt_record m = {.type = MT_REC_MARKER, .u.marker = {0, 0, {label, 0}}};
    if (mt_chunk_put(&c, &m) != 0) break;
    markers++;
  }
  CHECK(c.len >= MT_CHUNK_MAX - 8);
  CHECK_EQ(mt_writer_write_chunk(t.w, &c), 0);
  mt_reader *r = tmp_reader(&t);
  mt_record got;
  uint64_t seen = 0;
  int rc;
  CHECK_EQ(mt_reader_next(r, &got), 1);
  while ((rc = mt_reader_next(r, &got)) == 1) seen++;
  CHECK_EQ(rc, (unsigned long long)MT_ENOEND);
  CHECK_EQ(seen, markers);
  mt_reader_close(r);
}

static void test_writer_reports_full_disk(void) {
  int fd = open("/dev/full", O_WRONLY);
  CHECK(fd >= 0);
  mt_writer *w;
  CHECK_EQ(mt_writer_create(&w, fd, 4096, 1, NULL), 0);
  errno = 0;
  CHECK_EQ(mt_writer_write_header(w), (unsigned long long)MT_EIO);
  CHECK_EQ(errno, ENOSPC);
  mt_writer_destroy(w);
  close(fd);
  CHECK_EQ(mt_writer_create(&w, fd, MT_CHUNK_MAX + 1, 1, NULL), (unsigned long long)MT_EINVAL);
  CHECK_EQ(mt_writer_create(&w, -1, 4096, 1, NULL), (unsigned long long)MT_EINVAL);
}

/* A stronger level writes a smaller frame for the same repetitive chunk, and both frames read
 * back as the same records: the level is the writer's choice alone. */
static void test_writer_level_changes_size_not_records(void) {
  tmp_trace t;
  tmp_open(&t);
  mt_chunk c;
  size_t frame_bytes[2];
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) CHECK_EQ(mt_writer_set_level(t.w, 9), 0);
    mt_chunk_init(&c, buf, MT_CHUNK_MAX, 5);
    if (pass == 0) {
      mt_record process = sample_process();
      CHECK_EQ(mt_chunk_put(&c, &process), 0);
    }
    uint64_t x = 12345;
    for (uint64_t i = 1; i <= 40000; i++) { /* a loop of a program: a few sizes, varied addresses */
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      mt_rec_alloc a = {MT_ALLOC_MALLOC, i, i / 1000, 0x10000 + (x % 4096) * 16, 16 + (i % 7) * 24, 1 + i % 5};
      CHECK_EQ(mt_chunk_put_alloc(&c, &a), 0);
    }
    uint64_t before = mt_writer_bytes_written(t.w);
    CHECK_EQ(mt_writer_write_chunk(t.w, &c), 0);
    frame_bytes[pass] = (size_t)(mt_writer_bytes_written(t.w) - before);
  }
  CHECK(frame_bytes[1] < frame_bytes[0]);
  CHECK_EQ(mt_writer_set_level(t.w, 0), (unsigned long long)MT_EINVAL);
  CHECK_EQ(mt_writer_set_level(t.w, 23), (unsigned long long)MT_EINVAL);
  mt_reader *r = tmp_reader(&t);
  mt_record got, first[8];
  uint64_t allocs = 0, size_sum[2] = {0, 0};
  int rc;
  while ((rc = mt_reader_next(r, &got)) == 1) {
    if (got.type != MT_REC_ALLOC) continue;
    int pass = allocs >= 40000;
    if (allocs % 40000 < 8) {
      if (!pass) first[allocs] = got;
      else CHECK(!memcmp(&first[allocs - 40000].u.alloc, &got.u.alloc, sizeof got.u.alloc));
    }
    size_sum[pass] += got.u.alloc.size;
    allocs++;
  }
  CHECK_EQ(rc, (unsigned long long)MT_ENOEND);
  CHECK_EQ(allocs, 80000);
  CHECK_EQ(size_sum[0], size_sum[1]);
  mt_reader_close(r);
}

/* An allocator that keeps count of the bytes it holds, and of the most it held. */
typedef struct {
  size_t held, most;
} byte_count;

static void *counted_alloc(void *opaque, size_t size) {
  byte_count *n = opaque;
  size_t *p = malloc(sizeof(size_t) * 2 + size);
  if (!p) return NULL;
  p[0] = size;
  n->held += size;
  if (n->held > n->most) n->most = n->held;
  return p + 2;
}

static void counted_free(void *opaque, void *ptr) {
  if (!ptr) return;
  size_t *p = (size_t *)ptr - 2;
  ((byte_count *)opaque)->held -= p[0];
  free(p);
}

/* The shim's writer, at the strongest level it takes (9), on its 256 KiB chunks: zstd would
 * size its match-finder tables at 3 MiB; the writer caps them, and holds under 1.5 MiB in all
 * (frame buffer, compression context; 0.9 MiB, 3.9 MiB uncapped), before and after a frame. */
static void test_writer_strong_level_memory(void) {
  byte_count n = {0, 0};
  mt_allocator counted = {counted_alloc, counted_free, &n};
  const size_t chunk_bytes = (256u << 10) - 64;
  char path[] = "/tmp/mt_test_codec_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  unlink(path);
  mt_writer *w;
  CHECK_EQ(mt_writer_create(&w, fd, chunk_bytes, 1, &counted), 0);
  CHECK_EQ(mt_writer_reserve(w, 9), 0);
  CHECK_EQ(mt_writer_set_level(w, 9), 0);
  mt_chunk c;
  mt_chunk_init(&c, buf, chunk_bytes, 3);
  uint64_t x = 99;
  for (uint64_t i = 1; mt_chunk_put_alloc(&c, &(mt_rec_alloc){MT_ALLOC_MALLOC, i, i, 0x10000 + (x % 512) * 32,
                                                              16 + (i % 3) * 8, 1 + i % 9}) == 0; i++)
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  CHECK(c.len > chunk_bytes - MT_EVENT_MAX_BYTES);
  CHECK_EQ(mt_writer_write_chunk(w, &c), 0);
  CHECK(mt_writer_bytes_written(w) < c.len / 3); /* it was compressed (4.4x) */
  CHECK(n.most < (3u << 19));
  CHECK(n.held > 0);
  mt_writer_destroy(w);
  CHECK_EQ(n.held, 0);
  close(fd);
}

static void test_empty_chunk_writes_nothing(void) {
  tmp_trace t;
  tmp_open(&t);
  mt_chunk c;
  mt_chunk_init(&c, buf, 4096, 123456);
  CHECK_EQ(mt_writer_write_chunk(t.w, &c), 0);
  CHECK_EQ(mt_writer_bytes_written(t.w), MT_HEADER_SIZE);
  mt_reader *r = tmp_reader(&t);
  mt_record got;
  CHECK_EQ(mt_reader_next(r, &got), (unsigned long long)MT_ENOEND);
  CHECK(strstr(mt_reader_error_message(r), "at offset 24") != NULL);
  mt_reader_close(r);
}

static void test_reader_missing_file(void) {
  mt_reader *r;
  CHECK_EQ(mt_reader_open_file(&r, "/nonexistent/trace.mt"), (unsigned long long)MT_ENOENT);
  CHECK(r == NULL);
  CHECK_EQ(mt_reader_open_file(&r, "/"), 0); /* a directory opens, then fails to read */
  mt_record got;
  CHECK_EQ(mt_reader_next(r, &got), (unsigned long long)MT_EIO);
  CHECK(strstr(mt_reader_error_message(r), "Is a directory") != NULL);
  mt_reader_close(r);
}

static void test_error_names(void) {
  static const int codes[] = {
#define CODE(name, value, text) MT_##name,
      MT_ERRNO_MAP(CODE)
#undef CODE
  };
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    CHECK(strncmp(mt_err_name(codes[i]), "MT_E", 4) == 0);
    CHECK(strcmp(mt_strerror(codes[i]), "unknown error") != 0);
  }
  CHECK(!strcmp(mt_err_name(MT_ETRUNCATED), "MT_ETRUNCATED"));
  CHECK(!strcmp(mt_strerror(-999), "unknown error"));
  CHECK(!strcmp(mt_alloc_kind_name(MT_ALLOC_PVALLOC), "pvalloc"));
  CHECK(mt_alloc_kind_name(MT_ALLOC_KIND_COUNT) == NULL);
  CHECK_EQ(mt_alloc_kind_class(MT_ALLOC_MMAP), MT_CLASS_MMAP);
  CHECK(!strcmp(mt_record_type_name(MT_REC_REALLOC), "realloc"));
  CHECK(!strcmp(mt_reach_kind_name(MT_REACH_INDIRECT), "indirect"));
  CHECK(mt_reach_kind_name(MT_REACH_KIND_COUNT) == NULL);
  CHECK(mt_record_type_name(0x7e) == NULL);
}

/* The typed fast paths (which mt_chunk_put takes for events) and the tables must produce the
 * same bytes. */
/* The i-th of a series of random events (alloc, free, realloc, stack in turn) drawn from
 * *x: a mix of huge and small values, and addresses that are often recent ones. */
static mt_record random_event(uint64_t *x, int i) {
  uint64_t v[8];
  for (int k = 0; k < 8; k++) {
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    v[k] = (k & 1) ? *x : *x >> (*x & 63); /* mix of huge and small values */
  }
  /* every other address comes from a small pool, so events also refer to recent addresses */
  if (v[7] & 1) v[3] = 0x7f0000000000ull + (v[7] >> 1) % (2 * MT_RECENT_MAX) * 16;
  if (v[7] & 2) v[4] = 0x7f0000000000ull + (v[7] >> 2) % (2 * MT_RECENT_MAX) * 16;
  switch (i % 4) {
    case 0:
      return (mt_record){.type = MT_REC_ALLOC, .u.alloc = {(uint32_t)(v[0] % MT_ALLOC_KIND_COUNT), v[1], v[2], v[3], v[4], v[5]}};
    case 1:
      return (mt_record){.type = MT_REC_FREE, .u.free = {(uint32_t)(v[0] % MT_ALLOC_KIND_COUNT), v[1], v[2], v[3], v[4]}};
    case 2:
      return (mt_record){.type = MT_REC_REALLOC, .u.realloc = {(uint32_t)(v[0] % MT_ALLOC_KIND_COUNT), v[1], v[2], v[3], v[4], v[5], v[6]}};
    default:
      return (mt_record){.type = MT_REC_STACK, .u.stack = {v[1] | 1, (v[1] | 1) - 1 - v[2] % (v[1] | 1), v[3]}};
  }
}

static void test_fast_path_matches_tables(void) {
  static uint8_t fast_buf[1 << 16], table_buf[1 << 16];
  mt_chunk fast, table;
  mt_chunk_init(&fast, fast_buf, sizeof fast_buf, 9);
  mt_chunk_init(&table, table_buf, sizeof table_buf, 9);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 2000; i++) {
    mt_record rec = random_event(&x, i);
    int err_fast;
    switch (rec.type) {
      case MT_REC_ALLOC: err_fast = mt_chunk_put_alloc(&fast, &rec.u.alloc); break;
      case MT_REC_FREE: err_fast = mt_chunk_put_free(&fast, &rec.u.free); break;
      case MT_REC_REALLOC: err_fast = mt_chunk_put_realloc(&fast, &rec.u.realloc); break;
      default: err_fast = mt_chunk_put_stack(&fast, &rec.u.stack); break;
    }
    int err_table = mt__chunk_put_by_table(&table, &rec);
    CHECK_EQ(err_fast, err_table);
    if (err_fast) break; /* both full at the same record */
    CHECK_EQ(fast.len, table.len);
  }
  CHECK(fast.len > 30000);
  CHECK(!memcmp(fast_buf, table_buf, fast.len));
  CHECK(fast.prev_seq == table.prev_seq && fast.prev_time == table.prev_time && fast.prev_address == table.prev_address);
  CHECK(fast.prev_ip == table.prev_ip && fast.prev_stack == table.prev_stack);
  CHECK(!memcmp(&fast.live, &table.live, sizeof fast.live) && !memcmp(&fast.freed, &table.freed, sizeof fast.freed));
  CHECK(fast.live.count == MT_RECENT_MAX && fast.freed.count == MT_RECENT_MAX);
}

/* Field by field: an event from mt_reader_next_events against the record mt_reader_next
 * gave for it. */
static int same_event(const mt_event *e, const mt_record *r) {
  if (e->tid != r->tid || e->type != r->type) return 0;
  if (r->type == MT_REC_ALLOC)
    return e->seq == r->u.alloc.seq && e->time_ns == r->u.alloc.time_ns && e->address == r->u.alloc.address &&
           e->size == r->u.alloc.size && e->stack == r->u.alloc.stack && e->kind == r->u.alloc.kind;
  return r->type == MT_REC_FREE && e->seq == r->u.free.seq && e->time_ns == r->u.free.time_ns &&
         e->address == r->u.free.address && e->size == r->u.free.size && e->stack == 0 && e->kind == r->u.free.kind;
}

/* A trace of random events in three chunks of three threads, an RSS record among them;
 * with damage, the kind of an ALLOC record in the second chunk is made unknown. */
static void write_event_trace(tmp_trace *t, int damage) {
  tmp_open(t);
  mt_chunk c;
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int chunk = 0; chunk < 3; chunk++) {
    mt_chunk_init(&c, buf, sizeof buf, 100 + (uint32_t)chunk);
    if (chunk == 0) {
      mt_record p = sample_process();
      CHECK_EQ(mt_chunk_put(&c, &p), 0);
    }
    for (int i = 0; i < 1000; i++) {
      mt_record rec = random_event(&x, i * 7 % 11 == 0 ? i : i % 2); /* mostly ALLOC and FREE */
      size_t start = c.len;
      CHECK_EQ(mt_chunk_put(&c, &rec), 0);
      if (damage && chunk == 1 && i == 500 && rec.type == MT_REC_ALLOC) buf[start + 2] = 0x7f;
      if (i == 600) {
        mt_record rss = {.type = MT_REC_RSS, .u.rss = {1, 2, 4096}};
        CHECK_EQ(mt_chunk_put(&c, &rss), 0);
      }
    }
    if (chunk == 2) {
      mt_record end = {.type = MT_REC_END, .u.end = {.seq = 1}};
      CHECK_EQ(mt_chunk_put(&c, &end), 0);
    }
    CHECK_EQ(mt_writer_write_chunk(t->w, &c), 0);
  }
}

/* mt_reader_next_events gives exactly the records mt_reader_next gives, in runs of any
 * length, stops before every other record, and leaves damage for mt_reader_next to report
 * with the same message. */
static void test_reader_next_events_matches_next(void) {
  for (int damage = 0; damage <= 1; damage++) {
    tmp_trace t;
    write_event_trace(&t, damage);
    char copy[64];
    strcpy(copy, t.path);
    int fd = open(copy, O_RDONLY);
    CHECK(fd >= 0);
    mt_reader *one = tmp_reader(&t), *runs;
    /* the file is unlinked: read it again through /proc */
    char again[64];
    snprintf(again, sizeof again, "/proc/self/fd/%d", fd);
    CHECK_EQ(mt_reader_open_file(&runs, again), 0);
    mt_record a, b;
    mt_event ev[8];
    size_t events = 0, max = 1;
    int rc_one, rc_runs;
    for (;;) {
      size_t n = mt_reader_next_events(runs, ev, max);
      max = max % 8 + 1;
      for (size_t i = 0; i < n; i++) {
        CHECK_EQ(mt_reader_next(one, &a), 1);
        CHECK(same_event(&ev[i], &a));
      }
      events += n;
      if (n) continue;
      uint64_t frames = mt_reader_frames(runs);
      rc_one = mt_reader_next(one, &a);
      rc_runs = mt_reader_next(runs, &b);
      CHECK_EQ(rc_one, rc_runs);
      if (rc_one != 1) break;
      CHECK_EQ(a.type, b.type);
      /* an event comes this way only as the first record of a frame */
      CHECK((a.type != MT_REC_ALLOC && a.type != MT_REC_FREE) || mt_reader_frames(runs) == frames + 1);
    }
    /* 954 events a chunk; the first record of the second and third frames is an event too */
    CHECK_EQ(events, damage ? 1430u : 3 * 954u - 2);
    if (damage) {
      CHECK_EQ(rc_one, (int)MT_ECORRUPT);
      CHECK(!strcmp(mt_reader_error_message(one), mt_reader_error_message(runs)));
      CHECK(strstr(mt_reader_error_message(runs), "unknown allocation kind") != NULL);
    } else {
      CHECK_EQ(rc_one, 0);
    }
    CHECK_EQ(mt_reader_next_events(runs, ev, 8), 0);
    mt_reader_close(one);
    mt_reader_close(runs);
    close(fd);
  }
}

/* Decode payload p[0..len) from delta state *d with the fast paths, and from a copy of it
 * with the tables alone; check both give the same result, record, state, cursor and
 * reason. @return that result. */
static int decode_both(const mt__record_layout *l, const uint8_t *p, size_t len, mt__delta *d) {
  mt__delta by_table = *d;
  mt_record a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.type = b.type = l->type;
  mt__cursor ca = {p, p + len}, cb = ca;
  const char *why_a = "", *why_b = "";
  int rc = mt__decode_payload(l, &ca, d, &a, &why_a);
  CHECK_EQ(rc, mt__decode_payload_by_table(l, &cb, &by_table, &b, &why_b));
  if (rc) CHECK(!strcmp(why_a, why_b));
  CHECK(ca.p == cb.p);
  CHECK(!memcmp(&a, &b, sizeof a));
  CHECK(!memcmp(d, &by_table, sizeof by_table));
  return rc;
}

/* The decoder's fast paths (alloc, free, stack) agree with the tables on every record of a
 * chunk of random events, and on every damaged copy of each: cut short at each length, or
 * with one byte made 0xff, 0x00 or 0x7f (a bad varint, kind, reference or parent). */
static void test_decode_fast_path_matches_tables(void) {
  static uint8_t data[1 << 16];
  mt_chunk c;
  mt_chunk_init(&c, data, sizeof data, 9);
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int i = 0;; i++) {
    mt_record rec = random_event(&x, i);
    if (mt_chunk_put(&c, &rec)) break;
  }
  mt__delta d = {0};
  int damaged = 0;
  for (size_t pos = 0; pos < c.len;) {
    const mt__record_layout *l = mt__layout(data[pos]);
    size_t len = data[pos + 1]; /* every payload here is under 128 bytes */
    const uint8_t *payload = data + pos + 2;
    pos += 2 + len;
    uint8_t copy[128];
    mt__delta scratch;
    for (size_t cut = 0; cut < len; cut++) {
      scratch = d;
      damaged += decode_both(l, payload, cut, &scratch) != 0;
    }
    static const uint8_t bad[] = {0xff, 0x00, 0x7f};
    for (size_t at = 0; at < sizeof bad * len; at++) {
      memcpy(copy, payload, len);
      copy[at % len] = bad[at / len];
      scratch = d;
      damaged += decode_both(l, copy, len, &scratch) != 0;
    }
    CHECK_EQ(decode_both(l, payload, len, &d), 0);
  }
  CHECK(c.len > 60000);
  CHECK(damaged > 10000);
}

/* Payload bytes of the last record of chunk c, whose payload is under 128 bytes. */
static const uint8_t *last_payload(const mt_chunk *c, size_t start, size_t *len) {
  *len = c->data[start + 1];
  CHECK_EQ(start + 2 + *len, c->len);
  return c->data + start + 2;
}

/* The bytes of docs/trace-format.md "Address references": a free names the block by its
 * position among the live ones, an allocation reusing a freed address by its position among
 * the freed ones, and an address in neither list is a delta after a 0. */
static void test_events_refer_to_recent_addresses(void) {
  mt_chunk c;
  mt_chunk_init(&c, buf, 4096, 1);
  const uint64_t a = 0x7f0000001000ull, b = 0x7f0000002000ull;
  size_t start, len;
  const uint8_t *p;
  start = c.len;
  CHECK_EQ(mt_chunk_put_alloc(&c, &(mt_rec_alloc){MT_ALLOC_MALLOC, 1, 0, a, 16, 1}), 0);
  p = last_payload(&c, start, &len);
  CHECK_EQ(len, 3 + 1 + 7 + 2); /* kind, seq, time; ref 0, then the 7-byte delta from 0; size, stack */
  CHECK_EQ(p[3], 0);
  CHECK_EQ(mt_chunk_put_alloc(&c, &(mt_rec_alloc){MT_ALLOC_MALLOC, 2, 0, b, 16, 1}), 0);
  start = c.len;
  CHECK_EQ(mt_chunk_put_free(&c, &(mt_rec_free){MT_ALLOC_MALLOC, 3, 0, a, 0}), 0);
  p = last_payload(&c, start, &len);
  static const uint8_t free_a[] = {MT_ALLOC_MALLOC, 2, 0, 2, 0}; /* a is the second newest live block */
  CHECK_EQ(len, sizeof free_a);
  CHECK(!memcmp(p, free_a, sizeof free_a));
  start = c.len;
  CHECK_EQ(mt_chunk_put_alloc(&c, &(mt_rec_alloc){MT_ALLOC_CALLOC, 4, 0, a, 32, 1}), 0);
  p = last_payload(&c, start, &len);
  static const uint8_t alloc_a[] = {MT_ALLOC_CALLOC, 2, 0, 1, 32, 1}; /* a is the newest freed address */
  CHECK_EQ(len, sizeof alloc_a);
  CHECK(!memcmp(p, alloc_a, sizeof alloc_a));
  start = c.len;
  CHECK_EQ(mt_chunk_put_free(&c, &(mt_rec_free){MT_ALLOC_MALLOC, 5, 0, b + 16, 0}), 0);
  p = last_payload(&c, start, &len);
  static const uint8_t free_unknown[] = {MT_ALLOC_MALLOC, 2, 0, 0, 0x80 | 0x20, 0x40, 0}; /* delta b+16-a = 0x1010 */
  CHECK_EQ(len, sizeof free_unknown);
  CHECK(!memcmp(p, free_unknown, sizeof free_unknown));
  CHECK_EQ(c.live.count, 2);  /* b, a */
  CHECK_EQ(c.freed.count, 1); /* b + 16 */
}

static const mt_unit_test tests[] = {
    {"fast_path_matches_tables", test_fast_path_matches_tables},
    {"decode_fast_path_matches_tables", test_decode_fast_path_matches_tables},
    {"events_refer_to_recent_addresses", test_events_refer_to_recent_addresses},
    {"varint_sizes", test_varint_sizes},
    {"varint_every_length_and_tail", test_varint_every_length_and_tail},
    {"reader_next_events_matches_next", test_reader_next_events_matches_next},
    {"varint_rejects_malformed", test_varint_rejects_malformed},
    {"roundtrip_every_record_type", test_roundtrip_every_record_type},
    {"roundtrip_extreme_deltas", test_roundtrip_extreme_deltas},
    {"full_chunk_is_unchanged", test_full_chunk_is_unchanged},
    {"encoder_rejects_out_of_range", test_encoder_rejects_out_of_range},
    {"largest_frame", test_largest_frame},
    {"writer_reports_full_disk", test_writer_reports_full_disk},
    {"writer_level_changes_size_not_records", test_writer_level_changes_size_not_records},
    {"writer_strong_level_memory", test_writer_strong_level_memory},
    {"empty_chunk_writes_nothing", test_empty_chunk_writes_nothing},
    {"reader_missing_file", test_reader_missing_file},
    {"error_names", test_error_names},
};

int main(int argc, char **argv) { return mt_unit_main(tests, sizeof tests / sizeof tests[0], argc, argv); }
