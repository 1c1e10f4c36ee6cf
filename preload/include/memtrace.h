/* SPDX-License-Identifier: MIT */
/* memtrace annotations for programs: markers on the timeline and custom allocators.
 * Everything here is header-only and costs one pointer test when the program runs without
 * memtrace: the functions are looked up once with dlsym in the running process (link with
 * -ldl on glibc older than 2.34). */
#ifndef MEMTRACE_H
#define MEMTRACE_H

#include <dlfcn.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef RTLD_DEFAULT
#define MEMTRACE__RTLD_DEFAULT RTLD_DEFAULT
#else
#define MEMTRACE__RTLD_DEFAULT ((void *)0)
#endif

typedef struct {
  int resolved;
  void (*mark)(const char *);
  void (*alloc)(void *, size_t);
  void (*free)(void *);
} memtrace__api_t;

static inline const memtrace__api_t *memtrace__api(void) {
  static memtrace__api_t api;
  if (!__atomic_load_n(&api.resolved, __ATOMIC_ACQUIRE)) {
    *(void **)&api.mark = dlsym(MEMTRACE__RTLD_DEFAULT, "memtrace__mark");
    *(void **)&api.alloc = dlsym(MEMTRACE__RTLD_DEFAULT, "memtrace__alloc");
    *(void **)&api.free = dlsym(MEMTRACE__RTLD_DEFAULT, "memtrace__free");
    __atomic_store_n(&api.resolved, 1, __ATOMIC_RELEASE);
  }
  return &api;
}

/* Put a labelled marker on the trace timeline (e.g. "request 42 start"). */
static inline void memtrace_mark(const char *label) {
  const memtrace__api_t *api = memtrace__api();
  if (api->mark)
    api->mark(label);
}

/* Record that a custom allocator handed out `size` bytes at `ptr` (kind "custom"; these are
 * reported apart from the heap). */
static inline void memtrace_alloc(void *ptr, size_t size) {
  const memtrace__api_t *api = memtrace__api();
  if (api->alloc)
    api->alloc(ptr, size);
}

/* Record that a custom allocator took back the block at `ptr`. */
static inline void memtrace_free(void *ptr) {
  const memtrace__api_t *api = memtrace__api();
  if (api->free)
    api->free(ptr);
}

#ifdef __cplusplus
}
#endif
#endif /* MEMTRACE_H */
