/* SPDX-License-Identifier: MIT */
/* Heap accounting engine: consumes allocation events in sequence order and keeps per-stack
 * aggregates, live blocks, temporaries, peak attribution, markers and a timeline. Memory is
 * bounded by distinct stacks, live blocks and markers; it never grows with the event count. */
#ifndef MT_ANALYZER_ACCUM_H
#define MT_ANALYZER_ACCUM_H

#include <stdint.h>

#include "mapranges.h"
#include "u64map.h"

/* One event of the ordered stream (ALLOC, FREE, REALLOC, or a record that only carries time). */
typedef enum { MT__EV_ALLOC, MT__EV_FREE, MT__EV_REALLOC, MT__EV_RSS, MT__EV_MARKER, MT__EV_TICK } mt__ev_type;

typedef struct {
  uint64_t seq, time;
  uint64_t addr, addr2;   /* FREE/ALLOC: addr; REALLOC: addr=old, addr2=new; MARKER: addr=index */
  uint64_t size;          /* RSS: resident bytes */
  uint64_t stack;
  uint32_t tid;
  uint8_t type;           /* mt__ev_type */
  uint8_t kind;           /* mt_alloc_kind */
} mt__event;

/* Aggregates of one allocation stack (heap class only). */
typedef struct {
  uint64_t stack;
  uint64_t allocations, bytes, temporary;
  uint64_t leaked_blocks, leaked_bytes;
  uint64_t live_bytes, live_blocks;
  uint64_t snap_bytes, snap_blocks, snap_epoch; /* live figures at the latest peak (lazy) */
} mt__site;

/* A block still allocated. */
typedef struct {
  uint64_t addr, size, seq, time, stack;
  uint32_t site;          /* index in sites, or UINT32_MAX for non-heap blocks */
  uint8_t cls;            /* mt_alloc_class */
  uint8_t kind;
} mt__block;

/* A thread's latest heap allocation, for temporaries (address 0: none since). */
typedef struct {
  uint32_t tid;
  uint8_t used;           /* the cache slot holds tid */
  uint8_t known;          /* tid allocated before (it has an entry in the map) */
  uint64_t addr;
} mt__last_alloc;

typedef struct {
  uint64_t seq, time, heap_bytes;
  uint32_t label;         /* index given by the caller */
} mt__mark;

#define MT__TIMELINE_POINTS 512

typedef struct {
  uint64_t seq;           /* last event seq in the bucket, 0 when empty */
  uint64_t heap_end, heap_max, blocks_end, rss, mmap_end;
  int used;
} mt__bucket;

typedef struct {
  uint64_t allocations, frees, bytes_allocated, temporary;
  uint64_t heap_live, heap_blocks, peak_heap, peak_seq, peak_time;
  uint64_t mmap_allocations, mmap_live, custom_allocations, custom_live;
  uint64_t unmatched_frees, peak_rss, last_rss, last_seq, last_time;
  uint64_t events;
  uint64_t late_pairs;    /* allocations that arrived after their free (beyond the window) */
} mt__totals;

typedef struct {
  uint32_t *site_of_stack; /* stack id -> index in sites + 1 (0: none), for ids up to cap */
  size_t site_of_stack_cap;
  mt__u64map site_index;  /* the same for larger ids (a damaged or unusual trace) */
  mt__site *sites;
  size_t nsites, capsites;
  mt__u64map live;        /* mt__live_key(address, class) -> index in blocks */
  mt__block *blocks;
  size_t nblocks, capblocks;
  uint32_t *free_blocks;  /* recycled block indices */
  size_t nfree, capfree;
  mt__u64map last_alloc;  /* tid -> address of that thread's latest heap allocation */
  mt__last_alloc recent_last[8]; /* in front of last_alloc, by tid: most events need no probe */
  mt__u64map pending;     /* live key -> seq of a free that came before its allocation */
  mt__u64map stale;       /* live key -> block of an older incarnation of a live address,
                           * allocated before it but delivered after it (its free is due) */
  mt__mapranges maps;     /* starts of the live mmap blocks, for partial unmaps */
  uint64_t epoch;         /* bumped each time a new heap peak is reached */
  mt__totals t;
  mt__mark *marks;
  size_t nmarks, capmarks;
  mt__bucket timeline[MT__TIMELINE_POINTS];
  uint64_t bucket_ns;     /* width of a timeline bucket; doubles as the trace grows */
  size_t bucket_ix;       /* the latest event's bucket and its start time: most events */
  uint64_t bucket_start;  /* fall in it, and need no division to find it */
  uint64_t seq_lo, seq_hi; /* only events in [seq_lo, seq_hi] ... */
  uint64_t time_lo, time_hi; /* ... and in [time_lo, time_hi] (ns) are counted */
} mt__accum;

/* Heap, mmap and custom blocks may share an address (a pool's annotated blocks live inside a
 * heap block), so live blocks are keyed by address and class together. */
static inline uint64_t mt__live_key(uint64_t addr, int cls) {
  return (addr << 2 | (addr >> 62)) ^ (uint64_t)cls;
}

void mt__accum_init(mt__accum *a, uint64_t seq_lo, uint64_t seq_hi);
void mt__accum_free(mt__accum *a);
/* Account one event. @return 0 or -1 when out of memory. */
int mt__accum_event(mt__accum *a, const mt__event *e);
/* Close the books: leaked counters per site and final peak figures per site.
 * Call once, after the last event. */
void mt__accum_finish(mt__accum *a);
/* Iterate the blocks still allocated (start with *pos = 0). @return 1 with *b, 0 at the end. */
int mt__accum_next_block(const mt__accum *a, size_t *pos, const mt__block **b);
/* Bytes and blocks each site held at the peak (valid after finish). */
void mt__accum_site_peak(const mt__accum *a, const mt__site *s, uint64_t *bytes, uint64_t *blocks);

#endif
