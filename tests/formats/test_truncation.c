/* SPDX-License-Identifier: MIT */
/* Cuts a valid trace at every byte offset and checks that the reader delivers exactly the
 * records of the frames that are complete in the prefix, the same as in the full trace,
 * then stops with a partial condition (never a crash, never a wrong record). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "memtrace/trace_reader.h"

typedef struct {
  int type;
  uint64_t frame_end; /* offset just past the zstd frame holding the record */
  mt_record rec;
} expected;

static int same_record(const mt_record *a, const mt_record *b) {
  if (a->type != b->type || a->tid != b->tid || a->frame_offset != b->frame_offset) return 0;
  switch (a->type) { /* compare the numeric members; strings point into different buffers */
    case MT_REC_ALLOC: return !memcmp(&a->u.alloc, &b->u.alloc, sizeof a->u.alloc);
    case MT_REC_FREE: return !memcmp(&a->u.free, &b->u.free, sizeof a->u.free);
    case MT_REC_REALLOC: return !memcmp(&a->u.realloc, &b->u.realloc, sizeof a->u.realloc);
    case MT_REC_STACK: return !memcmp(&a->u.stack, &b->u.stack, sizeof a->u.stack);
    case MT_REC_END: return !memcmp(&a->u.end, &b->u.end, sizeof a->u.end);
    default: return 1;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_truncation TRACE\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return perror(argv[1]), 2;
  static uint8_t data[1 << 20];
  size_t size = fread(data, 1, sizeof data, f);
  fclose(f);

  static expected all[4096];
  size_t n = 0;
  mt_reader *r;
  mt_record rec;
  int rc;
  if (mt_reader_open_memory(&r, data, size)) return 2;
  while ((rc = mt_reader_next(r, &rec)) == 1 && n < 4096) {
    size_t frame = ZSTD_findFrameCompressedSize(data + rec.frame_offset, size - rec.frame_offset);
    all[n++] = (expected){rec.type, rec.frame_offset + frame, rec};
  }
  mt_reader_close(r);
  if (rc != 0) {
    fprintf(stderr, "%s: the full trace must read cleanly (got %s)\n", argv[1], mt_err_name(rc));
    return 1;
  }

  int failures = 0;
  for (size_t cut = 0; cut <= size; cut++) {
    size_t want = 0;
    while (want < n && all[want].frame_end <= cut) want++;
    if (mt_reader_open_memory(&r, data, cut)) return 2;
    size_t got = 0;
    while ((rc = mt_reader_next(r, &rec)) == 1) {
      if (got >= n || !same_record(&rec, &all[got].rec)) {
        fprintf(stderr, "cut %zu: record %zu differs from the full trace\n", cut, got);
        failures++;
        break;
      }
      got++;
    }
    int want_rc_ok = cut == size ? rc == 0 : mt_reader_is_partial(rc);
    if (got != want || !want_rc_ok) {
      fprintf(stderr, "cut %zu: %zu records and %s, expected %zu records and %s\n", cut, got, mt_err_name(rc), want,
              cut == size ? "the clean end" : "a partial condition");
      failures++;
    }
    mt_reader_close(r);
    if (failures > 10) break;
  }
  if (failures) return 1;
  printf("%s: %zu cuts, %zu records, all as expected\n", argv[1], size + 1, n);
  return 0;
}
