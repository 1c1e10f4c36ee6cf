/* SPDX-License-Identifier: MIT */
/* mt-trace-check TRACE: prints what the recorder tests assert, one fact per line, from a
 * trace read with the streaming reader: reading status, PROCESS and END fields, heap totals
 * recounted from the events (with the launcher's own replay), and one line per distinct
 * (record, kind, size) with its count. Exits 0 whenever the trace could be opened. */
#include "launcher.h"
#include "grow_array.h"

#include <memtrace/trace_reader.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int type;
  uint32_t kind;
  uint64_t size;
  uint64_t count;
} event_key;

static event_key *events;
static size_t nevents, cap_events;

static void count_event(int type, uint32_t kind, uint64_t size) {
  for (size_t i = 0; i < nevents; i++)
    if (events[i].type == type && events[i].kind == kind && events[i].size == size) {
      events[i].count++;
      return;
    }
  grow_array(&events, &cap_events, nevents + 1, sizeof *events);
  events[nevents++] = (event_key){type, kind, size, 1};
}

static const char *base_name(const mt_str *s) {
  static char buf[512];
  size_t n = s->len < sizeof buf - 1 ? s->len : sizeof buf - 1;
  memcpy(buf, s->data, n);
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  return slash ? slash + 1 : buf;
}

/* Stack nodes: parent of each id, to measure the depth of the stacks events use. */
static uint64_t *parents;
static size_t nparents;
static uint64_t max_depth;

static void add_stack(uint64_t id, uint64_t parent) {
  grow_array(&parents, &nparents, id + 1, sizeof *parents);
  parents[id] = parent;
}

static uint64_t *used_stacks;
static size_t nused, cap_used;

static void use_stack(uint64_t id) {
  grow_array(&used_stacks, &cap_used, nused + 1, sizeof *used_stacks);
  used_stacks[nused++] = id;
}

/* Depth of the deepest stack an event used (resolved after reading: see STACK in the spec). */
static void measure_depth(void) {
  for (size_t i = 0; i < nused; i++) {
    uint64_t d = 0;
    for (uint64_t id = used_stacks[i]; id && id < nparents && d <= nparents; id = parents[id])
      d++;
    if (d > max_depth)
      max_depth = d;
  }
}

static uint32_t tids[1024];
static size_t ntids;

static void count_tid(uint32_t tid) {
  for (size_t i = 0; i < ntids; i++)
    if (tids[i] == tid)
      return;
  if (ntids < sizeof tids / sizeof tids[0])
    tids[ntids++] = tid;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: mt-trace-check TRACE\n");
    return 2;
  }
  mt_reader *r;
  int rc = mt_reader_open_file(&r, argv[1]);
  if (rc) {
    fprintf(stderr, "mt-trace-check: %s: %s\n", argv[1], mt_strerror(rc));
    return 1;
  }
  mt_record rec;
  uint64_t rss_samples = 0;
  while ((rc = mt_reader_next(r, &rec)) == 1) {
    count_tid(rec.tid);
    switch (rec.type) {
    case MT_REC_PROCESS:
      printf("process pid=%u ppid=%u origin=%u parent_trace=%.*s argc=%u\n", rec.u.process.pid,
             rec.u.process.ppid, rec.u.process.origin, (int)rec.u.process.parent_trace.len,
             rec.u.process.parent_trace.data, rec.u.process.argc);
      printf("options %.*s\n", (int)rec.u.process.options.len, rec.u.process.options.data);
      break;
    case MT_REC_END: {
      const mt_rec_end *e = &rec.u.end;
      printf("end how=%u status=%d allocations=%" PRIu64 " frees=%" PRIu64
             " bytes_allocated=%" PRIu64 " peak_heap=%" PRIu64 " live_bytes=%" PRIu64
             " live_blocks=%" PRIu64 "\n",
             e->how, e->status, e->allocations, e->frees, e->bytes_allocated, e->peak_heap_bytes,
             e->live_bytes, e->live_blocks);
      break;
    }
    case MT_REC_ALLOC:
      count_event(rec.type, rec.u.alloc.kind, rec.u.alloc.size);
      use_stack(rec.u.alloc.stack);
      break;
    case MT_REC_STACK:
      add_stack(rec.u.stack.id, rec.u.stack.parent);
      break;
    case MT_REC_RSS:
      rss_samples++;
      break;
    case MT_REC_FREE:
      count_event(rec.type, rec.u.free.kind, rec.u.free.size);
      break;
    case MT_REC_REALLOC:
      count_event(rec.type, rec.u.realloc.kind, rec.u.realloc.size);
      break;
    case MT_REC_MODULE:
      printf("module %" PRIu64 " %s\n", rec.u.module.id, base_name(&rec.u.module.path));
      break;
    case MT_REC_UNLOAD:
      printf("unload %" PRIu64 "\n", rec.u.unload.id);
      break;
    case MT_REC_MARKER:
      printf("marker %.*s\n", (int)rec.u.marker.label.len, rec.u.marker.label.data);
      break;
    case MT_REC_FORK:
      printf("fork %u\n", rec.u.fork.child_pid);
      break;
    case MT_REC_EXEC:
      printf("exec %.*s\n", (int)rec.u.exec.path.len, rec.u.exec.path.data);
      break;
    default:
      break;
    }
  }
  printf("read %s\n", rc == 0 ? "complete" : mt_err_name(rc));
  mt_reader_close(r);
  printf("threads %zu\n", ntids);
  printf("rss_samples %" PRIu64 "\n", rss_samples);
  measure_depth();
  printf("max_stack_depth %" PRIu64 "\n", max_depth);

  for (size_t i = 0; i < nevents; i++)
    printf("event %s %s %" PRIu64 " x%" PRIu64 "\n", mt_record_type_name(events[i].type),
           mt_alloc_kind_name((int)events[i].kind), events[i].size, events[i].count);

  mt__scan sc;
  mt__trace_scan(argv[1], &sc);
  printf("counted allocations=%" PRIu64 " frees=%" PRIu64 " bytes_allocated=%" PRIu64
         " peak_heap=%" PRIu64 " live_bytes=%" PRIu64 " live_blocks=%" PRIu64 "\n",
         sc.allocations, sc.frees, sc.bytes_allocated, sc.peak_heap_bytes, sc.live_bytes,
         sc.live_blocks);
  free(events);
  free(parents);
  free(used_stacks);
  return 0;
}
