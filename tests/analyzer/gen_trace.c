/* SPDX-License-Identifier: MIT */
/* Writes test traces with exactly known content through the format library's writer, for the
 * analyzer tests: `gen_trace SCENARIO OUT.mt [ARGS]`. Call stacks use real return addresses
 * inside this program's site_* functions, with a MODULE record for this executable, so the
 * symbolizer can be checked against known function names. Expected figures are in the tests. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memtrace/trace_writer.h>

static mt_writer *writer;
static mt_chunk chunk;
static uint8_t chunk_buf[1 << 20];

static void die(const char *what, int rc) {
  fprintf(stderr, "gen_trace: %s: %s\n", what, mt_strerror(rc));
  exit(1);
}

static void flush(void) {
  int rc = mt_writer_write_chunk(writer, &chunk);
  if (rc) die("write", rc);
  mt_chunk_reset(&chunk, chunk.tid);
}

static void switch_thread(uint32_t tid) {
  flush();
  mt_chunk_reset(&chunk, tid);
}

static void put(const mt_record *r) {
  int rc = mt_chunk_put(&chunk, r);
  if (rc == MT_ENOSPC) {
    flush();
    rc = mt_chunk_put(&chunk, r);
  }
  if (rc) die("put", rc);
}

/* ---- call sites: each returns a return address inside itself ---- */

__attribute__((noinline)) static uint64_t caller_pc(void) {
  return (uint64_t)(uintptr_t)__builtin_return_address(0);
}
__attribute__((noinline)) uint64_t site_main(void) { return caller_pc() + 0 * __LINE__; }
__attribute__((noinline)) uint64_t site_alpha(void) { return caller_pc() + 0 * __LINE__; }
__attribute__((noinline)) uint64_t site_beta(void) { return caller_pc() + 0 * __LINE__; }
__attribute__((noinline)) uint64_t site_gamma(void) { return caller_pc() + 0 * __LINE__; }
__attribute__((noinline)) uint64_t site_parse_config(void) { return caller_pc() + 0 * __LINE__; }

/* ---- records ---- */

static uint64_t seq = 1, now = 1000;

static void process(uint32_t pid, const char *exe, const char *parent_trace, uint32_t origin) {
  mt_record r = {.type = MT_REC_PROCESS};
  static const char argv[] = "prog\0--test\0";
  r.u.process = (mt_rec_process){.pid = pid, .ppid = 1, .origin = origin, .start_wall_ns = 1700000000000000000ull,
                                 .start_mono_ns = 5, .page_size = 4096, .argc = 2,
                                 .argv = {argv, sizeof argv - 1}, .exe = mt_str_from(exe),
                                 .hostname = mt_str_from("testhost"), .version = mt_str_from("test"),
                                 .options = mt_str_from(""), .parent_trace = mt_str_from(parent_trace)};
  put(&r);
}

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  if (info->dlpi_name && info->dlpi_name[0]) return 0; /* the main program only */
  mt_rec_module *m = data;
  m->base = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *p = &info->dlpi_phdr[i];
    if (p->p_type == PT_LOAD && m->nsegments < MT_SEGMENTS_MAX) {
      m->segments[m->nsegments++] = (mt_segment){.vaddr = p->p_vaddr, .memsz = p->p_memsz,
                                                 .file_offset = p->p_offset, .flags = p->p_flags};
    } else if (p->p_type == PT_NOTE) {
      const char *n = (const char *)(info->dlpi_addr + p->p_vaddr), *end = n + p->p_memsz;
      while (n + sizeof(ElfW(Nhdr)) <= end) {
        const ElfW(Nhdr) *h = (const ElfW(Nhdr) *)n;
        const char *name = n + sizeof *h;
        const uint8_t *desc = (const uint8_t *)name + ((h->n_namesz + 3) & ~3u);
        if (h->n_type == NT_GNU_BUILD_ID && h->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
            h->n_descsz <= MT_BUILD_ID_MAX) {
          memcpy(m->build_id, desc, h->n_descsz);
          m->build_id_len = h->n_descsz;
        }
        n = (const char *)desc + ((h->n_descsz + 3) & ~3u);
      }
    }
  }
  return 1;
}

static char exe_path[4096];

static void module_self(void) {
  mt_record r = {.type = MT_REC_MODULE};
  ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
  exe_path[n > 0 ? n : 0] = 0;
  r.u.module.id = 1;
  r.u.module.seq = seq++;
  r.u.module.path = mt_str_from(exe_path);
  dl_iterate_phdr(phdr_cb, &r.u.module);
  put(&r);
}

static void stack(uint64_t id, uint64_t parent, uint64_t ip) {
  mt_record r = {.type = MT_REC_STACK, .u.stack = {.id = id, .parent = parent, .ip = ip}};
  put(&r);
}

static void alloc_k(uint32_t kind, uint64_t addr, uint64_t size, uint64_t st) {
  mt_record r = {.type = MT_REC_ALLOC};
  r.u.alloc = (mt_rec_alloc){.kind = kind, .seq = seq++, .time_ns = now += 1000, .address = addr, .size = size, .stack = st};
  put(&r);
}
static void alloc(uint64_t addr, uint64_t size, uint64_t st) { alloc_k(MT_ALLOC_MALLOC, addr, size, st); }

static void free_k(uint32_t kind, uint64_t addr, uint64_t size) {
  mt_record r = {.type = MT_REC_FREE};
  r.u.free = (mt_rec_free){.kind = kind, .seq = seq++, .time_ns = now += 1000, .address = addr, .size = size};
  put(&r);
}
static void release(uint64_t addr) { free_k(MT_ALLOC_MALLOC, addr, 0); }

static void re_alloc(uint64_t old, uint64_t new_, uint64_t size, uint64_t st) {
  mt_record r = {.type = MT_REC_REALLOC};
  r.u.realloc = (mt_rec_realloc){.kind = MT_ALLOC_REALLOC, .seq = seq++, .time_ns = now += 1000,
                                 .old_address = old, .new_address = new_, .size = size, .stack = st};
  put(&r);
}

static void marker(const char *label) {
  mt_record r = {.type = MT_REC_MARKER};
  r.u.marker = (mt_rec_marker){.seq = seq++, .time_ns = now += 1000, .label = mt_str_from(label)};
  put(&r);
}

static void rss(uint64_t bytes) {
  mt_record r = {.type = MT_REC_RSS};
  r.u.rss = (mt_rec_rss){.seq = seq++, .time_ns = now += 1000, .rss_bytes = bytes};
  put(&r);
}

static void thread(uint32_t tid, const char *name) {
  mt_record r = {.type = MT_REC_THREAD};
  r.u.thread = (mt_rec_thread){.tid = tid, .seq = seq++, .name = mt_str_from(name)};
  put(&r);
}

static void end(uint64_t peak_rss, uint64_t mmap_live) {
  mt_record r = {.type = MT_REC_END};
  r.u.end = (mt_rec_end){.seq = seq++, .time_ns = now += 1000, .how = MT_END_EXIT, .status = 3,
                         .peak_rss_bytes = peak_rss, .mmap_live_bytes = mmap_live};
  put(&r);
}

/* Stack ids used by the scenarios: 1 main; 2 main>alpha; 3 main>beta; 4 main>gamma;
 * 5 main>parse_config. */
static void stacks(void) {
  stack(1, 0, site_main());
  stack(2, 1, site_alpha());
  stack(3, 1, site_beta());
  stack(4, 1, site_gamma());
  stack(5, 1, site_parse_config());
}

/* basic_grown: basic with one more leak of 500 bytes from parse_config (check baselines). */
static int basic_grown;

/* basic: one thread; every figure is listed in tests/analyzer/expected/. */
static void scenario_basic(void) {
  process(100, "/usr/bin/basic", "", 0);
  module_self();
  thread(100, "main");
  stacks();
  rss(1 << 20);
  alloc(0x1000, 100, 2);   /* heap 100 */
  alloc(0x2000, 200, 3);   /* heap 300 */
  release(0x2000);         /* temporary (beta); heap 100 */
  alloc(0x3000, 300, 3);   /* heap 400 */
  alloc(0x4000, 400, 2);   /* heap 800 */
  release(0x3000);         /* not temporary; heap 500 */
  marker("phase2");
  flush(); /* several frames, so cutting the last one leaves a partial trace */
  re_alloc(0x4000, 0x5000, 1000, 4); /* frees 0x4000 (temporary, alpha); heap 1100 */
  alloc(0x6000, 50, 4);    /* heap 1150: the peak */
  release(0x1000);         /* heap 1050 */
  alloc_k(MT_ALLOC_MMAP, 0x100000, 8192, 1);
  free_k(MT_ALLOC_MMAP, 0x100000, 4096); /* 4096 mmap bytes stay mapped */
  alloc(0x7000, 10, 5);    /* leaked from parse_config */
  marker("phase3");
  alloc(0x8000, 5, 5);     /* leaked from parse_config */
  if (basic_grown) alloc(0x9000, 500, 5); /* heap 1565: the peak of basic_grown */
  rss(3 << 20);
  end(3 << 20, 4096);
  flush();
}

/* threads: two threads whose chunks interleave; a FREE by thread 2 sits in the file before the
 * ALLOC by thread 1 it frees. Single-threaded equivalent: allocations 4, frees 3, peak 700. */
static void scenario_threads(void) {
  process(200, "/usr/bin/threads", "", 0);
  module_self();
  stacks();
  /* thread 1: seq 2 alloc A(100), seq 3 alloc B(200) -- written in the first chunk */
  alloc(0xA000, 100, 2);
  alloc(0xB000, 200, 3);
  uint64_t s_c = seq++; /* thread 1 allocates C at seq 4, written in the last chunk */
  uint64_t s_free_c = seq++; /* thread 2 frees C at seq 5 */
  uint64_t s_d = seq++; /* thread 1 allocates D(400) at seq 6 */
  flush();
  switch_thread(201);
  uint64_t keep = seq;
  seq = s_free_c;
  release(0xC000);
  seq = keep;
  switch_thread(200);
  seq = s_c;
  alloc(0xC000, 300, 4); /* heap 600 */
  seq = s_d;
  alloc(0xD000, 400, 4); /* heap 100+200+400 = 700: the peak */
  release(0xA000);
  end(0, 0);
  flush();
}

/* kinds: leaks of each kind from the exit-time scan, with its SCAN and REACH records:
 * definite 150 bytes in 2 blocks (alpha 100, parse_config 50), indirect 200 (beta),
 * possible 300 (gamma), reachable 400 (parse_config). */
static void scenario_kinds(void) {
  static const struct {
    uint64_t addr, size, stack;
    uint32_t kind;
  } blocks[] = {{0x1000, 100, 2, MT_REACH_DEFINITE}, {0x2000, 200, 3, MT_REACH_INDIRECT},
                {0x3000, 300, 4, MT_REACH_POSSIBLE}, {0x4000, 400, 5, MT_REACH_REACHABLE},
                {0x5000, 50, 5, MT_REACH_DEFINITE}};
  process(300, "/usr/bin/kinds", "", 0);
  module_self();
  stacks();
  mt_rec_scan sc = {0};
  for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++) {
    alloc(blocks[i].addr, blocks[i].size, blocks[i].stack);
    sc.kind_bytes[blocks[i].kind] += blocks[i].size;
    sc.kind_blocks[blocks[i].kind]++;
  }
  sc.seq = seq++;
  sc.time_ns = now += 1000;
  sc.blocks = 5;
  mt_record r = {.type = MT_REC_SCAN, .u.scan = sc};
  put(&r);
  for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++) {
    mt_record k = {.type = MT_REC_REACH, .u.reach = {.address = blocks[i].addr, .kind = blocks[i].kind}};
    put(&k);
  }
  end(0, 0);
  flush();
}

/* forker: a parent that forks pid 101 (whose trace `child` writes). */
static void scenario_forker(void) {
  process(100, "/usr/bin/forker", "", 0);
  module_self();
  stacks();
  alloc(0x1000, 10, 2);
  mt_record r = {.type = MT_REC_FORK};
  r.u.fork = (mt_rec_fork){.seq = seq++, .time_ns = now += 1000, .child_pid = 101};
  put(&r);
  end(0, 0);
  flush();
}

/* child: a fork child whose parent trace is argv[3]. */
static void scenario_child(const char *parent) {
  process(101, "/usr/bin/basic", parent, 1);
  module_self();
  stacks();
  alloc(0x9000, 77, 2);
  end(0, 0);
  flush();
}

/* noend: like the start of basic but the process was killed: no END record. */
static void scenario_noend(void) {
  process(102, "/usr/bin/killed", "", 0);
  module_self();
  stacks();
  alloc(0x1000, 100, 2);
  flush();
  alloc(0x2000, 200, 3);
  flush();
}

/* pool: custom blocks annotated inside a heap block share its address; nothing leaks. */
static void scenario_pool(void) {
  process(103, "/usr/bin/pool", "", 0);
  module_self();
  stacks();
  alloc(0x1000, 4096, 2);
  alloc_k(MT_ALLOC_CUSTOM, 0x1000, 64, 3);
  alloc_k(MT_ALLOC_CUSTOM, 0x1040, 64, 3);
  free_k(MT_ALLOC_CUSTOM, 0x1000, 0);
  release(0x1000);
  end(0, 0);
  flush();
}

/* maps: munmaps that cut mappings in the middle, at the end and across two adjacent ones
 * (A: 8 pages from stack 2 at 0x100000, B: 4 pages from stack 3 right after it), and one
 * of nothing. What stays mapped: A's pages 0-1 and 4, B's last 3 pages (24576 bytes). */
static void scenario_maps(void) {
  const uint64_t pg = 4096, a = 0x100000, b = a + 8 * pg;
  process(104, "/usr/bin/maps", "", 0);
  module_self();
  stacks();
  alloc_k(MT_ALLOC_MMAP, a, 8 * pg, 2);
  free_k(MT_ALLOC_MMAP, a + 2 * pg, 2 * pg); /* middle: pages 0-1 and 4-7 stay */
  free_k(MT_ALLOC_MMAP, a + 6 * pg, 2 * pg); /* end: pages 4-5 stay */
  alloc_k(MT_ALLOC_MMAP, b, 4 * pg, 3);
  free_k(MT_ALLOC_MMAP, a + 5 * pg, 4 * pg); /* page 5 of A, a hole, page 0 of B */
  free_k(MT_ALLOC_MMAP, 0x900000, pg);       /* nothing mapped there */
  end(0, 6 * pg);
  flush();
}

/* labels: a marker whose label holds a newline and a terminal escape sequence. */
static void scenario_labels(void) {
  process(105, "/usr/bin/labels", "", 0);
  module_self();
  stacks();
  marker("two\nlines\033[31m");
  alloc(0x1000, 10, 2);
  end(0, 0);
  flush();
}

/* storm N: N events over a few stacks, half allocations, half frees, for benchmarks. */
static void scenario_storm(unsigned long long n) {
  process(300, "/usr/bin/storm", "", 0);
  module_self();
  stacks();
  for (unsigned long long i = 0; i < n / 2; i++) {
    uint64_t addr = 0x10000000 + (i % 4096) * 64;
    alloc(addr, 16 + i % 64, 2 + i % 4);
    release(addr);
  }
  end(0, 0);
  flush();
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: gen_trace basic|threads|forker|child PARENT|noend|pool|maps|storm N OUT.mt\n");
    return 2;
  }
  const char *out = argv[argc - 1];
  int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(out);
    return 1;
  }
  int rc = mt_writer_create(&writer, fd, sizeof chunk_buf, 1, NULL);
  if (rc) die("writer", rc);
  if ((rc = mt_writer_write_header(writer))) die("header", rc);
  mt_chunk_init(&chunk, chunk_buf, sizeof chunk_buf, (uint32_t)(strcmp(argv[1], "threads") == 0 ? 200 : 100));
  if (strcmp(argv[1], "basic") == 0) scenario_basic();
  else if (strcmp(argv[1], "basic_grown") == 0) basic_grown = 1, scenario_basic();
  else if (strcmp(argv[1], "kinds") == 0) scenario_kinds();
  else if (strcmp(argv[1], "threads") == 0) scenario_threads();
  else if (strcmp(argv[1], "child") == 0 && argc == 4) scenario_child(argv[2]);
  else if (strcmp(argv[1], "noend") == 0) scenario_noend();
  else if (strcmp(argv[1], "pool") == 0) scenario_pool();
  else if (strcmp(argv[1], "maps") == 0) scenario_maps();
  else if (strcmp(argv[1], "forker") == 0) scenario_forker();
  else if (strcmp(argv[1], "labels") == 0) scenario_labels();
  else if (strcmp(argv[1], "storm") == 0 && argc == 4) scenario_storm(strtoull(argv[2], NULL, 10));
  else {
    fprintf(stderr, "gen_trace: unknown scenario %s\n", argv[1]);
    return 2;
  }
  mt_writer_destroy(writer);
  return close(fd) == 0 ? 0 : 1;
}
