/* SPDX-License-Identifier: MIT */
/* Writes the golden traces of tests/formats/golden: valid ones exercising every record
 * type and edge value, and invalid ones each damaged in one specific way. The committed
 * files were made by this program; the golden_files_reproducible test checks they still are. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memtrace/trace_reader.h"
#include "memtrace/trace_writer.h"

static const char *outdir;
static uint8_t chunk_buf[1 << 16];

static void die(const char *what, int err) {
  fprintf(stderr, "make_golden: %s: %s\n", what, mt_strerror(err));
  exit(1);
}

static int open_out(const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", outdir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(path);
    exit(1);
  }
  return fd;
}

/* A trace being written: file, frame writer and one chunk. */
typedef struct {
  int fd;
  mt_writer *w;
  mt_chunk c;
} golden;

static void begin(golden *g, const char *name, uint32_t tid) {
  g->fd = open_out(name);
  int err = mt_writer_create(&g->w, g->fd, sizeof chunk_buf, 1, NULL);
  if (err) die("writer", err);
  if ((err = mt_writer_write_header(g->w))) die("header", err);
  mt_chunk_init(&g->c, chunk_buf, sizeof chunk_buf, tid);
}

static void put(golden *g, const mt_record *rec) {
  int err = mt_chunk_put(&g->c, rec);
  if (err) die(mt_record_type_name(rec->type), err);
}

/* End the current frame and start a chunk for tid. */
static void flush(golden *g, uint32_t tid) {
  int err = mt_writer_write_chunk(g->w, &g->c);
  if (err) die("frame", err);
  mt_chunk_reset(&g->c, tid);
}

static void finish(golden *g) {
  flush(g, 0);
  mt_writer_destroy(g->w);
  close(g->fd);
}

static void put_raw(golden *g, const void *bytes, size_t n) {
  memcpy(g->c.data + g->c.len, bytes, n);
  g->c.len += n;
}

static mt_record process_record(void) {
  static const char argv[] = "./demo\0--size\0" "42\0";
  mt_record r = {.type = MT_REC_PROCESS};
  r.u.process = (mt_rec_process){.pid = 4242, .ppid = 4200, .origin = MT_ORIGIN_LAUNCH,
      .start_wall_ns = 1795000000123456789ull, .start_mono_ns = 987654321000ull, .page_size = 4096,
      .argc = 3, .argv = {argv, sizeof argv - 1}, .exe = mt_str_from("/usr/local/bin/demo"),
      .hostname = mt_str_from("buildhost"), .version = mt_str_from("0.1.0"),
      .options = mt_str_from("depth=64 rss_interval_ms=50 follow=1"), .parent_trace = mt_str_from("")};
  return r;
}

static mt_record end_record(uint64_t seq) {
  mt_record r = {.type = MT_REC_END};
  r.u.end = (mt_rec_end){.seq = seq, .time_ns = 5000000, .how = MT_END_EXIT, .status = 3,
      .allocations = 5, .frees = 3, .bytes_allocated = 1000, .peak_heap_bytes = 700,
      .peak_heap_seq = 12, .live_bytes = 300, .live_blocks = 2, .peak_rss_bytes = 3 << 20,
      .mmap_live_bytes = 8192, .shim_bytes = 1 << 20};
  return r;
}

static void minimal(const char *name, int garbage) {
  golden g;
  begin(&g, name, 4242);
  mt_record r = process_record();
  put(&g, &r);
  r = end_record(1);
  r.u.end = (mt_rec_end){.seq = 1, .time_ns = 10, .how = MT_END_EXIT};
  put(&g, &r);
  if (garbage) {
    flush(&g, 0);
    if (write(g.fd, "garbage!", 8) != 8) exit(1);
  }
  finish(&g);
}

#define REC(T, member, ...) (mt_record){.type = MT_REC_##T, .u.member = {__VA_ARGS__}}

/* Every record type, two threads, three frames. */
static void basic(const char *name, int with_end) {
  golden g;
  begin(&g, name, 4242);
  mt_record r = process_record();
  put(&g, &r);
  mt_record m = {.type = MT_REC_MODULE};
  m.u.module = (mt_rec_module){.id = 1, .seq = 1, .base = 0x555555554000ull, .path = mt_str_from("/usr/local/bin/demo"),
      .build_id = {0xde, 0xad, 0xbe, 0xef}, .build_id_len = 4, .nsegments = 2};
  m.u.module.segments[0] = (mt_segment){0, 0x1234, 0, 5};
  m.u.module.segments[1] = (mt_segment){0x3000, 0x200, 0x2000, 6};
  put(&g, &m);
  const mt_record recs[] = {
      REC(THREAD, thread, .tid = 4242, .seq = 2, .name = {"demo", 4}),
      REC(STACK, stack, .id = 1, .parent = 0, .ip = 0x555555555100ull),
      REC(STACK, stack, .id = 2, .parent = 1, .ip = 0x555555555200ull),
      REC(STACK, stack, .id = 3, .parent = 1, .ip = 0x7ffff7a00010ull),
      REC(ALLOC, alloc, .kind = MT_ALLOC_MALLOC, .seq = 3, .time_ns = 1000, .address = 0x5555555592a0ull, .size = 100, .stack = 2),
      REC(ALLOC, alloc, .kind = MT_ALLOC_CALLOC, .seq = 4, .time_ns = 1500, .address = 0x555555559310ull, .size = 200, .stack = 3),
      REC(REALLOC, realloc, .kind = MT_ALLOC_REALLOC, .seq = 5, .time_ns = 1700, .old_address = 0x5555555592a0ull, .new_address = 0x555555559400ull, .size = 400, .stack = 2),
      REC(MARKER, marker, .seq = 6, .time_ns = 2000, .label = {"phase 2", 7}),
      REC(FREE, free, .kind = MT_ALLOC_MALLOC, .seq = 7, .time_ns = 2100, .address = 0x555555559310ull, .size = 0),
      REC(ALLOC, alloc, .kind = MT_ALLOC_MMAP, .seq = 8, .time_ns = 2200, .address = 0x7ffff7ff0000ull, .size = 8192, .stack = 3),
  };
  for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) put(&g, &recs[i]);
  flush(&g, 4243);
  const mt_record thread2[] = {
      REC(THREAD, thread, .tid = 4243, .seq = 9, .name = {"worker", 6}),
      REC(ALLOC, alloc, .kind = MT_ALLOC_POSIX_MEMALIGN, .seq = 10, .time_ns = 2500, .address = 0x7fffe8000b70ull, .size = 300, .stack = 3),
      REC(RSS, rss, .seq = 11, .time_ns = 3000, .rss_bytes = 2 << 20),
      REC(ALLOC, alloc, .kind = MT_ALLOC_CUSTOM, .seq = 12, .time_ns = 3100, .address = 0x7fffe8000c00ull, .size = 64, .stack = 0),
      REC(FREE, free, .kind = MT_ALLOC_CUSTOM, .seq = 13, .time_ns = 3200, .address = 0x7fffe8000c00ull),
  };
  for (size_t i = 0; i < sizeof thread2 / sizeof thread2[0]; i++) put(&g, &thread2[i]);
  flush(&g, 4242);
  const mt_record tail[] = {
      REC(FORK, fork, .seq = 14, .time_ns = 4000, .child_pid = 4250),
      REC(UNLOAD, unload, .id = 1, .seq = 15),
      REC(EXEC, exec, .seq = 16, .time_ns = 4500, .path = {"/bin/true", 9}),
  };
  for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++) put(&g, &tail[i]);
  if (with_end) {
    flush(&g, 4242);
    const mt_record scan[] = {
        REC(SCAN, scan, .seq = 17, .time_ns = 4800, .duration_ns = 120000, .blocks = 2, .root_bytes = 270336,
            .heap_bytes = 400, .kind_bytes = {300, 0, 0, 400}, .kind_blocks = {1, 0, 0, 1}),
        REC(REACH, reach, .address = 0x555555559400ull, .kind = MT_REACH_REACHABLE),
        REC(REACH, reach, .address = 0x7fffe8000b70ull, .kind = MT_REACH_DEFINITE),
    };
    for (size_t i = 0; i < sizeof scan / sizeof scan[0]; i++) put(&g, &scan[i]);
    r = end_record(18);
    put(&g, &r);
  }
  finish(&g);
}

/* Address references, with seq numbers from *seq on: a full list of live blocks and one more,
 * so the oldest is pushed out and its free stores a delta; frees and reuses at the newest,
 * the oldest and a middle position; a realloc in place; a block allocated twice without a
 * free in between (a recorder that missed it), freed twice. */
static void address_references(golden *g, uint64_t *seq) {
  const uint64_t base = 0x7f0000010000ull, step = 0x100;
  mt_record r;
  for (uint64_t i = 0; i <= MT_RECENT_MAX; i++) {
    r = REC(ALLOC, alloc, .kind = MT_ALLOC_MALLOC, .seq = (*seq)++, .time_ns = 10, .address = base + i * step, .size = 16, .stack = 2);
    put(g, &r);
  }
  static const uint64_t freed[] = {0, 1, MT_RECENT_MAX, 8};
  for (size_t i = 0; i < sizeof freed / sizeof freed[0]; i++) {
    r = REC(FREE, free, .kind = MT_ALLOC_MALLOC, .seq = (*seq)++, .time_ns = 10, .address = base + freed[i] * step);
    put(g, &r);
  }
  static const uint64_t reused[] = {1, 8};
  for (size_t i = 0; i < sizeof reused / sizeof reused[0]; i++) {
    r = REC(ALLOC, alloc, .kind = MT_ALLOC_MALLOC, .seq = (*seq)++, .time_ns = 11, .address = base + reused[i] * step, .size = 32, .stack = 2);
    put(g, &r);
  }
  r = REC(REALLOC, realloc, .kind = MT_ALLOC_REALLOC, .seq = (*seq)++, .time_ns = 11, .old_address = base + step,
          .new_address = base + step, .size = 48, .stack = 2);
  put(g, &r);
  for (int twice = 0; twice < 2; twice++) {
    r = REC(ALLOC, alloc, .kind = MT_ALLOC_MALLOC, .seq = (*seq)++, .time_ns = 12, .address = base + 3 * step, .size = 16, .stack = 2);
    put(g, &r);
  }
  for (int twice = 0; twice < 2; twice++) {
    r = REC(FREE, free, .kind = MT_ALLOC_MALLOC, .seq = (*seq)++, .time_ns = 12, .address = base + 3 * step);
    put(g, &r);
  }
}

/* Extreme values: 64-bit addresses, size 0 and UINT64_MAX, empty argv, a 4 KiB path,
 * 32 segments, a 64-byte build-id, an unknown optional record and a skippable frame. */
static void edges(const char *name) {
  golden g;
  begin(&g, name, UINT32_MAX);
  mt_record r = process_record();
  r.u.process.argc = 0;
  r.u.process.argv = (mt_str){"", 0};
  r.u.process.pid = UINT32_MAX;
  r.u.process.start_wall_ns = UINT64_MAX;
  static char long_path[4097];
  memset(long_path, 'p', 4096);
  long_path[0] = '/';
  r.u.process.exe = (mt_str){long_path, 4096};
  put(&g, &r);
  mt_record m = {.type = MT_REC_MODULE};
  m.u.module = (mt_rec_module){.id = UINT64_MAX, .seq = 2, .base = UINT64_MAX, .path = {long_path, 4096},
      .build_id_len = MT_BUILD_ID_MAX, .nsegments = MT_SEGMENTS_MAX};
  for (int i = 0; i < MT_BUILD_ID_MAX; i++) m.u.module.build_id[i] = (uint8_t)(0xff - i);
  for (int i = 0; i < MT_SEGMENTS_MAX; i++) m.u.module.segments[i] = (mt_segment){(uint64_t)i << 60, UINT64_MAX, 0, 7};
  put(&g, &m);
  const mt_record recs[] = {
      REC(ALLOC, alloc, .kind = MT_ALLOC_MALLOC, .seq = UINT64_MAX - 10, .time_ns = UINT64_MAX, .address = UINT64_MAX, .size = 0, .stack = UINT64_MAX),
      REC(ALLOC, alloc, .kind = MT_ALLOC_PVALLOC, .seq = 3, .time_ns = 0, .address = 0, .size = UINT64_MAX, .stack = 0),
      REC(REALLOC, realloc, .kind = MT_ALLOC_MMAP, .seq = 4, .time_ns = 1, .old_address = 1, .new_address = UINT64_MAX, .size = 1, .stack = 1),
      REC(FREE, free, .kind = MT_ALLOC_MMAP, .seq = 5, .time_ns = 2, .address = 0x8000000000000000ull, .size = UINT64_MAX),
      REC(STACK, stack, .id = UINT64_MAX, .parent = UINT64_MAX - 1, .ip = UINT64_MAX),
      REC(STACK, stack, .id = 2, .parent = 1, .ip = 0),
      REC(THREAD, thread, .tid = UINT32_MAX, .seq = 6, .name = {"", 0}),
      REC(MARKER, marker, .seq = 7, .time_ns = 3, .label = {"quote\" back\\slash\nnewline", 25}),
  };
  for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) put(&g, &recs[i]);
  static const uint8_t optional_record[] = {0xC0, 3, 1, 2, 3}; /* unknown, optional: skipped */
  put_raw(&g, optional_record, sizeof optional_record);
  flush(&g, 1);
  static const uint8_t skippable[] = {0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 'n', 'o', 't', 'e'};
  if (write(g.fd, skippable, sizeof skippable) != sizeof skippable) exit(1);
  uint64_t seq = 8;
  address_references(&g, &seq);
  r = end_record(seq);
  r.u.end.how = MT_END_SIGNAL;
  r.u.end.status = -2147483647 - 1;
  put(&g, &r);
  finish(&g);
}

/* A trace whose second frame holds `bytes` after its CHUNK record. */
static void damaged_chunk(const char *name, const void *bytes, size_t n) {
  golden g;
  begin(&g, name, 7);
  mt_record r = process_record();
  put(&g, &r);
  flush(&g, 7);
  put_raw(&g, bytes, n);
  finish(&g);
}

static void write_file(const char *name, const void *bytes, size_t n) {
  int fd = open_out(name);
  if (write(fd, bytes, n) != (ssize_t)n) exit(1);
  close(fd);
}

/* Copy `src` with byte `at` flipped (flip) or cut to `at` bytes. */
static void derive(const char *src, const char *name, uint64_t at, int flip) {
  static uint8_t bytes[1 << 16];
  int fd = open(src, O_RDONLY);
  ssize_t n = read(fd, bytes, sizeof bytes);
  close(fd);
  if (n <= 0 || (uint64_t)n <= at) exit(1);
  if (flip) bytes[at] ^= 0x5a;
  write_file(name, bytes, flip ? (size_t)n : (size_t)at);
}

/* File offset of the second frame of a valid trace. */
static uint64_t second_frame(const char *path) {
  mt_reader *r;
  mt_record rec;
  uint64_t first = 0, found = 0;
  if (mt_reader_open_file(&r, path)) exit(1);
  while (!found && mt_reader_next(r, &rec) == 1) {
    if (!first) first = rec.frame_offset;
    else if (rec.frame_offset != first) found = rec.frame_offset;
  }
  mt_reader_close(r);
  return found;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_golden OUTDIR\n");
    return 2;
  }
  outdir = argv[1];
  if (chdir(outdir) != 0) {
    perror(outdir);
    return 1;
  }
  outdir = ".";
  minimal("valid_minimal.mt", 0);
  basic("valid_basic.mt", 1);
  edges("valid_edges.mt");
  basic("invalid_no_end.mt", 0);
  minimal("invalid_trailing_garbage.mt", 1);
  write_file("invalid_bad_magic.mt", "#!/bin/sh\necho this is not a trace\n", 35);
  write_file("invalid_empty.mt", "", 0);
  static const uint8_t future[] = {0x5D, 0x2A, 0x4D, 0x18, 16, 0, 0, 0, 'M', 'E', 'M', 'T', 'R', 'A', 'C', 'E', MT_FORMAT_MAJOR + 1, 0, 0, 0, 0, 0, 0, 0};
  write_file("invalid_future_version.mt", future, sizeof future);
  static const uint8_t overlong_varint[] = {0x10, 13, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0};
  damaged_chunk("invalid_corrupt_varint.mt", overlong_varint, sizeof overlong_varint);
  static const uint8_t unknown_type[] = {0x7e, 2, 0, 0};
  damaged_chunk("invalid_unknown_record.mt", unknown_type, sizeof unknown_type);
  static const uint8_t bad_kind[] = {0x10, 6, 99, 2, 2, 2, 1, 0};
  damaged_chunk("invalid_bad_kind.mt", bad_kind, sizeof bad_kind);
  static const uint8_t bad_reach_kind[] = {0x25, 2, 2, 4};
  damaged_chunk("invalid_bad_reach_kind.mt", bad_reach_kind, sizeof bad_reach_kind);
  static const uint8_t stack_loop[] = {0x20, 3, 4, 5, 2}; /* id 2, parent stored 5: above id - 1 */
  damaged_chunk("invalid_stack_parent.mt", stack_loop, sizeof stack_loop);
  static const uint8_t free_of_nothing[] = {0x11, 5, 0, 2, 2, 1, 0}; /* refers to entry 0 of an empty list */
  damaged_chunk("invalid_bad_address_ref.mt", free_of_nothing, sizeof free_of_nothing);
  static const uint8_t length_past_end[] = {0x31, 40, 1, 1};
  damaged_chunk("invalid_record_length.mt", length_past_end, sizeof length_past_end);
  uint64_t frame2 = second_frame("valid_basic.mt");
  derive("valid_basic.mt", "invalid_cut_frame.mt", frame2 + 10, 0);
  derive("valid_basic.mt", "invalid_bad_checksum.mt", frame2 - 1, 1);
  /* first record of the trace is not PROCESS */
  {
    golden g;
    begin(&g, "invalid_no_process.mt", 1);
    mt_record r = REC(MARKER, marker, .seq = 1, .label = {"x", 1});
    put(&g, &r);
    finish(&g);
  }
  return 0;
}
