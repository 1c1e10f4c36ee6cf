/* SPDX-License-Identifier: MIT */
/* Writes traces with exactly known content for the memtrace-tui tests. The stacks point into
 * this program's own functions and its MODULE record describes this executable, so the
 * analyzer symbolizes them to real names and file:line. `before` and `after` are two runs of
 * one imaginary program that differ in known ways, for the diff screen. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memtrace/trace_writer.h"

/* The functions the stacks name; distinct bodies so the compiler never folds them together. */
static volatile int sink;
__attribute__((noinline, used)) static void run_app(void) {
  sink = 1;
}
__attribute__((noinline, used)) static void parse_config(void) {
  sink = 2;
}
__attribute__((noinline, used)) static void load_table(void) {
  sink = 3;
}
__attribute__((noinline, used)) static void grow_table(void) {
  sink = 4;
}
__attribute__((noinline, used)) static void make_buffer(void) {
  sink = 5;
}
__attribute__((noinline, used)) static void log_message(void) {
  sink = 6;
}
/* named as the allocator annotation of memtrace.h: a wrapper the leak and peak lists look past */
__attribute__((noinline, used)) static void memtrace_alloc(void) {
  sink = 7;
}
/* matched by the analyzer's built-in suppression of libc's stdio buffer (*_IO_file_doallocate) */
__attribute__((noinline, used)) static void demo_IO_file_doallocate(void) {
  sink = 8;
}

enum { S_RUN = 1, S_PARSE, S_LOAD, S_GROW, S_BUFFER, S_LOG, S_OTHER_LOG, S_WRAPPED, S_STDIO };

/* log_message of other_unit.c: same name, other file */
uint64_t other_log_message(void);

static uint8_t buf[1 << 16];
static mt_writer *w;
static mt_chunk chunk;
static uint64_t seq;

static void put(const mt_record *r) {
  int err = mt_chunk_put(&chunk, r);
  if (err) {
    fprintf(stderr, "make_trace: %s: %s\n", mt_record_type_name(r->type), mt_strerror(err));
    exit(1);
  }
}

static uint64_t now(void) {
  return seq * 1000;
}

static void alloc(uint64_t stack, uint64_t addr, uint64_t size) {
  seq++;
  put(&(mt_record){.type = MT_REC_ALLOC,
                   .u.alloc = {.kind = MT_ALLOC_MALLOC,
                               .seq = seq,
                               .time_ns = now(),
                               .address = addr,
                               .size = size,
                               .stack = stack}});
}

static void release(uint64_t addr) {
  seq++;
  put(&(mt_record){
      .type = MT_REC_FREE,
      .u.free = {.kind = MT_ALLOC_MALLOC, .seq = seq, .time_ns = now(), .address = addr}});
}

static void marker(const char *label) {
  seq++;
  put(&(mt_record){.type = MT_REC_MARKER,
                   .u.marker = {.seq = seq, .time_ns = now(), .label = mt_str_from(label)}});
}

static void rss(uint64_t bytes) {
  seq++;
  put(&(mt_record){.type = MT_REC_RSS,
                   .u.rss = {.seq = seq, .time_ns = now(), .rss_bytes = bytes}});
}

static int find_self(struct dl_phdr_info *info, size_t size, void *ctx) {
  (void)size;
  mt_rec_module *m = ctx;
  if (info->dlpi_name && info->dlpi_name[0]) return 0; /* the main program has an empty name */
  m->base = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum && m->nsegments < MT_SEGMENTS_MAX; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    m->segments[m->nsegments++] = (mt_segment){ph->p_vaddr, ph->p_memsz, ph->p_offset, ph->p_flags};
  }
  return 1;
}

/* killed: the program's name is not ASCII ("démo"), for the LANG=C fallback */
static void header(const char *exe, int killed) {
  static const char demo[] =
      "demo\0--rows\0"
      "3\0";
  static const char accented[] =
      "d\xc3\xa9mo\0--rows\0"
      "3\0";
  const char *argv = killed ? accented : demo;
  size_t argv_len = killed ? sizeof accented - 1 : sizeof demo - 1;
  put(&(mt_record){.type = MT_REC_PROCESS,
                   .u.process = {.pid = 4242,
                                 .ppid = 1,
                                 .origin = MT_ORIGIN_LAUNCH,
                                 .start_wall_ns = 1795000000000000000ull,
                                 .start_mono_ns = 1000000,
                                 .page_size = 4096,
                                 .argc = 3,
                                 .argv = {argv, argv_len},
                                 .exe = mt_str_from("/usr/bin/demo"),
                                 .hostname = mt_str_from("testhost"),
                                 .version = mt_str_from("0.1.0"),
                                 .options = mt_str_from(""),
                                 .parent_trace = mt_str_from("")}});
  mt_record mod = {.type = MT_REC_MODULE};
  mod.u.module.id = 1;
  mod.u.module.seq = 0;
  mod.u.module.path = mt_str_from(exe);
  dl_iterate_phdr(find_self, &mod.u.module);
  put(&mod);
  put(&(mt_record){.type = MT_REC_THREAD,
                   .u.thread = {.tid = 100, .seq = 0, .name = mt_str_from("demo")}});
  /* the stack tree: run_app at the root; ips are return addresses, one past the call site */
  const struct {
    uint64_t id, parent;
    void (*fn)(void);
  } nodes[] = {
      {S_RUN, 0, run_app},          {S_PARSE, S_RUN, parse_config},  {S_LOAD, S_RUN, load_table},
      {S_GROW, S_LOAD, grow_table}, {S_BUFFER, S_LOAD, make_buffer}, {S_LOG, S_RUN, log_message}};
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
    put(&(mt_record){.type = MT_REC_STACK,
                     .u.stack = {.id = nodes[i].id,
                                 .parent = nodes[i].parent,
                                 .ip = (uint64_t)(uintptr_t)nodes[i].fn + 1}});
  put(&(mt_record){.type = MT_REC_STACK,
                   .u.stack = {.id = S_OTHER_LOG, .parent = S_RUN, .ip = other_log_message() + 1}});
  put(&(mt_record){.type = MT_REC_STACK,
                   .u.stack = {.id = S_WRAPPED,
                               .parent = S_LOAD,
                               .ip = (uint64_t)(uintptr_t)memtrace_alloc + 1}});
  put(&(mt_record){.type = MT_REC_STACK,
                   .u.stack = {.id = S_STDIO,
                               .parent = S_LOG,
                               .ip = (uint64_t)(uintptr_t)demo_IO_file_doallocate + 1}});
}

/* before: 10 allocations, 7,968 bytes, peak 7,612, 612 bytes leaked in 2 blocks, 4 temporary.
 * after: grow_table allocates 8,000 more, make_buffer frees its block, log_message makes 2
 * temporaries instead of 4. */
static void events(int after) {
  marker("start");
  alloc(S_PARSE, 0x1000, 100);
  alloc(S_PARSE, 0x1100, 100);
  release(0x1000);
  alloc(S_GROW, 0x2000, 1000);
  alloc(S_GROW, 0x3000, 2000);
  alloc(S_GROW, 0x5000, 4000);
  if (after) alloc(S_GROW, 0x9000, 8000);
  alloc(S_BUFFER, 0x8000, 512);
  rss(12 << 10);
  marker("loaded");
  release(0x2000);
  release(0x3000);
  if (after) release(0x9000);
  for (int i = 0; i < (after ? 2 : 4); i++) {
    alloc(S_LOG, 0xa000, 64);
    release(0xa000);
  }
  rss(10 << 10);
  release(0x5000);
  if (after) release(0x8000);
  marker("done");
}

/* twins: one allocation in each of the two log_message functions (64 and 128 bytes). */
static void events_twins(void) {
  alloc(S_LOG, 0xa000, 64);
  alloc(S_OTHER_LOG, 0xb000, 128);
  release(0xa000);
  release(0xb000);
}

/* wrapped: 300 bytes leaked through memtrace_alloc (called by load_table), 512 by make_buffer,
 * and a 64-byte stdio buffer that the built-in suppressions leave out of the leaks. */
static void events_wrapped(void) {
  alloc(S_WRAPPED, 0x7000, 300);
  alloc(S_BUFFER, 0x8000, 512);
  alloc(S_STDIO, 0x6000, 64);
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[2], "before") && strcmp(argv[2], "after") && strcmp(argv[2], "twins") &&
                    strcmp(argv[2], "wrapped") && strcmp(argv[2], "killed"))) {
    fprintf(stderr, "usage: make_trace OUT.mt before|after|twins|wrapped|killed\n");
    return 2;
  }
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return 1;
  exe[n] = 0;
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  if (mt_writer_create(&w, fd, sizeof buf, 1, NULL) || mt_writer_write_header(w)) return 1;
  mt_chunk_init(&chunk, buf, sizeof buf, 100);
  header(exe, !strcmp(argv[2], "killed"));
  int after = !strcmp(argv[2], "after"), twins = !strcmp(argv[2], "twins");
  int wrapped = !strcmp(argv[2], "wrapped");
  if (twins) events_twins();
  else if (wrapped) events_wrapped();
  else events(after);
  if (!strcmp(argv[2], "killed")) { /* before's events, and no END: as after SIGKILL */
    if (mt_writer_write_chunk(w, &chunk)) return 1;
    mt_writer_destroy(w);
    return close(fd) ? 1 : 0;
  }
  seq++;
  put(&(mt_record){.type = MT_REC_END,
                   .u.end = {.seq = seq,
                             .time_ns = now(),
                             .how = MT_END_EXIT,
                             .status = 0,
                             .allocations = wrapped ? 3 : twins ? 2 : after ? 9 : 10,
                             .frees = wrapped ? 0 : twins ? 2 : 8,
                             .bytes_allocated = wrapped ? 876 : twins ? 192 : after ? 15840 : 7968,
                             .peak_heap_bytes = wrapped ? 876 : twins ? 192 : after ? 15612 : 7612,
                             .live_bytes = wrapped ? 876 : twins ? 0 : after ? 100 : 612,
                             .live_blocks = wrapped ? 3 : twins ? 0 : after ? 1 : 2,
                             .peak_rss_bytes = 12 << 10}});
  if (mt_writer_write_chunk(w, &chunk)) return 1;
  mt_writer_destroy(w);
  return close(fd) ? 1 : 0;
}
