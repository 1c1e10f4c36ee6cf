/* SPDX-License-Identifier: MIT */
/* Call stacks with libunwind's unw_backtrace and a per-thread cache of unwind info. Frames
 * inside the shim itself (the hooks, the recording path, the main() wrapper) are dropped,
 * wherever they appear. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "internal.h"

#define SHIM_FRAMES 8 /* room for our own frames above the caller's */

static uintptr_t self_start, self_end;

void mt__unwind_setup(void) {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

void mt__unwind_set_self(uintptr_t start, uintptr_t end) {
  self_start = start;
  self_end = end;
}

int mt__unwind(uintptr_t *ips, int max) {
  void *raw[MT_DEPTH_MAX + SHIM_FRAMES];
  int n = unw_backtrace(raw, max + SHIM_FRAMES);
  int out = 0;
  for (int i = 0; i < n && out < max; i++) {
    uintptr_t ip = (uintptr_t)raw[i];
    if (ip >= self_start && ip < self_end)
      continue;
    ips[out++] = ip;
  }
  return out;
}
