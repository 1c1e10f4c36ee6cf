/* SPDX-License-Identifier: MIT */
/* Namespaces. The kernel lets only a process with a single thread unshare(CLONE_NEWUSER) (or
 * CLONE_THREAD, CLONE_SIGHAND, CLONE_VM) or setns() into a user or mount namespace, as
 * unshare -U, nsenter and container tools do; the recorder's writer thread would make those
 * calls fail with EINVAL. The writer steps aside for them and comes back with the next event.
 * Calls made with syscall(2) directly are not seen. */
#include "internal.h"

#include <errno.h>
#include <sched.h>

#define NEEDS_ONE_THREAD_UNSHARE (CLONE_NEWUSER | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)
#define NEEDS_ONE_THREAD_SETNS (CLONE_NEWUSER | CLONE_NEWNS)

/* Make the call with the writer thread out of the way; errno is the call's. */
static int alone(int (*call)(int, int), int a, int b) {
  mt__writer_step_aside();
  int rc = call(a, b);
  int saved = errno;
  mt__writer_return();
  errno = saved;
  return rc;
}

static int real_unshare(int flags, int unused) {
  (void)unused;
  return mt__real.unshare(flags);
}

MT_EXPORT int unshare(int flags) {
  mt__real_resolve();
  if (!(flags & NEEDS_ONE_THREAD_UNSHARE))
    return mt__real.unshare(flags);
  return alone(real_unshare, flags, 0);
}

MT_EXPORT int setns(int fd, int nstype) {
  mt__real_resolve();
  /* nstype 0 takes whatever namespace fd names; a pidfd names several */
  if (nstype && !(nstype & NEEDS_ONE_THREAD_SETNS))
    return mt__real.setns(fd, nstype);
  return alone(mt__real.setns, fd, nstype);
}
