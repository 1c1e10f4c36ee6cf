/* SPDX-License-Identifier: MIT */
/* Internal: the 24-byte file header (a zstd skippable frame) of docs/trace-format.md. */
#ifndef MT_HEADER_H
#define MT_HEADER_H

#include <stdint.h>

/* Number of leading header bytes that never change (magic, size, signature). */
#define MT__HEADER_FIXED 16

void mt__header_encode(uint8_t out[24], unsigned major, unsigned minor);

/* Check a header; @return 0 and the version, MT_EBADMAGIC, or MT_ETRUNCATED when `len` is
 * under 24 bytes but they match a valid header so far. */
int mt__header_decode(const uint8_t *in, size_t len, int *major, int *minor);

#endif
