/* SPDX-License-Identifier: MIT */
/* Internal contract of the `memtrace` launcher: the options it parses, the program it checks,
 * the session file the traced processes report to, and the summary it prints. Prototypes are
 * grouped under the file that defines them. */
#ifndef MEMTRACE_LAUNCHER_H
#define MEMTRACE_LAUNCHER_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes before the program runs, as a shell would give them. */
#define MT__EXIT_USAGE 2
#define MT__EXIT_NOEXEC 126
#define MT__EXIT_NOTFOUND 127

#define MT__DEFAULT_OUTPUT "memtrace.%n.%p.mt"

/* options.c ----------------------------------------------------------------------------- */

typedef struct {
  const char *output;       /* -o pattern (%p pid, %n program name), or NULL for the default */
  const char *depth;        /* values are kept as validated strings: they go to the environment */
  const char *rss_interval;
  int follow;               /* -1 unset (environment or shim default), 0, 1 */
  int start_paused;         /* -1 unset, 1 */
  int toggle_signal;        /* 0 unset */
  int leak_scan;            /* -1 unset, 0, 1 */
  const char *zstd_level;   /* "auto" or 1..19, NULL unset */
  int quiet;
  int check;                /* --check: the options up to `--` go to memtrace-report check */
  char **check_args;
  int ncheck_args;
  char **argv;              /* the program and its arguments, NULL-terminated */
} mt__options;

/* Parse the command line (and MEMTRACE_QUIET). Prints --help/--version and exits 0; prints
 * a one-line error and a usage hint and exits 2 on a bad option. */
void mt__options_parse(mt__options *o, int argc, char **argv);

/* Export the options the shim reads as MEMTRACE_* variables; variables the user set by hand
 * stay unless an option overrides them. @return 0, or -1 with errno set. */
int mt__options_export(const mt__options *o, const char *output_pattern, const char *session);

/* Signal number for "USR2", "SIGUSR2" or "12"; 0 when unknown. */
int mt__signal_from_name(const char *s);

/* program.c ----------------------------------------------------------------------------- */

/* Find the program like a shell does (PATH search for names without a slash) and check that
 * an LD_PRELOAD profiler can trace it: executable, dynamically linked, not setuid/setgid.
 * On success stores a malloc'd path in *path and returns 0; otherwise prints one line and
 * returns the exit code (127 not found, 126 not executable, 2 not traceable). */
int mt__program_resolve(const char *name, char **path);

/* paths.c ------------------------------------------------------------------------------- */

/* Directory of the running executable (malloc'd), from /proc/self/exe; NULL on failure. */
char *mt__self_dir(void);

/* The shim to preload: $MEMTRACE_LIBRARY, else <self dir>/../lib/memtrace/libmemtrace.so.
 * @return a malloc'd path, or NULL (after printing why) when it does not exist. */
char *mt__shim_path(void);

/* Expand %p (pid), %n (program name) and %% in an output pattern. @return malloc'd string. */
char *mt__expand_output(const char *pattern, long pid, const char *name);

/* Make a relative path absolute against the current directory. @return malloc'd string. */
char *mt__absolute(const char *path);

/* Check that the trace can be created: creates the file (and removes it again when it did
 * not exist before). @return 0 or an errno value. */
int mt__output_writable(const char *path);

/* session.c ----------------------------------------------------------------------------- */

/* One traced process, from its `start` and `end` lines in the session file. */
typedef struct {
  long pid, ppid;
  char *trace;              /* trace path as the shim wrote it */
  int ended;                /* an `end` line was seen */
  uint64_t allocations, frees, bytes_allocated, peak_heap_bytes;
  uint64_t live_bytes, live_blocks, peak_rss_bytes, mmap_live_bytes, shim_bytes;
  int how, status;          /* mt_end_how and its status */
} mt__process;

typedef struct {
  mt__process *procs;
  size_t count;
} mt__session;

/* Create an empty session file in $TMPDIR (or /tmp). @return malloc'd path, or NULL. */
char *mt__session_create(void);

/* Read the session file; lines that do not parse are ignored. @return 0 or -1 (errno). */
int mt__session_read(const char *path, mt__session *s);

void mt__session_free(mt__session *s);

/* summary.c ----------------------------------------------------------------------------- */

/* Print the end-of-run summary to stderr: the main process (the last one that ran under the
 * launched pid), then every other traced process in one line each. */
void mt__summary_print(mt__session *s, long main_pid, const char *program, int wait_status,
                       const char *self_dir);

/* Human-friendly size ("1.5 MiB") into buf. @return buf. */
char *mt__human_size(uint64_t bytes, char *buf, size_t size);

/* trace_scan.c -------------------------------------------------------------------------- */

/* Totals recovered by reading a trace that has no END line in the session. */
typedef struct {
  uint64_t allocations, frees, bytes_allocated;
  uint64_t live_bytes, live_blocks, peak_heap_bytes;
  int complete;             /* an END record was found */
  int error;                /* the reader's final code: 0, or MT_ENOEND, MT_ETRUNCATED... */
} mt__scan;

/* Count the heap events of a trace, tracking live blocks. Fills *out (also on errors, with
 * what could be read). @return 0, or a negative mt_errno when the file cannot be read at all
 * or is damaged. */
int mt__trace_scan(const char *path, mt__scan *out);

/* check.c ------------------------------------------------------------------------------- */

/* Run `memtrace-report check ARGS TRACE` (the memtrace-report next to this executable) on the
 * trace of process pid from the session file, untraced. @return its exit status (0 budgets
 * hold, 1 exceeded, 2 usage or input error), or 2 after printing why it could not run. */
int mt__check_trace(const char *session, long pid, char **args, int nargs);
/* Before the program starts: are the --check options good? @return 0, or the exit status
 * of memtrace-report, which said what is wrong. */
int mt__check_options(char **args, int nargs);

/* child.c ------------------------------------------------------------------------------- */

/* Run the program with the current environment: fork, check the output path with the child's
 * pid, exec. While waiting, SIGINT and SIGQUIT are ignored and SIGTERM/SIGHUP forwarded.
 * @return 0 with *pid and *wait_status set once the child ended, or the exit code to use
 *         when it could not start (after printing why). */
int mt__child_run(const char *path, char **argv, const char *output_pattern, const char *name,
                  long *pid, int *wait_status);

#endif /* MEMTRACE_LAUNCHER_H */
