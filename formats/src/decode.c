/* SPDX-License-Identifier: MIT */
/* Record decoder: the inverse of chunk.c, driven by the same field tables, with every
 * length and range checked against the record's payload. */
#include "codec.h"

static int get_str(mt__cursor *c, mt_str *s, const char **why) {
  uint64_t len;
  if (mt__get_varint(c, &len)) return MT_ECORRUPT;
  if (len > (uint64_t)(c->end - c->p)) return *why = "string past the end of its record", MT_ECORRUPT;
  s->data = (const char *)c->p;
  s->len = (size_t)len;
  c->p += len;
  return 0;
}

static uint64_t delta_get(uint64_t *prev, uint64_t z) {
  *prev += (uint64_t)mt__unzigzag(z);
  return *prev;
}

/* Read the rest of an address reference `ref` into `from`: the delta that follows a 0, in
 * *z. Nothing changes before take_address. @return 0 or MT_ECORRUPT. */
static int read_address(mt__cursor *c, const mt_recent *from, uint64_t ref, uint64_t *z, const char **why) {
  if (ref > from->count) return *why = "address reference past the recent addresses", MT_ECORRUPT;
  if (ref == 0 && mt__get_varint(c, z)) {
    *why = c->p >= c->end ? "record shorter than its fields" : "malformed varint";
    return MT_ECORRUPT;
  }
  return 0;
}

/* Resolve a reference read by read_address and move the address from `from` to `to`, as
 * the encoder did. @return the address. */
static uint64_t take_address(mt__delta *d, mt_recent *from, mt_recent *to, uint64_t ref, uint64_t z) {
  if (ref) d->address = mt__recent_take(from, (uint32_t)(ref - 1));
  else delta_get(&d->address, z);
  mt__recent_push(to, d->address);
  return d->address;
}

int mt__decode_payload_by_table(const mt__record_layout *l, mt__cursor *c, mt__delta *d, mt_record *rec,
                                const char **why) {
  uint64_t z = 0;
  char *base = (char *)&rec->u;
  uint64_t v;
  *why = "malformed varint";
  for (unsigned i = 0; i < l->nfields; i++) {
    void *at = base + l->fields[i].offset;
    mt__field_type t = (mt__field_type)l->fields[i].type;
    if (t == MT__F_STR) {
      if (get_str(c, (mt_str *)at, why)) return MT_ECORRUPT;
      continue;
    }
    if (t == MT__F_BUILD_ID) {
      mt_str id;
      if (get_str(c, &id, why)) return MT_ECORRUPT;
      if (id.len > MT_BUILD_ID_MAX) return *why = "build-id longer than 64 bytes", MT_ECORRUPT;
      memcpy(rec->u.module.build_id, id.data, id.len);
      rec->u.module.build_id_len = (uint32_t)id.len;
      continue;
    }
    if (mt__get_varint(c, &v)) {
      if (c->p >= c->end) *why = "record shorter than its fields";
      return MT_ECORRUPT;
    }
    switch (t) {
      case MT__F_U32:
        if (v > UINT32_MAX) return *why = "value out of 32-bit range", MT_ECORRUPT;
        *(uint32_t *)at = (uint32_t)v;
        break;
      case MT__F_U64: *(uint64_t *)at = v; break;
      case MT__F_S32: {
        int64_t s = mt__unzigzag(v);
        if (s < INT32_MIN || s > INT32_MAX) return *why = "value out of 32-bit range", MT_ECORRUPT;
        *(int32_t *)at = (int32_t)s;
        break;
      }
      case MT__F_KIND:
        if (v >= MT_ALLOC_KIND_COUNT) return *why = "unknown allocation kind", MT_ECORRUPT;
        *(uint32_t *)at = (uint32_t)v;
        break;
      case MT__F_REACH:
        if (v >= MT_REACH_KIND_COUNT) return *why = "unknown leak kind", MT_ECORRUPT;
        *(uint32_t *)at = (uint32_t)v;
        break;
      case MT__F_SEGMENTS: {
        mt_rec_module *m = &rec->u.module;
        if (v > MT_SEGMENTS_MAX) return *why = "more than 32 segments", MT_ECORRUPT;
        m->nsegments = (uint32_t)v;
        for (uint32_t s = 0; s < m->nsegments; s++) {
          uint64_t flags;
          if (mt__get_varint(c, &m->segments[s].vaddr) || mt__get_varint(c, &m->segments[s].memsz) ||
              mt__get_varint(c, &m->segments[s].file_offset) || mt__get_varint(c, &flags))
            return MT_ECORRUPT;
          if (flags > UINT32_MAX) return *why = "value out of 32-bit range", MT_ECORRUPT;
          m->segments[s].flags = (uint32_t)flags;
        }
        break;
      }
      case MT__F_DSEQ: *(uint64_t *)at = delta_get(&d->seq, v); break;
      case MT__F_DTIME: *(uint64_t *)at = delta_get(&d->time, v); break;
      case MT__F_DADDR: *(uint64_t *)at = delta_get(&d->address, v); break;
      case MT__F_NEW_ADDR:
        if (read_address(c, &d->freed, v, &z, why)) return MT_ECORRUPT;
        *(uint64_t *)at = take_address(d, &d->freed, &d->live, v, z);
        break;
      case MT__F_OLD_ADDR:
        if (read_address(c, &d->live, v, &z, why)) return MT_ECORRUPT;
        *(uint64_t *)at = take_address(d, &d->live, &d->freed, v, z);
        break;
      case MT__F_DIP: *(uint64_t *)at = delta_get(&d->ip, v); break;
      case MT__F_DSTACK: *(uint64_t *)at = delta_get(&d->stack, v); break;
      case MT__F_PARENT:
        if (rec->u.stack.id == 0 || v > rec->u.stack.id - 1) return *why = "stack node parent not below its id", MT_ECORRUPT;
        *(uint64_t *)at = rec->u.stack.id - 1 - v;
        break;
      case MT__F_STR:
      case MT__F_BUILD_ID: break; /* handled above */
    }
  }
  const char *invalid = l->validate ? l->validate(rec) : NULL;
  if (invalid) return *why = invalid, MT_ECORRUPT;
  return 0;
}

/* The hot record types are also decoded directly, without walking their field table: one
 * of them is almost every record of a trace. Each mirrors its layout in layouts.c field by
 * field (test_codec's decode_fast_path_matches_tables checks they agree). All varints are
 * read into locals first and nothing changes until they are read and valid, so anything
 * unusual returns -1 with cursor, deltas and record untouched, and the table decoder starts
 * over and reports it exactly. */

/* Kind, seq delta and time delta: the fields every event starts with. */
static int fast_event_head(mt__cursor *c, uint64_t head[3]) {
  return mt__get_varint(c, &head[0]) || head[0] >= MT_ALLOC_KIND_COUNT || mt__get_varint(c, &head[1]) ||
         mt__get_varint(c, &head[2]);
}

int mt__decode_fast_alloc(mt__cursor *c, mt__delta *d, mt_record *rec) {
  mt__cursor in = *c;
  uint64_t head[3], ref, z = 0, size, stack;
  const char *why;
  if (fast_event_head(&in, head) || mt__get_varint(&in, &ref) || read_address(&in, &d->freed, ref, &z, &why) ||
      mt__get_varint(&in, &size) || mt__get_varint(&in, &stack))
    return -1;
  mt_rec_alloc *a = &rec->u.alloc;
  a->kind = (uint32_t)head[0];
  a->seq = delta_get(&d->seq, head[1]);
  a->time_ns = delta_get(&d->time, head[2]);
  a->address = take_address(d, &d->freed, &d->live, ref, z);
  a->size = size;
  a->stack = stack;
  *c = in;
  return 0;
}

int mt__decode_fast_free(mt__cursor *c, mt__delta *d, mt_record *rec) {
  mt__cursor in = *c;
  uint64_t head[3], ref, z = 0, size;
  const char *why;
  if (fast_event_head(&in, head) || mt__get_varint(&in, &ref) || read_address(&in, &d->live, ref, &z, &why) ||
      mt__get_varint(&in, &size))
    return -1;
  mt_rec_free *f = &rec->u.free;
  f->kind = (uint32_t)head[0];
  f->seq = delta_get(&d->seq, head[1]);
  f->time_ns = delta_get(&d->time, head[2]);
  f->address = take_address(d, &d->live, &d->freed, ref, z);
  f->size = size;
  *c = in;
  return 0;
}

int mt__decode_fast_stack(mt__cursor *c, mt__delta *d, mt_record *rec) {
  mt__cursor in = *c;
  uint64_t id, parent, ip;
  if (mt__get_varint(&in, &id) || mt__get_varint(&in, &parent) || mt__get_varint(&in, &ip)) return -1;
  id = d->stack + (uint64_t)mt__unzigzag(id);
  if (id == 0 || parent > id - 1) return -1; /* also what validate_stack checks */
  mt_rec_stack *s = &rec->u.stack;
  s->id = d->stack = id;
  s->parent = id - 1 - parent;
  s->ip = delta_get(&d->ip, ip);
  *c = in;
  return 0;
}
