/* SPDX-License-Identifier: MIT */
/* `memtrace --check [budget options] -- program`: after the program ended, run
 * `memtrace-report check` (found next to memtrace) on the main process's trace and return
 * its status. The analyzer does all the checking; the launcher only passes the options. */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The trace of the main process: the last one that ran under its pid (after any exec). */
static char *main_trace(const char *session, long pid) {
  mt__session s;
  if (mt__session_read(session, &s) != 0)
    return NULL;
  char *trace = NULL;
  for (size_t i = 0; i < s.count; i++)
    if (s.procs[i].pid == pid && s.procs[i].trace) {
      free(trace);
      trace = strdup(s.procs[i].trace);
    }
  mt__session_free(&s);
  return trace;
}

/* Run `memtrace-report check ARGS LAST` (LAST: the trace, or --options-only) untraced.
 * @return its exit status, or MT__EXIT_USAGE when it could not run. */
static int run_check(char **args, int nargs, const char *last) {
  char *dir = mt__self_dir();
  char tool[PATH_MAX];
  int code = MT__EXIT_USAGE;
  char **argv = calloc((size_t)nargs + 4, sizeof *argv);
  if (!dir || !argv) {
    fprintf(stderr, "memtrace: --check: %s\n", strerror(errno ? errno : ENOMEM));
    goto out;
  }
  snprintf(tool, sizeof tool, "%s/memtrace-report", dir);
  argv[0] = tool;
  argv[1] = "check";
  memcpy(&argv[2], args, (size_t)nargs * sizeof *args);
  argv[nargs + 2] = (char *)last;
  fflush(stdout);
  fflush(stderr);
  pid_t child = fork();
  if (child == 0) {
    /* the analyzer itself must not be traced */
    unsetenv("LD_PRELOAD");
    unsetenv("MEMTRACE_SESSION");
    execv(tool, argv);
    fprintf(stderr, "memtrace: --check: cannot run %s: %s\n", tool, strerror(errno));
    _exit(MT__EXIT_USAGE);
  }
  int status;
  if (child < 0 || waitpid(child, &status, 0) != child)
    fprintf(stderr, "memtrace: --check: cannot run %s: %s\n", tool, strerror(errno));
  else
    code = WIFEXITED(status) ? WEXITSTATUS(status) : MT__EXIT_USAGE;
out:
  free(argv);
  free(dir);
  return code;
}

int mt__check_options(char **args, int nargs) { return run_check(args, nargs, "--options-only"); }

int mt__check_trace(const char *session, long pid, char **args, int nargs) {
  char *trace = main_trace(session, pid);
  if (!trace) {
    fprintf(stderr, "memtrace: --check: no trace was written, nothing to check\n");
    return MT__EXIT_USAGE;
  }
  int code = run_check(args, nargs, trace);
  free(trace);
  return code;
}
