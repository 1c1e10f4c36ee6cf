/* SPDX-License-Identifier: MIT */
/* Internal: varint primitives, the recent-address lists and the per-record field tables
 * shared by the encoder (chunk.c) and the decoder (decode.c), so the two can never disagree
 * on a layout. */
#ifndef MT_CODEC_H
#define MT_CODEC_H

#include <stdint.h>
#include <string.h>

#include "memtrace/trace_chunk.h"

#define MT__VARINT_MAX 10

/* Delta state of a chunk (see "Delta state" in docs/trace-format.md). */
typedef struct {
  uint64_t seq, time, address, ip, stack;
  mt_recent live, freed;
} mt__delta;

_Static_assert(MT_RECENT_MAX <= 32 && (MT_RECENT_MAX & (MT_RECENT_MAX - 1)) == 0,
               "one bit per slot in a uint32_t; positions wrap around the ring by masking");

static inline uint64_t *mt__recent_slot(mt_recent *r, uint32_t i) {
  return &r->address[(r->head - 1 - i) % MT_RECENT_MAX];
}

/* Position of the newest entry equal to address, or -1. The newest entry is the most common
 * match (a block freed right after its allocation, or a freed block allocated again at once),
 * so it is tried first. Otherwise every slot is compared without branching, as most searches
 * miss (a program freeing in no particular order), and the newest match is the matching slot
 * just below head, else the highest one. Positions from count on are stale slots (left by
 * removals, or zeros from the chunk start); they come after every entry, so when the newest
 * match is one of them, no entry matches. */
static inline int mt__recent_find(mt_recent *r, uint64_t address) {
  if (r->count && *mt__recent_slot(r, 0) == address) return 0;
  uint32_t match = 0;
#pragma GCC unroll 32
  for (uint32_t s = 0; s < MT_RECENT_MAX; s++) match |= (uint32_t)(r->address[s] == address) << s;
  if (!match) return -1;
  uint32_t h = r->head % MT_RECENT_MAX, below = match & ((1u << h) - 1);
  uint32_t slot = 31 - (uint32_t)__builtin_clz(below ? below : match);
  uint32_t i = (h - 1 - slot) % MT_RECENT_MAX;
  return i < r->count ? (int)i : -1;
}

/* Remove entry i (< count) and return its address; newer entries move up one position. */
static inline uint64_t mt__recent_take(mt_recent *r, uint32_t i) {
  uint64_t address = *mt__recent_slot(r, i);
  for (; i > 0; i--) *mt__recent_slot(r, i) = *mt__recent_slot(r, i - 1);
  r->head--;
  r->count--;
  return address;
}

/* Make address the newest entry, dropping the oldest when full. */
static inline void mt__recent_push(mt_recent *r, uint64_t address) {
  r->address[r->head++ % MT_RECENT_MAX] = address;
  if (r->count < MT_RECENT_MAX) r->count++;
}

/* Bounds-checked cursor over a decoded chunk. */
typedef struct {
  const uint8_t *p, *end;
} mt__cursor;

/* How one field is stored on disk and where it lives in the record's struct. */
typedef enum {
  MT__F_U32,       /* varint into uint32_t, range-checked */
  MT__F_U64,       /* varint */
  MT__F_S32,       /* svarint into int32_t, range-checked */
  MT__F_KIND,      /* varint allocation kind, < MT_ALLOC_KIND_COUNT */
  MT__F_REACH,     /* varint leak kind, < MT_REACH_KIND_COUNT */
  MT__F_STR,       /* mt_str */
  MT__F_BUILD_ID,  /* length-prefixed bytes, at most MT_BUILD_ID_MAX (mt_rec_module) */
  MT__F_SEGMENTS,  /* count, then four varints each (mt_rec_module) */
  MT__F_DSEQ,      /* svarint delta against delta.seq (uint64_t) */
  MT__F_DTIME,     /* svarint delta against delta.time */
  MT__F_DADDR,     /* svarint delta against delta.address, which it then replaces */
  MT__F_NEW_ADDR,  /* address reference into delta.freed; the address joins delta.live */
  MT__F_OLD_ADDR,  /* address reference into delta.live; the address joins delta.freed */
  MT__F_DIP,       /* svarint delta against delta.ip */
  MT__F_DSTACK,    /* svarint delta against delta.stack, which it then replaces */
  MT__F_PARENT     /* varint (stack id - parent - 1): the id must be decoded just before */
} mt__field_type;

typedef struct {
  uint8_t type;     /* mt__field_type */
  uint8_t hex;      /* print in hexadecimal (addresses) */
  uint16_t offset;  /* offsetof within the record union member */
  const char *name; /* field name, as in the spec and memtrace-dump output */
} mt__field;

typedef struct {
  int type;
  const char *name;
  const mt__field *fields;
  unsigned nfields;
  const char *(*validate)(const mt_record *rec); /* extra checks: NULL when valid, else why */
  /* the same decoding without the table (NULL: none), -1 to leave anything unusual to it */
  int (*fast)(mt__cursor *c, mt__delta *d, mt_record *rec);
} mt__record_layout;

/* Layout of a known record type in the format version this library writes, or NULL. */
const mt__record_layout *mt__layout(int type);

/* Layout of a known record type in traces of format `major` (a supported one), or NULL. */
const mt__record_layout *mt__layout_of_major(int major, int type);

static inline size_t mt__put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

static inline uint64_t mt__zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t mt__unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Read a varint; @return 0 or MT_ECORRUPT (overlong, past the end, or over 64 bits), the
 * cursor then past the bytes read. Most fields fit in one byte: that case goes first. */
static inline int mt__get_varint(mt__cursor *c, uint64_t *out) {
  const uint8_t *p = c->p;
  if (p < c->end && *p < 0x80) {
    *out = *p;
    c->p = p + 1;
    return 0;
  }
  uint64_t v = 0;
  /* the tenth byte (shift 63) holds one bit and ends the varint, or it is corrupt */
  for (unsigned shift = 0; p < c->end; shift += 7) {
    uint8_t b = *p++;
    if (shift == 7 * (MT__VARINT_MAX - 1) && b > 1) break;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      c->p = p;
      return 0;
    }
  }
  c->p = p;
  return MT_ECORRUPT;
}

/* mt_chunk_put without the event fast paths: the layout tables alone (tests compare both). */
int mt__chunk_put_by_table(mt_chunk *c, const mt_record *rec);

/* mt__decode_payload without the fast paths: the layout tables alone (tests compare both). */
int mt__decode_payload_by_table(const mt__record_layout *layout, mt__cursor *c, mt__delta *d, mt_record *rec,
                                const char **why);

/* Decode one record payload into rec using its layout; @return 0 or MT_ECORRUPT with a
 * short reason in *why. Inline: as a call of its own it added a third to the fast paths. */
static inline int mt__decode_payload(const mt__record_layout *layout, mt__cursor *c, mt__delta *d,
                                     mt_record *rec, const char **why) {
  if (layout->fast && layout->fast(c, d, rec) == 0) return 0;
  return mt__decode_payload_by_table(layout, c, d, rec, why);
}
/* Fast paths of the current layouts (decode.c), for the `fast` member of layouts.c. */
int mt__decode_fast_alloc(mt__cursor *c, mt__delta *d, mt_record *rec);
int mt__decode_fast_free(mt__cursor *c, mt__delta *d, mt_record *rec);
int mt__decode_fast_stack(mt__cursor *c, mt__delta *d, mt_record *rec);

#endif /* MT_CODEC_H */
