/* SPDX-License-Identifier: MIT */
/* The shim's own anonymous mappings (everything mt__os_alloc and mt__os_reserve hand out), as
 * a sorted array of disjoint ranges with neighbours merged. The leak scan subtracts them from
 * its roots: the live table and the chunks hold the address of every block. The array is
 * static; should it ever overflow, the set is marked incomplete and the scan is skipped. */
#include "internal.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RANGES_MAX 4096

static mt_lock lock;
static mt_shim_range ranges[RANGES_MAX];
static size_t count;
static int incomplete;

/* Index of the first range whose end is at or above addr. */
static size_t lower(uintptr_t addr) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ranges[mid].end < addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void mt__shim_map_add(const void *p, size_t len) {
  uintptr_t s = (uintptr_t)p, e = s + len;
  if (!mt__lock_timed(&lock, 1000)) {
    incomplete = 1;
    return;
  }
  size_t i = lower(s);
  if (i < count && ranges[i].start <= e) { /* touches or overlaps range i: merge */
    if (s < ranges[i].start)
      ranges[i].start = s;
    if (e > ranges[i].end)
      ranges[i].end = e;
    while (i + 1 < count && ranges[i + 1].start <= ranges[i].end) {
      if (ranges[i + 1].end > ranges[i].end)
        ranges[i].end = ranges[i + 1].end;
      memmove(ranges + i + 1, ranges + i + 2, (count - i - 2) * sizeof *ranges);
      count--;
    }
  } else if (count == RANGES_MAX) {
    incomplete = 1;
  } else {
    memmove(ranges + i + 1, ranges + i, (count - i) * sizeof *ranges);
    ranges[i] = (mt_shim_range){s, e};
    count++;
  }
  mt__unlock(&lock);
}

void mt__shim_map_remove(const void *p, size_t len) {
  uintptr_t s = (uintptr_t)p, e = s + len;
  if (!mt__lock_timed(&lock, 1000)) {
    incomplete = 1;
    return;
  }
  size_t i = lower(s + 1);
  while (i < count && ranges[i].start < e) {
    mt_shim_range r = ranges[i];
    if (r.start < s && r.end > e) { /* hole in the middle: split */
      if (count == RANGES_MAX) { /* keep it whole: a few stale bytes stay excluded */
        break;
      }
      memmove(ranges + i + 2, ranges + i + 1, (count - i - 1) * sizeof *ranges);
      ranges[i].end = s;
      ranges[i + 1] = (mt_shim_range){e, r.end};
      count++;
      break;
    }
    if (r.start < s) {
      ranges[i++].end = s;
    } else if (r.end > e) {
      ranges[i].start = e;
      break;
    } else {
      memmove(ranges + i, ranges + i + 1, (count - i - 1) * sizeof *ranges);
      count--;
    }
  }
  mt__unlock(&lock);
}

size_t mt__shim_map_copy(mt_shim_range *out, size_t max) {
  if (!mt__lock_timed(&lock, 1000))
    return (size_t)-1;
  size_t n = incomplete || count > max ? (size_t)-1 : count;
  if (n != (size_t)-1)
    memcpy(out, ranges, n * sizeof *ranges);
  mt__unlock(&lock);
  return n;
}

void mt__shim_map_reset_after_fork(void) { mt__lock_init(&lock); }

int mt__shim_map_resident(uint64_t *bytes) {
  static unsigned char vec[4096]; /* one byte a page: 16 MiB a call */
  const uintptr_t page = 4096;
  if (!mt__lock_timed(&lock, 100))
    return -1;
  uint64_t pages = 0;
  int ok = !incomplete;
  for (size_t i = 0; i < count && ok; i++)
    for (uintptr_t a = ranges[i].start; a < ranges[i].end && ok;) {
      uintptr_t len = ranges[i].end - a < sizeof vec * page ? ranges[i].end - a : sizeof vec * page;
      ok = syscall(SYS_mincore, a, len, vec) == 0;
      for (uintptr_t k = 0; ok && k < (len + page - 1) / page; k++)
        pages += vec[k] & 1;
      a += len;
    }
  mt__unlock(&lock);
  *bytes = pages * page;
  return ok ? 0 : -1;
}
