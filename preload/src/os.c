/* SPDX-License-Identifier: MIT */
/* The shim's only contact with the operating system: raw system calls (so nothing re-enters
 * our own hooks), owner-tagged spin locks, a bounded string builder and rate-limited
 * messages. Everything here is async-signal-safe and never allocates. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE_ROUND(n) (((n) + 4095u) & ~(size_t)4095u)

/* Locks ------------------------------------------------------------------------------------ */

void mt__lock_init(mt_lock *l) { atomic_store_explicit(&l->owner, 0, memory_order_relaxed); }

static inline int try_lock(mt_lock *l, unsigned me) {
  unsigned expected = 0;
  return atomic_compare_exchange_weak_explicit(&l->owner, &expected, me, memory_order_acquire,
                                               memory_order_relaxed);
}

atomic_int mt__fork_pending;

void mt__lock_fork_gate(void) {
  /* a thread holding a lock goes on (the forking thread may be waiting for that lock) */
  if (mt__tls.locks_held != 0 || mt__tls.forking)
    return;
  while (atomic_load_explicit(&mt__fork_pending, memory_order_acquire))
    sched_yield();
}

void mt__lock_slow(mt_lock *l) {
  unsigned me = mt__tid();
  for (unsigned spins = 0;; spins++) {
    if (atomic_load_explicit(&l->owner, memory_order_relaxed) == 0 && try_lock(l, me))
      return;
    if (spins < 64)
      __builtin_ia32_pause();
    else if (spins < 1000)
      sched_yield();
    else
      mt__os_sleep_ms(1);
  }
}

int mt__lock_timed(mt_lock *l, int ms) {
  unsigned me = mt__tid();
  uint64_t deadline = mt__os_now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000u;
  for (unsigned spins = 0;; spins++) {
    unsigned owner = atomic_load_explicit(&l->owner, memory_order_relaxed);
    if (owner == me)
      return 0;
    if (owner == 0 && try_lock(l, me)) {
      mt__tls.locks_held++;
      return 1;
    }
    if (spins < 64) {
      __builtin_ia32_pause();
      continue;
    }
    if (mt__os_now_ns(CLOCK_MONOTONIC) > deadline)
      return 0;
    sched_yield();
  }
}

/* Memory ------------------------------------------------------------------------------------ */

static void *raw_mmap(size_t size, int extra) {
  long r = syscall(SYS_mmap, 0, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
  if (r < 0 && r > -4096)
    return NULL;
  return (void *)r;
}

void *mt__os_alloc(size_t size) {
  size = PAGE_ROUND(size);
  void *p = raw_mmap(size, 0);
  if (p) {
    atomic_fetch_add_explicit(&mt__g.shim_bytes, size, memory_order_relaxed);
    mt__shim_map_add(p, size);
  }
  return p;
}

void *mt__os_reserve(size_t size) {
  size = PAGE_ROUND(size);
  void *p = raw_mmap(size, MAP_NORESERVE);
  if (p) {
    atomic_fetch_add_explicit(&mt__g.shim_bytes, size, memory_order_relaxed);
    mt__shim_map_add(p, size);
  }
  return p;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

void mt__os_populate(void *p, size_t size) {
  int saved = errno;
  syscall(SYS_madvise, p, PAGE_ROUND(size), MADV_POPULATE_WRITE); /* older kernels: EINVAL */
  errno = saved;
}

void mt__os_release(void *p, size_t size) {
  if (!p)
    return;
  size = PAGE_ROUND(size);
  int saved = errno;
  if (syscall(SYS_madvise, p, size, MADV_DONTNEED) == 0)
    atomic_fetch_sub_explicit(&mt__g.shim_bytes, size, memory_order_relaxed);
  errno = saved;
}

void mt__os_free(void *p, size_t size) {
  if (!p)
    return;
  size = PAGE_ROUND(size);
  syscall(SYS_munmap, p, size);
  mt__shim_map_remove(p, size);
  atomic_fetch_sub_explicit(&mt__g.shim_bytes, size, memory_order_relaxed);
}

/* Files --------------------------------------------------------------------------------------- */

int mt__os_open(const char *path, int flags, int mode) {
  int saved = errno;
  long r = syscall(SYS_openat, AT_FDCWD, path, flags, mode);
  int err = errno;
  errno = saved;
  return r < 0 ? -err : (int)r;
}

ssize_t mt__os_read(int fd, void *buf, size_t len) {
  int saved = errno;
  ssize_t r;
  do
    r = syscall(SYS_read, fd, buf, len);
  while (r < 0 && errno == EINTR);
  errno = saved;
  return r;
}

int mt__os_write_all(int fd, const void *buf, size_t len) {
  int saved = errno;
  const char *p = buf;
  while (len > 0) {
    ssize_t r = syscall(SYS_write, fd, p, len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      int err = r < 0 ? errno : EIO;
      errno = saved;
      return -err;
    }
    p += r;
    len -= (size_t)r;
  }
  errno = saved;
  return 0;
}

int mt__os_close(int fd) {
  int saved = errno;
  long r = syscall(SYS_close, fd);
  errno = saved;
  return (int)r;
}

ssize_t mt__os_read_file(const char *path, char *buf, size_t size) {
  int fd = mt__os_open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || size == 0)
    return -1;
  size_t len = 0;
  while (len + 1 < size) {
    ssize_t r = mt__os_read(fd, buf + len, size - 1 - len);
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  buf[len] = '\0';
  mt__os_close(fd);
  return (ssize_t)len;
}

/* Processes and time ---------------------------------------------------------------------- */

uint32_t mt__os_gettid(void) { return (uint32_t)syscall(SYS_gettid); }
uint32_t mt__os_getpid(void) { return (uint32_t)syscall(SYS_getpid); }

uint64_t mt__os_now_ns(int clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void mt__os_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  int saved = errno;
  syscall(SYS_nanosleep, &ts, NULL);
  errno = saved;
}

int mt__os_futex_wait(atomic_uint *word, unsigned val, int timeout_ms) {
  struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
  int saved = errno;
  long r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
  errno = saved;
  return (int)r;
}

void mt__os_futex_wake(atomic_uint *word) {
  int saved = errno;
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  errno = saved;
}

/* Strings ---------------------------------------------------------------------------------- */

void mt__sb_init(mt_sbuf *b, char *buf, size_t cap) {
  b->buf = buf;
  b->len = 0;
  b->cap = cap;
  if (cap)
    buf[0] = '\0';
}

void mt__sb_mem(mt_sbuf *b, const char *s, size_t n) {
  if (b->cap == 0)
    return;
  size_t room = b->cap - 1 - b->len;
  if (n > room)
    n = room;
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = '\0';
}

void mt__sb_str(mt_sbuf *b, const char *s) { mt__sb_mem(b, s, strlen(s)); }

void mt__sb_u64(mt_sbuf *b, uint64_t v) {
  char tmp[24];
  int i = (int)sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  mt__sb_mem(b, tmp + i, sizeof tmp - (size_t)i);
}

void mt__sb_i64(mt_sbuf *b, int64_t v) {
  if (v < 0) {
    mt__sb_mem(b, "-", 1);
    mt__sb_u64(b, (uint64_t)0 - (uint64_t)v);
  } else {
    mt__sb_u64(b, (uint64_t)v);
  }
}

/* Messages ----------------------------------------------------------------------------------- */

#define MESSAGES_MAX 10
static atomic_int messages;

void mt__message(const char *a, const char *b) {
  int n = atomic_fetch_add_explicit(&messages, 1, memory_order_relaxed);
  if (n >= MESSAGES_MAX)
    return;
  char line[512];
  mt_sbuf sb;
  mt__sb_init(&sb, line, sizeof line - 1);
  mt__sb_str(&sb, "memtrace: ");
  mt__sb_str(&sb, a);
  if (b)
    mt__sb_str(&sb, b);
  if (n == MESSAGES_MAX - 1)
    mt__sb_str(&sb, " (further messages suppressed)");
  line[sb.len++] = '\n';
  mt__os_write_all(2, line, sb.len);
}
