/* SPDX-License-Identifier: MIT */
/* Record encoder: walks a record's field table and appends type, length and payload to a
 * chunk buffer. No allocation, no stdio: safe on the preload shim's hot path. */
#include "memtrace/trace_chunk.h"

#include "codec.h"

/* Output cursor; `full` is set instead of writing past `end`. */
typedef struct {
  uint8_t *p, *end;
  int full;
} out_cursor;

static void put_varint(out_cursor *o, uint64_t v) {
  if (o->end - o->p < MT__VARINT_MAX) {
    uint8_t tmp[MT__VARINT_MAX];
    size_t n = mt__put_varint(tmp, v);
    if ((size_t)(o->end - o->p) < n) {
      o->full = 1;
      return;
    }
    memcpy(o->p, tmp, n);
    o->p += n;
    return;
  }
  o->p += mt__put_varint(o->p, v);
}

static void put_bytes(out_cursor *o, const void *data, size_t len) {
  put_varint(o, len);
  if (o->full || (size_t)(o->end - o->p) < len) {
    o->full = 1;
    return;
  }
  if (len) memcpy(o->p, data, len);
  o->p += len;
}

static uint64_t delta_put(uint64_t *prev, uint64_t v) {
  uint64_t z = mt__zigzag((int64_t)(v - *prev));
  *prev = v;
  return z;
}

/* Reference to address: its position + 1 in `from` (taken out of it), or 0 when absent. The
 * address then becomes the newest of `to`. */
static uint64_t address_ref(mt_recent *from, mt_recent *to, uint64_t address) {
  int i = mt__recent_find(from, address);
  if (i >= 0) mt__recent_take(from, (uint32_t)i);
  mt__recent_push(to, address);
  return (uint64_t)(i + 1);
}

static void put_address(out_cursor *o, mt__delta *d, mt_recent *from, mt_recent *to, uint64_t address) {
  uint64_t ref = address_ref(from, to, address);
  put_varint(o, ref);
  if (ref) d->address = address;
  else put_varint(o, delta_put(&d->address, address));
}

/* Encode the fields of rec; @return 0 or MT_EINVAL for a value out of the format's range. */
static int put_fields(out_cursor *o, const mt__record_layout *l, const mt_record *rec, mt__delta *d) {
  const char *base = (const char *)&rec->u;
  for (unsigned i = 0; i < l->nfields; i++) {
    const void *at = base + l->fields[i].offset;
    switch ((mt__field_type)l->fields[i].type) {
      case MT__F_U32: put_varint(o, *(const uint32_t *)at); break;
      case MT__F_U64: put_varint(o, *(const uint64_t *)at); break;
      case MT__F_S32: put_varint(o, mt__zigzag(*(const int32_t *)at)); break;
      case MT__F_KIND:
        if (*(const uint32_t *)at >= MT_ALLOC_KIND_COUNT) return MT_EINVAL;
        put_varint(o, *(const uint32_t *)at);
        break;
      case MT__F_REACH:
        if (*(const uint32_t *)at >= MT_REACH_KIND_COUNT) return MT_EINVAL;
        put_varint(o, *(const uint32_t *)at);
        break;
      case MT__F_STR: put_bytes(o, ((const mt_str *)at)->data, ((const mt_str *)at)->len); break;
      case MT__F_BUILD_ID: {
        const mt_rec_module *m = &rec->u.module;
        if (m->build_id_len > MT_BUILD_ID_MAX) return MT_EINVAL;
        put_bytes(o, m->build_id, m->build_id_len);
        break;
      }
      case MT__F_SEGMENTS: {
        const mt_rec_module *m = &rec->u.module;
        if (m->nsegments > MT_SEGMENTS_MAX) return MT_EINVAL;
        put_varint(o, m->nsegments);
        for (uint32_t s = 0; s < m->nsegments; s++) {
          put_varint(o, m->segments[s].vaddr);
          put_varint(o, m->segments[s].memsz);
          put_varint(o, m->segments[s].file_offset);
          put_varint(o, m->segments[s].flags);
        }
        break;
      }
      case MT__F_DSEQ: put_varint(o, delta_put(&d->seq, *(const uint64_t *)at)); break;
      case MT__F_DTIME: put_varint(o, delta_put(&d->time, *(const uint64_t *)at)); break;
      case MT__F_DADDR: put_varint(o, delta_put(&d->address, *(const uint64_t *)at)); break;
      case MT__F_NEW_ADDR: put_address(o, d, &d->freed, &d->live, *(const uint64_t *)at); break;
      case MT__F_OLD_ADDR: put_address(o, d, &d->live, &d->freed, *(const uint64_t *)at); break;
      case MT__F_DIP: put_varint(o, delta_put(&d->ip, *(const uint64_t *)at)); break;
      case MT__F_DSTACK: put_varint(o, delta_put(&d->stack, *(const uint64_t *)at)); break;
      case MT__F_PARENT:
        if (rec->u.stack.id == 0 || rec->u.stack.parent >= rec->u.stack.id) return MT_EINVAL;
        put_varint(o, rec->u.stack.id - rec->u.stack.parent - 1);
        break;
    }
  }
  return 0;
}

/* Append one record; on any failure the chunk (bytes and deltas) is left as it was. */
static int put_record(mt_chunk *c, int type, const mt_record *rec) {
  const mt__record_layout *l = mt__layout(type);
  if (!l) return MT_EINVAL;
  if (c->cap - c->len < 2) return MT_ENOSPC;
  mt__delta d = {c->prev_seq, c->prev_time, c->prev_address, c->prev_ip, c->prev_stack, c->live, c->freed};
  uint8_t *start = c->data + c->len;
  /* Payload goes after a one-byte length guess; moved if the length needs more bytes. */
  out_cursor o = {start + 2, c->data + c->cap, 0};
  int err = put_fields(&o, l, rec, &d);
  if (err) return err;
  if (o.full) return MT_ENOSPC;
  size_t payload = (size_t)(o.p - (start + 2));
  uint8_t len_bytes[MT__VARINT_MAX];
  size_t n = mt__put_varint(len_bytes, payload);
  if (n > 1) {
    if ((size_t)(c->data + c->cap - o.p) < n - 1) return MT_ENOSPC;
    memmove(start + 1 + n, start + 2, payload);
  }
  start[0] = (uint8_t)type;
  memcpy(start + 1, len_bytes, n);
  c->len += 1 + n + payload;
  c->prev_seq = d.seq;
  c->prev_time = d.time;
  c->prev_address = d.address;
  c->prev_ip = d.ip;
  c->prev_stack = d.stack;
  c->live = d.live;
  c->freed = d.freed;
  return 0;
}

void mt_chunk_init(mt_chunk *c, void *buf, size_t cap, uint32_t tid) {
  c->data = (uint8_t *)buf;
  c->cap = cap > MT_CHUNK_MAX ? MT_CHUNK_MAX : cap;
  mt_chunk_reset(c, tid);
}

void mt_chunk_reset(mt_chunk *c, uint32_t tid) {
  c->len = 0;
  c->tid = tid;
  c->prev_seq = c->prev_time = c->prev_address = c->prev_ip = c->prev_stack = 0;
  memset(&c->live, 0, sizeof c->live);
  memset(&c->freed, 0, sizeof c->freed);
  mt_record rec;
  rec.u.chunk.tid = tid;
  put_record(c, MT_REC_CHUNK, &rec);
}

int mt_chunk_empty(const mt_chunk *c) {
  uint8_t tid_bytes[MT__VARINT_MAX];
  return c->len <= 2 + mt__put_varint(tid_bytes, c->tid); /* just the CHUNK record */
}

int mt__chunk_put_by_table(mt_chunk *c, const mt_record *rec) {
  if (rec->type == MT_REC_CHUNK) return MT_EINVAL;
  return put_record(c, rec->type, rec);
}

/* Events take their fast path, so callers of mt_chunk_put (the shim) get it too. */
int mt_chunk_put(mt_chunk *c, const mt_record *rec) {
  switch (rec->type) {
    case MT_REC_ALLOC: return mt_chunk_put_alloc(c, &rec->u.alloc);
    case MT_REC_FREE: return mt_chunk_put_free(c, &rec->u.free);
    case MT_REC_REALLOC: return mt_chunk_put_realloc(c, &rec->u.realloc);
    case MT_REC_STACK: return mt_chunk_put_stack(c, &rec->u.stack);
    default: return mt__chunk_put_by_table(c, rec);
  }
}

/* The four hot record types are also encoded directly, without walking their field table:
 * they run once per event, called directly or through mt_chunk_put. Each mirrors its layout
 * in layouts.c field by field (test_codec's fast_path_matches_tables checks they produce the
 * same bytes). Their payloads stay under 128 bytes, so the length is one byte. Anything
 * unusual (little room left, an invalid value) takes the table-driven path, which reports it
 * exactly. */
#define FAST_ROOM MT_EVENT_MAX_BYTES

static inline uint8_t *fast_begin(mt_chunk *c, int type) {
  uint8_t *p = c->data + c->len;
  p[0] = (uint8_t)type;
  return p + 2; /* payload after the one-byte length */
}

static inline int fast_end(mt_chunk *c, uint8_t *end) {
  uint8_t *start = c->data + c->len;
  start[1] = (uint8_t)(end - (start + 2));
  c->len = (size_t)(end - c->data);
  return 0;
}

static inline uint8_t *fast_delta(uint8_t *p, uint64_t *prev, uint64_t v) {
  p += mt__put_varint(p, mt__zigzag((int64_t)(v - *prev)));
  *prev = v;
  return p;
}

static inline uint8_t *fast_address(uint8_t *p, mt_chunk *c, mt_recent *from, mt_recent *to, uint64_t address) {
  uint64_t ref = address_ref(from, to, address);
  p += mt__put_varint(p, ref);
  if (!ref) return fast_delta(p, &c->prev_address, address);
  c->prev_address = address;
  return p;
}

int mt_chunk_put_alloc(mt_chunk *c, const mt_rec_alloc *a) {
  if (c->cap - c->len < FAST_ROOM || a->kind >= MT_ALLOC_KIND_COUNT)
    return put_record(c, MT_REC_ALLOC, &(mt_record){.u.alloc = *a});
  uint8_t *p = fast_begin(c, MT_REC_ALLOC);
  *p++ = (uint8_t)a->kind;
  p = fast_delta(p, &c->prev_seq, a->seq);
  p = fast_delta(p, &c->prev_time, a->time_ns);
  p = fast_address(p, c, &c->freed, &c->live, a->address);
  p += mt__put_varint(p, a->size);
  p += mt__put_varint(p, a->stack);
  return fast_end(c, p);
}

int mt_chunk_put_free(mt_chunk *c, const mt_rec_free *f) {
  if (c->cap - c->len < FAST_ROOM || f->kind >= MT_ALLOC_KIND_COUNT)
    return put_record(c, MT_REC_FREE, &(mt_record){.u.free = *f});
  uint8_t *p = fast_begin(c, MT_REC_FREE);
  *p++ = (uint8_t)f->kind;
  p = fast_delta(p, &c->prev_seq, f->seq);
  p = fast_delta(p, &c->prev_time, f->time_ns);
  p = fast_address(p, c, &c->live, &c->freed, f->address);
  p += mt__put_varint(p, f->size);
  return fast_end(c, p);
}

int mt_chunk_put_realloc(mt_chunk *c, const mt_rec_realloc *r) {
  if (c->cap - c->len < FAST_ROOM || r->kind >= MT_ALLOC_KIND_COUNT)
    return put_record(c, MT_REC_REALLOC, &(mt_record){.u.realloc = *r});
  uint8_t *p = fast_begin(c, MT_REC_REALLOC);
  *p++ = (uint8_t)r->kind;
  p = fast_delta(p, &c->prev_seq, r->seq);
  p = fast_delta(p, &c->prev_time, r->time_ns);
  p = fast_address(p, c, &c->live, &c->freed, r->old_address);
  p = fast_address(p, c, &c->freed, &c->live, r->new_address);
  p += mt__put_varint(p, r->size);
  p += mt__put_varint(p, r->stack);
  return fast_end(c, p);
}

int mt_chunk_put_stack(mt_chunk *c, const mt_rec_stack *s) {
  if (c->cap - c->len < FAST_ROOM || s->id == 0 || s->parent >= s->id)
    return put_record(c, MT_REC_STACK, &(mt_record){.u.stack = *s});
  uint8_t *p = fast_begin(c, MT_REC_STACK);
  p = fast_delta(p, &c->prev_stack, s->id);
  p += mt__put_varint(p, s->id - s->parent - 1);
  p = fast_delta(p, &c->prev_ip, s->ip);
  return fast_end(c, p);
}
