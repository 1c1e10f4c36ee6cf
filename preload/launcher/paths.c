/* SPDX-License-Identifier: MIT */
/* Paths the launcher works out: where it lives (the shim and the other tools are found
 * relative to it, the same in the build tree and an installed tree), the trace file name
 * from its %p/%n pattern, and whether that file can be created. */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the shim sits relative to the launcher's directory: the build passes the installed
 * layout (../lib/<multiarch>/memtrace/... on some distributions); ../lib/memtrace/ is the
 * usual one and always tried too. */
#ifndef MEMTRACE_SHIM_RELATIVE
#define MEMTRACE_SHIM_RELATIVE "../lib/memtrace/libmemtrace.so"
#endif
static const char *const shim_candidates[] = {MEMTRACE_SHIM_RELATIVE,
                                              "../lib/memtrace/libmemtrace.so"};

char *mt__self_dir(void) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (!slash)
    return NULL;
  *slash = '\0';
  return strdup(buf[0] ? buf : "/");
}

char *mt__shim_path(void) {
  const char *env = getenv("MEMTRACE_LIBRARY");
  char *path = NULL;
  if (env && *env) {
    path = mt__absolute(env);
  } else {
    char *dir = mt__self_dir();
    if (!dir) {
      fprintf(stderr, "memtrace: cannot read /proc/self/exe: %s\n", strerror(errno));
      return NULL;
    }
    for (size_t i = 0; i < sizeof shim_candidates / sizeof shim_candidates[0]; i++) {
      char joined[PATH_MAX * 2];
      snprintf(joined, sizeof joined, "%s/%s", dir, shim_candidates[i]);
      free(path);
      char *real = realpath(joined, NULL);
      path = real ? real : strdup(joined);
      if (real)
        break;
    }
    free(dir);
  }
  if (path && access(path, R_OK) != 0) {
    fprintf(stderr, "memtrace: cannot use the recorder library %s: %s (set MEMTRACE_LIBRARY)\n",
            path, strerror(errno));
    free(path);
    return NULL;
  }
  return path;
}

char *mt__expand_output(const char *pattern, long pid, const char *name) {
  size_t cap = strlen(pattern) + 1, len = 0;
  for (const char *p = pattern; *p; p++)
    if (*p == '%')
      cap += 24 + strlen(name);
  char *out = malloc(cap);
  if (!out)
    return NULL;
  for (const char *p = pattern; *p; p++) {
    if (p[0] == '%' && p[1] == 'p') {
      len += (size_t)snprintf(out + len, cap - len, "%ld", pid);
      p++;
    } else if (p[0] == '%' && p[1] == 'n') {
      len += (size_t)snprintf(out + len, cap - len, "%s", name);
      p++;
    } else if (p[0] == '%' && p[1] == '%') {
      out[len++] = '%';
      p++;
    } else {
      out[len++] = *p;
    }
  }
  out[len] = '\0';
  return out;
}

char *mt__absolute(const char *path) {
  if (path[0] == '/')
    return strdup(path);
  char *cwd = getcwd(NULL, 0);
  if (!cwd)
    return strdup(path);
  size_t n = strlen(cwd) + strlen(path) + 2;
  char *out = malloc(n);
  if (out)
    snprintf(out, n, "%s/%s", cwd, path);
  free(cwd);
  return out;
}

int mt__output_writable(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) {
    close(fd);
    unlink(path);
    return 0;
  }
  if (errno != EEXIST)
    return errno;
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return EISDIR;
  return access(path, W_OK) == 0 ? 0 : errno;
}
