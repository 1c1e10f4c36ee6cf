/* SPDX-License-Identifier: MIT */
/* What /proc/self says about this process, read with raw system calls into the shim's own
 * memory (no stdio, no malloc): the memory map (/proc/self/maps, one mapping at a time) and
 * the stack pointer of every other thread blocked in the kernel (/proc/self/task/N/syscall). */
#include "internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int mt__maps_load(mt_maps *m) {
  memset(m, 0, sizeof *m);
  int fd = mt__os_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  size_t cap = 256 * 1024;
  char *buf = mt__os_alloc(cap);
  size_t len = 0;
  while (buf) {
    if (len + 4096 > cap) { /* grow by doubling; /proc files cannot be re-read mid-way */
      char *nb = mt__os_alloc(cap * 2);
      if (nb)
        memcpy(nb, buf, len);
      mt__os_free(buf, cap);
      buf = nb;
      cap *= 2;
      continue;
    }
    ssize_t n = mt__os_read(fd, buf + len, cap - len - 1);
    if (n < 0) {
      mt__os_free(buf, cap);
      buf = NULL;
    } else if (n == 0) {
      break;
    } else {
      len += (size_t)n;
    }
  }
  mt__os_close(fd);
  if (!buf)
    return -1;
  buf[len] = '\0';
  m->buf = buf;
  m->len = len;
  m->cap = cap;
  return 0;
}

static uintptr_t hex(const char **p) {
  uintptr_t v = 0;
  for (;; (*p)++) {
    char c = **p;
    if (c >= '0' && c <= '9')
      v = v * 16 + (uintptr_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v = v * 16 + (uintptr_t)(c - 'a' + 10);
    else
      return v;
  }
}

static void skip_field(const char **p) {
  while (**p == ' ')
    (*p)++;
  while (**p && **p != ' ' && **p != '\n')
    (*p)++;
  while (**p == ' ')
    (*p)++;
}

int mt__maps_next(mt_maps *m, mt_map *out) {
  if (!m->buf || m->pos >= m->len)
    return 0;
  const char *p = m->buf + m->pos, *eol = strchr(p, '\n');
  if (!eol)
    eol = m->buf + m->len;
  m->pos = (size_t)(eol - m->buf) + 1;
  memset(out, 0, sizeof *out);
  out->start = hex(&p);
  if (*p++ != '-')
    return mt__maps_next(m, out);
  out->end = hex(&p);
  while (*p == ' ')
    p++;
  out->readable = p[0] == 'r';
  out->writable = p[1] == 'w';
  out->executable = p[2] == 'x';
  skip_field(&p); /* perms */
  skip_field(&p); /* offset */
  skip_field(&p); /* device */
  out->file = hex(&p) != 0; /* the inode is decimal, but only zero matters */
  while (*p == ' ')
    p++;
  out->path = p;
  out->path_len = (size_t)(eol - p);
  return 1;
}

void mt__maps_free(mt_maps *m) {
  if (m->buf)
    mt__os_free(m->buf, m->cap);
  memset(m, 0, sizeof *m);
}

/* "nr a1 a2 a3 a4 a5 a6 sp pc" for a thread blocked in a system call, "-1 sp pc" for one
 * blocked otherwise, "running" for one on a CPU (no stack pointer then). */
static int syscall_sp(uint32_t tid, uintptr_t *sp) {
  char path[64], text[256];
  mt_sbuf b;
  mt__sb_init(&b, path, sizeof path);
  mt__sb_str(&b, "/proc/self/task/");
  mt__sb_u64(&b, tid);
  mt__sb_str(&b, "/syscall");
  ssize_t n = mt__os_read_file(path, text, sizeof text);
  if (n <= 0 || text[0] == 'r')
    return 0;
  const char *fields[9];
  int nf = 0;
  for (const char *p = text; *p && *p != '\n' && nf < 9;) {
    while (*p == ' ')
      p++;
    if (!*p || *p == '\n')
      break;
    fields[nf++] = p;
    while (*p && *p != ' ' && *p != '\n')
      p++;
  }
  if (nf != 9 && nf != 3)
    return 0;
  const char *s = fields[nf - 2];
  if (s[0] != '0' || s[1] != 'x')
    return 0;
  s += 2;
  *sp = hex(&s);
  return 1;
}

size_t mt__task_stack_pointers(uint32_t self, uintptr_t *sp, size_t max, int *retries) {
  int fd = mt__os_open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  size_t n = 0;
  char buf[4096];
  for (;;) {
    long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (got <= 0)
      break;
    for (long off = 0; off < got;) {
      struct {
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[];
      } *d = (void *)(buf + off);
      off += d->reclen;
      uint32_t tid = 0;
      const char *q = d->name;
      for (; *q >= '0' && *q <= '9'; q++)
        tid = tid * 10 + (uint32_t)(*q - '0');
      if (*q || tid == 0 || tid == self || n == max)
        continue;
      /* A thread on a CPU gets a few chances to block (it may be on its way into the
       * kernel); the waits are bounded for the whole scan. */
      int found;
      while (!(found = syscall_sp(tid, &sp[n])) && *retries > 0) {
        (*retries)--;
        mt__os_sleep_ms(1);
      }
      n += (size_t)found;
    }
  }
  mt__os_close(fd);
  return n;
}
