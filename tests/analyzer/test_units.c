/* SPDX-License-Identifier: MIT */
/* Unit tests of the analyzer's internal pieces, one per ctest case: `test_units NAME`.
 * Each asserts exact values and exits non-zero with a message on the first mismatch. */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accum.h"
#include "db.h"
#include "inflate.h"
#include "reorder.h"
#include "rowqueue.h"
#include "scopes.h"
#include "stackpack.h"
#include "stackrun.h"
#include "symbols.h"
#include "u64map.h"
#include "../lib/unit_test.h"

/* Random inserts and deletes against a plain array, including the reserved key. */
static void u64map_matches_reference(void) {
  enum { N = 20000, KEYS = 5000 };
  static uint64_t ref[KEYS];
  static int present[KEYS];
  mt__u64map m;
  mt__u64map_init(&m);
  uint64_t s = 88172645463325252ull;
  for (int i = 0; i < N; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    int k = (int)(s % KEYS);
    uint64_t key = k == 0 ? UINT64_MAX : (uint64_t)k * 0x1000;
    if (s & 0x100000) {
      CHECK(mt__u64map_put(&m, key, s) == 0);
      ref[k] = s;
      present[k] = 1;
    } else {
      uint64_t v;
      CHECK(mt__u64map_del(&m, key, &v) == present[k]);
      if (present[k]) CHECK(v == ref[k]);
      present[k] = 0;
    }
  }
  size_t count = 0;
  for (int k = 0; k < KEYS; k++) {
    uint64_t *v = mt__u64map_get(&m, k == 0 ? UINT64_MAX : (uint64_t)k * 0x1000);
    CHECK((v != NULL) == present[k]);
    if (v) CHECK(*v == ref[k]);
    count += (size_t)present[k];
  }
  CHECK(m.count == count);
  size_t pos = 0, seen = 0;
  uint64_t key, val;
  while (mt__u64map_next(&m, &pos, &key, &val)) seen++;
  CHECK(seen == count);
  mt__u64map_free(&m);
}

static mt__event ev(int type, uint64_t seq, uint64_t addr, uint64_t size, uint64_t stack) {
  return (mt__event){.seq = seq, .time = seq * 10, .addr = addr, .size = size, .stack = stack,
                     .tid = 1, .type = (uint8_t)type, .kind = 0};
}

static uint64_t delivered[64];
static size_t ndelivered;

static int collect(void *ctx, const mt__event *e) {
  (void)ctx;
  delivered[ndelivered++] = e->seq;
  return 0;
}

typedef struct {
  uint32_t tid;
  uint64_t seq;
} tid_seq;

/* Pushes n events in the given order: they must come out as 1..n with none late. */
static void expect_sequence_order(const tid_seq *in, size_t n) {
  mt__reorder r;
  mt__reorder_init(&r, collect, NULL);
  ndelivered = 0;
  for (size_t i = 0; i < n; i++) {
    mt__event e = {.seq = in[i].seq, .tid = in[i].tid, .type = MT__EV_TICK};
    CHECK(mt__reorder_push(&r, &e) == 0);
  }
  CHECK(mt__reorder_drain(&r) == 0);
  CHECK(ndelivered == n);
  for (size_t i = 0; i < ndelivered; i++) CHECK(delivered[i] == i + 1);
  CHECK(r.late == 0);
  mt__reorder_free(&r);
}

/* Three threads' events arrive interleaved by chunk; they come out in sequence order. */
static void reorder_merges_threads(void) {
  static const tid_seq in[] = {{2, 3}, {2, 5}, {2, 9}, {1, 1}, {1, 2},
                               {1, 4}, {3, 6}, {3, 7}, {1, 8}, {1, 10}};
  expect_sequence_order(in, sizeof in / sizeof *in);
}

/* Two chunks of one thread written out of order still merge into sequence order. */
static void reorder_thread_chunks_out_of_order(void) {
  static const tid_seq in[] = {{1, 1}, {1, 5}, {1, 6}, {2, 4}, {1, 2}, {1, 3}, {2, 7}};
  expect_sequence_order(in, sizeof in / sizeof *in);
}

/* An address reused by another thread, whose events are delivered first: the older
 * incarnation (allocated and freed before) must not disturb the live one. */
static void accum_address_reuse_across_late_thread(void) {
  mt__accum a;
  mt__accum_init(&a, 0, UINT64_MAX);
  mt__event es[] = {ev(MT__EV_ALLOC, 101, 0x100, 10, 1), /* thread 2, delivered first */
                    ev(MT__EV_ALLOC, 50, 0x100, 20, 2),  /* thread 1, late */
                    ev(MT__EV_FREE, 100, 0x100, 0, 0)};  /* thread 1, late */
  for (size_t i = 0; i < sizeof es / sizeof *es; i++) CHECK(mt__accum_event(&a, &es[i]) == 0);
  mt__accum_finish(&a);
  CHECK(a.t.allocations == 2 && a.t.frees == 1 && a.t.unmatched_frees == 0);
  CHECK(a.t.heap_live == 10 && a.t.heap_blocks == 1);
  size_t pos = 0, n = 0;
  const mt__block *b;
  while (mt__accum_next_block(&a, &pos, &b)) n++;
  CHECK(n == 1);
  mt__accum_free(&a);
}

/* A gap (a sequence number never seen) only delays events until the drain. */
static void reorder_skips_gaps_at_drain(void) {
  mt__reorder r;
  mt__reorder_init(&r, collect, NULL);
  ndelivered = 0;
  uint64_t seqs[] = {1, 3, 4, 6};
  for (int i = 0; i < 4; i++) {
    mt__event e = {.seq = seqs[i], .tid = 7, .type = MT__EV_TICK};
    CHECK(mt__reorder_push(&r, &e) == 0);
  }
  CHECK(ndelivered == 1);
  CHECK(mt__reorder_drain(&r) == 0);
  CHECK(ndelivered == 4 && delivered[3] == 6);
  mt__reorder_free(&r);
}


/* A free delivered before its allocation (beyond any window) still pairs with it. */
static void accum_pairs_late_allocation(void) {
  mt__accum a;
  mt__accum_init(&a, 0, UINT64_MAX);
  mt__event e1 = ev(MT__EV_FREE, 5, 0x100, 0, 0);
  mt__event e2 = ev(MT__EV_ALLOC, 4, 0x100, 64, 1);
  mt__event e3 = ev(MT__EV_ALLOC, 6, 0x200, 32, 1);
  CHECK(mt__accum_event(&a, &e1) == 0);
  CHECK(a.t.unmatched_frees == 1);
  CHECK(mt__accum_event(&a, &e2) == 0);
  CHECK(mt__accum_event(&a, &e3) == 0);
  mt__accum_finish(&a);
  CHECK(a.t.unmatched_frees == 0 && a.t.late_pairs == 1);
  CHECK(a.t.allocations == 2 && a.t.frees == 1 && a.t.bytes_allocated == 96);
  CHECK(a.t.heap_live == 32 && a.t.heap_blocks == 1);
  CHECK(a.nsites == 1 && a.sites[0].allocations == 2 && a.sites[0].leaked_bytes == 32);
  mt__accum_free(&a);
}

/* Stack ids index an array, or a map when they are far larger than the sites seen: an id
 * first kept in the map keeps its site once the array has grown past it. */
static void accum_sites_of_dense_and_sparse_stack_ids(void) {
  mt__accum a;
  mt__accum_init(&a, 0, UINT64_MAX);
  uint64_t seq = 1;
  mt__event far = ev(MT__EV_ALLOC, seq++, 0x10, 8, 100000);
  mt__event huge = ev(MT__EV_ALLOC, seq++, 0x20, 8, UINT64_C(1) << 63);
  CHECK(mt__accum_event(&a, &far) == 0 && mt__accum_event(&a, &huge) == 0);
  for (uint64_t stack = 1; stack <= 3000; stack++) {
    mt__event e = ev(MT__EV_ALLOC, seq, 0x1000 + 16 * seq, 1, stack);
    seq++;
    CHECK(mt__accum_event(&a, &e) == 0);
  }
  mt__event again = ev(MT__EV_ALLOC, seq++, 0x30, 8, 100000);
  mt__event huge_again = ev(MT__EV_ALLOC, seq++, 0x40, 8, UINT64_C(1) << 63);
  CHECK(mt__accum_event(&a, &again) == 0 && mt__accum_event(&a, &huge_again) == 0);
  mt__accum_finish(&a);
  CHECK(a.nsites == 3002);
  CHECK(a.sites[0].stack == 100000 && a.sites[0].allocations == 2 && a.sites[0].bytes == 16);
  CHECK(a.sites[1].stack == UINT64_C(1) << 63 && a.sites[1].allocations == 2);
  CHECK(a.sites[2].stack == 1 && a.sites[3001].stack == 3000 && a.sites[3001].allocations == 1);
  mt__accum_free(&a);
}

/* Peak attribution: the lazy snapshot gives each stack its bytes at the last new peak. */
static void accum_peak_snapshot(void) {
  mt__accum a;
  mt__accum_init(&a, 0, UINT64_MAX);
  mt__event es[] = {ev(MT__EV_ALLOC, 1, 0x10, 100, 1), ev(MT__EV_ALLOC, 2, 0x20, 50, 2),
                    ev(MT__EV_FREE, 3, 0x10, 0, 0),    ev(MT__EV_ALLOC, 4, 0x30, 60, 2),
                    ev(MT__EV_ALLOC, 5, 0x40, 70, 1),  ev(MT__EV_FREE, 6, 0x40, 0, 0)};
  for (size_t i = 0; i < sizeof es / sizeof *es; i++) CHECK(mt__accum_event(&a, &es[i]) == 0);
  mt__accum_finish(&a);
  /* heap: 100, 150 (peak), 50, 110, 180 (peak at seq 5: stack 1 70, stack 2 110), 110 */
  CHECK(a.t.peak_heap == 180 && a.t.peak_seq == 5);
  uint64_t b, n;
  mt__accum_site_peak(&a, &a.sites[0], &b, &n);
  CHECK(a.sites[0].stack == 1 && b == 70 && n == 1);
  mt__accum_site_peak(&a, &a.sites[1], &b, &n);
  CHECK(a.sites[1].stack == 2 && b == 110 && n == 2);
  CHECK(a.t.temporary == 1); /* 0x40 freed right after its allocation */
  mt__accum_free(&a);
}

/* Temporaries are counted per thread, through a cache of 8 threads' latest allocations in
 * front of a map: threads 1 and 9 share a cache slot and keep their own latest block; a
 * thread that never allocated counts no temporary, even for a block at address 0. */
static void accum_temporaries_per_thread(void) {
  mt__accum a;
  mt__accum_init(&a, 0, UINT64_MAX);
  struct { int type; uint32_t tid; uint64_t addr; } es[] = {
      {MT__EV_ALLOC, 1, 0x10}, {MT__EV_ALLOC, 9, 0x20}, /* 9 takes 1's slot */
      {MT__EV_FREE, 1, 0x10},                           /* 1's latest: temporary */
      {MT__EV_FREE, 9, 0x20},                           /* 9's latest: temporary */
      {MT__EV_ALLOC, 2, 0},                             /* thread 2: a block at address 0 */
      {MT__EV_ALLOC, 17, 0x30},                         /* 17 takes 1's slot again */
      {MT__EV_FREE, 3, 0},                              /* thread 3 never allocated */
      {MT__EV_ALLOC, 1, 0x40}, {MT__EV_ALLOC, 1, 0x50},
      {MT__EV_FREE, 1, 0x40},                           /* not 1's latest */
      {MT__EV_FREE, 17, 0x30}};                         /* 17's latest, back from the map */
  for (size_t i = 0; i < sizeof es / sizeof *es; i++) {
    mt__event e = ev(es[i].type, i + 1, es[i].addr, es[i].type == MT__EV_ALLOC ? 8 : 0, 1);
    e.tid = es[i].tid;
    CHECK(mt__accum_event(&a, &e) == 0);
  }
  CHECK_EQ(a.t.temporary, 3);
  CHECK_EQ(a.t.frees, 5);
  CHECK_EQ(a.t.unmatched_frees, 0);
  mt__accum_free(&a);
}

static void demangle_cxx_and_rust(void) {
  char buf[256];
  CHECK(strcmp(mt__demangle("_ZN3foo3barEv", buf, sizeof buf), "foo::bar()") == 0);
  CHECK(strcmp(mt__demangle("_ZNSt6vectorIiSaIiEE9push_backERKi", buf, sizeof buf),
               "std::vector<int, std::allocator<int> >::push_back(int const&)") == 0);
  CHECK(strcmp(mt__demangle("_ZN4core3ptr13drop_in_place17h0123456789abcdefE", buf, sizeof buf),
               "core::ptr::drop_in_place") == 0);
  CHECK(strcmp(mt__demangle("_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$4grow17hfedcba9876543210E", buf,
                            sizeof buf), "alloc::raw_vec::RawVec<T,A>::grow") == 0);
  CHECK(strcmp(mt__demangle("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17hf37fc9c82d840119E",
                            buf, sizeof buf), "std::rt::lang_start::{{closure}}") == 0);
  CHECK(strcmp(mt__demangle("plain_c_name", buf, sizeof buf), "plain_c_name") == 0);
  CHECK(strcmp(mt__demangle("_Zgarbage", buf, sizeof buf), "_Zgarbage") == 0);
}

typedef struct {
  const char *mangled, *demangled;
} demangle_case;

static void check_demangled(const demangle_case *cases, size_t n) {
  char buf[1024];
  for (size_t i = 0; i < n; i++) {
    const char *got = mt__demangle(cases[i].mangled, buf, sizeof buf);
    if (strcmp(got, cases[i].demangled) != 0) {
      fprintf(stderr, "%s\n  gave     %s\n  expected %s\n", cases[i].mangled, got, cases[i].demangled);
      exit(1);
    }
  }
}

/* Symbols from rustc 1.95 binaries (std, and a test program with closures, traits, const
 * generics, dyn and a non-ASCII module), expected as llvm-cxxfilt 14 prints them. */
static const demangle_case rust_v0_real[] = {
    {"_RNvNtCsjrHSEGnQ3l9_3std2rt19lang_start_internal", "std::rt::lang_start_internal"},
    {"_RNvMs3_NtCslNYArtu3iFV_5alloc7raw_vecINtB5_6RawVecINtNtB7_3vec3VechEE8grow_oneCsjrHSEGnQ3l9_3std",
     "<alloc::raw_vec::RawVec<alloc::vec::Vec<u8>>>::grow_one"},
    {"_RNCINvNtCsjrHSEGnQ3l9_3std2rt10lang_startuE0CsbVXqutUjNVO_1x.llvm.4712072269654149495",
     "std::rt::lang_start::<()>::{closure#0}"},
    {"_RNvXs_CsbVXqutUjNVO_1xINtB4_4GridKj4_ENtB4_5Shape4areaB4_", "<x::Grid<4> as x::Shape>::area"},
    {"_RNvYINtCsbVXqutUjNVO_1x4GridKj4_ENtB5_5Shape4nameB5_", "<x::Grid<4> as x::Shape>::name"},
    {"_RINvCsbVXqutUjNVO_1x7generichReEB2_", "x::generic::<u8, &str>"},
    {"_RNvNtCsbVXqutUjNVO_1xu7caf_dmau8nave_6pa", "x::caf\xc3\xa9::na\xc3\xafve"},
    {"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCslNYArtu3iFV_5alloc5boxed3BoxDG0_INtNtNtB4_"
     "3ops8function2FnTRL1_INtNtCsjrHSEGnQ3l9_3std5panic13PanicHookInfoL0_EEEp6OutputuNtNtB4_6marker"
     "4SyncNtB2N_4SendEL_EEB1T_",
     "core::ptr::drop_in_place::<alloc::boxed::Box<dyn for<'a, 'b> core::ops::function::Fn<(&'a "
     "std::panic::PanicHookInfo<'b>,), Output = ()> + core::marker::Sync + core::marker::Send>>"},
    {"_RNvMs3_NtCslNYArtu3iFV_5alloc7raw_vecINtB5_6RawVecTOhFUKCBN_EuENtNtCsjrHSEGnQ3l9_3std5alloc6"
     "SystemE8grow_oneB13_",
     "<alloc::raw_vec::RawVec<(*mut u8, unsafe extern \"C\" fn(*mut u8)), std::alloc::System>>::grow_one"},
    {"_RNSNvYNCINvNtCsjrHSEGnQ3l9_3std2rt10lang_startuE0INtNtNtCsgEmfK2I1SDS_4core3ops8function6FnOnce"
     "uE9call_once6vtableCsbVXqutUjNVO_1x",
     "<std::rt::lang_start<()>::{closure#0} as core::ops::function::FnOnce<()>>::call_once::{shim:vtable#0}"},
    /* llvm-cxxfilt and c++filt print '\u{e9}'; rustc-demangle prints printable chars as they are */
    {"_RINvCsbVXqutUjNVO_1x6constsKb1_Kce9_Kln7_EB2_", "x::consts::<true, '\xc3\xa9', -7>"},
};

/* Productions the test program did not produce, built by hand. All but the line marked
 * otherwise are printed the same by llvm-cxxfilt 14. */
static const demangle_case rust_v0_grammar[] = {
    {"_RINvC1a1fAhj4_E", "a::f::<[u8; 4]>"},
    {"_RINvC1a1fQReFKCavEuFUK9rust_callEzPaObE",
     "a::f::<&mut &str, extern \"C\" fn(i8, ...), unsafe extern \"rust-call\" fn() -> !, *const i8, "
     "*mut bool>"},
    {"_RINvC1a1fKyff_Ko123456789abcdef01_Kan80_KpKb0_Kc27_E",
     "a::f::<255, 0x123456789abcdef01, -128, _, false, '\\''>"},
    {"_RINvC1a1fFG_RL0_hEuINtC1a1SL_EE", "a::f::<for<'a> fn(&'a u8), a::S<'_>>"},
    {"_RINvC1a1fDNtC1a8Iteratorp4ItemhEL_E", "a::f::<dyn a::Iterator<Item = u8>>"},
    {"_RNCNvC1a1fs_0", "a::f::{closure#1}"},
    {"_RNCNvC1a1f3foo", "a::f::{closure:foo#0}"},
    {"_RNvNvC1a1f0", "a::f"},
    {"_RNvCs123_1a1fC1b", "a::f"},
    {"__RNvC1a1f", "a::f"},
    {"_RNvC1a1f.cold", "a::f.cold"},
    /* consts of adt_const_params, as rustc-demangle prints them (llvm-cxxfilt 14 cannot) */
    {"_RINvC1a1fKRe616263_KAj1_j2_EKTj1_EKVNvC1a4NoneUKVNvC1a4SomeTj5_EKVNvC1a1PS1xj1_1yj2_EKRj5_E",
     "a::f::<\"abc\", {[1, 2]}, {(1,)}, {a::None}, {a::Some(5)}, {a::P { x: 1, y: 2 }}, {&5}>"},
};

static void demangle_rust_v0_matches_llvm_cxxfilt(void) {
  check_demangled(rust_v0_real, sizeof rust_v0_real / sizeof *rust_v0_real);
}

static void demangle_rust_v0_grammar(void) {
  check_demangled(rust_v0_grammar, sizeof rust_v0_grammar / sizeof *rust_v0_grammar);
}

/* Not v0 symbols, or broken ones: each comes back unchanged. */
static void demangle_rust_v0_rejects_malformed(void) {
  static const char *const bad[] = {
      "_R", "_RNvC1a", "_RNvC1a1fE", "_R0NvC1a1f", "_Rust_begin_unwind", "_RNvB9_1f",
      "_RB_",                 /* a backref to itself */
      "_RNvNtB_3foo3bar",     /* a backref to the path that contains it: a loop */
      "_RINvC1a1fRL0_hE",     /* a lifetime no binder introduced */
      "_RINvC1a1fKb2_E",      /* bool 2 */
      "_RINvC1a1fKcd800_E",   /* a surrogate is no char */
      "_RINvC1a1fKReff_E",    /* a str const that is not UTF-8 */
      "_RNvC1au1b",           /* punycode that ends inside a delta */
      "_RNvC1a1f.x y",        /* a suffix with a space */
      "_RNvC1a1f$",
  };
  char buf[256];
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *got = mt__demangle(bad[i], buf, sizeof buf);
    if (got != bad[i]) {
      fprintf(stderr, "%s demangled to %s\n", bad[i], got);
      exit(1);
    }
  }
  /* Every prefix of real symbols, each in a block of its exact size so ASan sees any overread. */
  for (size_t i = 0; i < sizeof rust_v0_real / sizeof *rust_v0_real; i++) {
    size_t n = strlen(rust_v0_real[i].mangled);
    for (size_t k = 0; k <= n; k++) {
      char *p = malloc(k + 1);
      CHECK(p != NULL);
      memcpy(p, rust_v0_real[i].mangled, k);
      p[k] = 0;
      const char *got = mt__demangle(p, buf, sizeof buf);
      CHECK(got == p || (got == buf && strlen(buf) < sizeof buf));
      free(p);
    }
  }
}

static void append_base62(char *s, size_t v) {
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  char tmp[16];
  size_t n = 0;
  if (v > 0)
    for (v--; n == 0 || v > 0; v /= 62) tmp[n++] = digits[v % 62];
  s += strlen(s);
  while (n > 0) *s++ = tmp[--n];
  strcpy(s, "_");
}

/* Output that would double at each backref is cut at the buffer, deep nesting is refused, and
 * a buffer of any size gets a NUL-terminated prefix of the full name. */
static void demangle_rust_v0_bounds_output_and_work(void) {
  char bomb[4096] = "_RINvC1a1f", buf[256];
  size_t prev = strlen(bomb) - 2;
  strcat(bomb, "TuuE");
  for (int level = 0; level < 60; level++) {
    size_t at = strlen(bomb) - 2;
    strcat(bomb, "TB");
    append_base62(bomb, prev);
    strcat(bomb, "B");
    append_base62(bomb, prev);
    strcat(bomb, "E");
    prev = at;
  }
  strcat(bomb, "E");
  CHECK(mt__demangle(bomb, buf, sizeof buf) == buf);
  CHECK_EQ(strlen(buf), sizeof buf - 1);
  CHECK(strncmp(buf, "a::f::<((), ()), (((), ()), ((), ())), ", 39) == 0);

  enum { DEEP = 100000 };
  char *deep = malloc(DEEP + 16);
  CHECK(deep != NULL);
  strcpy(deep, "_RINvC1a1f");
  memset(deep + 10, 'R', DEEP);
  strcpy(deep + 10 + DEEP, "uE");
  CHECK(mt__demangle(deep, buf, sizeof buf) == deep);
  free(deep);

  for (size_t i = 0; i < sizeof rust_v0_real / sizeof *rust_v0_real; i++) {
    const demangle_case *c = &rust_v0_real[i];
    size_t full = strlen(c->demangled);
    for (size_t len = 1; len <= full + 1; len++) {
      char *small = malloc(len);
      CHECK(small != NULL);
      CHECK(mt__demangle(c->mangled, small, len) == small);
      size_t got = strlen(small);
      CHECK(got < len && strncmp(small, c->demangled, got) == 0);
      CHECK(got + 4 > len - 1 || got == full); /* cut only to keep a UTF-8 sequence whole */
      free(small);
    }
  }
}

/* This program's own debug sections, linked compressed, come out of the helpers as libelf's
 * elf_compress makes them, and marked uncompressed; queuing the file again adds nothing. */
static void inflate_matches_libelf(void) {
  elf_version(EV_CURRENT);
  int fd = open("/proc/self/exe", O_RDONLY);
  CHECK(fd >= 0);
  Elf *ours = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
  Elf *ref = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
  CHECK(ours && ref);
  mt__inflater *z;
  CHECK(mt__inflater_new(&z) == 0);
  int group = mt__inflate_queue(z, ours);
  CHECK(group >= 0);
  CHECK(mt__inflate_queue(z, ours) == group); /* a file queued twice: one job per section */
  mt__inflate_wait(z, group);
  int compressed = 0;
  for (Elf_Scn *a = NULL, *b = NULL; (a = elf_nextscn(ours, a)) && (b = elf_nextscn(ref, b));) {
    GElf_Shdr sa, sb;
    CHECK(gelf_getshdr(a, &sa) && gelf_getshdr(b, &sb));
    if (sb.sh_flags & SHF_COMPRESSED) {
      compressed++;
      CHECK(elf_compress(b, 0, 0) == 1);
      CHECK(gelf_getshdr(b, &sb));
      CHECK(!(sa.sh_flags & SHF_COMPRESSED));
    }
    CHECK(sa.sh_flags == sb.sh_flags && sa.sh_size == sb.sh_size);
    if (sa.sh_type == SHT_NOBITS) continue;
    Elf_Data *da = elf_getdata(a, NULL), *db = elf_getdata(b, NULL);
    CHECK(da && db && da->d_size == db->d_size);
    CHECK(da->d_size == 0 || memcmp(da->d_buf, db->d_buf, da->d_size) == 0);
  }
  CHECK(compressed >= 3); /* .debug_info, .debug_abbrev, .debug_line at least */
  elf_end(ours);
  elf_end(ref);
  mt__inflater_free(z);
  close(fd);
}

/* The functions containing pc as eu-addr2line -i finds them with two walks of the unit
 * (dwarf_getscopes, then the concrete parents of its innermost scope): DIE offsets, innermost
 * first, up to the first subprogram. */
static int scopes_by_walk(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Off *out, int max) {
  Dwarf_Die *scopes = NULL;
  int n = dwarf_getscopes(cu, pc, &scopes), k = 0;
  if (n > 0) {
    Dwarf_Die inner = scopes[0];
    free(scopes);
    scopes = NULL;
    n = dwarf_getscopes_die(&inner, &scopes);
  }
  for (int i = 0; i < n && k < max; i++) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
    out[k++] = dwarf_dieoffset(&scopes[i]);
    if (tag == DW_TAG_subprogram) break;
  }
  free(scopes);
  return k;
}

/* Every third byte of this program's code (built -O2 -g: plenty of inlining) gets the same
 * functions from the index as from libdw's walks. */
static void scopes_match_dwarf_getscopes(void) {
  static const Dwfl_Callbacks callbacks = {.find_elf = dwfl_build_id_find_elf,
                                           .find_debuginfo = dwfl_standard_find_debuginfo,
                                           .section_address = dwfl_offline_section_address};
  Dwfl *dwfl = dwfl_begin(&callbacks);
  CHECK(dwfl);
  dwfl_report_begin(dwfl);
  Dwfl_Module *m = dwfl_report_offline(dwfl, "self", "/proc/self/exe", -1);
  CHECK(m && dwfl_report_end(dwfl, NULL, NULL) == 0);
  Dwarf_Addr lo, hi;
  dwfl_module_info(m, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
  mt__scope_index *x;
  CHECK(mt__scope_index_new(&x) == 0);
  size_t pcs = 0, inlined = 0;
  for (Dwarf_Addr pc = lo; pc < hi; pc += 3) {
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(m, pc, &bias);
    if (!cu) continue;
    Dwarf_Off want[64], got[64];
    int nwant = scopes_by_walk(cu, pc - bias, want, 64), ngot = 0;
    for (const mt__scope *s = mt__scope_at(x, cu, pc - bias); s && ngot < 64; s = s->parent) {
      Dwarf_Die die = s->die;
      got[ngot++] = dwarf_dieoffset(&die);
      inlined += s->inlined;
      if (!s->inlined) break;
    }
    if (ngot != nwant || memcmp(got, want, (size_t)ngot * sizeof *got) != 0)
      fprintf(stderr, "pc %#llx: %d functions from the walk, %d from the index\n",
              (unsigned long long)pc, nwant, ngot);
    CHECK_EQ(ngot, nwant);
    CHECK(memcmp(got, want, (size_t)ngot * sizeof *got) == 0);
    pcs++;
  }
  CHECK(pcs > 10000);
  CHECK(inlined > 1000);
  mt__scope_index_free(x);
  dwfl_end(dwfl);
}

/* Rows of 8 to 80 bytes, and one longer than a chunk, each holding its number in every word. */
enum { QUEUE_ROWS = 300000, LONG_ROW = 123456, LONG_WORDS = 100000 };

static size_t row_words(uint64_t i) { return i == LONG_ROW ? LONG_WORDS : 1 + i % 10; }

static void *produce_rows(void *arg) {
  mt__rowq *q = arg;
  for (uint64_t i = 0; i < QUEUE_ROWS; i++) {
    size_t n = row_words(i);
    uint64_t *w = mt__rowq_reserve(q, n * 8);
    if (!w) break;
    for (size_t k = 0; k < n; k++) w[k] = i;
  }
  mt__rowq_close(q);
  return NULL;
}

/* Every row arrives once, whole and in order, through many chunks. */
static void rowqueue_keeps_order_across_chunks(void) {
  mt__rowq *q = mt__rowq_new();
  CHECK(q != NULL);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, produce_rows, q) == 0);
  uint64_t next = 0;
  const void *data;
  size_t len;
  while (mt__rowq_take(q, &data, &len)) {
    const uint64_t *w = data, *end = w + len / 8;
    while (w < end) {
      size_t n = row_words(next);
      CHECK((size_t)(end - w) >= n);
      for (size_t k = 0; k < n; k++) CHECK(w[k] == next);
      w += n;
      next++;
    }
    mt__rowq_release(q);
  }
  pthread_join(t, NULL);
  CHECK(next == QUEUE_ROWS);
  mt__rowq_free(q);
}

/* A consumer that stops releases a producer waiting for a free chunk. */
static void rowqueue_stop_releases_producer(void) {
  mt__rowq *q = mt__rowq_new();
  CHECK(q != NULL);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, produce_rows, q) == 0);
  const void *data;
  size_t len;
  CHECK(mt__rowq_take(q, &data, &len) == 1);
  mt__rowq_release(q);
  mt__rowq_stop(q);
  pthread_join(t, NULL);
  CHECK(mt__rowq_stopped(q));
  mt__rowq_free(q);
}

/* Nodes read back from packs exactly as written: three packs of process 1 (ids out of order,
 * ips at both ends of the range, a parent above its id), then process 2; a truncated pack
 * is reported, not read past. */
typedef struct {
  uint64_t id, parent, ip;
} pack_node;

enum { PACK_TEST_NODES = 40000 };
static pack_node pack_written[PACK_TEST_NODES], pack_read[PACK_TEST_NODES];
static size_t npack_read;

static pack_node nth_pack_node(size_t i) {
  uint64_t id = i == 30000 ? 7 : i + 1;
  uint64_t parent = i % 5 ? id - 1 : (i == 10 ? id + 100 : id / 2);
  uint64_t ip = i % 7 == 0 ? UINT64_MAX - i : i % 11 == 0 ? i : 0x7f0000000000ull + i * 4099 % 65536;
  return (pack_node){id, parent, ip};
}

static int collect_pack_node(void *ctx, uint64_t id, uint64_t parent, uint64_t ip) {
  (void)ctx;
  if (npack_read == PACK_TEST_NODES) return -1;
  pack_read[npack_read++] = (pack_node){id, parent, ip};
  return 0;
}

static void stackpack_round_trip(void) {
  sqlite3 *db;
  mt__err e = {{0}};
  CHECK(mt__db_open(&db, ":memory:", 1, &e) == 0);
  mt__stackpack_writer w;
  CHECK(mt__stackpack_init(&w, db, &e) == 0);
  for (size_t i = 0; i < PACK_TEST_NODES; i++) {
    pack_written[i] = nth_pack_node(i);
    int64_t pid = i < 35000 ? 1 : 2;
    CHECK(mt__stackpack_add(&w, pid, pack_written[i].id, pack_written[i].parent, pack_written[i].ip) == 0);
  }
  CHECK(mt__stackpack_flush(&w) == 0);
  mt__stackpack_free(&w);
  uint64_t nodes = 0, max = 0;
  CHECK(mt__stackpack_size(db, 1, &nodes, &max, &e) == 1);
  CHECK_EQ(nodes, 35000);
  CHECK_EQ(max, 35000);
  CHECK(mt__stackpack_size(db, 3, &nodes, &max, &e) == 0);
  /* node 30000 (id 7) sits in the second pack of process 1, whose ids start at 16385 */
  sqlite3_stmt *st;
  CHECK(sqlite3_prepare_v2(db, "SELECT first_id, last_id FROM stack_packs WHERE rowid = 2", -1, &st, NULL) == SQLITE_OK);
  CHECK(sqlite3_step(st) == SQLITE_ROW);
  CHECK_EQ(sqlite3_column_int64(st, 0), 7);
  CHECK_EQ(sqlite3_column_int64(st, 1), 32768);
  sqlite3_finalize(st);
  CHECK(mt__stackpack_read(db, 1, collect_pack_node, NULL, &e) == 0);
  CHECK(mt__stackpack_read(db, 2, collect_pack_node, NULL, &e) == 0);
  CHECK_EQ(npack_read, PACK_TEST_NODES);
  for (size_t i = 0; i < PACK_TEST_NODES; i++) {
    CHECK_EQ(pack_read[i].id, pack_written[i].id);
    CHECK_EQ(pack_read[i].parent, pack_written[i].parent);
    CHECK_EQ(pack_read[i].ip, pack_written[i].ip);
  }
  CHECK(sqlite3_exec(db, "UPDATE stack_packs SET data = substr(data, 1, 1000) WHERE rowid = 2", NULL, NULL, NULL) == SQLITE_OK);
  npack_read = 0;
  CHECK(mt__stackpack_read(db, 1, collect_pack_node, NULL, &e) == -1);
  CHECK(strstr(e.msg, "damaged stack_packs row: it ends inside node") != NULL);
  sqlite3_close(db);
}

/* Runs: chains split at a branch, at 256 nodes and at a process change; every address comes
 * back exactly from the JSON offsets (the C reader wraps as the writer did), and through the
 * stacks view too for user-space addresses. */
enum { RUN_TEST_NODES = 5000, RUN_TEST_FIRST_OF_2 = 3000 };

static pack_node nth_run_node(size_t i) {
  static const uint64_t odd_ips[] = {0, 1, 9, 10, 99, 100, 101, INT64_MAX, UINT64_C(1) << 63,
                                     UINT64_MAX, 12345678901234567890u};
  uint64_t id = i + 1;
  int long_chain = i >= 1000 && i < 1600; /* 600 nodes, each the child of the one before */
  uint64_t parent = long_chain || i % 5 ? id - 1 : id / 2;
  if (i == RUN_TEST_FIRST_OF_2) parent = 0;
  uint64_t ip = i < RUN_TEST_FIRST_OF_2 && i % 3 == 0
                    ? odd_ips[i / 3 % (sizeof odd_ips / sizeof *odd_ips)]
                    : (i % 2 ? 0x7f0000000000ull : 0x555555554000ull) + i * 4099 % 65536;
  return (pack_node){id, parent, ip};
}

static void stackrun_round_trip(void) {
  sqlite3 *db;
  mt__err e = {{0}};
  CHECK(mt__db_open(&db, ":memory:", 1, &e) == 0);
  mt__stackrun_writer w;
  CHECK(mt__stackrun_init(&w, db, &e) == 0);
  for (size_t i = 0; i < RUN_TEST_NODES; i++) {
    pack_written[i] = nth_run_node(i);
    int64_t pid = i < RUN_TEST_FIRST_OF_2 ? 1 : 2;
    CHECK(mt__stackrun_add(&w, pid, pack_written[i].id, pack_written[i].parent, pack_written[i].ip) == 0);
  }
  /* process 3: one chain whose offsets take every shape of the decimal writer */
  static const uint64_t ips3[] = {1000, 1010, 1099, 1100, 2010, 0, 1000 + (UINT64_C(1) << 63), 1001};
  for (uint64_t k = 0; k < sizeof ips3 / sizeof *ips3; k++)
    CHECK(mt__stackrun_add(&w, 3, k + 1, k, ips3[k]) == 0);
  CHECK(mt__stackrun_flush(&w) == 0);
  mt__stackrun_free(&w);
  sqlite3_stmt *text;
  CHECK(sqlite3_prepare_v2(db, "SELECT ip_offsets FROM stack_runs WHERE process_id = 3", -1, &text, NULL) == SQLITE_OK);
  CHECK(sqlite3_step(text) == SQLITE_ROW);
  CHECK(strcmp((const char *)sqlite3_column_text(text, 0),
               "[0,10,99,100,1010,-1000,-9223372036854775808,1]") == 0);
  sqlite3_finalize(text);
  npack_read = 0;
  CHECK(mt__stackrun_read(db, 1, collect_pack_node, NULL, &e) == 0);
  CHECK(mt__stackrun_read(db, 2, collect_pack_node, NULL, &e) == 0);
  CHECK_EQ(npack_read, RUN_TEST_NODES);
  for (size_t i = 0; i < RUN_TEST_NODES; i++) {
    CHECK_EQ(pack_read[i].id, pack_written[i].id);
    CHECK_EQ(pack_read[i].parent, pack_written[i].parent);
    CHECK_EQ(pack_read[i].ip, pack_written[i].ip);
  }
  uint64_t nodes = 0, max = 0;
  CHECK(mt__stackrun_size(db, 1, &nodes, &max, &e) == 0);
  CHECK_EQ(nodes, RUN_TEST_FIRST_OF_2);
  CHECK_EQ(max, RUN_TEST_FIRST_OF_2);
  CHECK(mt__stackrun_size(db, 2, &nodes, &max, &e) == 0);
  CHECK_EQ(nodes, RUN_TEST_NODES - RUN_TEST_FIRST_OF_2);
  CHECK_EQ(max, RUN_TEST_NODES);
  /* the chain of ids 996..1600 is cut into runs of 256: 996.., 1252.., 1508.. */
  sqlite3_stmt *st;
  CHECK(sqlite3_prepare_v2(db, MT__SQL_STACK_RUN_OF, -1, &st, NULL) == SQLITE_OK);
  sqlite3_bind_int64(st, 1, 1);
  sqlite3_bind_int64(st, 2, 1300);
  CHECK(sqlite3_step(st) == SQLITE_ROW);
  CHECK_EQ(sqlite3_column_int64(st, 0), 1252);
  CHECK_EQ(sqlite3_column_int64(st, 1), 1251);
  sqlite3_finalize(st);
  CHECK(sqlite3_prepare_v2(db, "SELECT id, parent, ip FROM stacks WHERE process_id = 2 ORDER BY id",
                           -1, &st, NULL) == SQLITE_OK);
  size_t i = RUN_TEST_FIRST_OF_2;
  while (sqlite3_step(st) == SQLITE_ROW) {
    CHECK(i < RUN_TEST_NODES);
    CHECK_EQ((uint64_t)sqlite3_column_int64(st, 0), pack_written[i].id);
    CHECK_EQ((uint64_t)sqlite3_column_int64(st, 1), pack_written[i].parent);
    CHECK_EQ((uint64_t)sqlite3_column_int64(st, 2), pack_written[i].ip);
    i++;
  }
  CHECK_EQ(i, RUN_TEST_NODES);
  sqlite3_finalize(st);
  CHECK(sqlite3_exec(db, "UPDATE stack_runs SET ip_offsets = '[0, 12' WHERE first_id = 1252", NULL, NULL, NULL) == SQLITE_OK);
  CHECK(mt__stackrun_read(db, 1, collect_pack_node, NULL, &e) == -1);
  CHECK(strcmp(e.msg, "damaged stack_runs row 1252: ip_offsets is not an array of integers") == 0);
  sqlite3_close(db);
}

static const mt_unit_test tests[] = {
    {"u64map_matches_reference", u64map_matches_reference},
    {"reorder_merges_threads", reorder_merges_threads},
    {"reorder_skips_gaps_at_drain", reorder_skips_gaps_at_drain},
    {"reorder_thread_chunks_out_of_order", reorder_thread_chunks_out_of_order},
    {"accum_address_reuse_across_late_thread", accum_address_reuse_across_late_thread},
    {"accum_pairs_late_allocation", accum_pairs_late_allocation},
    {"accum_peak_snapshot", accum_peak_snapshot},
    {"accum_temporaries_per_thread", accum_temporaries_per_thread},
    {"accum_sites_of_dense_and_sparse_stack_ids", accum_sites_of_dense_and_sparse_stack_ids},
    {"demangle_cxx_and_rust", demangle_cxx_and_rust},
    {"demangle_rust_v0_matches_llvm_cxxfilt", demangle_rust_v0_matches_llvm_cxxfilt},
    {"demangle_rust_v0_grammar", demangle_rust_v0_grammar},
    {"demangle_rust_v0_rejects_malformed", demangle_rust_v0_rejects_malformed},
    {"demangle_rust_v0_bounds_output_and_work", demangle_rust_v0_bounds_output_and_work},
    {"rowqueue_keeps_order_across_chunks", rowqueue_keeps_order_across_chunks},
    {"rowqueue_stop_releases_producer", rowqueue_stop_releases_producer},
    {"inflate_matches_libelf", inflate_matches_libelf},
    {"scopes_match_dwarf_getscopes", scopes_match_dwarf_getscopes},
    {"stackpack_round_trip", stackpack_round_trip},
    {"stackrun_round_trip", stackrun_round_trip},
};

int main(int argc, char **argv) { return mt_unit_main(tests, sizeof tests / sizeof *tests, argc, argv); }
