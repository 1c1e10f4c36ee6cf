/* SPDX-License-Identifier: MIT */
/* The interposed allocation functions: malloc, free, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, valloc, pvalloc (C++ new/delete reach these).
 * Each calls the real function, then records. Before the real functions are known the
 * bootstrap arena serves requests; its blocks are never passed to the real free. Before our
 * constructor has run, events go to the early log instead (early.c), replayed later. */
#include "internal.h"

#include <errno.h>
#include <string.h>

/* A new block: record it, or log it when the constructor has not run yet. */
static inline void allocated(int kind, void *p, uint64_t size) {
  if (mt__recording())
    mt__record_alloc(kind, p, size);
  else if (mt_unlikely(mt__early()))
    mt__early_alloc(kind, p, size);
}

static inline int need_boot(void) {
  if (mt_likely(mt__real.malloc != NULL))
    return 0;
  mt__real_resolve();
  return mt__real.malloc == NULL || mt__real_resolving();
}

MT_EXPORT void *malloc(size_t size) {
  if (mt_unlikely(need_boot()))
    return mt__boot_alloc(size, 16);
  void *p = mt__real.malloc(size);
  if (p)
    allocated(MT_ALLOC_MALLOC, p, size);
  return p;
}

MT_EXPORT void free(void *p) {
  if (!p || mt_unlikely(mt__boot_owns(p)))
    return;
  if (mt_unlikely(need_boot()))
    return; /* cannot happen: a pointer we did not hand out before resolution */
  if (mt__tracking())
    mt__record_free(p);
  else if (mt_unlikely(mt__early()))
    mt__early_free(p);
  mt__real.free(p);
}

MT_EXPORT void *calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  if (mt_unlikely(need_boot()))
    return mt__boot_alloc(total, 16);
  void *p = mt__real.calloc(n, size);
  if (p)
    allocated(MT_ALLOC_CALLOC, p, total);
  return p;
}

/* realloc of a block before the constructor ran: logged like free() and malloc() would be. */
static __attribute__((noinline)) void *early_realloc(int kind, void *p, size_t total) {
  if (total == 0) { /* glibc frees p */
    mt__early_free(p);
    void *q = mt__real.realloc(p, 0);
    if (q)
      mt__early_alloc(kind, q, 0);
    return q;
  }
  void *q = mt__real.realloc(p, total);
  if (q)
    mt__early_realloc(kind, p, q, total);
  return q;
}

/* realloc and reallocarray (which is realloc after an overflow check: the real one would
 * call our realloc again): one REALLOC record when the old block was recorded. */
static void *do_realloc(int kind, void *p, size_t total) {
  if (mt_unlikely(need_boot())) {
    void *q = mt__boot_alloc(total, 16);
    if (q && p && mt__boot_owns(p)) {
      size_t old = mt__boot_size(p);
      memcpy(q, p, old < total ? old : total);
    }
    return q;
  }
  if (mt_unlikely(p && mt__boot_owns(p))) { /* move out of the bootstrap arena */
    void *q = mt__real.malloc(total ? total : 1);
    if (q) {
      size_t old = mt__boot_size(p);
      memcpy(q, p, old < total ? old : total);
      allocated(kind, q, total);
    }
    return q;
  }
  if (!p || !mt__tracking()) {
    if (mt_unlikely(p && mt__early()))
      return early_realloc(kind, p, total);
    void *q = mt__real.realloc(p, total);
    if (!p && q)
      allocated(kind, q, total);
    return q;
  }
  if (total == 0) { /* glibc frees p: record the FREE first, as free() does */
    mt__record_free(p);
    void *q = mt__real.realloc(p, 0);
    if (q && mt__recording()) /* an allocator that returns a minimal block instead */
      mt__record_alloc(kind, q, 0);
    return q;
  }
  uint64_t old_size = 0;
  mt__tls.guard++; /* shim locks are only taken under the guard (signal handlers) */
  int known = mt__live_remove((uintptr_t)p, &old_size);
  mt__tls.guard--;
  void *q = mt__real.realloc(p, total);
  if (!q) { /* failed: p is still live and still ours */
    uint64_t unused;
    mt__tls.guard++;
    if (known)
      mt__live_insert((uintptr_t)p, old_size, &unused);
    mt__tls.guard--;
    return q;
  }
  mt__record_realloc(kind, p, known, old_size, q, total);
  return q;
}

MT_EXPORT void *realloc(void *p, size_t size) {
  return do_realloc(MT_ALLOC_REALLOC, p, size);
}

MT_EXPORT void *reallocarray(void *p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return do_realloc(MT_ALLOC_REALLOCARRAY, p, total);
}

MT_EXPORT int posix_memalign(void **out, size_t align, size_t size) {
  if (mt_unlikely(need_boot())) {
    void *p = mt__boot_alloc(size, align);
    if (!p)
      return ENOMEM;
    *out = p;
    return 0;
  }
  int rc = mt__real.posix_memalign(out, align, size);
  if (rc == 0)
    allocated(MT_ALLOC_POSIX_MEMALIGN, *out, size);
  return rc;
}

MT_EXPORT void *aligned_alloc(size_t align, size_t size) {
  if (mt_unlikely(need_boot()))
    return mt__boot_alloc(size, align);
  void *p = mt__real.aligned_alloc(align, size);
  if (p)
    allocated(MT_ALLOC_ALIGNED_ALLOC, p, size);
  return p;
}

MT_EXPORT void *memalign(size_t align, size_t size) {
  if (mt_unlikely(need_boot()))
    return mt__boot_alloc(size, align);
  void *p = mt__real.memalign(align, size);
  if (p)
    allocated(MT_ALLOC_MEMALIGN, p, size);
  return p;
}

MT_EXPORT void *valloc(size_t size) {
  if (mt_unlikely(need_boot()))
    return mt__boot_alloc(size, 4096);
  void *p = mt__real.valloc(size);
  if (p)
    allocated(MT_ALLOC_VALLOC, p, size);
  return p;
}

MT_EXPORT void *pvalloc(size_t size) {
  if (mt_unlikely(need_boot()))
    return mt__boot_alloc((size + 4095) & ~(size_t)4095, 4096);
  void *p = mt__real.pvalloc(size);
  if (p)
    allocated(MT_ALLOC_PVALLOC, p, size);
  return p;
}
