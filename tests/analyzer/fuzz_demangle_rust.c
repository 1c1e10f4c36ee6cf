/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes given to the Rust v0 demangler, into buffers of 1 to 64 bytes
 * and of 4 KiB, must give a clean failure or a NUL-terminated name that fits, with no crash,
 * hang or out-of-bounds access. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demangle_rust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *name = malloc(size + 1), big[4096];
  if (!name) return 0;
  memcpy(name, data, size);
  name[size] = 0;
  size_t len = size ? data[size - 1] % 64 + 1 : 1;
  char *small = malloc(len); /* exact size, so ASan sees a write past it */
  if (small && mt__demangle_rust(name, small, len) == 0 && strlen(small) >= len) __builtin_trap();
  if (mt__demangle_rust(name, big, sizeof big) == 0 && strlen(big) >= sizeof big) __builtin_trap();
  free(small);
  free(name);
  return 0;
}
