/* SPDX-License-Identifier: MIT */
/* The trace file of this process: its name (MEMTRACE_OUTPUT with %p and %n, never
 * overwriting: an existing name gets .1, .2, ...), a descriptor moved out of the program's
 * way (>= 1000, close-on-exec), the header and a first frame with the PROCESS record; the
 * session file lines; and the END totals. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define ARGV_MAX (32u * 1024u)

/* mt_writer memory straight from mmap, so the writer never touches the program's heap. */
static void *os_alloc(void *opaque, size_t size) {
  (void)opaque;
  size_t *p = mt__os_alloc(size + 16);
  if (!p)
    return NULL;
  p[0] = size + 16;
  return p + 2;
}

static void os_free(void *opaque, void *ptr) {
  (void)opaque;
  if (!ptr)
    return;
  size_t *p = (size_t *)ptr - 2;
  mt__os_free(p, p[0]);
}

static const mt_allocator os_allocator = {os_alloc, os_free, NULL};

static char cmdline[ARGV_MAX];
static size_t cmdline_len;
static uint32_t cmdline_argc;

static void read_cmdline(void) {
  ssize_t n = mt__os_read_file("/proc/self/cmdline", cmdline, sizeof cmdline);
  cmdline_len = n > 0 ? (size_t)n : 0;
  while (cmdline_len > 0 && cmdline[cmdline_len - 1] != '\0') /* cut a truncated argument */
    cmdline_len--;
  cmdline_argc = 0;
  for (size_t i = 0; i < cmdline_len; i++)
    cmdline_argc += cmdline[i] == '\0';
}

static const char *program_name(void) {
  const char *name = cmdline_len ? cmdline : mt__g.exe_path;
  const char *slash = strrchr(name, '/');
  return slash ? slash + 1 : name;
}

/* Expand %p, %n and %% of the pattern into an absolute path. */
static void expand_output(char *out, size_t cap) {
  mt_sbuf b;
  mt__sb_init(&b, out, cap);
  const char *pat = mt__g.opt.output;
  if (pat[0] != '/') {
    char cwd[MT_PATH_MAX];
    if (syscall(SYS_getcwd, cwd, sizeof cwd) > 0) {
      mt__sb_str(&b, cwd);
      if (b.len && out[b.len - 1] != '/')
        mt__sb_str(&b, "/");
    }
  }
  for (const char *p = pat; *p; p++) {
    if (p[0] == '%' && p[1] == 'p') {
      mt__sb_u64(&b, mt__g.pid);
      p++;
    } else if (p[0] == '%' && p[1] == 'n') {
      mt__sb_str(&b, program_name());
      p++;
    } else if (p[0] == '%' && p[1] == '%') {
      mt__sb_str(&b, "%");
      p++;
    } else {
      mt__sb_mem(&b, p, 1);
    }
  }
}

/* Create the file without overwriting anything: name, name.1, name.2, ... */
static int create_unique(const char *base, char *path, size_t cap) {
  for (unsigned i = 0; i < 1000; i++) {
    mt_sbuf b;
    mt__sb_init(&b, path, cap);
    mt__sb_str(&b, base);
    if (i) {
      mt__sb_str(&b, ".");
      mt__sb_u64(&b, i);
    }
    int fd = mt__os_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd != -EEXIST)
      return fd;
  }
  return -EEXIST;
}

static void put_process(mt_chunk *c, int origin, uint32_t ppid, const char *parent_trace) {
  static char hostname[256], options[512];
  struct utsname u;
  if (uname(&u) == 0) {
    size_t n = strnlen(u.nodename, sizeof u.nodename);
    memcpy(hostname, u.nodename, n < sizeof hostname ? n : sizeof hostname - 1);
  }
  mt_sbuf ob;
  mt__sb_init(&ob, options, sizeof options);
  mt__options_describe(&mt__g.opt, &ob);
  mt_record r = {.type = MT_REC_PROCESS};
  mt_rec_process *p = &r.u.process;
  p->pid = mt__g.pid;
  p->ppid = ppid;
  p->origin = (uint32_t)origin;
  p->start_wall_ns = mt__g.start_wall_ns;
  p->start_mono_ns = mt__g.start_mono_ns;
  p->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
  p->argc = cmdline_argc;
  p->argv = (mt_str){cmdline, cmdline_len};
  p->exe = mt_str_from(mt__g.exe_path);
  p->hostname = mt_str_from(hostname);
  p->version = mt_str_from(MT_VERSION);
  p->options = mt_str_from(options);
  p->parent_trace = mt_str_from(parent_trace);
  mt_chunk_put(c, &r);
}

int mt__trace_open(int origin, uint32_t ppid, const char *parent_trace) {
  char base[MT_PATH_MAX];
  read_cmdline();
  expand_output(base, sizeof base);
  int fd = create_unique(base, mt__g.trace_path, sizeof mt__g.trace_path);
  if (fd < 0) {
    mt__message("cannot create the trace file ", mt__g.trace_path);
    return -1;
  }
  int high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, MT_TRACE_FD_MIN);
  if (high >= 0) {
    mt__os_close(fd);
    fd = high;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 ||
      mt_writer_create(&mt__g.writer, fd, MT_BUF_DATA_CAP, 1, &os_allocator) != 0) {
    mt__os_close(fd);
    mt__message("cannot set up the trace writer for ", mt__g.trace_path);
    return -1;
  }
  mt__zlevel_setup();
  mt__g.fd = fd;
  mt__g.fd_dev = st.st_dev;
  mt__g.fd_ino = st.st_ino;
  if (mt_writer_write_header(mt__g.writer) != 0) {
    mt__trace_close();
    mt__message("cannot write the trace file ", mt__g.trace_path);
    return -1;
  }
  mt_buf *b = mt__buf_get();
  if (!b) {
    mt__trace_close();
    return -1;
  }
  mt_chunk c;
  mt_chunk_init(&c, b->data, MT_BUF_DATA_CAP, mt__tid());
  put_process(&c, origin, ppid, parent_trace);
  int rc = mt_writer_write_chunk(mt__g.writer, &c);
  mt__buf_put(b);
  if (rc != 0) {
    mt__trace_close();
    mt__message("cannot write the trace file ", mt__g.trace_path);
    return -1;
  }
  return 0;
}

void mt__trace_close(void) {
  if (mt__g.writer)
    mt_writer_destroy(mt__g.writer);
  mt__g.writer = NULL;
  if (mt__g.fd >= 0)
    mt__os_close(mt__g.fd);
  mt__g.fd = -1;
}

/* Session file ----------------------------------------------------------------------------- */

static void session_write(const char *line, size_t len) {
  if (!mt__g.opt.session[0])
    return;
  int fd = mt__os_open(mt__g.opt.session, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  mt__os_write_all(fd, line, len);
  mt__os_close(fd);
}

void mt__session_start(void) {
  static char line[MT_PATH_MAX + 64];
  mt_sbuf b;
  mt__sb_init(&b, line, sizeof line - 1);
  mt__sb_str(&b, "start ");
  mt__sb_u64(&b, mt__g.pid);
  mt__sb_str(&b, " ");
  mt__sb_u64(&b, mt__g.ppid); /* not getppid(): a forked child's parent may be gone by now */
  mt__sb_str(&b, " ");
  mt__sb_str(&b, mt__g.trace_path);
  line[b.len++] = '\n';
  session_write(line, b.len);
}

void mt__session_end(int how, int status, const mt_rec_end *e) {
  static char line[MT_PATH_MAX + 512];
  const uint64_t v[] = {e->allocations, e->frees, e->bytes_allocated, e->peak_heap_bytes,
                        e->live_bytes, e->live_blocks, e->peak_rss_bytes, e->mmap_live_bytes,
                        e->shim_bytes};
  mt_sbuf b;
  mt__sb_init(&b, line, sizeof line - 1);
  mt__sb_str(&b, "end ");
  mt__sb_u64(&b, mt__g.pid);
  mt__sb_str(&b, " ");
  mt__sb_str(&b, mt__g.trace_path);
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    mt__sb_str(&b, " ");
    mt__sb_u64(&b, v[i]);
  }
  mt__sb_str(&b, " ");
  mt__sb_i64(&b, how);
  mt__sb_str(&b, " ");
  mt__sb_i64(&b, status);
  line[b.len++] = '\n';
  session_write(line, b.len);
}

/* END totals --------------------------------------------------------------------------------- */

static uint64_t peak_rss(void) {
  static char status[8192];
  if (mt__os_read_file("/proc/self/status", status, sizeof status) <= 0)
    return 0;
  const char *p = strstr(status, "VmHWM:");
  if (!p)
    return 0;
  p += 6;
  while (*p == ' ' || *p == '\t')
    p++;
  uint64_t kb = 0;
  for (; *p >= '0' && *p <= '9'; p++)
    kb = kb * 10 + (uint64_t)(*p - '0');
  return kb * 1024;
}

void mt__end_totals(mt_rec_end *e) {
  int64_t blocks = 0;
  for (mt_tbuf *tb = mt__tbuf_first(); tb; tb = tb->next_all) {
    e->allocations += tb->allocations;
    e->frees += tb->frees;
    e->bytes_allocated += tb->bytes_allocated;
    blocks += tb->live_blocks;
  }
  int64_t live = __atomic_load_n(&mt__g.ctr.live, __ATOMIC_RELAXED);
  e->live_bytes = live > 0 ? (uint64_t)live : 0;
  e->live_blocks = blocks > 0 ? (uint64_t)blocks : 0;
  e->peak_heap_bytes = __atomic_load_n(&mt__g.peak_bytes, __ATOMIC_RELAXED);
  e->peak_heap_seq = mt__g.peak_seq;
  e->peak_rss_bytes = peak_rss();
  e->mmap_live_bytes = mt__region_live_bytes();
  /* resident, not mapped: stacks and tables reserve more than they touch */
  if (mt__shim_map_resident(&e->shim_bytes) != 0)
    e->shim_bytes = atomic_load(&mt__g.shim_bytes);
}
