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

/* Resolve an address reference `ref` (its delta, when 0, still to read) and move the address
 * from `from` to `to`, as the encoder did; @return 0 or MT_ECORRUPT. */
static int get_address(mt__cursor *c, mt__delta *d, mt_recent *from, mt_recent *to, uint64_t ref, uint64_t *out,
                       const char **why) {
  if (ref > from->count) return *why = "address reference past the recent addresses", MT_ECORRUPT;
  if (ref) {
    d->address = mt__recent_take(from, (uint32_t)(ref - 1));
  } else {
    uint64_t z;
    if (mt__get_varint(c, &z)) {
      *why = c->p >= c->end ? "record shorter than its fields" : "malformed varint";
      return MT_ECORRUPT;
    }
    delta_get(&d->address, z);
  }
  mt__recent_push(to, d->address);
  *out = d->address;
  return 0;
}

int mt__decode_payload(const mt__record_layout *l, mt__cursor *c, mt__delta *d, mt_record *rec,
                       const char **why) {
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
        if (get_address(c, d, &d->freed, &d->live, v, (uint64_t *)at, why)) return MT_ECORRUPT;
        break;
      case MT__F_OLD_ADDR:
        if (get_address(c, d, &d->live, &d->freed, v, (uint64_t *)at, why)) return MT_ECORRUPT;
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
