/* SPDX-License-Identifier: MIT */
/* Anonymous mappings the program made with mmap/mremap, as a sorted array of disjoint
 * ranges, so munmap (which may release part of a mapping, or memory we never saw) records
 * exactly the recorded bytes it releases and mmap_live_bytes stays exact. */
#include "internal.h"

#include <string.h>

typedef struct {
  uintptr_t start, end;
} range;

mt_lock mt__region_lock;
static range *ranges;
static size_t count, cap;
static atomic_uint_fast64_t live_bytes;

uint64_t mt__region_live_bytes(void) { return atomic_load(&live_bytes); }

/* Index of the first range whose end is above addr. */
static size_t lower(uintptr_t addr) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ranges[mid].end <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int reserve(size_t need) {
  if (need <= cap)
    return 0;
  size_t ncap = cap ? cap * 2 : 256;
  while (ncap < need)
    ncap *= 2;
  range *r = mt__os_alloc(ncap * sizeof(range));
  if (!r)
    return -1;
  if (ranges) {
    memcpy(r, ranges, count * sizeof(range));
    mt__os_free(ranges, cap * sizeof(range));
  }
  ranges = r;
  cap = ncap;
  return 0;
}

static void insert_at(size_t i, range v) {
  memmove(ranges + i + 1, ranges + i, (count - i) * sizeof(range));
  ranges[i] = v;
  count++;
}

void mt__region_add(uintptr_t addr, uint64_t len) {
  mt__lock(&mt__region_lock);
  if (reserve(count + 1) == 0) {
    insert_at(lower(addr), (range){addr, addr + len});
    atomic_fetch_add(&live_bytes, len);
  }
  mt__unlock(&mt__region_lock);
}

void mt__region_remove(uintptr_t addr, uint64_t len,
                       void (*fn)(uintptr_t start, uint64_t len, void *arg), void *arg) {
  uintptr_t end = addr + len;
  mt__lock(&mt__region_lock);
  size_t i = ranges ? lower(addr) : 0;
  while (i < count && ranges[i].start < end) {
    range r = ranges[i];
    uintptr_t s = r.start > addr ? r.start : addr;
    uintptr_t e = r.end < end ? r.end : end;
    atomic_fetch_sub(&live_bytes, e - s);
    if (fn)
      fn(s, e - s, arg);
    if (r.start < s && r.end > e) { /* hole in the middle: split */
      if (reserve(count + 1) != 0) {
        ranges[i].end = s; /* no memory: forget the tail */
        atomic_fetch_sub(&live_bytes, r.end - e);
        break;
      }
      ranges[i].end = s;
      insert_at(i + 1, (range){e, r.end});
      break;
    }
    if (r.start < s) {
      ranges[i].end = s;
      i++;
    } else if (r.end > e) {
      ranges[i].start = e;
      i++;
    } else {
      memmove(ranges + i, ranges + i + 1, (count - i - 1) * sizeof(range));
      count--;
    }
  }
  mt__unlock(&mt__region_lock);
}

void mt__region_reset(void) {
  mt__lock_init(&mt__region_lock);
  if (ranges)
    mt__os_free(ranges, cap * sizeof(range));
  ranges = NULL;
  count = cap = 0;
  atomic_store(&live_bytes, 0);
}
