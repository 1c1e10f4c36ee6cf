/* SPDX-License-Identifier: MIT */
/* The zstd level of each frame. Level 1 keeps the writer ahead of the busiest programs. On
 * very repetitive data a stronger level (9) is cheap per byte and shrinks the trace by a
 * quarter or more (sqlite3: 0.25 -> 0.17 bytes per event), so the writer thread takes it when
 * that time costs the program nothing: the last sizeable frame shrank 8x or more (less
 * repetitive data gains less for more time: clang++ 14% for 5x the CPU), no other buffer
 * waits in the queue, and half a core or more was idle on the machine (or busy with the
 * writer itself) over the last tenth of a second. Frames written from the program's threads
 * (queue overflow, exit) stay at level 1. MEMTRACE_ZSTD_LEVEL fixes one level for every
 * frame. All calls hold mt__io_lock. */
#include "internal.h"

#include <sched.h>
#include <time.h>
#include <unistd.h>

#define LEVEL_FAST 1
#define LEVEL_STRONG 9
#define MIN_RATIO 8 /* raw bytes per compressed byte: data repetitive enough to gain a quarter */
#define MIN_JUDGED_BYTES (64u << 10) /* smaller frames (periodic flushes) compress worse */
#define CPU_WINDOW_NS 100000000ull /* re-measure idle time at most this often */

static int fixed_level;   /* MEMTRACE_ZSTD_LEVEL, 0 for the automatic choice */
static int reserved_level; /* the writer holds the memory of the levels up to this one; 0: it
                           * allocates as it goes (the first reservation failed) */
static int current_level; /* what the writer is set to, 0 before the first frame */
static int cpus;
static int compressible;  /* the last frame of MIN_JUDGED_BYTES or more shrank MIN_RATIO times */
static int core_spare;
static uint64_t last_wall, last_idle, last_writer;
static long ticks_per_s;

/* Idle CPU time of the whole machine in ns (idle + iowait of /proc/stat's first line), or 0
 * when it cannot be read. */
static uint64_t machine_idle_ns(void) {
  char buf[256];
  if (mt__os_read_file("/proc/stat", buf, sizeof buf) <= 0)
    return 0;
  const char *p = buf;
  uint64_t field[5] = {0};
  for (int i = 0; i < 5; i++) { /* user nice system idle iowait */
    while (*p && (*p < '0' || *p > '9'))
      p++;
    for (; *p >= '0' && *p <= '9'; p++)
      field[i] = field[i] * 10 + (uint64_t)(*p - '0');
  }
  return (field[3] + field[4]) * (1000000000ull / (uint64_t)ticks_per_s);
}

void mt__zlevel_setup(void) {
  fixed_level = mt__g.opt.zstd_level;
  current_level = 0;
  compressible = 1; /* one strong frame finds out */
  cpu_set_t set;
  cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  ticks_per_s = sysconf(_SC_CLK_TCK);
  if (ticks_per_s <= 0)
    ticks_per_s = 100;
  /* The first window starts now; the writer thread starts later, so its CPU time counts from
   * 0. Until the window ends, a machine with two cores or more is taken to have one spare;
   * without /proc/stat, never. */
  last_wall = mt__os_now_ns(CLOCK_MONOTONIC);
  last_idle = machine_idle_ns();
  last_writer = 0;
  core_spare = cpus > 1 && last_idle != 0;
  /* the compression memory of the first level now, while the program has memory to spare */
  int first = fixed_level ? fixed_level : LEVEL_FAST;
  reserved_level = mt__g.writer && mt_writer_reserve(mt__g.writer, first) == 0 ? first : 0;
}

/* Was at least half a core free for the writer over the last window: idle on the machine, or
 * already the writer's own? Measured over CPU_WINDOW_NS (the kernel counts idle time in
 * clock ticks), so a burst decides nothing on its own. Writer thread only. */
static int spare_core(void) {
  uint64_t wall = mt__os_now_ns(CLOCK_MONOTONIC);
  if (wall - last_wall < CPU_WINDOW_NS)
    return core_spare;
  uint64_t idle = machine_idle_ns(), writer = mt__os_now_ns(CLOCK_THREAD_CPUTIME_ID);
  if (idle == 0 || last_idle == 0) {
    core_spare = 0;
  } else { /* the kernel's idle count can step back a little */
    uint64_t free_ns = (idle > last_idle ? idle - last_idle : 0) + (writer - last_writer);
    core_spare = 2 * free_ns >= wall - last_wall;
  }
  last_wall = wall;
  last_idle = idle;
  last_writer = writer;
  return core_spare;
}

void mt__zlevel_pick(int background, int queued) {
  int level = fixed_level;
  if (!level)
    level = background && queued == 0 && compressible && cpus > 1 && spare_core() ? LEVEL_STRONG
                                                                                 : LEVEL_FAST;
  /* The writer takes the memory of a stronger level once, the first time it needs it, and
   * keeps it: switching levels must not map and unmap a workspace each frame, which fails
   * when the program is short of memory (RLIMIT_AS) and would end the trace. Without that
   * memory it stays at the levels it has. Small programs never leave level 1. */
  if (reserved_level && level > reserved_level && mt__g.writer) {
    if (mt_writer_reserve(mt__g.writer, level) == 0)
      reserved_level = level;
    else
      level = reserved_level;
  }
  if (level != current_level && mt__g.writer && mt_writer_set_level(mt__g.writer, level) == 0)
    current_level = level;
}

void mt__zlevel_observe(size_t raw_bytes, uint64_t frame_bytes) {
  if (frame_bytes > 0 && raw_bytes >= MIN_JUDGED_BYTES)
    compressible = raw_bytes >= frame_bytes * MIN_RATIO;
}
