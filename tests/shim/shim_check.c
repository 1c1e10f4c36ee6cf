/* SPDX-License-Identifier: MIT */
/* shim-check TRACE [key=value...]: reads a trace written by libmemtrace.so, checks the
 * writer's invariants (PROCESS first, sequence numbers unique and increasing per chunk, every
 * referenced stack defined once with parent < id, heap totals replayed from the events equal
 * END) and prints facts as key=value lines. Each argument asserts one fact; exit 1 when an
 * invariant or an assertion fails, 2 on usage or I/O errors. */
#include <memtrace/trace_reader.h>

#include "grow_array.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FACTS_MAX 256

typedef struct {
  char key[64];
  char value[4096];
} fact;

static fact facts[FACTS_MAX];
static int nfacts, failures;

static fact *fact_get(const char *key) {
  for (int i = 0; i < nfacts; i++)
    if (!strcmp(facts[i].key, key))
      return &facts[i];
  if (nfacts == FACTS_MAX)
    exit(2);
  fact *f = &facts[nfacts++];
  snprintf(f->key, sizeof f->key, "%s", key);
  strcpy(f->value, "0");
  return f;
}

static void set_u64(const char *key, uint64_t v) { snprintf(fact_get(key)->value, 4096, "%" PRIu64, v); }
static void set_str(const char *key, const mt_str *s) {
  snprintf(fact_get(key)->value, 4096, "%.*s", (int)s->len, s->data);
}
static void add_u64(const char *key, uint64_t v) {
  fact *f = fact_get(key);
  snprintf(f->value, 4096, "%" PRIu64, (uint64_t)strtoull(f->value, NULL, 10) + v);
}

static void violation(const char *what, uint64_t a, uint64_t b) {
  fprintf(stderr, "shim-check: invariant broken: %s (%" PRIu64 ", %" PRIu64 ")\n", what, a, b);
  failures++;
}

/* Heap events kept for the replay in sequence order. */
typedef struct {
  uint64_t seq;
  int type;
  uint32_t kind;
  uint64_t addr, old_addr, size;
} event;

static event *events;
static size_t nevents, cap_events;

static void keep(event e) {
  grow_array(&events, &cap_events, nevents + 1, sizeof *events);
  events[nevents++] = e;
}

static int by_seq(const void *a, const void *b) {
  const event *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Open-addressing map address -> size for the replay. */
static uint64_t *map_key, *map_val;
static size_t map_cap;

static size_t map_slot(uint64_t k) {
  size_t i = (size_t)((k >> 4) * 0x9E3779B97F4A7C15ull) & (map_cap - 1);
  while (map_key[i] && map_key[i] != k)
    i = (i + 1) & (map_cap - 1);
  return i;
}

static void map_remove(size_t i) {
  map_key[i] = 0;
  for (size_t j = (i + 1) & (map_cap - 1); map_key[j]; j = (j + 1) & (map_cap - 1)) {
    uint64_t k = map_key[j], v = map_val[j];
    map_key[j] = 0;
    size_t s = map_slot(k);
    map_key[s] = k;
    map_val[s] = v;
  }
}

static void replay(void) {
  qsort(events, nevents, sizeof *events, by_seq);
  map_cap = 1;
  while (map_cap < nevents * 2 + 16)
    map_cap *= 2;
  map_key = calloc(map_cap, sizeof *map_key);
  map_val = calloc(map_cap, sizeof *map_val);
  uint64_t allocs = 0, frees = 0, bytes = 0, live = 0, blocks = 0, peak = 0, peak_seq = 0;
  for (size_t n = 0; n < nevents; n++) {
    event *e = &events[n];
    if (n && e->seq == events[n - 1].seq)
      violation("sequence number used twice", e->seq, e->seq);
    if (e->type == MT_REC_FREE || e->type == MT_REC_REALLOC) {
      uint64_t a = e->type == MT_REC_FREE ? e->addr : e->old_addr;
      size_t i = map_slot(a);
      if (map_key[i]) {
        live -= map_val[i];
        blocks--;
        map_remove(i);
      } else {
        violation("free of an address that is not live", a, e->seq);
      }
      frees++;
    }
    if (e->type == MT_REC_ALLOC || e->type == MT_REC_REALLOC) {
      size_t i = map_slot(e->addr);
      if (map_key[i])
        violation("allocation at a live address", e->addr, e->seq);
      map_key[i] = e->addr;
      map_val[i] = e->size;
      live += e->size;
      blocks++;
      allocs++;
      bytes += e->size;
      if (live > peak) {
        peak = live;
        peak_seq = e->seq;
      }
    }
  }
  set_u64("replay.allocations", allocs);
  set_u64("replay.frees", frees);
  set_u64("replay.bytes_allocated", bytes);
  set_u64("replay.live_bytes", live);
  set_u64("replay.live_blocks", blocks);
  set_u64("replay.peak_heap_bytes", peak);
  set_u64("replay.peak_heap_seq", peak_seq);
}

/* Stack ids: defined[id] set once; referenced ids checked after reading. */
static uint8_t *defined;
static uint16_t *depth; /* frames from the root to each node */
static uint64_t *node_parent, *node_ip;
static uint64_t *refs, max_depth;
static size_t defined_cap, nrefs, cap_refs;

static void define_stack(const mt_rec_stack *s) {
  if (s->parent >= s->id)
    violation("stack parent not below id", s->parent, s->id);
  if (s->id >= defined_cap) {
    size_t cap = defined_cap; /* each array gets a copy: they grow alike */
    grow_array(&depth, &cap, s->id + 1, sizeof *depth);
    cap = defined_cap;
    grow_array(&node_parent, &cap, s->id + 1, sizeof *node_parent);
    cap = defined_cap;
    grow_array(&node_ip, &cap, s->id + 1, sizeof *node_ip);
    grow_array(&defined, &defined_cap, s->id + 1, sizeof *defined);
  }
  if (defined[s->id])
    violation("stack node defined twice", s->id, 0);
  defined[s->id] = 1;
  node_parent[s->id] = s->parent;
  node_ip[s->id] = s->ip;
  /* parents come first within a thread's chunks; other threads' nodes may come later */
  depth[s->id] = (uint16_t)(s->parent && s->parent < defined_cap && defined[s->parent] ? depth[s->parent] + 1 : 1);
  if (depth[s->id] > max_depth)
    max_depth = depth[s->id];
}

static void reference_stack(uint64_t id) {
  if (!id)
    return;
  grow_array(&refs, &cap_refs, nrefs + 1, sizeof *refs);
  refs[nrefs++] = id;
}

static uint64_t mix(uint64_t h, uint64_t ip) {
  h = (h ^ ip) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 31);
}

static int by_value(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static size_t count_distinct(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, by_value);
  size_t d = 0;
  for (size_t i = 0; i < n; i++)
    d += i == 0 || v[i] != v[i - 1];
  return d;
}

/* Distinct stack ids the events use, and distinct frame sequences behind them (by a hash of
 * the return addresses from the root): nodes may repeat a prefix, but a whole stack must
 * have one id. */
static void count_event_stacks(void) {
  uint64_t *ids = malloc((nrefs + 1) * sizeof *ids), *paths = malloc((nrefs + 1) * sizeof *paths);
  if (!ids || !paths) {
    fprintf(stderr, "shim-check: out of memory\n");
    exit(2);
  }
  memcpy(ids, refs, nrefs * sizeof *ids);
  size_t nids = count_distinct(ids, nrefs);
  size_t k = 0;
  uint64_t frames = 0;
  for (size_t i = 0; i < nrefs; i++) {
    if (i && ids[i] == ids[i - 1])
      continue;
    uint64_t chain[1024], h = 0x243F6A8885A308D3ull;
    int n = 0;
    for (uint64_t id = ids[i]; id && id < defined_cap && defined[id] && n < 1024; id = node_parent[id])
      chain[n++] = node_ip[id];
    frames += (uint64_t)n;
    while (n > 0)
      h = mix(h, chain[--n]);
    paths[k++] = h;
  }
  size_t npaths = count_distinct(paths, k);
  set_u64("stack.event_ids", nids);
  set_u64("stack.event_paths", npaths);
  set_u64("stack.path_frames", frames); /* frames of the distinct stacks events use */
  if (npaths != nids)
    violation("one call stack has more than one id", nids, npaths);
  free(ids);
  free(paths);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: shim-check TRACE [key=value...]\n");
    return 2;
  }
  mt_reader *r;
  if (mt_reader_open_file(&r, argv[1]) != 0) {
    fprintf(stderr, "shim-check: cannot open %s\n", argv[1]);
    return 2;
  }
  mt_record rec;
  int rc;
  uint64_t records = 0, last_seq = 0, last_frame = UINT64_MAX;
  uint32_t chunk_tid = 0;
  while ((rc = mt_reader_next(r, &rec)) == 1) {
    if (rec.type != MT_REC_CHUNK && ++records == 1 && rec.type != MT_REC_PROCESS)
      violation("PROCESS is not the first record", (uint64_t)rec.type, 0);
    if (rec.frame_offset != last_frame || rec.type == MT_REC_CHUNK) {
      last_frame = rec.frame_offset;
      last_seq = 0;
    }
    const char *name = mt_record_type_name(rec.type);
    char key[64];
    snprintf(key, sizeof key, "n.%s", name ? name : "unknown");
    add_u64(key, 1);
    uint64_t seq = 0;
    switch (rec.type) {
    case MT_REC_CHUNK:
      chunk_tid = rec.u.chunk.tid;
      break;
    case MT_REC_PROCESS:
      set_u64("process.pid", rec.u.process.pid);
      set_u64("process.ppid", rec.u.process.ppid);
      set_u64("process.origin", rec.u.process.origin);
      set_u64("process.argc", rec.u.process.argc);
      set_str("process.exe", &rec.u.process.exe);
      set_str("process.parent_trace", &rec.u.process.parent_trace);
      set_str("process.version", &rec.u.process.version);
      break;
    case MT_REC_END: {
      const mt_rec_end *e = &rec.u.end;
      seq = e->seq;
      set_u64("end.how", e->how);
      set_u64("end.status", (uint64_t)(int64_t)e->status);
      set_u64("end.allocations", e->allocations);
      set_u64("end.frees", e->frees);
      set_u64("end.bytes_allocated", e->bytes_allocated);
      set_u64("end.peak_heap_bytes", e->peak_heap_bytes);
      set_u64("end.peak_heap_seq", e->peak_heap_seq);
      set_u64("end.live_bytes", e->live_bytes);
      set_u64("end.live_blocks", e->live_blocks);
      set_u64("end.mmap_live_bytes", e->mmap_live_bytes);
      set_u64("end.peak_rss_nonzero", e->peak_rss_bytes > 0);
      set_u64("end.shim_bytes_nonzero", e->shim_bytes > 0);
      break;
    }
    case MT_REC_ALLOC:
    case MT_REC_REALLOC: {
      int re = rec.type == MT_REC_REALLOC;
      uint32_t kind = re ? rec.u.realloc.kind : rec.u.alloc.kind;
      seq = re ? rec.u.realloc.seq : rec.u.alloc.seq;
      snprintf(key, sizeof key, "kind.%s.%s", name, mt_alloc_kind_name((int)kind));
      add_u64(key, 1);
      reference_stack(re ? rec.u.realloc.stack : rec.u.alloc.stack);
      if (mt_alloc_kind_class((int)kind) == MT_CLASS_HEAP)
        keep((event){seq, rec.type, kind, re ? rec.u.realloc.new_address : rec.u.alloc.address,
                     re ? rec.u.realloc.old_address : 0, re ? rec.u.realloc.size : rec.u.alloc.size});
      else if (mt_alloc_kind_class((int)kind) == MT_CLASS_MMAP && !re)
        add_u64("mmap.bytes", rec.u.alloc.size);
      break;
    }
    case MT_REC_FREE:
      seq = rec.u.free.seq;
      snprintf(key, sizeof key, "kind.free.%s", mt_alloc_kind_name((int)rec.u.free.kind));
      add_u64(key, 1);
      if (mt_alloc_kind_class((int)rec.u.free.kind) == MT_CLASS_HEAP)
        keep((event){seq, rec.type, rec.u.free.kind, rec.u.free.address, 0, 0});
      else if (mt_alloc_kind_class((int)rec.u.free.kind) == MT_CLASS_MMAP)
        add_u64("munmap.bytes", rec.u.free.size);
      break;
    case MT_REC_STACK:
      define_stack(&rec.u.stack);
      break;
    case MT_REC_MODULE:
      seq = rec.u.module.seq;
      break;
    case MT_REC_UNLOAD:
      seq = rec.u.unload.seq;
      break;
    case MT_REC_THREAD:
      seq = rec.u.thread.seq;
      break;
    case MT_REC_RSS:
      seq = rec.u.rss.seq;
      break;
    case MT_REC_MARKER:
      seq = rec.u.marker.seq;
      set_str("marker.last", &rec.u.marker.label);
      break;
    case MT_REC_FORK:
      seq = rec.u.fork.seq;
      set_u64("fork.child_pid", rec.u.fork.child_pid);
      break;
    case MT_REC_EXEC:
      seq = rec.u.exec.seq;
      set_str("exec.path", &rec.u.exec.path);
      break;
    }
    if (seq) {
      if (seq <= last_seq)
        violation("sequence numbers not increasing within a chunk", last_seq, seq);
      last_seq = seq;
    }
    (void)chunk_tid;
  }
  snprintf(fact_get("reader")->value, 4096, "%s", rc == 0 ? "complete" : mt_err_name(rc));
  mt_reader_close(r);
  for (size_t i = 0; i < nrefs; i++)
    if (refs[i] >= defined_cap || !defined[refs[i]])
      violation("event refers to an undefined stack", refs[i], 0);
  replay();
  count_event_stacks();
  set_u64("stack.max_depth", max_depth);
  for (int i = 0; i < nfacts; i++)
    printf("%s=%s\n", facts[i].key, facts[i].value);
  for (int i = 2; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "shim-check: bad assertion '%s'\n", argv[i]);
      return 2;
    }
    *eq = '\0';
    fact *f = NULL;
    for (int k = 0; k < nfacts; k++)
      if (!strcmp(facts[k].key, argv[i]))
        f = &facts[k];
    const char *have = f ? f->value : "0";
    if (strcmp(have, eq + 1) != 0) {
      fprintf(stderr, "shim-check: %s is %s, expected %s\n", argv[i], have, eq + 1);
      failures++;
    }
  }
  return failures ? 1 : 0;
}
