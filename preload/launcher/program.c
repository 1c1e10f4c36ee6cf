/* SPDX-License-Identifier: MIT */
/* Find the program to trace the way a shell does and refuse, before starting it, the programs
 * an LD_PRELOAD recorder cannot see into: static binaries (no PT_INTERP, so no dynamic loader
 * reads LD_PRELOAD), binaries of another ELF class, and setuid/setgid binaries that the loader
 * runs in secure mode. Scripts are checked through their #! interpreter. */
#define _GNU_SOURCE
#include "launcher.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How many #! interpreters deep we follow (the kernel allows 4). */
#define MAX_SCRIPT_DEPTH 4

static char *join(const char *dir, size_t dirlen, const char *name) {
  size_t n = strlen(name);
  char *p = malloc(dirlen + n + 2);
  if (!p)
    return NULL;
  memcpy(p, dir, dirlen);
  p[dirlen] = '/';
  memcpy(p + dirlen + 1, name, n + 1);
  return p;
}

/* PATH search: the first executable regular file wins; a non-executable match is remembered
 * so "permission denied" (126) beats "not found" (127), as in sh. */
static int search_path(const char *name, char **out) {
  const char *path = getenv("PATH");
  if (!path)
    path = "/usr/local/bin:/usr/bin:/bin";
  int err = ENOENT;
  for (const char *p = path;; p++) {
    const char *colon = strchrnul(p, ':');
    size_t len = (size_t)(colon - p);
    char *cand = len ? join(p, len, name) : join(".", 1, name);
    if (!cand)
      return ENOMEM;
    struct stat st;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(cand, X_OK) == 0) {
        *out = cand;
        return 0;
      }
      err = EACCES;
    }
    free(cand);
    if (!*colon)
      break;
    p = colon;
  }
  return err;
}

static int fail(int code, const char *name, const char *what) {
  fprintf(stderr, "memtrace: %s: %s\n", name, what);
  return code;
}

/* The interpreter of a "#!" script, or NULL. */
static char *script_interpreter(const char *buf, size_t n) {
  if (n < 3 || buf[0] != '#' || buf[1] != '!')
    return NULL;
  size_t i = 2;
  while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
    i++;
  size_t start = i;
  while (i < n && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n')
    i++;
  return i > start ? strndup(buf + start, i - start) : NULL;
}

/* Check the ELF program headers for PT_INTERP. @return 1 dynamic, 0 static, -1 not ELF64,
 * -2 unreadable. */
static int elf_dynamic(int fd, const unsigned char *ident, size_t n) {
  if (n < sizeof(Elf64_Ehdr) || ident[EI_CLASS] != ELFCLASS64)
    return -1;
  Elf64_Ehdr eh;
  memcpy(&eh, ident, sizeof eh);
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 4096)
    return -2;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph)
      return -2;
    if (ph.p_type == PT_INTERP)
      return 1;
  }
  return 0;
}

/* Can the loader preload the shim into this file? Prints the reason and returns an exit code
 * when not. `shown` is the name the user gave, used in messages. */
static int check_traceable(const char *path, const char *shown, int depth) {
  struct stat st;
  if (stat(path, &st) != 0)
    return fail(depth ? MT__EXIT_NOEXEC : MT__EXIT_NOTFOUND, shown, strerror(errno));
  if (S_ISDIR(st.st_mode))
    return fail(MT__EXIT_NOEXEC, shown, "Is a directory");
  if (access(path, X_OK) != 0)
    return fail(MT__EXIT_NOEXEC, shown, strerror(errno));
  if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
      ((st.st_mode & S_ISGID) && st.st_gid != getegid())) {
    fprintf(stderr,
            "memtrace: %s is setuid/setgid; the dynamic loader ignores LD_PRELOAD for it, "
            "so it cannot be traced (run a copy without the setuid/setgid bit)\n", shown);
    return MT__EXIT_USAGE;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) /* execute-only files: let exec decide */
    return 0;
  unsigned char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0)
    n = 0;
  int code = 0;
  if (n >= 4 && memcmp(buf, ELFMAG, SELFMAG) == 0) {
    int dyn = elf_dynamic(fd, buf, (size_t)n);
    if (dyn == 0) {
      fprintf(stderr,
              "memtrace: %s is statically linked; an LD_PRELOAD profiler cannot see its "
              "allocations\n", shown);
      code = MT__EXIT_USAGE;
    } else if (dyn == -1) {
      fprintf(stderr, "memtrace: %s is not a 64-bit program; libmemtrace.so cannot be loaded "
                      "into it\n", shown);
      code = MT__EXIT_USAGE;
    }
  } else {
    char *interp = script_interpreter((const char *)buf, (size_t)n);
    if (interp && depth < MAX_SCRIPT_DEPTH && interp[0] == '/') {
      char shown_interp[512];
      snprintf(shown_interp, sizeof shown_interp, "%s (the interpreter of %s)", interp, shown);
      code = check_traceable(interp, shown_interp, depth + 1);
    }
    free(interp);
  }
  close(fd);
  return code;
}

int mt__program_resolve(const char *name, char **path) {
  *path = NULL;
  if (strchr(name, '/')) {
    struct stat st;
    if (stat(name, &st) != 0)
      return fail(errno == ENOENT ? MT__EXIT_NOTFOUND : MT__EXIT_NOEXEC, name, strerror(errno));
    *path = strdup(name);
  } else {
    int err = search_path(name, path);
    if (err == ENOENT || (err == 0 && !**path))
      return fail(MT__EXIT_NOTFOUND, name, "command not found");
    if (err)
      return fail(MT__EXIT_NOEXEC, name, strerror(err));
  }
  if (!*path)
    return fail(MT__EXIT_USAGE, name, strerror(ENOMEM));
  int code = check_traceable(*path, name, 0);
  if (code) {
    free(*path);
    *path = NULL;
  }
  return code;
}
