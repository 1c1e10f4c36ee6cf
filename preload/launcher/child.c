/* SPDX-License-Identifier: MIT */
/* Start the traced program and wait for it like `time` does: the child waits on a pipe until
 * the launcher has checked that its trace file (named after the child's pid) can be written,
 * then execs; SIGINT and SIGQUIT are left to the child, SIGTERM and SIGHUP forwarded to it. */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;

static void forward(int sig) {
  if (child_pid > 0)
    kill((pid_t)child_pid, sig);
}

static void install_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGQUIT, &sa, NULL);
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

static ssize_t read_full(int fd, void *buf, size_t n) {
  ssize_t r;
  do
    r = read(fd, buf, n);
  while (r < 0 && errno == EINTR);
  return r;
}

static _Noreturn void child_main(int go, int report, const char *path, char **argv) {
  char c;
  if (read_full(go, &c, 1) != 1)
    _exit(MT__EXIT_USAGE);
  execv(path, argv);
  int err = errno;
  if (err == ENOEXEC) { /* a script without "#!": run it with the shell, as execvp and sh do */
    size_t argc = 0;
    while (argv[argc])
      argc++;
    char **sh_argv = calloc(argc + 2, sizeof *sh_argv);
    if (sh_argv) {
      sh_argv[0] = "/bin/sh";
      sh_argv[1] = (char *)path;
      for (size_t i = 1; i <= argc; i++)
        sh_argv[i + 1] = argv[i];
      execv("/bin/sh", sh_argv);
    }
    err = ENOEXEC;
  }
  if (write(report, &err, sizeof err) < 0)
    _exit(MT__EXIT_NOEXEC);
  _exit(err == ENOENT ? MT__EXIT_NOTFOUND : MT__EXIT_NOEXEC);
}

static void reap(pid_t pid, int *status) {
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

int mt__child_run(const char *path, char **argv, const char *output_pattern, const char *name,
                  long *pid_out, int *wait_status) {
  int go[2], report[2];
  if (pipe2(go, O_CLOEXEC) || pipe2(report, O_CLOEXEC)) {
    fprintf(stderr, "memtrace: pipe: %s\n", strerror(errno));
    return MT__EXIT_USAGE;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "memtrace: fork: %s\n", strerror(errno));
    return MT__EXIT_USAGE;
  }
  if (pid == 0) {
    close(go[1]);
    close(report[0]);
    child_main(go[0], report[1], path, argv);
  }
  child_pid = pid;
  install_handlers();
  close(go[0]);
  close(report[1]);

  /* The first process's trace name is known now; check it before the program runs. */
  char *first = mt__expand_output(output_pattern, pid, name);
  int err = first ? mt__output_writable(first) : ENOMEM;
  if (err) {
    fprintf(stderr, "memtrace: cannot write trace to %s: %s\n", first ? first : output_pattern,
            strerror(err));
    free(first);
    close(go[1]);
    close(report[0]);
    reap(pid, wait_status);
    return MT__EXIT_USAGE;
  }
  free(first);

  char c = 'g';
  ssize_t w = write(go[1], &c, 1);
  close(go[1]);
  int exec_err = 0;
  ssize_t r = w == 1 ? read_full(report[0], &exec_err, sizeof exec_err) : 0;
  close(report[0]);
  reap(pid, wait_status);
  child_pid = 0;
  if (r == (ssize_t)sizeof exec_err) {
    fprintf(stderr, "memtrace: %s: %s\n", argv[0], strerror(exec_err));
    return exec_err == ENOENT ? MT__EXIT_NOTFOUND : MT__EXIT_NOEXEC;
  }
  *pid_out = pid;
  return 0;
}
