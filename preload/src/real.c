/* SPDX-License-Identifier: MIT */
/* Pointers to the functions we interpose, found with dlsym(RTLD_NEXT). dlsym itself may call
 * malloc/calloc: while this thread resolves, the hooks serve those from the bootstrap arena
 * (bootstrap.c). Resolution runs once, on the first hooked call or in the constructor. */
#include "internal.h"

#include <dlfcn.h>
#include <sched.h>

mt_real_fns mt__real;

/* 0 not started, 1 in progress, 2 done */
static atomic_int resolve_state;

int mt__real_resolving(void) { return mt__tls.resolving; }

#define RESOLVE(field, name) *(void **)&mt__real.field = dlsym(RTLD_NEXT, name)

void mt__real_resolve(void) {
  if (mt_likely(atomic_load_explicit(&resolve_state, memory_order_acquire) == 2))
    return;
  int expected = 0;
  if (!atomic_compare_exchange_strong(&resolve_state, &expected, 1)) {
    if (mt__tls.resolving)
      return; /* re-entered from dlsym: the caller uses the bootstrap arena */
    while (atomic_load_explicit(&resolve_state, memory_order_acquire) != 2)
      sched_yield();
    return;
  }
  mt__tls.resolving = 1;
  RESOLVE(malloc, "malloc");
  RESOLVE(free, "free");
  RESOLVE(calloc, "calloc");
  RESOLVE(realloc, "realloc");
  RESOLVE(posix_memalign, "posix_memalign");
  RESOLVE(aligned_alloc, "aligned_alloc");
  RESOLVE(memalign, "memalign");
  RESOLVE(valloc, "valloc");
  RESOLVE(pvalloc, "pvalloc");
  RESOLVE(mmap, "mmap");
  RESOLVE(munmap, "munmap");
  RESOLVE(mremap, "mremap");
  RESOLVE(fork, "fork");
  RESOLVE(dlclose, "dlclose");
  RESOLVE(execve, "execve");
  RESOLVE(execvpe, "execvpe");
  RESOLVE(fexecve, "fexecve");
  RESOLVE(execveat, "execveat");
  RESOLVE(posix_spawn, "posix_spawn");
  RESOLVE(posix_spawnp, "posix_spawnp");
  RESOLVE(exit, "exit");
  RESOLVE(_exit, "_exit");
  RESOLVE(_Exit, "_Exit");
  RESOLVE(quick_exit, "quick_exit");
  RESOLVE(close, "close");
  RESOLVE(dup2, "dup2");
  RESOLVE(dup3, "dup3");
  RESOLVE(closefrom, "closefrom"); /* glibc 2.34 */
  RESOLVE(unshare, "unshare");
  RESOLVE(setns, "setns");
  RESOLVE(libc_start_main, "__libc_start_main");
  mt__tls.resolving = 0;
  atomic_store_explicit(&resolve_state, 2, memory_order_release);
}
