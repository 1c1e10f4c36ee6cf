/* SPDX-License-Identifier: MIT */
/* Recorder options from MEMTRACE_* environment variables, read straight from `environ` with
 * our own getenv and number parser: this runs in the constructor, before malloc is safe to
 * record. Unusable values fall back to the default with one message. */
#include "internal.h"

#include <signal.h>
#include <string.h>

extern char **environ;

const char *mt__getenv(const char *name) {
  size_t n = strlen(name);
  for (char **e = environ; e && *e; e++)
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
      return *e + n + 1;
  return NULL;
}

/* Decimal number in [lo, hi]; def when unset, empty or invalid (with a message). */
static long env_number(const char *name, long lo, long hi, long def) {
  const char *s = mt__getenv(name);
  if (!s || !*s)
    return def;
  long v = 0;
  const char *p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    v = v * 10 + (*p - '0');
    if (v > hi)
      break;
  }
  if (*p || v < lo || v > hi) {
    mt__message("ignoring invalid ", name);
    return def;
  }
  return v;
}

static void copy_str(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap)
    n = cap - 1;
  if (n)
    memcpy(dst, src, n);
  dst[n] = '\0';
}

/* A decimal number ended by ':'; @return the text after the ':', or NULL. */
static const char *number_then_colon(const char *s, uint32_t *out) {
  uint32_t v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (uint32_t)(*s - '0');
  *out = v;
  return *s == ':' ? s + 1 : NULL;
}

/* MEMTRACE_PARENT="<pid>:<its parent's pid>:<trace path>", set by a traced process for its
 * children and for the program it execs. */
static void parse_parent(mt_options *o) {
  const char *s = mt__getenv("MEMTRACE_PARENT");
  uint32_t pid, ppid;
  if (!s || !(s = number_then_colon(s, &pid)) || !(s = number_then_colon(s, &ppid)) || !pid)
    return;
  o->parent_pid = pid;
  o->parent_ppid = ppid;
  copy_str(o->parent_trace, sizeof o->parent_trace, s);
}

void mt__options_read(mt_options *o) {
  memset(o, 0, sizeof *o);
  o->depth = (int)env_number("MEMTRACE_DEPTH", 1, MT_DEPTH_MAX, 64);
  o->rss_interval_ms = (int)env_number("MEMTRACE_RSS_INTERVAL", 0, 3600000, 50);
  o->follow = (int)env_number("MEMTRACE_FOLLOW", 0, 1, 1);
  o->start_paused = (int)env_number("MEMTRACE_START_PAUSED", 0, 1, 0);
  o->toggle_signal = (int)env_number("MEMTRACE_TOGGLE_SIGNAL", 1, SIGRTMAX, 0);
  o->toggle_installed = o->toggle_signal != 0 || o->start_paused;
  if (o->toggle_signal == SIGKILL || o->toggle_signal == SIGSTOP)
    o->toggle_signal = 0;
  if (!o->toggle_signal)
    o->toggle_signal = SIGUSR2;
  const char *out = mt__getenv("MEMTRACE_OUTPUT");
  copy_str(o->output, sizeof o->output, out && *out ? out : "memtrace.%n.%p.mt");
  copy_str(o->session, sizeof o->session, mt__getenv("MEMTRACE_SESSION"));
  const char *unwind = mt__getenv("MEMTRACE_UNWIND");
  o->leak_scan = (int)env_number("MEMTRACE_LEAK_SCAN", 0, 1, 1);
  const char *level = mt__getenv("MEMTRACE_ZSTD_LEVEL");
  o->zstd_level = level && !strcmp(level, "auto") ? 0 : (int)env_number("MEMTRACE_ZSTD_LEVEL", 1, 19, 0);
  o->unwind_libunwind = unwind && !strcmp(unwind, "libunwind");
  if (unwind && *unwind && !o->unwind_libunwind && strcmp(unwind, "fast"))
    mt__message("ignoring invalid ", "MEMTRACE_UNWIND");
  parse_parent(o);
}

void mt__options_describe(const mt_options *o, mt_sbuf *b) {
  mt__sb_str(b, "depth=");
  mt__sb_u64(b, (uint64_t)o->depth);
  mt__sb_str(b, o->unwind_libunwind ? " unwind=libunwind" : " unwind=fast");
  mt__sb_str(b, " rss_interval=");
  mt__sb_u64(b, (uint64_t)o->rss_interval_ms);
  mt__sb_str(b, " follow=");
  mt__sb_u64(b, (uint64_t)o->follow);
  mt__sb_str(b, " leak_scan=");
  mt__sb_u64(b, (uint64_t)o->leak_scan);
  mt__sb_str(b, " zstd_level=");
  if (o->zstd_level)
    mt__sb_u64(b, (uint64_t)o->zstd_level);
  else
    mt__sb_str(b, "auto");
  mt__sb_str(b, " start_paused=");
  mt__sb_u64(b, (uint64_t)o->start_paused);
  mt__sb_str(b, " toggle_signal=");
  mt__sb_u64(b, o->toggle_installed ? (uint64_t)o->toggle_signal : 0);
}
