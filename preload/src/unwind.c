/* SPDX-License-Identifier: MIT */
/* Call stacks: the cached-rule unwinder (cfi_unwind.c) first, libunwind's unw_backtrace with
 * a per-thread cache for stacks it cannot walk (or always, with MEMTRACE_UNWIND=libunwind).
 * Frames inside the shim itself (hooks, recording path, main() wrapper) are dropped. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "internal.h"

#define SHIM_FRAMES 8 /* room for our own frames above the caller's */

static uintptr_t self_start, self_end;
static int fast = 1;

void mt__unwind_setup(void) {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
  fast = !mt__g.opt.unwind_libunwind;
}

void mt__unwind_set_self(uintptr_t start, uintptr_t end) {
  self_start = start;
  self_end = end;
  mt__cfi_set_self(start, end);
}

int mt__unwind(uintptr_t *ips, int max, mt_unwind_l1 *l1) {
  if (l1) {
    l1->same_root = 0; /* set only by a walk that took the last one over to its end */
    l1->known = 0;
    l1->walked = 0;
  }
  if (mt_likely(fast)) {
    int n = mt__cfi_unwind(ips, max, l1);
    if (mt_likely(n >= 0))
      return n;
  }
  void *raw[max + SHIM_FRAMES];
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
