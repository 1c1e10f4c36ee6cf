/* SPDX-License-Identifier: MIT */
/* The control API behind <memtrace.h>: markers and custom allocator annotations. The header
 * finds these functions with dlsym at run time, so programs work the same without us. */
#include "internal.h"

MT_EXPORT void memtrace__mark(const char *label) {
  if (mt__recording())
    mt__record_marker(label);
}

MT_EXPORT void memtrace__alloc(void *ptr, size_t size) {
  if (ptr && mt__recording())
    mt__record_custom_alloc(ptr, size);
}

MT_EXPORT void memtrace__free(void *ptr) {
  if (ptr && mt__recording())
    mt__record_custom_free(ptr);
}
