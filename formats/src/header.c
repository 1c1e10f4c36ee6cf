/* SPDX-License-Identifier: MIT */
/* The 24-byte file header: encoding, and the checks a reader makes on it. */
#include <stddef.h>
#include <string.h>

#include "header.h"
#include "memtrace/trace.h"

static void put_le(uint8_t *p, uint32_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le(const uint8_t *p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}

void mt__header_encode(uint8_t out[24], unsigned major, unsigned minor) {
  put_le(out, MT_HEADER_FRAME_MAGIC, 4);
  put_le(out + 4, MT_HEADER_SIZE - 8, 4);
  memcpy(out + 8, MT_HEADER_SIGNATURE, 8);
  put_le(out + 16, major, 2);
  put_le(out + 18, minor, 2);
  put_le(out + 20, 0, 4);
}

int mt__header_decode(const uint8_t *in, size_t len, int *major, int *minor) {
  uint8_t expect[MT_HEADER_SIZE];
  mt__header_encode(expect, 0, 0);
  size_t fixed = len < MT__HEADER_FIXED ? len : MT__HEADER_FIXED;
  if (memcmp(in, expect, fixed) != 0) return MT_EBADMAGIC;
  if (len < MT_HEADER_SIZE) return MT_ETRUNCATED;
  *major = (int)get_le(in + 16, 2);
  *minor = (int)get_le(in + 18, 2);
  return 0;
}
