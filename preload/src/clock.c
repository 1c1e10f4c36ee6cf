/* SPDX-License-Identifier: MIT */
/* Event timestamps. clock_gettime costs ~20 ns even through the vDSO, so when the kernel's
 * own clocksource is the TSC, events read the TSC and convert it with a rate the writer
 * thread measures against CLOCK_MONOTONIC (over the whole run, refreshed every tick). Until
 * the first measurement, and on other machines, CLOCK_MONOTONIC is read directly. */
#include "internal.h"

#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

#define MIN_BASELINE_NS 20000000ull /* 20 ms before the first rate is trusted */

typedef struct {
  uint64_t tsc, ns, mult; /* ns = ns + (tsc' - tsc) * mult / 2^32 */
} clock_ref;

static clock_ref refs[4];
static atomic_int current = -1;
static uint64_t base_tsc, base_ns;
static int use_tsc;

void mt__clock_setup(void) {
#if HAVE_TSC
  char src[32];
  if (mt__os_read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", src,
                       sizeof src) > 0 &&
      strncmp(src, "tsc", 3) == 0) {
    use_tsc = 1;
    base_ns = mt__os_now_ns(CLOCK_MONOTONIC);
    base_tsc = __rdtsc();
  }
#endif
}

void mt__clock_calibrate(void) {
#if HAVE_TSC
  if (!use_tsc)
    return;
  uint64_t ns = mt__os_now_ns(CLOCK_MONOTONIC);
  uint64_t tsc = __rdtsc();
  if (ns - base_ns < MIN_BASELINE_NS || tsc <= base_tsc)
    return;
  uint64_t mult = (uint64_t)(((unsigned __int128)(ns - base_ns) << 32) / (tsc - base_tsc));
  int next = (atomic_load_explicit(&current, memory_order_relaxed) + 1) & 3;
  refs[next] = (clock_ref){tsc, ns, mult};
  atomic_store_explicit(&current, next, memory_order_release);
#endif
}

uint64_t mt__clock_now_ns(void) {
#if HAVE_TSC
  int c = atomic_load_explicit(&current, memory_order_acquire);
  if (mt_likely(c >= 0)) {
    const clock_ref *r = &refs[c];
    int64_t d = (int64_t)(__rdtsc() - r->tsc);
    if (d < 0)
      d = 0;
    return r->ns + (uint64_t)(((unsigned __int128)(uint64_t)d * r->mult) >> 32);
  }
#endif
  return mt__os_now_ns(CLOCK_MONOTONIC);
}
