/* SPDX-License-Identifier: MIT */
/* Following processes. fork: pthread_atfork handlers take the shim's locks around the fork;
 * the child forgets the parent's state and starts its own trace (origin FORK, parent_trace),
 * the parent records FORK. exec: the exec family writes EXEC and END (how EXEC) once the
 * target looks executable, and passes an environment that keeps LD_PRELOAD, the MEMTRACE_*
 * options and MEMTRACE_PARENT=<pid>:<ppid>:<trace> even when the program supplies its own envp.
 * A vfork or posix_spawn child shares our memory: it only gets the environment fix-up.
 * If an exec fails anyway, the END record is cut off again and the trace goes on (the EXEC
 * record stays: an EXEC not followed by END means a failed exec). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/* fork ---------------------------------------------------------------------------------------- */

static int fork_locked;

static void before_fork(void) {
  fork_locked = 0;
  if (atomic_load(&mt__g.state) != MT_STATE_RUNNING)
    return;
  mt__tls.guard++;
  mt__tls.forking = 1;
  atomic_fetch_add(&mt__fork_pending, 1); /* other threads leave the locks to us */
  mt__lock(&mt__io_lock);
  mt__lock(&mt__module_lock);
  mt__lock(&mt__stack_lock);
  mt__lock(&mt__region_lock);
  mt__lock(&mt__g.peak_lock);
  mt__lock(&mt__queue_lock);
  mt__lock(&mt__pool_lock);
  atomic_fetch_sub(&mt__fork_pending, 1);
  mt__tls.forking = 0;
  fork_locked = 1;
}

static void after_fork_parent(void) {
  if (!fork_locked)
    return;
  mt__unlock(&mt__pool_lock);
  mt__unlock(&mt__queue_lock);
  mt__unlock(&mt__g.peak_lock);
  mt__unlock(&mt__region_lock);
  mt__unlock(&mt__stack_lock);
  mt__unlock(&mt__module_lock);
  mt__unlock(&mt__io_lock);
  mt__tls.guard--;
}

static void after_fork_child(void) {
  /* the child's only thread holds no lock any more (they are reset below), and no other
   * thread of the child waits to fork */
  atomic_store(&mt__fork_pending, 0);
  mt__tls.locks_held = 0;
  if (!fork_locked)
    return;
  static char parent_trace[MT_PATH_MAX];
  uint32_t parent_pid = mt__g.pid;
  memcpy(parent_trace, mt__g.trace_path, sizeof parent_trace);
  mt__g.pid = mt__os_getpid();
  mt__g.ppid = parent_pid;
  mt__tls.tid = 0;
  if (!mt__g.opt.follow) {
    atomic_store(&mt__g.state, MT_STATE_DISABLED);
    if (mt__g.fd >= 0)
      mt__os_close(mt__g.fd);
    mt__g.fd = -1;
    mt__tls.guard--;
    return;
  }
  /* Everything the parent's threads were doing is gone: reset, then start a new trace. */
  mt__lock_init(&mt__module_lock);
  mt__lock_init(&mt__g.peak_lock);
  mt__shim_map_reset_after_fork(); /* first: the resets below free shim memory */
  mt__writer_reset_after_fork();
  mt__tbuf_reset_after_fork();
  mt__live_reset();
  mt__stack_reset_after_fork();
  mt__region_reset();
  mt__modules_reset();
  mt__cfi_reset_after_fork();
  mt__leak_scan_reset_after_fork();
  mt__g.ctr.seq = 0;
  mt__g.ctr.live = 0;
  mt__g.peak_bytes = mt__g.peak_seq = 0;
  if (mt__g.fd >= 0)
    mt__os_close(mt__g.fd);
  mt__g.fd = -1;
  if (mt__g.writer)
    mt_writer_destroy(mt__g.writer);
  mt__g.writer = NULL;
  mt__g.start_mono_ns = mt__os_now_ns(CLOCK_MONOTONIC);
  mt__g.start_wall_ns = mt__os_now_ns(CLOCK_REALTIME);
  if (mt__trace_open(MT_ORIGIN_FORK, parent_pid, parent_trace) != 0) {
    atomic_store(&mt__g.state, MT_STATE_DISABLED);
    mt__tls.guard--;
    return;
  }
  mt_tbuf *tb = mt__tbuf_get();
  if (tb)
    mt__modules_scan(tb, 1);
  mt__parent_env_update();
  mt__session_start();
  mt__tls.guard--; /* the writer thread starts with the child's first event */
}

void mt__fork_setup(void) { pthread_atfork(before_fork, after_fork_parent, after_fork_child); }

MT_EXPORT pid_t fork(void) {
  mt__real_resolve();
  pid_t pid = mt__real.fork();
  if (pid > 0 && mt__tracking())
    mt__record_fork((uint32_t)pid);
  return pid;
}

/* Environment for children ------------------------------------------------------------------- */

#define EXTRA_MAX 16

/* The environment a child gets: envp with LD_PRELOAD holding this library (or not holding it
 * when following is off), the MEMTRACE_* options of this process and MEMTRACE_PARENT. Fills
 * out (room for count(envp) + EXTRA_MAX + 1 pointers); scratch holds rewritten strings. */
static char *const *child_env(char *const envp[], char **out, char *scratch, size_t scratch_cap) {
  size_t n = 0;
  int have_preload = 0;
  const char *self = mt__g.self_path;
  mt_sbuf sb;
  mt__sb_init(&sb, scratch, scratch_cap);
  int follow = mt__g.opt.follow && atomic_load(&mt__g.state) != MT_STATE_DISABLED;
  for (size_t i = 0; envp && envp[i]; i++) {
    const char *e = envp[i];
    if (strncmp(e, "MEMTRACE_PARENT=", 16) == 0)
      continue;
    if (strncmp(e, "LD_PRELOAD=", 11) == 0 && follow) {
      have_preload = 1;
      if (!strstr(e, "libmemtrace.so") && self[0] && sb.len == 0) {
        mt__sb_str(&sb, "LD_PRELOAD=");
        mt__sb_str(&sb, self);
        mt__sb_str(&sb, ":");
        mt__sb_str(&sb, e + 11);
        out[n++] = scratch;
        continue;
      }
    }
    out[n++] = (char *)e;
  }
  if (follow) {
    static const char *const names[] = {"MEMTRACE_OUTPUT", "MEMTRACE_DEPTH",
                                        "MEMTRACE_RSS_INTERVAL", "MEMTRACE_FOLLOW",
                                        "MEMTRACE_START_PAUSED", "MEMTRACE_TOGGLE_SIGNAL",
                                        "MEMTRACE_ZSTD_LEVEL", "MEMTRACE_SESSION"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
      size_t len = strlen(names[k]);
      int present = 0;
      for (size_t i = 0; i < n && !present; i++)
        present = strncmp(out[i], names[k], len) == 0 && out[i][len] == '=';
      if (present)
        continue;
      for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, names[k], len) == 0 && (*e)[len] == '=') {
          out[n++] = *e;
          break;
        }
      }
    }
    if (!have_preload && self[0]) {
      static char preload[MT_PATH_MAX + 16];
      mt_sbuf pb;
      mt__sb_init(&pb, preload, sizeof preload);
      mt__sb_str(&pb, "LD_PRELOAD=");
      mt__sb_str(&pb, self);
      out[n++] = preload;
    }
    out[n++] = mt__g.parent_env;
  }
  out[n] = NULL;
  return out;
}

static size_t env_count(char *const envp[]) {
  size_t n = 0;
  while (envp && envp[n])
    n++;
  return n;
}

#define WITH_CHILD_ENV(envp, name)                                                              \
  size_t name##_n = env_count(envp);                                                            \
  char *name##_arr[name##_n + EXTRA_MAX + 1];                                                   \
  char name##_scratch[MT_PATH_MAX * 2 + 64];                                                    \
  char *const *name = child_env(envp, name##_arr, name##_scratch, sizeof name##_scratch)

/* exec ------------------------------------------------------------------------------------------ */

/* In the traced process itself (not a vfork child), when the target looks runnable: record
 * EXEC and close the trace with END (how EXEC). @return 1 when the trace was closed. */
static int exec_begin(const char *path, int checked) {
  if (atomic_load(&mt__g.state) != MT_STATE_RUNNING || mt__os_getpid() != mt__g.pid)
    return 0;
  if (!checked && access(path, X_OK) != 0)
    return 0;
  if (!checked) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      return 0;
  }
  mt__record_exec(path);
  mt__finish(MT_END_EXEC, 0);
  return 1;
}

static void exec_failed(int began, const char *path) {
  if (began && mt__resume_after_failed_exec() != 0)
    mt__message("exec failed and its trace could not be reopened; no longer recording: ", path);
}

MT_EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
  mt__real_resolve();
  WITH_CHILD_ENV(envp, env);
  int began = exec_begin(path, 0);
  int rc = mt__real.execve(path, argv, env);
  int err = errno;
  exec_failed(began, path);
  errno = err;
  return rc;
}

MT_EXPORT int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

/* Like execvp's search: the first PATH entry holding an executable regular file. */
static int search_path(const char *file, char *out, size_t cap) {
  if (strchr(file, '/')) {
    mt_sbuf b;
    mt__sb_init(&b, out, cap);
    mt__sb_str(&b, file);
    return 0;
  }
  const char *path = mt__getenv("PATH");
  if (!path)
    path = "/bin:/usr/bin";
  while (1) {
    size_t n = strcspn(path, ":");
    mt_sbuf b;
    mt__sb_init(&b, out, cap);
    mt__sb_mem(&b, n ? path : ".", n ? n : 1);
    mt__sb_str(&b, "/");
    mt__sb_str(&b, file);
    struct stat st;
    if (access(out, X_OK) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode))
      return 0;
    if (!path[n])
      return -1;
    path += n + 1;
  }
}

MT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
  mt__real_resolve();
  WITH_CHILD_ENV(envp, env);
  char path[MT_PATH_MAX];
  int began = *file && search_path(file, path, sizeof path) == 0 && exec_begin(path, 0);
  int rc = mt__real.execvpe(file, argv, env);
  int err = errno;
  exec_failed(began, file);
  errno = err;
  return rc;
}

MT_EXPORT int execvp(const char *file, char *const argv[]) {
  return execvpe(file, argv, environ);
}

MT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
  mt__real_resolve();
  WITH_CHILD_ENV(envp, env);
  char path[64];
  mt_sbuf b;
  mt__sb_init(&b, path, sizeof path);
  mt__sb_str(&b, "/proc/self/fd/");
  mt__sb_u64(&b, (uint64_t)fd);
  int began = exec_begin(path, 0);
  int rc = mt__real.fexecve(fd, argv, env);
  int err = errno;
  exec_failed(began, path);
  errno = err;
  return rc;
}

MT_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                       int flags) {
  mt__real_resolve();
  WITH_CHILD_ENV(envp, env);
  int began = 0;
  if (path[0] == '/' || dirfd == AT_FDCWD)
    began = exec_begin(path, 0);
  int rc = mt__real.execveat ? mt__real.execveat(dirfd, path, argv, env, flags)
                             : (int)syscall(SYS_execveat, dirfd, path, argv, env, flags);
  int err = errno;
  exec_failed(began, path);
  errno = err;
  return rc;
}

/* execl, execle, execlp: collect the variable arguments, then as above. */
#define COLLECT_ARGS(first, ap, argv)                                                            \
  size_t argc_ = 1;                                                                             \
  va_start(ap, first);                                                                          \
  while (va_arg(ap, char *))                                                                    \
    argc_++;                                                                                    \
  va_end(ap);                                                                                   \
  char *argv[argc_ + 1];                                                                        \
  argv[0] = (char *)first;                                                                      \
  va_start(ap, first);                                                                          \
  for (size_t i_ = 1; i_ <= argc_; i_++)                                                        \
    argv[i_] = va_arg(ap, char *);

MT_EXPORT int execl(const char *path, const char *arg, ...) {
  va_list ap;
  COLLECT_ARGS(arg, ap, argv);
  va_end(ap);
  return execve(path, argv, environ);
}

MT_EXPORT int execlp(const char *file, const char *arg, ...) {
  va_list ap;
  COLLECT_ARGS(arg, ap, argv);
  va_end(ap);
  return execvpe(file, argv, environ);
}

MT_EXPORT int execle(const char *path, const char *arg, ...) {
  va_list ap;
  COLLECT_ARGS(arg, ap, argv);
  char *const *envp = va_arg(ap, char *const *);
  va_end(ap);
  return execve(path, argv, envp);
}

/* posix_spawn: the child is another process; it only needs the environment. */
MT_EXPORT int posix_spawn(pid_t *pid, const char *path, const void *actions, const void *attr,
                          char *const argv[], char *const envp[]) {
  mt__real_resolve();
  WITH_CHILD_ENV(envp, env);
  pid_t child = 0;
  int rc = mt__real.posix_spawn(&child, path, actions, attr, argv, env);
  if (rc == 0 && mt__tracking())
    mt__record_fork((uint32_t)child);
  if (pid)
    *pid = child;
  return rc;
}

MT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const void *actions, const void *attr,
                           char *const argv[], char *const envp[]) {
  mt__real_resolve();
  WITH_CHILD_ENV(envp, env);
  pid_t child = 0;
  int rc = mt__real.posix_spawnp(&child, file, actions, attr, argv, env);
  if (rc == 0 && mt__tracking())
    mt__record_fork((uint32_t)child);
  if (pid)
    *pid = child;
  return rc;
}
