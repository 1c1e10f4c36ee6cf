/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes given to the trace reader must be read without a crash, a
 * hang or an out-of-bounds access, and end in a clean end or an error with a message. */
#include <stdint.h>
#include <string.h>

#include "memtrace/trace_reader.h"

static volatile unsigned long long sink; /* keeps the reads of strings from being optimised out */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mt_reader *r;
  if (mt_reader_open_memory(&r, data, size)) return 0;
  mt_record rec;
  mt_event ev[16];
  int rc;
  unsigned long long sum = 0;
  /* runs of events too, of a length the input picks, as ingest reads them */
  size_t run = size ? data[size - 1] % 17 : 0;
  for (;;) {
    size_t n = run ? mt_reader_next_events(r, ev, run) : 0;
    for (size_t i = 0; i < n; i++) sum += ev[i].address ^ ev[i].size;
    if (n) continue;
    if ((rc = mt_reader_next(r, &rec)) != 1) break;
    /* touch every string the reader hands out, so ASan checks their bounds */
    if (rec.type == MT_REC_PROCESS)
      for (size_t i = 0; i < rec.u.process.argv.len; i++) sum += (unsigned char)rec.u.process.argv.data[i];
    if (rec.type == MT_REC_MARKER && rec.u.marker.label.len) sum += (unsigned char)rec.u.marker.label.data[rec.u.marker.label.len - 1];
    if (rec.type == MT_REC_MODULE && rec.u.module.path.len) sum += (unsigned char)rec.u.module.path.data[0];
  }
  if (rc < 0 && strlen(mt_reader_error_message(r)) == 0) __builtin_trap();
  sink = sum;
  mt_reader_close(r);
  return 0;
}
