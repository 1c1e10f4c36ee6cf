/* SPDX-License-Identifier: MIT */
/* Signals. For every signal whose default action ends the process (with or without a core
 * dump: SIGPIPE under `| head`, SIGALRM, SIGUSR1, real-time signals, ...) and whose
 * disposition is still the default at start-up we install a handler that writes END (how
 * SIGNAL) and then dies by the same signal with the default action, so the exit status is
 * unchanged. The program never sees our handlers: sigaction()
 * and signal() report them as SIG_DFL; installing its own handler replaces ours, and setting
 * SIG_DFL again (as handlers do before re-raising) puts ours back; so does the reset of a
 * handler installed with SA_RESETHAND, which the recorder makes itself.
 * The optional toggle signal pauses and resumes recording. */
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The signals below SIGRTMIN whose default action terminates; SIGRTMIN..SIGRTMAX too. */
static const int fatal_signals[] = {SIGSEGV, SIGBUS,  SIGABRT,   SIGFPE,  SIGILL,  SIGTERM,
                                    SIGINT,  SIGHUP,  SIGQUIT,   SIGPIPE, SIGALRM, SIGUSR1,
                                    SIGUSR2, SIGTRAP, SIGXCPU,   SIGXFSZ, SIGVTALRM,
                                    SIGPROF, SIGIO,   SIGPWR,    SIGSYS,  SIGSTKFLT};

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static atomic_int ours[65]; /* 1: our handler is installed for this signal */
/* A program handler with SA_RESETHAND for a signal that ends the process: the kernel would
 * reset it to SIG_DFL behind our back, and the handler's usual re-raise would end the
 * process without END. It runs through reset_then_call instead, which resets to our
 * handler; queries report the program's action as it set it. */
static atomic_int wrapped[65];
static struct sigaction program_action[65];

static void on_fatal(int sig, siginfo_t *info, void *ctx) {
  (void)info;
  (void)ctx;
  int saved = errno;
  if (mt__os_getpid() == mt__g.pid)
    mt__finish(MT_END_SIGNAL, sig);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  real_sigaction(sig, &dfl, NULL);
  atomic_store(&ours[sig], 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  syscall(SYS_tgkill, mt__os_getpid(), mt__os_gettid(), sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  errno = saved; /* a fault re-executes and now kills us; other signals were delivered above */
}

static void reset_then_call(int sig, siginfo_t *info, void *ctx) {
  struct sigaction prog = program_action[sig];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_sigaction = on_fatal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  if (real_sigaction(sig, &sa, NULL) == 0) { /* as the kernel's reset to the default */
    atomic_store(&wrapped[sig], 0);
    atomic_store(&ours[sig], 1);
  }
  if (prog.sa_flags & SA_SIGINFO)
    prog.sa_sigaction(sig, info, ctx);
  else
    prog.sa_handler(sig);
}

static void on_toggle(int sig) {
  (void)sig;
  int r = atomic_load(&mt__g.recording);
  atomic_store(&mt__g.recording, !r);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), void (*simple)(int)) {
  struct sigaction old, sa;
  if (real_sigaction(sig, NULL, &old) != 0)
    return;
  if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
    return; /* the program (or whoever started it) already decided */
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  if (fn) {
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  } else {
    sa.sa_handler = simple;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
  }
  if (real_sigaction(sig, &sa, NULL) == 0)
    atomic_store(&ours[sig], 1);
}

static int is_fatal(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX)
    return 1;
  for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
    if (fatal_signals[i] == sig)
      return 1;
  return 0;
}

/* The handler must run on a stack of its own when the fault is a stack overflow. Each thread
 * gets one unless the program or its runtime set one already: the main thread at start-up,
 * the others when they first allocate (threads that never allocate have none: their
 * overflow ends the trace at its last flush). Writing END took less than 16 KiB of stack in
 * tests; the main thread, whose exit also scans all memory, gets more. Pages never touched
 * cost no memory. The program never sees these stacks (see sigaltstack below). */
#define ALT_STACK_SIZE (256u << 10)
static void *main_signal_stack;

/* The shim's own calls bypass its sigaltstack, which hides our stacks. */
static int raw_sigaltstack(const stack_t *ss, stack_t *old) {
  return (int)syscall(SYS_sigaltstack, ss, old);
}

/* Install a signal stack of `size` bytes, reserved in *stack unless it holds one already,
 * unless the thread has one: one system call, then the rare put-back of what the thread had
 * (threads may be many and short). @return 1 when installed. */
static int install_signal_stack(void **stack, size_t size) {
  if (!*stack)
    *stack = mt__os_reserve(size);
  stack_t ss = {.ss_sp = *stack, .ss_size = size, .ss_flags = 0}, old;
  if (!*stack || raw_sigaltstack(&ss, &old) != 0)
    return 0;
  if (!(old.ss_flags & SS_DISABLE)) { /* the program's or its runtime's: keep it */
    raw_sigaltstack(&old, NULL);
    return 0;
  }
  return 1;
}

static void give_main_thread_a_signal_stack(void) {
  void *p = NULL;
  if (install_signal_stack(&p, ALT_STACK_SIZE))
    main_signal_stack = p;
  else if (p)
    mt__os_free(p, ALT_STACK_SIZE);
}

int mt__signal_stack_enter(void **stack) {
  return install_signal_stack(stack, MT_THREAD_SIGNAL_STACK);
}

int mt__signal_stack_leave(void *stack) {
  stack_t off = {.ss_flags = SS_DISABLE}, old;
  if (raw_sigaltstack(&off, &old) != 0)
    return 0; /* the thread runs on a signal stack: leave it */
  if (old.ss_sp != stack && !(old.ss_flags & SS_DISABLE)) /* the program replaced ours */
    raw_sigaltstack(&old, NULL);
  return 1;
}

int mt__signal_stack_is(const void *stack) {
  stack_t cur;
  return stack && raw_sigaltstack(NULL, &cur) == 0 && cur.ss_sp == stack &&
         !(cur.ss_flags & SS_DISABLE);
}

/* The calling thread's own stack from us, where it has one: its address and size. */
static void *our_signal_stack(size_t *size) {
  if (main_signal_stack && mt__os_gettid() == mt__os_getpid()) {
    *size = ALT_STACK_SIZE;
    return main_signal_stack;
  }
  mt_tbuf *tb = mt__tls.tbuf;
  if (tb && tb->signal_stack_on && tb->signal_stack) {
    *size = MT_THREAD_SIGNAL_STACK;
    return tb->signal_stack;
  }
  return NULL;
}

/* Our signal stacks stay hidden: without us the thread would have none, so a program that
 * asks is told so (LLVM, for one, allocates its own stack only then). A stack the program
 * installs replaces ours; when it disables its own, ours comes back, still hidden. */
MT_EXPORT int sigaltstack(const stack_t *ss, stack_t *old) {
  stack_t prev;
  if (raw_sigaltstack(ss, &prev) != 0)
    return -1;
  size_t size = 0;
  void *mine = our_signal_stack(&size);
  int was_ours = mine && prev.ss_sp == mine && !(prev.ss_flags & SS_DISABLE);
  if (ss && (ss->ss_flags & SS_DISABLE) && mine) {
    stack_t back = {.ss_sp = mine, .ss_size = size, .ss_flags = 0};
    raw_sigaltstack(&back, NULL);
  }
  if (old) {
    *old = prev;
    if (was_ours && !(prev.ss_flags & SS_ONSTACK)) /* on it, the program must learn so */
      *old = (stack_t){.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
  }
  return 0;
}

void mt__signals_setup(void) {
  if (!real_sigaction)
    *(void **)&real_sigaction = dlsym(RTLD_NEXT, "sigaction");
  if (!real_sigaction)
    return;
  if (mt__os_gettid() == mt__os_getpid())
    give_main_thread_a_signal_stack();
  int toggle = mt__g.opt.toggle_installed ? mt__g.opt.toggle_signal : 0;
  for (int sig = 1; sig < 65; sig++)
    if (sig != toggle && is_fatal(sig))
      install(sig, on_fatal, NULL);
  if (toggle) {
    int sig = toggle;
    install(sig, NULL, on_toggle);
    if (!atomic_load(&ours[sig]))
      mt__message("the toggle signal already has a handler; toggling is off", NULL);
  }
}

MT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (!real_sigaction)
    *(void **)&real_sigaction = dlsym(RTLD_NEXT, "sigaction");
  int known = sig > 0 && sig < 65;
  int was_ours = known && atomic_load(&ours[sig]);
  int was_wrapped = known && atomic_load(&wrapped[sig]);
  struct sigaction before;
  memset(&before, 0, sizeof before);
  if (was_wrapped)
    before = program_action[sig];
  enum { AS_ASKED, OURS, TRAMPOLINE } how = AS_ASKED;
  struct sigaction via;
  if (act && is_fatal(sig) && atomic_load(&mt__g.state) == MT_STATE_RUNNING) {
    if (!(act->sa_flags & SA_SIGINFO) && act->sa_handler == SIG_DFL) {
      /* Back to the default action (typically a handler about to re-raise): ours does the
       * same after writing END, and stays hidden. */
      memset(&via, 0, sizeof via);
      sigemptyset(&via.sa_mask);
      via.sa_sigaction = on_fatal;
      via.sa_flags = SA_SIGINFO | SA_ONSTACK;
      how = OURS;
    } else if ((act->sa_flags & SA_RESETHAND) && act->sa_handler != SIG_IGN) {
      via = *act;
      via.sa_flags = (act->sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
      via.sa_sigaction = reset_then_call;
      program_action[sig] = *act;
      how = TRAMPOLINE;
    }
  }
  int rc = real_sigaction(sig, how == AS_ASKED ? act : &via, old);
  if (rc != 0) {
    if (how == TRAMPOLINE && was_wrapped)
      program_action[sig] = before;
    return rc;
  }
  if (act) {
    atomic_store(&ours[sig], how == OURS);
    atomic_store(&wrapped[sig], how == TRAMPOLINE);
  }
  if (old && was_wrapped) { /* hide the trampoline: the program sees its own action */
    *old = before;
  } else if (old && was_ours) { /* hide our handler: the program sees the default it had */
    memset(old, 0, sizeof *old);
    old->sa_handler = SIG_DFL;
    sigemptyset(&old->sa_mask);
  }
  return rc;
}

MT_EXPORT __sighandler_t signal(int sig, __sighandler_t handler) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, sig);
  sa.sa_flags = SA_RESTART;
  if (sigaction(sig, &sa, &old) != 0)
    return SIG_ERR;
  return old.sa_handler;
}
