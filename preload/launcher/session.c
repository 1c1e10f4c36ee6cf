/* SPDX-License-Identifier: MIT */
/* The session file: each traced process appends `start <pid> <ppid> <trace>` when it starts
 * and `end <pid> <trace> <11 totals>` when it ends (docs/recorder.md). The launcher creates
 * it, reads it back after the program ended, and learns from it which traces were written. */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Numbers after the trace path in an `end` line, in order. */
#define END_FIELDS 11

char *mt__session_create(void) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir)
    dir = "/tmp";
  size_t n = strlen(dir) + 32;
  char *path = malloc(n);
  if (!path)
    return NULL;
  snprintf(path, n, "%s/memtrace-session.XXXXXX", dir);
  int fd = mkstemp(path);
  if (fd < 0) {
    free(path);
    return NULL;
  }
  close(fd);
  return path;
}

static mt__process *find_open(mt__session *s, long pid, const char *trace) {
  for (size_t i = s->count; i-- > 0;)
    if (s->procs[i].pid == pid && !s->procs[i].ended && strcmp(s->procs[i].trace, trace) == 0)
      return &s->procs[i];
  return NULL;
}

static mt__process *add(mt__session *s) {
  mt__process *p = realloc(s->procs, (s->count + 1) * sizeof *p);
  if (!p)
    return NULL;
  s->procs = p;
  p = &s->procs[s->count++];
  memset(p, 0, sizeof *p);
  return p;
}

static void parse_start(mt__session *s, char *rest) {
  char *end;
  long pid = strtol(rest, &end, 10);
  if (end == rest || *end != ' ')
    return;
  rest = end + 1;
  long ppid = strtol(rest, &end, 10);
  if (end == rest || *end != ' ' || !end[1])
    return;
  mt__process *p = add(s);
  if (!p)
    return;
  p->pid = pid;
  p->ppid = ppid;
  p->trace = strdup(end + 1);
}

/* `end <pid> <trace> n1 ... n11`: the path may hold spaces, so numbers are taken from the
 * right. */
static void parse_end(mt__session *s, char *rest) {
  uint64_t v[END_FIELDS];
  char *end;
  long pid = strtol(rest, &end, 10);
  if (end == rest || *end != ' ')
    return;
  char *trace = end + 1;
  char *cut = trace + strlen(trace);
  for (int i = END_FIELDS - 1; i >= 0; i--) {
    char *sp = cut;
    while (sp > trace && sp[-1] != ' ')
      sp--;
    if (sp <= trace)
      return;
    errno = 0;
    v[i] = (uint64_t)strtoll(sp, &end, 10);
    if (errno || end != cut || end == sp)
      return;
    cut = sp - 1;
    *cut = '\0';
  }
  mt__process *p = find_open(s, pid, trace);
  if (!p) { /* an end without a start (the start line was lost): keep what we know */
    p = add(s);
    if (!p)
      return;
    p->pid = pid;
    p->ppid = -1;
    p->trace = strdup(trace);
  }
  p->ended = 1;
  p->allocations = v[0];
  p->frees = v[1];
  p->bytes_allocated = v[2];
  p->peak_heap_bytes = v[3];
  p->live_bytes = v[4];
  p->live_blocks = v[5];
  p->peak_rss_bytes = v[6];
  p->mmap_live_bytes = v[7];
  p->shim_bytes = v[8];
  p->how = (int)v[9];
  p->status = (int)v[10];
}

int mt__session_read(const char *path, mt__session *s) {
  memset(s, 0, sizeof *s);
  FILE *f = fopen(path, "re");
  if (!f)
    return -1;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] != '\n') /* a line still being written */
      break;
    line[n - 1] = '\0';
    if (strncmp(line, "start ", 6) == 0)
      parse_start(s, line + 6);
    else if (strncmp(line, "end ", 4) == 0)
      parse_end(s, line + 4);
  }
  free(line);
  fclose(f);
  return 0;
}

void mt__session_free(mt__session *s) {
  for (size_t i = 0; i < s->count; i++)
    free(s->procs[i].trace);
  free(s->procs);
  memset(s, 0, sizeof *s);
}
