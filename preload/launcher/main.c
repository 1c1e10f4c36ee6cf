/* SPDX-License-Identifier: MIT */
/* `memtrace [options] [--] program [args...]`: run a program with libmemtrace.so preloaded,
 * pass its exit status through, and summarise the traces its processes wrote. The launcher
 * talks to the recorder only through MEMTRACE_* variables and the session file. */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* LD_PRELOAD with the shim first, keeping what the user preloads after it. */
static int export_preload(const char *shim) {
  const char *old = getenv("LD_PRELOAD");
  if (!old || !*old)
    return setenv("LD_PRELOAD", shim, 1);
  size_t n = strlen(shim) + strlen(old) + 2;
  char *v = malloc(n);
  if (!v)
    return -1;
  snprintf(v, n, "%s:%s", shim, old);
  int rc = setenv("LD_PRELOAD", v, 1);
  free(v);
  return rc;
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* Print the summary from the session file. */
static void summarise(const char *session, long pid, const char *program, int status) {
  mt__session s;
  char *self_dir = mt__self_dir();
  if (mt__session_read(session, &s) == 0) {
    mt__summary_print(&s, pid, program, status, self_dir);
    mt__session_free(&s);
  } else {
    fprintf(stderr, "memtrace: cannot read the session file %s: %s\n", session, strerror(errno));
  }
  free(self_dir);
}

int main(int argc, char **argv) {
  mt__options opt;
  mt__options_parse(&opt, argc, argv);

  char *program = NULL, *shim = NULL, *abs_pattern = NULL, *session = NULL;
  int code = mt__program_resolve(opt.argv[0], &program);
  if (code)
    goto out;
  if (opt.check && (code = mt__check_options(opt.check_args, opt.ncheck_args)) != 0)
    goto out; /* a bad budget is refused before the program runs, as a bad option is */
  code = MT__EXIT_USAGE;
  shim = mt__shim_path();
  if (!shim)
    goto out;

  const char *pattern = opt.output ? opt.output : getenv("MEMTRACE_OUTPUT");
  if (!pattern || !*pattern)
    pattern = MT__DEFAULT_OUTPUT;
  abs_pattern = mt__absolute(pattern);
  session = mt__session_create();
  if (!abs_pattern || !session) {
    fprintf(stderr, "memtrace: cannot create the session file in %s: %s\n",
            getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
    goto out;
  }
  if (export_preload(shim) || mt__options_export(&opt, abs_pattern, session)) {
    fprintf(stderr, "memtrace: cannot set the environment: %s\n", strerror(errno));
    goto out;
  }

  long pid = 0;
  int status = 0;
  code = mt__child_run(program, opt.argv, abs_pattern, base_name(program), &pid, &status);
  if (code)
    goto out;
  if (!opt.quiet)
    summarise(session, pid, opt.argv[0], status);
  code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  if (opt.check) {
    if (code == 0)
      code = mt__check_trace(session, pid, opt.check_args, opt.ncheck_args);
    else
      fprintf(stderr, "memtrace: --check: %s failed (status %d); budgets not checked\n",
              opt.argv[0], code);
  }

out:
  if (session)
    unlink(session);
  free(session);
  free(abs_pattern);
  free(shim);
  free(program);
  return code;
}
