/* SPDX-License-Identifier: MIT */
/* Life cycle of the recorder: the constructor that opens the trace, replays the heap events
 * logged before it ran (early.c) and starts recording, and the single place that ends it
 * (mt__finish: flush every chunk, write END, close, report to the session file). On exit END
 * is written after the loader's finaliser, so after the program's atexit handlers and every
 * library's destructors (our own destructor when the program did not start through
 * __libc_start_main; after at_quick_exit handlers for quick_exit), or by the _exit/_Exit
 * hooks, the fatal-signal handlers and exec.
 * The exit status comes from a wrapper around main() (via __libc_start_main) or exit(). */
#include "internal.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

mt_global mt__g = {.fd = -1};

static void on_quick_exit(void);

extern char **environ;

/* This library's absolute path, for LD_PRELOAD in children. */
static void find_self(void) {
  Dl_info info;
  mt_sbuf b;
  mt__sb_init(&b, mt__g.self_path, sizeof mt__g.self_path);
  if (!dladdr((void *)&find_self, &info) || !info.dli_fname)
    return;
  if (info.dli_fname[0] != '/') {
    char cwd[MT_PATH_MAX];
    if (syscall(SYS_getcwd, cwd, sizeof cwd) > 0) {
      mt__sb_str(&b, cwd);
      mt__sb_str(&b, "/");
    }
  }
  mt__sb_str(&b, info.dli_fname);
}

/* A program whose executable exports its own malloc (jemalloc or mimalloc linked in, as
 * rustc has) gets every call before the preloaded recorder: the trace will hold none of
 * those allocations, so say it now rather than let "0 allocations" speak. */
static void warn_if_malloc_is_elsewhere(void) {
  Dl_info mine, theirs;
  const ElfW(Sym) *sym = NULL;
  void *m = dlsym(RTLD_DEFAULT, "malloc");
  if (!m || !dladdr((void *)&find_self, &mine) ||
      !dladdr1(m, &theirs, (void **)&sym, RTLD_DL_SYMENT) || theirs.dli_fbase == mine.dli_fbase)
    return;
  /* An executable that takes malloc's address (node) has an undefined malloc whose value is
   * a PLT entry: the address of the function, which is ours. */
  if (!sym || sym->st_shndx == SHN_UNDEF)
    return;
  const char *where = theirs.dli_fname && theirs.dli_fname[0] == '/' ? theirs.dli_fname
                                                                       : mt__g.exe_path;
  mt__message("not recorded: allocations by the malloc that the program defines itself, in ", where);
}

/* MEMTRACE_FOLLOW=0: take this library out of LD_PRELOAD so children run untraced. The
 * string is edited in place (it only gets shorter), so nothing is allocated. */
static void unpreload_self(void) {
  for (char **e = environ; e && *e; e++) {
    if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
      continue;
    char *src = *e + 11, *dst = src;
    while (*src) {
      size_t n = strcspn(src, ": ");
      int ours = (n == strlen(mt__g.self_path) && strncmp(src, mt__g.self_path, n) == 0) ||
                 (n >= 14 && strncmp(src + n - 14, "libmemtrace.so", 14) == 0);
      if (!ours) {
        if (dst != *e + 11)
          *dst++ = ':';
        memmove(dst, src, n);
        dst += n;
      }
      src += n;
      while (*src == ':' || *src == ' ')
        src++;
    }
    *dst = '\0';
  }
}

/* A relative MEMTRACE_OUTPUT is taken relative to the directory we start in, also for the
 * children that change directory first: the absolute pattern replaces it in environ. */
static void absolute_output(void) {
  static char env[MT_PATH_MAX + 32];
  char cwd[MT_PATH_MAX];
  if (mt__g.opt.output[0] == '/' || syscall(SYS_getcwd, cwd, sizeof cwd) <= 0)
    return;
  mt_sbuf b;
  mt__sb_init(&b, env, sizeof env);
  mt__sb_str(&b, "MEMTRACE_OUTPUT=");
  mt__sb_str(&b, cwd);
  mt__sb_str(&b, "/");
  mt__sb_str(&b, mt__g.opt.output);
  const char *pattern = env + 16;
  if (b.len + 1 >= sizeof env || strlen(pattern) >= sizeof mt__g.opt.output)
    return; /* too long: keep the relative pattern */
  memcpy(mt__g.opt.output, pattern, strlen(pattern) + 1);
  if (mt__g.opt.follow)
    putenv(env);
}

void mt__parent_env_update(void) {
  mt_sbuf b;
  mt__sb_init(&b, mt__g.parent_env, sizeof mt__g.parent_env);
  mt__sb_str(&b, "MEMTRACE_PARENT=");
  mt__sb_u64(&b, mt__g.pid);
  mt__sb_str(&b, ":");
  mt__sb_u64(&b, mt__g.ppid);
  mt__sb_str(&b, ":");
  mt__sb_str(&b, mt__g.trace_path);
}

/* Start a trace for this process (also used by the fork child). @return 0 or -1. */
static int start_trace(int origin, uint32_t ppid, const char *parent_trace) {
  mt__g.start_mono_ns = mt__os_now_ns(CLOCK_MONOTONIC);
  mt__g.start_wall_ns = mt__os_now_ns(CLOCK_REALTIME);
  if (mt__trace_open(origin, ppid, parent_trace) != 0)
    return -1;
  mt_tbuf *tb = mt__tbuf_get();
  if (tb)
    mt__modules_scan(tb, 1);
  mt__parent_env_update();
  return 0;
}

__attribute__((constructor(101))) static void mt_init(void) {
  mt__real_resolve();
  if (atomic_load(&mt__g.state) != MT_STATE_UNINIT)
    return;
  mt__tls.guard++;
  mt__g.pid = mt__os_getpid();
  mt__options_read(&mt__g.opt);
  find_self();
  ssize_t n = readlink("/proc/self/exe", mt__g.exe_path, sizeof mt__g.exe_path - 1);
  mt__g.exe_path[n > 0 ? n : 0] = '\0';
  warn_if_malloc_is_elsewhere();
  if (!mt__g.opt.follow)
    unpreload_self();
  absolute_output();

  int origin = MT_ORIGIN_LAUNCH;
  uint32_t ppid = (uint32_t)syscall(SYS_getppid);
  if (mt__g.opt.parent_pid)
    origin = mt__g.opt.parent_pid == mt__g.pid ? MT_ORIGIN_EXEC : MT_ORIGIN_FORK;
  /* Not getppid() when known: a parent that exited leaves its children to init. */
  if (origin == MT_ORIGIN_FORK) /* vfork or posix_spawn, then exec */
    ppid = mt__g.opt.parent_pid;
  else if (origin == MT_ORIGIN_EXEC && mt__g.opt.parent_ppid)
    ppid = mt__g.opt.parent_ppid;
  mt__g.ppid = ppid;

  mt__clock_setup();
  mt__tbuf_setup();
  mt__stack_setup();
  mt__unwind_setup();
  if (start_trace(origin, ppid, mt__g.opt.parent_trace) != 0) {
    atomic_store(&mt__g.state, MT_STATE_DISABLED);
    mt__early_discard();
    mt__tls.guard--;
    return;
  }
  if (mt__g.opt.follow)
    putenv(mt__g.parent_env); /* the string stays ours: later updates need no setenv */
  mt__fork_setup();
  mt__signals_setup();
  at_quick_exit(on_quick_exit);
  atomic_store(&mt__g.recording, !mt__g.opt.start_paused);
  mt__early_replay(!mt__g.opt.start_paused); /* what other constructors allocated; RUNNING */
  mt__session_start();
  mt__writer_ensure();
  mt__tls.guard--;
}

void mt__finish(int how, int status) {
  int expected = MT_STATE_RUNNING;
  if (!atomic_compare_exchange_strong(&mt__g.state, &expected, MT_STATE_FINISHING))
    return;
  mt__tls.guard++;
  int saved_errno = errno;
  mt_record r = {.type = MT_REC_END};
  mt_rec_end *e = &r.u.end;
  mt__leak_scan_run(how);
  e->seq = mt__seq_next();
  e->time_ns = mt__time_ns();
  e->how = (uint32_t)how;
  e->status = status;
  mt__end_totals(e);
  int locked = mt__lock_timed(&mt__io_lock, 2000);
  mt__writer_flush_all_locked(1);
  mt__leak_scan_write_locked();
  static uint8_t end_buf[512];
  mt_chunk c;
  mt_chunk_init(&c, end_buf, sizeof end_buf, mt__tid());
  mt_chunk_put(&c, &r);
  mt__g.end_offset = mt__g.writer ? mt_writer_bytes_written(mt__g.writer) : 0;
  int ok = atomic_load(&mt__g.state) == MT_STATE_FINISHING && mt__io_write_chunk(&c) == 0;
  if (!ok || how != MT_END_EXEC) /* exec closes the descriptor itself (O_CLOEXEC) */
    mt__trace_close();
  if (ok) {
    atomic_store(&mt__g.state, MT_STATE_DONE);
    mt__session_end(how, status, e);
  }
  if (locked)
    mt__unlock(&mt__io_lock);
  errno = saved_errno;
  mt__tls.guard--;
}

int mt__resume_after_failed_exec(void) {
  if (atomic_load(&mt__g.state) != MT_STATE_DONE || mt__g.fd < 0)
    return -1;
  mt__tls.guard++;
  mt__lock(&mt__io_lock);
  off_t at = (off_t)mt__g.end_offset;
  int ok = lseek(mt__g.fd, at, SEEK_SET) == at && ftruncate(mt__g.fd, at) == 0;
  if (ok)
    atomic_store(&mt__g.state, MT_STATE_RUNNING);
  else
    mt__trace_close();
  mt__unlock(&mt__io_lock);
  if (ok)
    mt__session_start();
  mt__tls.guard--;
  return ok ? 0 : -1;
}

void mt__stop(const char *why, int err) {
  int st = atomic_load(&mt__g.state);
  if (st != MT_STATE_RUNNING && st != MT_STATE_FINISHING)
    return;
  atomic_store(&mt__g.state, MT_STATE_DISABLED);
  char num[32] = "";
  const char *text = num;
  if (err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
    text = strerrordesc_np(err); /* a constant string: no locale, no allocation */
#endif
    if (!text || text == num) {
      mt_sbuf b;
      mt__sb_init(&b, num, sizeof num);
      mt__sb_str(&b, "errno ");
      mt__sb_u64(&b, (uint64_t)err);
      text = num;
    }
  }
  mt__message(why, text);
  mt__message("recording stopped; the trace is readable up to this point: ", mt__g.trace_path);
  mt_rec_end e = {0};
  mt__end_totals(&e);
  mt__session_end(MT_END_STOPPED, 0, &e);
  mt__trace_close();
}

/* Exit paths ---------------------------------------------------------------------------------- */

/* Set when exit() ends through our wrapper of the loader's finaliser, which finishes after
 * every library's destructors; our own destructor runs before theirs (the preloaded library
 * is initialised last, so finalised first) and would miss their frees. */
static int finish_after_loader;

static void finish_at_exit(void) {
  if (mt__os_getpid() == mt__g.pid)
    mt__finish(MT_END_EXIT, mt__g.exit_status);
}

__attribute__((destructor(101))) static void mt_fini(void) {
  if (!finish_after_loader)
    finish_at_exit();
}

/* quick_exit skips destructors: registered first, this handler runs after the program's. */
static void on_quick_exit(void) { finish_at_exit(); }

static int (*real_main)(int, char **, char **);
static void (*real_rtld_fini)(void);

/* exit() runs this last of the handlers registered before main (it is registered by
 * __libc_start_main): the loader's finaliser calls every library's destructors, then END. */
static void rtld_fini_then_finish(void) {
  real_rtld_fini();
  finish_at_exit();
}

static int main_wrapper(int argc, char **argv, char **envp) {
  int rc = real_main(argc, argv, envp);
  mt__g.exit_status = rc & 0xff;
  MT_LEAK_SCAN_NOTE_EXIT();
  return rc;
}

MT_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                                void (*init)(void), void (*fini)(void),
                                void (*rtld_fini)(void), void *stack_end) {
  mt__real_resolve();
  real_main = main;
  if (rtld_fini) {
    real_rtld_fini = rtld_fini;
    rtld_fini = rtld_fini_then_finish;
    finish_after_loader = 1;
  }
  return mt__real.libc_start_main(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}

MT_EXPORT void exit(int status) {
  mt__real_resolve();
  if (mt__os_getpid() == mt__g.pid) { /* a vfork child shares this variable */
    mt__g.exit_status = status & 0xff;
    MT_LEAK_SCAN_NOTE_EXIT();
  }
  mt__real.exit(status);
}

MT_EXPORT void quick_exit(int status) {
  mt__real_resolve();
  if (mt__os_getpid() == mt__g.pid)
    mt__g.exit_status = status & 0xff;
  mt__real.quick_exit(status);
}

MT_EXPORT void _exit(int status) {
  mt__real_resolve();
  if (mt__os_getpid() == mt__g.pid) { /* not in a vfork child sharing our memory */
    MT_LEAK_SCAN_NOTE_EXIT();
    mt__finish(MT_END_EXIT, status & 0xff);
  }
  mt__real._exit(status);
}

MT_EXPORT void _Exit(int status) {
  mt__real_resolve();
  if (mt__os_getpid() == mt__g.pid) {
    MT_LEAK_SCAN_NOTE_EXIT();
    mt__finish(MT_END_EXIT, status & 0xff);
  }
  mt__real._Exit(status);
}
