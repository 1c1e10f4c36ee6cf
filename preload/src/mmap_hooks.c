/* SPDX-License-Identifier: MIT */
/* Anonymous memory mappings: mmap/mmap64 with MAP_ANONYMOUS are ALLOC records of kind mmap,
 * munmap is FREE with the length released, mremap is REALLOC. File mappings are not
 * recorded, but a MAP_FIXED mapping over a recorded range ends that range. Calls made by the
 * shim itself never come here (os.c uses raw system calls); calls from libunwind or zstd
 * pass through under the re-entrancy guard. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE_UP(n) (((uint64_t)(n) + 4095u) & ~(uint64_t)4095u)

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (mt__real.mmap)
    return mt__real.mmap(addr, len, prot, flags, fd, off);
  long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
  return (void *)r == (void *)-1 ? MAP_FAILED : (void *)r;
}

MT_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (mt_unlikely(!mt__real.mmap) && !mt__real_resolving())
    mt__real_resolve();
  void *p = sys_mmap(addr, len, prot, flags, fd, off);
  if (p == MAP_FAILED || !mt__tracking())
    return p;
  if (flags & MAP_ANONYMOUS) {
    if (mt__recording())
      mt__record_mmap(p, PAGE_UP(len));
    else if (flags & MAP_FIXED)
      mt__record_munmap(p, PAGE_UP(len));
  } else if (flags & MAP_FIXED) {
    mt__record_munmap(p, PAGE_UP(len));
  }
  return p;
}

MT_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  return mmap(addr, len, prot, flags, fd, off);
}

MT_EXPORT int munmap(void *addr, size_t len) {
  if (mt_unlikely(!mt__real.munmap) && !mt__real_resolving())
    mt__real_resolve();
  int rc = mt__real.munmap ? mt__real.munmap(addr, len) : (int)syscall(SYS_munmap, addr, len);
  if (rc == 0 && mt__tracking())
    mt__record_munmap(addr, PAGE_UP(len));
  return rc;
}

MT_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...) {
  void *want = NULL;
  if (flags & MREMAP_FIXED) {
    va_list ap;
    va_start(ap, flags);
    want = va_arg(ap, void *);
    va_end(ap);
  }
  if (mt_unlikely(!mt__real.mremap) && !mt__real_resolving())
    mt__real_resolve();
  void *q;
  if (mt__real.mremap)
    q = mt__real.mremap(old, old_len, new_len, flags, want);
  else {
    long r = syscall(SYS_mremap, old, old_len, new_len, flags, want);
    q = (void *)r == (void *)-1 ? MAP_FAILED : (void *)r;
  }
  if (q != MAP_FAILED && mt__tracking())
    mt__record_mremap(old, PAGE_UP(old_len), q, PAGE_UP(new_len));
  return q;
}
