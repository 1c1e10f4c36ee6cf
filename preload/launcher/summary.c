/* SPDX-License-Identifier: MIT */
/* The summary `memtrace` prints to stderr when the program has ended: totals of the main
 * process from its session `end` line (or recovered from its trace when it never reported),
 * one line per other traced process, and the command to look at the trace. */
#define _GNU_SOURCE
#include "launcher.h"

#include <memtrace/trace.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *mt__human_size(uint64_t bytes, char *buf, size_t size) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) {
    snprintf(buf, size, "%llu B", (unsigned long long)bytes);
    return buf;
  }
  double v = (double)bytes;
  size_t u = 0;
  while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
    v /= 1024;
    u++;
  }
  snprintf(buf, size, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

static const char *signal_name(int sig, char *buf, size_t size) {
  const char *abbrev = sigabbrev_np(sig);
  snprintf(buf, size, "%d (SIG%s)", sig, abbrev ? abbrev : "?");
  return buf;
}

/* "exited with status 0", "killed by signal 6 (SIGABRT)", ... from an END record. */
static const char *how_text(int how, int status, char *buf, size_t size) {
  char sig[32];
  switch (how) {
  case MT_END_EXIT: snprintf(buf, size, "exited with status %d", status); break;
  case MT_END_SIGNAL: snprintf(buf, size, "killed by signal %s", signal_name(status, sig, sizeof sig)); break;
  case MT_END_EXEC: snprintf(buf, size, "exec'd another program"); break;
  case MT_END_STOPPED: snprintf(buf, size, "recording stopped early (write error)"); break;
  default: snprintf(buf, size, "ended (how %d, status %d)", how, status); break;
  }
  return buf;
}

static const char *trace_size(const char *path, char *buf, size_t size) {
  struct stat st;
  if (stat(path, &st) != 0)
    return "missing";
  return mt__human_size((uint64_t)st.st_size, buf, size);
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

static void print_counts(uint64_t allocations, uint64_t frees, uint64_t bytes) {
  char a[32];
  fprintf(stderr, "memtrace: %llu allocation%s, %llu free%s, %s allocated in total\n",
          (unsigned long long)allocations, plural(allocations), (unsigned long long)frees,
          plural(frees), mt__human_size(bytes, a, sizeof a));
}

/* Totals of a process that wrote no `end` line, read back from its trace. */
static void print_recovered(const mt__process *p) {
  mt__scan sc;
  char a[32], b[32];
  int rc = mt__trace_scan(p->trace, &sc);
  if (rc && sc.allocations == 0) {
    fprintf(stderr, "memtrace: the trace is incomplete and unreadable: %s\n", mt_strerror(rc));
    return;
  }
  if (sc.complete)
    fprintf(stderr, "memtrace: totals read from the trace:\n");
  else
    fprintf(stderr, "memtrace: the trace is incomplete (%s): totals up to its last flush\n",
            sc.error == MT_ENOEND ? "no end record" : mt_strerror(sc.error));
  print_counts(sc.allocations, sc.frees, sc.bytes_allocated);
  fprintf(stderr, "memtrace: peak heap %s, %s still allocated in %llu block%s when recording "
                  "stopped\n",
          mt__human_size(sc.peak_heap_bytes, a, sizeof a), mt__human_size(sc.live_bytes, b, sizeof b),
          (unsigned long long)sc.live_blocks, plural(sc.live_blocks));
}

static void print_totals(const mt__process *p) {
  char a[32], b[32];
  print_counts(p->allocations, p->frees, p->bytes_allocated);
  char c[32];
  fprintf(stderr, "memtrace: peak heap %s, peak RSS %s (the recorder's own memory at exit: %s)\n",
          mt__human_size(p->peak_heap_bytes, a, sizeof a),
          mt__human_size(p->peak_rss_bytes, b, sizeof b),
          mt__human_size(p->shim_bytes, c, sizeof c));
  if (p->live_blocks)
    fprintf(stderr, "memtrace: leaked %s in %llu block%s (still allocated at exit)\n",
            mt__human_size(p->live_bytes, a, sizeof a), (unsigned long long)p->live_blocks,
            plural(p->live_blocks));
  else
    fprintf(stderr, "memtrace: no leaks: every block was freed\n");
}

/* Recording stopped before the end (the trace could not be written): the counts are those
 * seen until then, and nothing is known of what the program held at exit. */
static void print_stopped(const mt__process *p) {
  fprintf(stderr, "memtrace: recording stopped early; until then:\n");
  print_counts(p->allocations, p->frees, p->bytes_allocated);
  fprintf(stderr, "memtrace: the trace holds the events written before the error; leaks at exit "
                  "are unknown\n");
}

static void print_other(const mt__process *p, long main_pid) {
  char how[64], size[32], rel[48];
  if (p->pid == main_pid)
    snprintf(rel, sizeof rel, "before exec");
  else
    snprintf(rel, sizeof rel, "child of %ld", p->ppid);
  if (p->ended)
    fprintf(stderr, "memtrace:   pid %ld (%s): %s (%s), %llu allocation%s, %s\n", p->pid, rel,
            p->trace, trace_size(p->trace, size, sizeof size), (unsigned long long)p->allocations,
            plural(p->allocations), how_text(p->how, p->status, how, sizeof how));
  else
    fprintf(stderr, "memtrace:   pid %ld (%s): %s (%s), incomplete (killed or still running)\n",
            p->pid, rel, p->trace, trace_size(p->trace, size, sizeof size));
}

/* Suggest memtrace-report when it is installed next to memtrace, memtrace-dump otherwise. */
static void print_next_step(const char *self_dir, const char *trace) {
  char tool[PATH_MAX];
  int report = 0;
  if (self_dir) {
    snprintf(tool, sizeof tool, "%s/memtrace-report", self_dir);
    report = access(tool, X_OK) == 0;
  }
  fprintf(stderr, "memtrace: look at it with: %s %s\n",
          report ? "memtrace-report summary" : "memtrace-dump", trace);
}

void mt__summary_print(mt__session *s, long main_pid, const char *program, int wait_status,
                       const char *self_dir) {
  char buf[64];
  if (WIFEXITED(wait_status))
    fprintf(stderr, "memtrace: %s exited with status %d\n", program, WEXITSTATUS(wait_status));
  else if (WIFSIGNALED(wait_status))
    fprintf(stderr, "memtrace: %s was killed by signal %s\n", program,
            signal_name(WTERMSIG(wait_status), buf, sizeof buf));

  const mt__process *main_proc = NULL;
  for (size_t i = 0; i < s->count; i++)
    if (s->procs[i].pid == main_pid)
      main_proc = &s->procs[i];
  if (!main_proc) {
    fprintf(stderr, "memtrace: no trace was written: the recorder did not start in %s\n", program);
    return;
  }
  if (main_proc->ended && main_proc->how == MT_END_STOPPED)
    print_stopped(main_proc);
  else if (main_proc->ended)
    print_totals(main_proc);
  else
    print_recovered(main_proc);
  fprintf(stderr, "memtrace: trace %s (%s)\n", main_proc->trace,
          trace_size(main_proc->trace, buf, sizeof buf));
  if (s->count > 1) {
    fprintf(stderr, "memtrace: %zu more traced process%s:\n", s->count - 1,
            s->count == 2 ? "" : "es");
    for (size_t i = 0; i < s->count; i++)
      if (&s->procs[i] != main_proc)
        print_other(&s->procs[i], main_pid);
  }
  print_next_step(self_dir, main_proc->trace);
}
