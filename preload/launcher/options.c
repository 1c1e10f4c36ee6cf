/* SPDX-License-Identifier: MIT */
/* Command-line options of `memtrace`: one table names each option, its argument and its
 * environment twin; parsing stops at the first word that is not an option (the program), so
 * the program's own options are never touched. */
#define _GNU_SOURCE
#include "launcher.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MEMTRACE_VERSION
#define MEMTRACE_VERSION "unknown"
#endif

enum { OPT_OUTPUT, OPT_DEPTH, OPT_RSS, OPT_NO_FOLLOW, OPT_PAUSED, OPT_TOGGLE, OPT_QUIET, OPT_LEAK_SCAN,
       OPT_ZSTD_LEVEL, OPT_CHECK, OPT_HELP, OPT_VERSION };

static const struct {
  int id;
  const char *short_name, *long_name;
  const char *arg;           /* NULL for a flag */
  const char *env;           /* environment twin, NULL when none */
  const char *help;
} options[] = {
  {OPT_OUTPUT, "-o", "--output", "PATH", "MEMTRACE_OUTPUT",
   "trace file; %p is the pid, %n the program name\n"
   "                            (default memtrace.%n.%p.mt in the current directory)"},
  {OPT_DEPTH, NULL, "--depth", "N", "MEMTRACE_DEPTH", "call stack frames recorded per event (1-256, default 64)"},
  {OPT_RSS, NULL, "--rss-interval", "MS", "MEMTRACE_RSS_INTERVAL",
   "sample the resident set size every MS milliseconds (default 50, 0: off)"},
  {OPT_NO_FOLLOW, NULL, "--no-follow", NULL, "MEMTRACE_FOLLOW=0",
   "do not trace forked children and exec'd programs"},
  {OPT_PAUSED, NULL, "--start-paused", NULL, "MEMTRACE_START_PAUSED=1",
   "start with recording paused; the toggle signal resumes it"},
  {OPT_TOGGLE, NULL, "--toggle-signal", "SIG", "MEMTRACE_TOGGLE_SIGNAL",
   "signal (name or number) that pauses/resumes recording (default USR2)"},
  {OPT_LEAK_SCAN, NULL, "--leak-scan", "on|off", "MEMTRACE_LEAK_SCAN",
   "at exit, classify unfreed blocks as definitely, indirectly or possibly lost\n"
   "                            or still reachable, like valgrind memcheck (default on)"},
  {OPT_ZSTD_LEVEL, NULL, "--zstd-level", "auto|N", "MEMTRACE_ZSTD_LEVEL",
   "compress the trace at zstd level N (1-19); auto (default): level 1, or 9\n"
   "                            while a core is idle and the data is repetitive"},
  {OPT_QUIET, "-q", "--quiet", NULL, "MEMTRACE_QUIET=1", "do not print the summary at exit"},
  {OPT_CHECK, NULL, "--check", NULL, NULL,
   "then budget options up to `--` (--max-leaked 0 ...): check the trace with\n"
   "                            memtrace-report check; exit 1 over budget (docs/ci.md)"},
  {OPT_HELP, "-h", "--help", NULL, NULL, "show this help and exit"},
  {OPT_VERSION, NULL, "--version", NULL, NULL, "show the version and exit"},
};
#define NOPTIONS (sizeof options / sizeof options[0])

static void usage(FILE *f) {
  fprintf(f,
          "usage: memtrace [options] [--] program [args...]\n"
          "Run a program with the memtrace recorder preloaded and write a trace of every\n"
          "allocation and free with its call stack.\n\n"
          "options:\n");
  for (size_t i = 0; i < NOPTIONS; i++) {
    char left[64];
    snprintf(left, sizeof left, "%s%s%s%s%s", options[i].short_name ? options[i].short_name : "",
             options[i].short_name ? ", " : "    ", options[i].long_name,
             options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
    fprintf(f, "  %-26s%s\n", left, options[i].help);
    if (options[i].env)
      fprintf(f, "  %-26s(environment: %s)\n", "", options[i].env);
  }
  fprintf(f,
          "\nThe program's exit status is passed through; killed by signal N, memtrace exits\n"
          "128+N after the trace is saved. Each traced child process writes its own trace.\n"
          "See memtrace(1) and docs/recorder.md.\n");
}

static _Noreturn void bad_usage(const char *fmt, const char *what) {
  fputs("memtrace: ", stderr);
  fprintf(stderr, fmt, what);
  fputs("; try 'memtrace --help'\n", stderr);
  exit(MT__EXIT_USAGE);
}

int mt__signal_from_name(const char *s) {
  if (!s || !*s)
    return 0;
  if (isdigit((unsigned char)*s)) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return (errno || *end || v < 1 || v >= NSIG) ? 0 : (int)v;
  }
  if (strncasecmp(s, "SIG", 3) == 0)
    s += 3;
  for (int sig = 1; sig < NSIG; sig++) {
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev && strcasecmp(abbrev, s) == 0)
      return sig;
  }
  return 0;
}

/* A decimal number in [lo, hi]; the same string goes to the environment. */
static const char *check_number(const char *opt, const char *v, long lo, long hi) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || end == v || *end || n < lo || n > hi) {
    fprintf(stderr, "memtrace: %s expects a number from %ld to %ld, not '%s'; try 'memtrace --help'\n",
            opt, lo, hi, v);
    exit(MT__EXIT_USAGE);
  }
  return v;
}

static void apply(mt__options *o, int id, const char *name, const char *v) {
  switch (id) {
  case OPT_OUTPUT:
    if (!*v)
      bad_usage("%s needs a non-empty path", name);
    o->output = v;
    break;
  case OPT_DEPTH: o->depth = check_number(name, v, 1, 256); break;
  case OPT_RSS: o->rss_interval = check_number(name, v, 0, 3600000); break;
  case OPT_NO_FOLLOW: o->follow = 0; break;
  case OPT_PAUSED: o->start_paused = 1; break;
  case OPT_TOGGLE:
    o->toggle_signal = mt__signal_from_name(v);
    if (!o->toggle_signal || o->toggle_signal == SIGKILL || o->toggle_signal == SIGSTOP)
      bad_usage("unknown or unusable signal '%s'", v);
    break;
  case OPT_LEAK_SCAN:
    if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
      bad_usage("%s takes on or off", name);
    o->leak_scan = v[1] == 'n' ? 1 : 0;
    break;
  case OPT_ZSTD_LEVEL: o->zstd_level = strcmp(v, "auto") ? check_number(name, v, 1, 19) : v; break;
  case OPT_QUIET: o->quiet = 1; break;
  case OPT_HELP: usage(stdout); exit(0);
  case OPT_VERSION: printf("memtrace %s\n", MEMTRACE_VERSION); exit(0);
  }
}

void mt__options_parse(mt__options *o, int argc, char **argv) {
  memset(o, 0, sizeof *o);
  o->follow = -1;
  o->start_paused = -1;
  o->leak_scan = -1;
  const char *q = getenv("MEMTRACE_QUIET");
  o->quiet = q && *q && strcmp(q, "0") != 0;

  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0')
      break;
    size_t k = 0;
    const char *value = NULL;
    for (; k < NOPTIONS; k++) {
      const char *s = options[k].short_name, *l = options[k].long_name;
      size_t ll = strlen(l);
      if ((s && strcmp(a, s) == 0) || strcmp(a, l) == 0)
        break;
      if (options[k].arg && strncmp(a, l, ll) == 0 && a[ll] == '=') {
        value = a + ll + 1;
        break;
      }
      if (options[k].arg && s && strncmp(a, s, 2) == 0 && a[2] != '\0') {
        value = a + 2;
        break;
      }
    }
    if (k == NOPTIONS)
      bad_usage("unknown option '%s'", a);
    if (options[k].id == OPT_CHECK) {
      if (value)
        bad_usage("option '%s' takes no argument", a);
      /* everything up to `--` belongs to memtrace-report check */
      int end = i + 1;
      while (end < argc && strcmp(argv[end], "--") != 0)
        end++;
      if (end >= argc)
        bad_usage("%s", "--check needs `--` before the program: memtrace --check --max-leaked 0 -- prog");
      o->check = 1;
      o->check_args = argv + i + 1;
      o->ncheck_args = end - i - 1;
      i = end - 1; /* the loop's next word is `--` */
      continue;
    }
    if (options[k].arg && !value) {
      if (i + 1 >= argc)
        bad_usage("option '%s' needs an argument", a);
      value = argv[++i];
    } else if (!options[k].arg && value) {
      bad_usage("option '%s' takes no argument", a);
    }
    apply(o, options[k].id, options[k].long_name, value);
  }
  if (i >= argc)
    bad_usage("%s", "no program given");
  o->argv = argv + i;
}

int mt__options_export(const mt__options *o, const char *output_pattern, const char *session) {
  char num[16];
  if (setenv("MEMTRACE_OUTPUT", output_pattern, 1) || setenv("MEMTRACE_SESSION", session, 1))
    return -1;
  if (o->depth && setenv("MEMTRACE_DEPTH", o->depth, 1))
    return -1;
  if (o->rss_interval && setenv("MEMTRACE_RSS_INTERVAL", o->rss_interval, 1))
    return -1;
  if (o->follow >= 0 && setenv("MEMTRACE_FOLLOW", o->follow ? "1" : "0", 1))
    return -1;
  if (o->start_paused > 0 && setenv("MEMTRACE_START_PAUSED", "1", 1))
    return -1;
  if (o->zstd_level && setenv("MEMTRACE_ZSTD_LEVEL", o->zstd_level, 1))
    return -1;
  if (o->leak_scan >= 0 && setenv("MEMTRACE_LEAK_SCAN", o->leak_scan ? "1" : "0", 1))
    return -1;
  if (o->toggle_signal) {
    snprintf(num, sizeof num, "%d", o->toggle_signal);
    if (setenv("MEMTRACE_TOGGLE_SIGNAL", num, 1))
      return -1;
  }
  return 0;
}
